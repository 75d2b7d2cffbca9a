"""Public entry points: ``render`` (images) and helpers shared with ``video``."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Mapping
from typing import Any

from ..formats import IMAGE_FORMATS
from . import limits as L
from .bundle import Bundle, load_bundle
from .errors import RenderError
from .pipeline import Job

_FIXED_PDF_DATE = b"D:20000101000000Z"


def _coerce_bundle(bundle_or_path: Bundle | str | os.PathLike | Mapping[str, Any]) -> Bundle:
    return load_bundle(bundle_or_path)


def check_output(bundle: Bundle, format: str, scale: int, quality: int | None, allowed=IMAGE_FORMATS) -> str:  # noqa: A002
    fmt = {"jpeg": "jpg"}.get(str(format).lower(), str(format).lower())
    if fmt not in allowed:
        raise RenderError(
            f"Unknown format {format!r}; use one of {', '.join(allowed)}.",
            code="invalid_format",
            details={"format": format},
        )
    if type(scale) is not int or not L.MIN_SCALE <= scale <= L.MAX_SCALE:
        raise RenderError(
            "scale must be an integer from 1 to 4.", code="invalid_scale", details={"scale": scale}
        )
    if quality is not None and (type(quality) is not int or not 1 <= quality <= 100):
        raise RenderError(
            "quality must be an integer from 1 to 100.", code="invalid_quality", details={"quality": quality}
        )
    pixels = bundle.width * scale * bundle.height * scale
    if pixels > L.MAX_OUTPUT_PIXELS:
        raise RenderError(
            f"Output of {bundle.width * scale}x{bundle.height * scale} pixels is too large.",
            code="output_too_large",
            details={"limit_pixels": L.MAX_OUTPUT_PIXELS},
        )
    return fmt


def frame_for_time(bundle: Bundle, time: float | None) -> int | None:
    if time is None:
        return 0 if bundle.type == "video" else None
    if bundle.type != "video":
        return None
    duration = bundle.duration or 0.0
    if not 0 <= time <= duration:
        raise RenderError(
            f"time must be between 0 and {duration:g} seconds.", code="invalid_time", details={"time": time}
        )
    return min(round(time * (bundle.fps or 1)), bundle.total_frames - 1)


def svg_to_pdf(svg: bytes) -> bytes:
    """Vector PDF through CairoSVG; the creation date is pinned so output is byte-identical."""
    import cairosvg

    try:
        pdf = cairosvg.svg2pdf(bytestring=svg, unsafe=False)
    except Exception as exc:  # CairoSVG raises many kinds on odd input
        raise RenderError(f"PDF conversion failed: {exc}", code="render_failed") from None
    # Same-length replacement keeps the xref offsets valid.
    return re.sub(
        rb"/CreationDate \(D:[0-9Z+\-']*\)",
        lambda m: b"/CreationDate (" + _FIXED_PDF_DATE.ljust(len(m.group(0)) - 16) + b")",
        pdf,
    )


def _pdf_ready_svg(job: Job, markup: str) -> bytes:
    """CairoSVG draws text with one font and no fallback: fine for Latin, Cyrillic and Greek.

    When the SVG's text holds anything else (CJK, Arabic, Hebrew, emoji…), the page is the resvg
    raster at 2x inside the PDF instead, so the PDF never shows tofu boxes.
    """
    import base64

    from .resources import parse_svg

    text = "".join(parse_svg(markup).itertext())
    if all(ord(c) < 0x0530 or 0x2000 <= ord(c) < 0x2070 or c in "€₽₴№™" for c in text):
        return markup.encode("utf-8")
    from .svg_engine import rasterize

    b = job.bundle
    png = base64.b64encode(rasterize(job, markup, scale=2)).decode("ascii")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{b.width}" height="{b.height}">'
        f'<image width="{b.width}" height="{b.height}" href="data:image/png;base64,{png}"/></svg>'
    ).encode()


def png_to(png: bytes, fmt: str, quality: int | None) -> bytes:
    from PIL import Image

    img = Image.open(io.BytesIO(png))
    out = io.BytesIO()
    if fmt == "jpg":
        if img.mode in ("RGBA", "LA", "P"):
            img = img.convert("RGBA")
            bg = Image.new("RGB", img.size, (255, 255, 255))
            bg.paste(img, mask=img.getchannel("A"))
            img = bg
        img.convert("RGB").save(out, "JPEG", quality=quality or 90, optimize=False)
    else:
        img.save(out, "WEBP", quality=quality or 90, method=4)
    return out.getvalue()


def cache_key(
    bundle_or_path: Bundle | str | os.PathLike | Mapping[str, Any],
    props: Mapping[str, Any] | None = None,
    *,
    format: str = "png",  # noqa: A002
    scale: int = 1,
    quality: int | None = None,
    images: Mapping[str, bytes] | None = None,
    time: float | None = None,
) -> str:
    """sha256 hex naming one render: bundle checksum, normalized props (images by content), options.

    Equal keys give byte-identical output, so a render cache can use it as is. Raises like ``render``
    for invalid props or options, without rendering.
    """
    import hashlib
    import json

    from .props import ImageValue, validate_props

    bundle = _coerce_bundle(bundle_or_path)
    fmt = check_output(bundle, format, scale, quality, allowed=IMAGE_FORMATS + ("mp4", "gif", "webm"))
    normalized = {}
    for name, value in validate_props(bundle, props, images=images).items():
        if isinstance(value, ImageValue):
            value = {"image": hashlib.sha256(value.data).hexdigest() if value.data is not None else value.ref}
        normalized[name] = value
    payload = {
        "bundle": bundle.checksum,
        "props": normalized,
        "format": fmt,
        "scale": scale,
        "quality": quality,
        "time": time,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def render(
    bundle_or_path: Bundle | str | os.PathLike | Mapping[str, Any],
    props: Mapping[str, Any] | None = None,
    *,
    format: str = "png",  # noqa: A002
    scale: int = 1,
    quality: int | None = None,
    images: Mapping[str, bytes] | None = None,
    time: float | None = None,
) -> bytes:
    """Render an image: png, jpg (``quality`` 1-100), webp, svg or pdf, at ``scale`` 1-4.

    ``images`` maps remote image-prop URLs to bytes the caller fetched. For a video template,
    ``time`` (seconds) picks the frame; default is the first frame.
    """
    from .html_engine import render_html
    from .svg_engine import pin_size, rasterize, svg_markup

    bundle = _coerce_bundle(bundle_or_path)
    fmt = check_output(bundle, format, scale, quality)
    frame = frame_for_time(bundle, time)
    job = Job(bundle, props, images=images)
    if bundle.engine in ("html", "jsx"):
        if fmt == "pdf":
            return svg_to_pdf(render_html(job, format="svg", frame=frame))
        if fmt == "svg":
            svg = render_html(job, format="svg", frame=frame).decode("utf-8")
            return pin_size(svg, bundle.width, bundle.height, scale).encode("utf-8")
        return render_html(job, format=fmt, scale=scale, quality=quality, frame=frame)
    markup = svg_markup(job, frame)
    if fmt == "svg":
        return pin_size(markup, bundle.width, bundle.height, scale).encode("utf-8")
    if fmt == "pdf":
        return svg_to_pdf(_pdf_ready_svg(job, markup))
    png = rasterize(job, markup, scale=scale)
    return png if fmt == "png" else png_to(png, fmt, quality)
