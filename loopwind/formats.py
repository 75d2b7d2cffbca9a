"""Output formats and scale bounds: the one list the engine, the server, the CLI and the SDK share.

Kept apart from ``loopwind.engine`` (which re-exports it) so the CLI and the SDK can read it without
loading the renderer."""

IMAGE_FORMATS = ("png", "jpg", "webp", "svg", "pdf")
VIDEO_FORMATS = ("mp4", "gif", "webm")
FORMATS = (*IMAGE_FORMATS, *VIDEO_FORMATS)
CONTENT_TYPES = {
    "png": "image/png", "jpg": "image/jpeg", "webp": "image/webp", "svg": "image/svg+xml", "pdf": "application/pdf",
    "mp4": "video/mp4", "gif": "image/gif", "webm": "video/webm",
}  # fmt: skip
MIN_SCALE = 1
MAX_SCALE = 4
