"""The smoke render of a publish: a template must render with its example props (examples,
defaults, placeholders for required props) before it is accepted, and that render is the
preview people see. It runs in the same isolated render children as every other render:
a template being published is as untrusted as one being rendered."""

from __future__ import annotations

import tempfile
from pathlib import Path

from core.renderpool.isolation import RenderTask
from core.renderpool.pools import image_pool, video_pool
from loopwind import engine

MAX_VIDEO_PREVIEW_SECONDS = 10  # longer templates get a PNG preview only


def render_previews(bundle: engine.Bundle) -> dict[str, bytes]:
    """``{"png": …}`` for images; videos also get ``"mp4"`` (the whole clip, when short)."""
    props = engine.example_props(bundle)

    def files():
        return dict(bundle.files)

    if bundle.type != "video":
        png = image_pool().run(RenderTask(bundle.checksum, None, props), files_loader=files)
        return {"png": png}
    middle = (bundle.duration or 0) / 2
    previews = {
        "png": image_pool().run(RenderTask(bundle.checksum, None, props, time=middle), files_loader=files)
    }
    if (bundle.duration or 0) <= MAX_VIDEO_PREVIEW_SECONDS:
        with tempfile.TemporaryDirectory(prefix="loopwind-preview-") as folder:
            path = Path(folder) / "preview.mp4"
            task = RenderTask(bundle.checksum, None, props, kind="video", format="mp4", output_path=str(path))
            video_pool().run(task, files_loader=files)
            previews["mp4"] = path.read_bytes()
    return previews
