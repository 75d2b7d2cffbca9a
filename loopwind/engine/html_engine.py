"""Engine "html": Takumi (pytakumi) renders Jinja-evaluated HTML with Tailwind classes."""

from __future__ import annotations

import pytakumi

from .errors import RenderError
from .fonts import family_map, font_stack
from .isolate import run_native
from .limits import MAX_NESTING_DEPTH
from .markup import apply_family_map, prepare_html
from .resources import check_svg

_TAKUMI_FORMATS = {"png": "png", "jpg": "jpeg", "webp": "webp", "raw": "raw"}


def _root(job, frame: int | None) -> tuple[str, list[str], int | None]:
    b = job.bundle
    time_ms = None if frame is None else round(frame * 1000 / b.fps) if b.fps else 0
    body, styles = prepare_html(job.markup(frame), time_ms=time_ms, allowed=job.allowed)
    names = family_map(b)
    body = apply_family_map(body, names)
    sheets = [apply_family_map(css, names) for css in job.stylesheets + styles]
    root = (
        f'<div style="display:flex;flex-direction:column;width:{b.width}px;height:{b.height}px;'
        f'overflow:hidden;position:relative;font-family:{font_stack(b)}">{body}</div>'
    )
    return root, sheets, time_ms


def _fail(exc: Exception) -> RenderError:
    text = str(exc)
    if "depth" in text:
        return RenderError(
            f"Markup is nested too deeply: {text}",
            code="markup_too_deep",
            details={"limit": MAX_NESTING_DEPTH},
        )
    return RenderError(f"Takumi could not render the template: {text}", code="render_failed")


def render_html(
    job, *, format: str, scale: int = 1, quality: int | None = None, frame: int | None = None
) -> bytes:  # noqa: A002
    b = job.bundle
    root, sheets, time_ms = _root(job, frame)
    try:
        if format in ("svg", "pdf"):
            node = pytakumi.from_html(root, max_depth=MAX_NESTING_DEPTH)
            svg = run_native(
                lambda: job.renderer.render_svg(
                    node,
                    width=b.width,
                    height=b.height,
                    stylesheets=sheets,
                    images=job.images,
                    time_ms=time_ms,
                )
            )
            check_svg(svg, where="takumi svg output")
            return svg.encode("utf-8")
        return run_native(
            lambda: job.renderer.render_html(
                root,
                width=b.width * scale,
                height=b.height * scale,
                device_pixel_ratio=float(scale),
                format=_TAKUMI_FORMATS[format],
                quality=quality,
                stylesheets=sheets,
                images=job.images,
                time_ms=time_ms,
                max_depth=MAX_NESTING_DEPTH,
            )
        )
    except (ValueError, RuntimeError, OSError) as exc:
        raise _fail(exc) from None
