"""The smoke render of a publish: a template must render with its defaults (or sample values
for required props) before it is accepted, and that render is the preview people see."""

from __future__ import annotations

import io

from PIL import Image

from loopwind import engine

SAMPLE_COLOR = "#6366f1"
MAX_VIDEO_PREVIEW_SECONDS = 10  # longer templates get a PNG preview only


def _sample_image() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (148, 163, 184)).save(buffer, format="PNG")
    return buffer.getvalue()


def sample_props(bundle: engine.Bundle) -> dict:
    """Defaults where the manifest has them; a plausible value for required props without one."""
    props: dict = {}
    for name, spec in bundle.props.items():
        if spec.default is not None or not spec.required:
            continue
        example = spec.extra.get("example")
        if spec.enum:
            props[name] = spec.enum[0]
        elif example is not None:
            props[name] = example
        elif spec.type == "string":
            text = name.replace("_", " ").capitalize()
            props[name] = text[: spec.max_length] if spec.max_length else text
        elif spec.type in ("number", "integer"):
            value = spec.min if spec.min is not None else 0
            props[name] = int(value) if spec.type == "integer" else value
        elif spec.type == "boolean":
            props[name] = True
        elif spec.type == "color":
            props[name] = SAMPLE_COLOR
        elif spec.type == "image":
            props[name] = _sample_image()
    return props


def render_previews(bundle: engine.Bundle) -> dict[str, bytes]:
    """``{"png": …}`` for images; videos also get ``"mp4"`` (the whole clip, when short)."""
    props = sample_props(bundle)
    if bundle.type != "video":
        return {"png": engine.render(bundle, props, format="png")}
    previews = {"png": engine.render(bundle, props, format="png", time=(bundle.duration or 0) / 2)}
    if (bundle.duration or 0) <= MAX_VIDEO_PREVIEW_SECONDS:
        previews["mp4"] = engine.render_video(bundle, props, format="mp4")
    return previews
