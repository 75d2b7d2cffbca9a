"""Default fonts and font registration, loaded once per process.

The default set covers Latin, Cyrillic and Greek (Noto Sans / Noto Serif), Arabic and Hebrew
(right to left, shaped), CJK (Noto Sans CJK) and color emoji (Noto Color Emoji). They are found at
their Debian paths (packages fonts-noto-core, fonts-noto-cjk, fonts-noto-color-emoji, listed in
scripts/system-packages.txt) or in the folders of ``LOOPWIND_FONT_DIRS`` (``os.pathsep``-separated),
which are searched first; every other font file in those folders is registered too.

Bundle fonts take precedence: the html engine renders with the bundle's families first in the
font stack (under private names, see ``family_map``), and the svg engine resolves the families the
template names (resvg knows a font by the family name inside the file).
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
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


_lock = threading.Lock()
_shared = None  # the process-wide Takumi renderer
_registered: set[str] = set()  # bundle font tags already in it
_bundle_font_bytes = 0
MAX_BUNDLE_FONT_BYTES = 256 * 1024 * 1024  # past this, start a fresh renderer (old bundles re-register)


def _new_renderer():
    import pytakumi

    r = pytakumi.Renderer()
    for f in default_font_files():
        try:
            r.register_font(
                Path(f.path).read_bytes(), name=f.family, weight=f.weight, style=f.style, generic=f.generic
            )
        except (ValueError, OSError):
            continue  # a broken system font must not take the engine down
    return r


def bundle_font_tag(bundle) -> str:
    return hashlib.sha256(
        "".join(
            sorted(
                f"{f.family}/{f.weight}/{f.style}/" + hashlib.sha256(bundle.files[f.path]).hexdigest()
                for f in bundle.fonts
            )
        ).encode()
    ).hexdigest()[:12]


def family_map(bundle) -> dict[str, str]:
    """Bundle family name -> the private name it is registered under in the shared renderer.

    Bundles share one renderer (fonts are large: the defaults alone are ~60 MB), so each bundle's
    families get a private name and the bundle's markup is rewritten to use it (see ``markup.py``):
    two bundles shipping different "Inter" files never see each other's.
    """
    if bundle is None or not bundle.fonts:
        return {}
    tag = bundle_font_tag(bundle)
    return {f.family: f"lw{tag}-" + re.sub(r"\s+", "-", f.family) for f in bundle.fonts}


def takumi_renderer(bundle=None):
    """The shared Takumi renderer: default fonts (loaded once per process) plus registered bundle fonts."""
    global _shared, _bundle_font_bytes
    with _lock:
        if _shared is None:
            _shared = _new_renderer()
        renderer = _shared
        if bundle is None or not bundle.fonts:
            return renderer
        tag = bundle_font_tag(bundle)
        if tag in _registered:
            return renderer
        size = sum(len(bundle.files[f.path]) for f in bundle.fonts)
        if _bundle_font_bytes + size > MAX_BUNDLE_FONT_BYTES:
            _shared = renderer = _new_renderer()
            _registered.clear()
            _bundle_font_bytes = 0
        names = family_map(bundle)
        from .errors import BundleError

        for f in bundle.fonts:
            try:
                renderer.register_font(
                    bundle.files[f.path], name=names[f.family], weight=f.weight, style=f.style
                )
            except ValueError as exc:
                raise BundleError(
                    f"Font {f.path!r} could not be loaded: {exc}",
                    code="invalid_font",
                    details={"file": f.path},
                ) from None
        _registered.add(tag)
        _bundle_font_bytes += size
        return renderer


def font_stack(bundle=None) -> str:
    """CSS font-family value: the bundle's families first (private names), then the default fallbacks."""
    names = family_map(bundle)
    families = list(dict.fromkeys(names.values()))
    families += [f for f in FALLBACK_STACK if f not in families]
    return ", ".join(f"'{f}'" for f in families) + ", sans-serif"


def _after_fork_in_child() -> None:
    # Takumi's worker threads do not survive fork(): a child builds its own renderer.
    global _shared, _bundle_font_bytes, _lock
    _shared = None
    _registered.clear()
    _bundle_font_bytes = 0
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)
