"""Default fonts and font registration, loaded once per process.

The default set covers Latin, Cyrillic and Greek (Noto Sans / Noto Serif), Arabic and Hebrew
(right to left, shaped), CJK (Noto Sans CJK) and color emoji (Noto Color Emoji). They are found at
their Debian paths (packages fonts-noto-core, fonts-noto-cjk, fonts-noto-color-emoji, listed in
scripts/system-packages.txt) or in the folders of ``LOOPWIND_FONT_DIRS`` (``os.pathsep``-separated),
which are searched first; every other font file in those folders is registered too.

Bundle fonts take precedence: the html engine renders with the bundle's families first in the
font stack, and the svg engine resolves the families the template names.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DEBIAN_FONT_DIRS = ("/usr/share/fonts/truetype/noto", "/usr/share/fonts/opentype/noto", "/usr/share/fonts")
DEFAULT_FAMILY = "Noto Sans"
# (file name, family to register under or None to keep the file's own names, weight, style, generic)
DEFAULT_FONTS = (
    ("NotoSans-Regular.ttf", "Noto Sans", 400, "normal", "sans-serif"),
    ("NotoSans-Bold.ttf", "Noto Sans", 700, "normal", "sans-serif"),
    ("NotoSans-Italic.ttf", "Noto Sans", 400, "italic", "sans-serif"),
    ("NotoSans-BoldItalic.ttf", "Noto Sans", 700, "italic", "sans-serif"),
    ("NotoSerif-Regular.ttf", "Noto Serif", 400, "normal", "serif"),
    ("NotoSerif-Bold.ttf", "Noto Serif", 700, "normal", "serif"),
    ("NotoSansArabic-Regular.ttf", "Noto Sans Arabic", 400, "normal", None),
    ("NotoSansArabic-Bold.ttf", "Noto Sans Arabic", 700, "normal", None),
    ("NotoSansHebrew-Regular.ttf", "Noto Sans Hebrew", 400, "normal", None),
    ("NotoSansHebrew-Bold.ttf", "Noto Sans Hebrew", 700, "normal", None),
    ("NotoSansCJK-Regular.ttc", None, None, None, None),
    ("NotoSansCJK-Bold.ttc", None, None, None, None),
    ("NotoColorEmoji.ttf", "Noto Color Emoji", 400, "normal", "emoji"),
)
FALLBACK_STACK = ("Noto Sans", "Noto Sans Arabic", "Noto Sans Hebrew", "Noto Sans CJK SC", "Noto Color Emoji")
_FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".woff", ".woff2")


@dataclass(frozen=True)
class FontFile:
    path: str
    family: str | None
    weight: int | None
    style: str | None
    generic: str | None


def font_dirs() -> list[str]:
    env = os.environ.get("LOOPWIND_FONT_DIRS", "")
    return [d for d in env.split(os.pathsep) if d] + list(DEBIAN_FONT_DIRS)


@cache
def default_font_files() -> tuple[FontFile, ...]:
    """The default fonts found on this machine (computed once per process)."""
    found: list[FontFile] = []
    seen: set[str] = set()
    env_dirs = [d for d in os.environ.get("LOOPWIND_FONT_DIRS", "").split(os.pathsep) if d]
    for name, family, weight, style, generic in DEFAULT_FONTS:
        for d in font_dirs():
            hits = sorted(Path(d).rglob(name)) if Path(d).is_dir() else []
            if hits:
                found.append(FontFile(str(hits[0]), family, weight, style, generic))
                seen.add(str(hits[0].resolve()))
                break
    for d in env_dirs:
        for p in sorted(Path(d).rglob("*")) if Path(d).is_dir() else []:
            if p.suffix.lower() in _FONT_SUFFIXES and str(p.resolve()) not in seen:
                found.append(FontFile(str(p), None, None, None, None))
                seen.add(str(p.resolve()))
    return tuple(found)


def missing_default_fonts() -> list[str]:
    """File names of default fonts not found (a health check can report them)."""
    have = {Path(f.path).name for f in default_font_files()}
    return [name for name, *_ in DEFAULT_FONTS if name not in have]


@cache
def _font_bytes(path: str) -> bytes:
    return Path(path).read_bytes()


_lock = threading.Lock()
_renderers: OrderedDict[str, object] = OrderedDict()
_MAX_RENDERERS = 8


def _new_renderer():
    import pytakumi

    r = pytakumi.Renderer()
    for f in default_font_files():
        try:
            r.register_font(
                _font_bytes(f.path), name=f.family, weight=f.weight, style=f.style, generic=f.generic
            )
        except (ValueError, OSError):
            continue  # a broken system font must not take the engine down
    return r


def takumi_renderer(bundle=None):
    """A Takumi renderer with the default fonts plus ``bundle``'s fonts.

    The renderer without bundle fonts is shared by the whole process; bundles with fonts get
    their own (LRU of 8), so one bundle's fonts never leak into another's renders.
    """
    key = "default"
    if bundle is not None and bundle.fonts:
        key = hashlib.sha256(
            "".join(sorted(hashlib.sha256(bundle.files[f.path]).hexdigest() for f in bundle.fonts)).encode()
        ).hexdigest()
    with _lock:
        r = _renderers.get(key)
        if r is not None:
            _renderers.move_to_end(key)
            return r
    r = _new_renderer()
    if key != "default":
        from .errors import BundleError

        for f in bundle.fonts:
            try:
                r.register_font(bundle.files[f.path], name=f.family, weight=f.weight, style=f.style)
            except ValueError as exc:
                raise BundleError(
                    f"Font {f.path!r} could not be loaded: {exc}",
                    code="invalid_font",
                    details={"file": f.path},
                ) from None
    with _lock:
        _renderers[key] = r
        while len(_renderers) > _MAX_RENDERERS:
            _renderers.popitem(last=False)
    return r


def font_stack(bundle=None) -> str:
    """CSS font-family value: the bundle's families first, then the default fallback chain."""
    families: list[str] = []
    for f in bundle.fonts if bundle is not None else ():
        if f.family not in families:
            families.append(f.family)
    families += [f for f in FALLBACK_STACK if f not in families]
    return ", ".join(f"'{f}'" for f in families) + ", sans-serif"
