"""loopwind.engine: render template bundles (JSX/TSX components, HTML + Tailwind, or SVG) into images and videos.

Pure Python plus native wheels; no Django. The server's ``rendering`` app and the CLI both call it.
JSX templates run in V8 in helper processes (``jsx/``), never in the calling process.

Public API
----------
``load_bundle(path_or_mapping) -> Bundle``
    Load a folder or an in-memory ``{path: bytes|str}`` map and validate it (BundleError). A jsx bundle
    may have no loopwind.json: its entry's ``export const meta`` is the manifest.
    ``Bundle.manifest_dict()`` is the normalized manifest (JSON data), ``Bundle.checksum`` a stable
    sha256 over every file path and content (the render cache key's bundle part),
    ``Bundle.props`` the PropSpecs, ``Bundle.total_frames`` for videos.
``validate_props(bundle, props, *, images=None) -> dict``
    Normalized props or PropsError naming the prop; call it before rendering to answer 400 early.
    Props are held to their JSON type (``invalid_prop``: a number for a string prop is refused).
``props_from_text(bundle.props, props) -> dict``
    Props that arrived as text (a URL query, a form, ``--prop key=value``) typed by the manifest.
``remote_image_urls(bundle, props) -> {prop: url}``
    Image props given as http(s) URLs. The engine never opens a connection: the caller fetches
    these (with SSRF protection) and passes ``images={url: bytes}`` to ``render``/``render_video``.
    Image props also take bundle asset paths, ``data:image/...;base64,`` URIs and raw bytes.
``render(bundle_or_path, props, *, format="png", scale=1, quality=None, images=None, time=None) -> bytes``
    png, jpg, webp, svg or pdf; scale 1-4; ``time`` picks a video template's frame.
``render_video(bundle_or_path, props, *, format="mp4", on_progress=None, should_cancel=None,
images=None, output_path=None) -> bytes | Path``
    mp4 (H.264), gif or webm (VP9); ``on_progress(frame, totalFrames)``; ``should_cancel()``.
Errors: ``BundleError``, ``PropsError`` (-> 400), ``TemplateError``, ``RenderError`` (-> 422), all
``EngineError`` with ``.code``, ``.message``, ``.details`` and ``.to_dict()``.
``cache_key(bundle, props, *, format, scale, quality, images, time) -> str``
    sha256 naming one render (bundle checksum + normalized props + options), for the render cache.
``example_props(bundle)`` props to preview a template with (examples, else placeholders).
``CONTENT_TYPES`` maps each output format to its MIME type; ``IMAGE_FORMATS``, ``VIDEO_FORMATS``, ``FORMATS``,
``MIN_SCALE``, ``MAX_SCALE`` (from ``loopwind.formats``, which the CLI reads without loading the engine).
``missing_default_fonts()`` lists default fonts not found and ``ffmpeg_exe()`` the encoder's path
(for a health check).

Rendering is deterministic: the same bundle, props and options give byte-identical output.
See docs/engine.md for the template context, helpers, animation classes, props coercion and limits.
"""

from __future__ import annotations

from ..formats import CONTENT_TYPES, FORMATS, IMAGE_FORMATS, MAX_SCALE, MIN_SCALE, VIDEO_FORMATS
from .api import cache_key, render
from .bundle import Bundle, bundle_checksum, load_bundle
from .errors import BundleError, EngineError, PropsError, RenderError, TemplateError
from .fonts import missing_default_fonts
from .props import ImageValue, PropSpec, example_props, props_from_text, remote_image_urls, validate_props
from .video import ffmpeg_exe, render_video

__all__ = [
    "CONTENT_TYPES",
    "FORMATS",
    "IMAGE_FORMATS",
    "MAX_SCALE",
    "MIN_SCALE",
    "VIDEO_FORMATS",
    "Bundle",
    "BundleError",
    "EngineError",
    "ImageValue",
    "PropSpec",
    "PropsError",
    "RenderError",
    "TemplateError",
    "bundle_checksum",
    "cache_key",
    "example_props",
    "ffmpeg_exe",
    "load_bundle",
    "missing_default_fonts",
    "remote_image_urls",
    "render",
    "render_video",
    "props_from_text",
    "validate_props",
]
