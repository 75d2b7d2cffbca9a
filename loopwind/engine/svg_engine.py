"""Engine "svg": Jinja-evaluated SVG, checked (no DOCTYPE, no external references), rasterized by resvg.

The rasterizer is resvg through ``resvg-py``, chosen by measurement (bench/README.md): unlike
CairoSVG it shapes Arabic and falls back per glyph (CJK, color emoji), and unlike Takumi's SVG
image path it keeps color emoji. It is given the default font files plus the bundle's fonts,
system fonts off and no resources folder, so it reads no other file. resvg-py holds the GIL and
cannot be interrupted, so it runs in killable helper processes (``isolate.py``).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading
from functools import cache
from pathlib import Path

from .fonts import DEFAULT_FAMILY, default_font_files
from .isolate import rasterize_svg
from .resources import check_svg

_lock = threading.Lock()


@cache
def _font_tmpdir() -> str:
    return tempfile.mkdtemp(prefix="loopwind-fonts-")


def font_files(bundle) -> list[str]:
    """Paths resvg loads: the bundle's ttf/otf fonts (written once to a private temp folder), then the defaults."""
    cache_ = bundle._cache
    if "resvg_fonts" not in cache_:
        paths = []
        for f in bundle.fonts:
            if not f.path.lower().endswith((".ttf", ".otf")):
                continue  # resvg reads TrueType/OpenType only
            data = bundle.files[f.path]
            target = Path(_font_tmpdir()) / (hashlib.sha256(data).hexdigest() + Path(f.path).suffix.lower())
            with _lock:
                if not target.exists():
                    fd, tmp = tempfile.mkstemp(dir=_font_tmpdir())
                    with os.fdopen(fd, "wb") as fh:
                        fh.write(data)
                    os.replace(tmp, target)
            paths.append(str(target))
        cache_["resvg_fonts"] = paths + [f.path for f in default_font_files()]
    return cache_["resvg_fonts"]


_SVG_START = re.compile(r"<svg\b[^>]*>", re.S)
_SIZE_ATTR = re.compile(r"""\s(?:width|height)\s*=\s*(?:"[^"]*"|'[^']*')""")


def pin_size(markup: str, width: int, height: int, scale: int = 1) -> str:
    """Size the root <svg> to the manifest's canvas (times ``scale``) whatever it declares.

    Without a viewBox one of ``0 0 width height`` is added, so content outside the canvas is cropped
    and ``scale`` enlarges instead of cropping.
    """
    m = _SVG_START.search(markup)
    if m is None:
        return markup
    tag = _SIZE_ATTR.sub("", m.group(0))
    extra = f' width="{width * scale}" height="{height * scale}"'
    if not re.search(r"\sviewBox\s*=", tag):
        extra += f' viewBox="0 0 {width} {height}"'
    tag = tag[:4] + extra + tag[4:]
    return markup[: m.start()] + tag + markup[m.end() :]


def svg_markup(job, frame: int | None = None) -> str:
    markup = job.markup(frame)
    check_svg(markup, allowed=job.allowed, where=job.bundle.entry)
    return pin_size(markup, job.bundle.width, job.bundle.height)


def rasterize(job, markup: str, *, scale: int = 1) -> bytes:
    """PNG bytes of ``markup`` at the bundle's size times ``scale``."""
    b = job.bundle
    family = b.fonts[0].family if b.fonts else DEFAULT_FAMILY
    options = {
        "skip_system_fonts": True,
        "font_files": font_files(b),
        "font_family": family,
        "sans_serif_family": DEFAULT_FAMILY,
        "serif_family": "Noto Serif",
        "width": b.width * scale,
        "height": b.height * scale,
    }
    return rasterize_svg(markup, options)
