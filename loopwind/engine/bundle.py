"""Template bundles: loading from a folder or a ``{path: bytes}`` map, and manifest validation.

The format is the contract in ARCHITECTURE.md ("Template bundle format"). Every error is a
``BundleError`` whose ``details`` names the ``file`` and, for manifest problems, the ``field``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import limits as L
from .errors import BundleError
from .files import check_path, normalize_mapping, read_folder
from .props import PropSpec, parse_prop_spec

MANIFEST = "loopwind.json"
TOP_LEVEL_KEYS = frozenset(
    {"name", "description", "type", "engine", "entry", "size", "video", "props", "tags", "stylesheets", "fonts",
     "version", "author", "license", "homepage", "repository", "$schema", "preview", "category", "readme"}
)  # fmt: skip
# A manifest may name its owner too, ``acme/launch-card``: publishing then goes to that account
# (an organization the publisher belongs to); the template's own name is the part after the slash.
_NAME_RE = re.compile(r"(?:[a-z0-9][a-z0-9-]{1,38}/)?[a-z0-9][a-z0-9._-]{0,63}")
DEFAULT_ENTRIES = {"html": "template.html", "svg": "template.svg", "jsx": "template.tsx"}
ENTRY_EXTENSIONS = {"html": (".html",), "svg": (".svg",), "jsx": (".tsx", ".jsx", ".ts", ".js")}


@dataclass(frozen=True)
class FontSpec:
    path: str
    family: str
    weight: int = 400
    style: str = "normal"


@dataclass(frozen=True, eq=False)
class Bundle:
    """A validated template bundle. Immutable; safe to cache and share between threads."""

    files: Mapping[str, bytes]
    manifest: dict[str, Any]  # the manifest as given (parsed JSON)
    name: str
    type: str  # "image" | "video"
    engine: str  # "html" | "svg" | "jsx"
    entry: str
    width: int
    height: int
    fps: int | None
    duration: float | None
    props: dict[str, PropSpec]
    stylesheets: tuple[str, ...]
    fonts: tuple[FontSpec, ...]
    tags: tuple[str, ...]
    description: str
    checksum: str  # sha256 over every file path and content, hex
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def total_frames(self) -> int:
        if self.type != "video" or self.fps is None or self.duration is None:
            return 1
        return max(1, round(self.fps * self.duration))

    def text(self, path: str) -> str:
        try:
            return self.files[path].decode("utf-8")
        except UnicodeDecodeError:
            raise BundleError(
                f"{path} is not UTF-8 text.", code="invalid_encoding", details={"file": path}
            ) from None

    def manifest_dict(self) -> dict[str, Any]:
        """The normalized manifest (defaults filled in, props in object form) as plain JSON data."""
        out: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "type": self.type,
            "engine": self.engine,
            "entry": self.entry,
            "size": {"width": self.width, "height": self.height},
            "props": {n: p.to_dict() for n, p in self.props.items()},
            "tags": list(self.tags),
            "stylesheets": list(self.stylesheets),
            "fonts": [
                {"path": f.path, "family": f.family, "weight": f.weight, "style": f.style} for f in self.fonts
            ],
        }
        if self.type == "video":
            out["video"] = {"fps": self.fps, "duration": self.duration}
        for key in (
            "version",
            "author",
            "license",
            "homepage",
            "repository",
            "preview",
            "category",
            "readme",
        ):
            if key in self.manifest:
                out[key] = self.manifest[key]
        return out


def bundle_checksum(files: Mapping[str, bytes]) -> str:
    """Stable sha256 over sorted (path, sha256(content)) pairs; independent of load order and origin."""
    h = hashlib.sha256()
    for path in sorted(files):
        h.update(path.encode("utf-8") + b"\0" + hashlib.sha256(files[path]).digest())
    return h.hexdigest()


def load_bundle(source: str | os.PathLike | Mapping[str, Any] | Bundle) -> Bundle:
    """Load and validate a bundle from a folder path or an in-memory ``{path: bytes|str}`` map.

    A jsx bundle may leave loopwind.json out: its one .tsx/.jsx file's ``export const meta`` is then the
    manifest (see ``jsx.with_meta``)."""
    if isinstance(source, Bundle):
        return source
    files = normalize_mapping(source) if isinstance(source, Mapping) else read_folder(Path(source))
    for path in files:
        check_path(path)
    manifest: Any = None
    if MANIFEST in files:
        try:
            manifest = json.loads(files[MANIFEST].decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise BundleError(
                f"loopwind.json is not valid JSON: {exc}",
                code="manifest_invalid_json",
                details={"file": MANIFEST},
            ) from None
    elif not any(p.lower().endswith(tuple("." + e for e in L.SCRIPT_EXTENSIONS)) for p in files):
        raise BundleError(
            "The bundle has no loopwind.json.", code="manifest_missing", details={"file": MANIFEST}
        )
    if manifest is not None and not (isinstance(manifest, dict) and manifest.get("engine") == "jsx"):
        return _build(files, manifest)
    from .jsx import with_meta

    checksum = bundle_checksum(files)
    merged, compiled = with_meta(files, manifest, checksum)
    try:
        bundle = _build(files, merged)
    except BundleError as exc:
        if manifest is None and exc.details.get("file") == MANIFEST:  # the fields came from the meta export
            exc.message = exc.message.replace(MANIFEST + ":", f"{merged.get('entry')} (meta):", 1)
            exc.args = (exc.message,)
            exc.details["file"] = merged.get("entry")
        raise
    bundle._cache["jsx"] = compiled
    return bundle


def _field_error(field_name: str, message: str, code: str = "invalid_manifest", **extra: Any) -> BundleError:
    return BundleError(
        f"loopwind.json: {field_name}: {message}",
        code=code,
        details={"file": MANIFEST, "field": field_name, **extra},
    )


def _int_in(manifest: dict, section: dict, key: str, lo: int, hi: int, field_name: str) -> int:
    val = section.get(key)
    if type(val) is not int:
        if isinstance(val, float) and val.is_integer():
            val = int(val)
        else:
            raise _field_error(field_name, "must be an integer.")
    if not lo <= val <= hi:
        raise _field_error(field_name, f"must be between {lo} and {hi}.", "out_of_range", min=lo, max=hi)
    return val


def _build(files: dict[str, bytes], m: Any) -> Bundle:
    if not isinstance(m, dict):
        raise _field_error("(root)", "must be a JSON object.")
    unknown = sorted(set(m) - TOP_LEVEL_KEYS)
    if unknown:
        raise _field_error(unknown[0], "unknown field.", "unknown_field")
    name = m.get("name")
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise _field_error(
            "name", "must be 1-64 lowercase letters, digits, '.', '-' or '_' (optionally after owner/)."
        )
    description = m.get("description", "")
    if not isinstance(description, str) or len(description) > 1000:
        raise _field_error("description", "must be a string of at most 1000 characters.")
    btype = m.get("type", "image")
    if btype not in ("image", "video"):
        raise _field_error("type", "must be 'image' or 'video'.")
    engine = m.get("engine", "html")
    if engine not in ENTRY_EXTENSIONS:
        raise _field_error("engine", "must be 'html', 'svg' or 'jsx'.")
    entry = m.get("entry", DEFAULT_ENTRIES[engine])
    if not isinstance(entry, str) or entry not in files:
        raise _field_error(
            "entry", f"file {entry!r} is not in the bundle.", "entry_missing", file_missing=str(entry)
        )
    if not entry.lower().endswith(ENTRY_EXTENSIONS[engine]):
        raise _field_error(
            "entry", f"engine {engine!r} needs a {' / '.join(ENTRY_EXTENSIONS[engine])} entry file."
        )
    size = m.get("size")
    if not isinstance(size, dict):
        raise _field_error("size", "must be an object with width and height.")
    width = _int_in(m, size, "width", L.MIN_SIZE, L.MAX_SIZE, "size.width")
    height = _int_in(m, size, "height", L.MIN_SIZE, L.MAX_SIZE, "size.height")
    fps = duration = None
    video = m.get("video")
    if btype == "video":
        if not isinstance(video, dict):
            raise _field_error("video", "a video template needs video.fps and video.duration.")
        fps = _int_in(m, video, "fps", 1, L.MAX_FPS, "video.fps")
        duration = video.get("duration")
        if (
            isinstance(duration, bool)
            or not isinstance(duration, int | float)
            or not 0 < duration <= L.MAX_DURATION
        ):
            raise _field_error(
                "video.duration",
                f"must be a number of seconds above 0 and at most {L.MAX_DURATION:g}.",
                "out_of_range",
            )
        duration = float(duration)
        extra = sorted(set(video) - {"fps", "duration", "audio"})
        if extra:
            raise _field_error(f"video.{extra[0]}", "unknown field.", "unknown_field")
        audio = video.get("audio")
        if audio is not None and (
            not isinstance(audio, str)
            or audio not in files
            or audio.rsplit(".", 1)[-1].lower() not in L.AUDIO_EXTENSIONS
        ):
            raise _field_error(
                "video.audio", f"{audio!r} is not an mp3, wav or m4a file in the bundle.", "asset_missing"
            )
    elif video is not None and not isinstance(video, dict):
        raise _field_error("video", "must be an object.")
    raw_props = m.get("props", {})
    if not isinstance(raw_props, dict):
        raise _field_error("props", "must be an object.")
    props = {n: parse_prop_spec(n, spec) for n, spec in raw_props.items()}
    for p in props.values():
        if (
            p.type == "image"
            and isinstance(p.default, str)
            and "://" not in p.default
            and not p.default.startswith("data:")
        ):
            if p.default.removeprefix("./") not in files:
                raise _field_error(
                    f"props.{p.name}.default", f"asset {p.default!r} is not in the bundle.", "asset_missing"
                )
    tags = m.get("tags", [])
    if (
        not isinstance(tags, list)
        or len(tags) > 20
        or not all(isinstance(t, str) and 0 < len(t) <= 40 for t in tags)
    ):
        raise _field_error("tags", "must be a list of at most 20 strings of 1-40 characters.")
    sheets = m.get("stylesheets", [])
    if not isinstance(sheets, list):
        raise _field_error("stylesheets", "must be a list of .css paths.")
    for i, s in enumerate(sheets):
        if not isinstance(s, str) or not s.lower().endswith(".css") or s not in files:
            raise _field_error(
                f"stylesheets[{i}]", f"{s!r} is not a .css file in the bundle.", "asset_missing"
            )
    fonts = _parse_fonts(m.get("fonts", []), files)
    _check_images(files)
    return Bundle(
        files=files, manifest=m, name=name, type=btype, engine=engine, entry=entry, width=width, height=height,
        fps=fps, duration=duration, props=props, stylesheets=tuple(sheets), fonts=fonts, tags=tuple(tags),
        description=description, checksum=bundle_checksum(files),
    )  # fmt: skip


def _check_images(files: dict[str, bytes]) -> None:
    from .images import raster_size

    for path, data in files.items():
        ext = path.rsplit(".", 1)[-1].lower()
        if ext not in L.IMAGE_EXTENSIONS or ext == "svg":
            continue
        size = raster_size(data)
        if size is None:
            raise BundleError(
                f"{path!r} is not a readable image.", code="invalid_image", details={"file": path}
            )
        if size[0] * size[1] > L.MAX_IMAGE_PIXELS or max(size) > L.MAX_IMAGE_SIDE:
            raise BundleError(
                f"{path!r} is {size[0]}x{size[1]}; images may have at most {L.MAX_IMAGE_PIXELS} pixels.",
                code="image_too_large",
                details={"file": path, "limit_pixels": L.MAX_IMAGE_PIXELS},
            )


def _parse_fonts(raw: Any, files: dict[str, bytes]) -> tuple[FontSpec, ...]:
    if not isinstance(raw, list):
        raise _field_error("fonts", "must be a list of {path, family, weight, style}.")
    out = []
    for i, f in enumerate(raw):
        where = f"fonts[{i}]"
        if not isinstance(f, dict) or set(f) - {"path", "family", "weight", "style"}:
            raise _field_error(where, "must be an object with path, family and optional weight and style.")
        path = f.get("path")
        if not isinstance(path, str) or path not in files:
            raise _field_error(f"{where}.path", f"{path!r} is not in the bundle.", "asset_missing")
        if path.rsplit(".", 1)[-1].lower() not in L.FONT_EXTENSIONS:
            raise _field_error(f"{where}.path", "must be a .ttf, .otf, .woff or .woff2 file.")
        family = f.get("family")
        if not isinstance(family, str) or not re.fullmatch(r"[A-Za-z0-9 _-]{1,64}", family):
            raise _field_error(
                f"{where}.family", "must be a font family name (letters, digits, spaces, - and _)."
            )
        weight = f.get("weight", 400)
        if type(weight) is not int or not 1 <= weight <= 1000:
            raise _field_error(f"{where}.weight", "must be an integer between 1 and 1000.")
        style = f.get("style", "normal")
        if style not in ("normal", "italic"):
            raise _field_error(f"{where}.style", "must be 'normal' or 'italic'.")
        out.append(FontSpec(path, family, weight, style))
    return tuple(out)
