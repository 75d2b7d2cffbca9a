"""The smoke render of a publish: a template must render with its example props (examples,
defaults, placeholders for required props) before it is accepted, and that render is the
preview people see."""

from __future__ import annotations

from loopwind import engine

MAX_VIDEO_PREVIEW_SECONDS = 10  # longer templates get a PNG preview only


def render_previews(bundle: engine.Bundle) -> dict[str, bytes]:
    """``{"png": …}`` for images; videos also get ``"mp4"`` (the whole clip, when short)."""
    props = engine.example_props(bundle)
    if bundle.type != "video":
        return {"png": engine.render(bundle, props, format="png")}
    previews = {"png": engine.render(bundle, props, format="png", time=(bundle.duration or 0) / 2)}
    if (bundle.duration or 0) <= MAX_VIDEO_PREVIEW_SECONDS:
        previews["mp4"] = engine.render_video(bundle, props, format="mp4")
    return previews
