"""Previews. The smoke render of a publish: a template must render with its example props (examples,
defaults, placeholders for required props) before it is accepted, and that render is the still
preview people see (a video's middle frame). It runs in the same isolated render children as every
other render: a template being published is as untrusted as one being rendered. A video's MP4
preview is rendered afterwards by the worker (version_preview_video_render), never in the request
that publishes: a long or large video would hold a web worker for minutes."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from core.renderpool.isolation import RenderTask
from core.renderpool.pools import image_pool, video_pool
from loopwind import engine

MAX_VIDEO_PREVIEW_SECONDS = 10  # longer templates get a still preview only
HEAVY_SHARE = 0.5  # a preview using more than this share of the render time limit is flagged


@dataclass
class Still:
    png: bytes
    cpu_ms: int  # what the renderer spent on it (the child's measure): a template's cost at its examples


def render_still(bundle: engine.Bundle) -> Still:
    """The template with its example props (a video's middle frame) as a PNG."""
    middle = (bundle.duration or 0) / 2 if bundle.type == "video" else None
    task = RenderTask(bundle.checksum, None, engine.example_props(bundle), time=middle)
    png = image_pool().run(task, files_loader=lambda: dict(bundle.files))
    return Still(png, task.cpu_ms or 0)


def render_video_preview(bundle: engine.Bundle) -> bytes | None:
    """The whole clip as an MP4 with the example props, or None for a template longer than
    MAX_VIDEO_PREVIEW_SECONDS. In the worker, in a video render child."""
    if bundle.type != "video" or (bundle.duration or 0) > MAX_VIDEO_PREVIEW_SECONDS:
        return None
    with tempfile.TemporaryDirectory(prefix="loopwind-preview-") as folder:
        path = Path(folder) / "preview.mp4"
        task = RenderTask(bundle.checksum, None, engine.example_props(bundle), kind="video", format="mp4",
                          output_path=str(path))  # fmt: skip
        video_pool().run(task, files_loader=lambda: dict(bundle.files))
        return path.read_bytes()
