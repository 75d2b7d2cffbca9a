"""Preflight: warnings about a template (``lint``) or one render's props (``check``) without rendering.

Each warning is a dict ``{"code", "message", ...}`` with, where known, ``prop`` (the prop it came from),
``chars`` (missing glyphs), ``url``, ``family``, ``text`` and ``position`` (``{"x", "y", "width",
"height"}`` in template px, plus ``frame`` for videos). Codes, in order of priority:

- ``missing_glyph``: characters of a prop's value (or of the template's own text) that no font can draw:
  neither the bundle's fonts nor the engine's default fonts (fontTools cmaps).
- ``image_unavailable``: an image prop whose URL fails to load (the caller's ``fetch``, with its SSRF
  protections: the engine never connects) or whose bytes are not an acceptable image.
- ``font_missing``: a font the manifest lists whose file the bundle lacks (``lint`` only; ``load_bundle``
  refuses such a bundle), or a font family the template names (CSS ``font-family``, Tailwind
  ``font-[…]``, jsx ``fontFamily``) that is neither a bundle font, a default font nor a generic family.
- ``text_overflow`` (html and jsx): a text run whose box leaves its element's box or the canvas, from
  Takumi's layout (``Renderer.measure``, the same layout as the render). ``lint`` checks every string prop
  at its ``maxLength`` with worst-case text (words of ``W``), all in one layout, then halves of the props
  that overflow down to the single props that overflow alone; ``check`` checks the props given.
  Text that the template ellipsizes (``truncate``, ``line-clamp-N``, ``clamp_text``) or shrinks
  (``fit_text``) does not overflow and is not reported. Not detected: svg templates (no layout), text
  hidden under other elements.
- ``unsupported_class`` (html and jsx): a class or ``tw`` token that Takumi's Tailwind parser drops
  (``tailwind.py``: an unknown utility or value, a variant other than a breakpoint, a breakpoint wider than
  the canvas, a theme value whose CSS variable the template does not define); one warning per token, with
  ``class``, ``reason``, ``element`` (the first element carrying it), ``count`` and, when the token is
  written in a bundle file, ``file`` and ``line``. Class names the bundle's stylesheets select and the
  animation classes are not Tailwind's and are not reported.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from .bundle import Bundle, load_bundle
from .errors import BundleError
from .images import image_problem
from .props import ImageValue, example_props, validate_props

CODES = (
    "missing_glyph",
    "image_unavailable",
    "font_missing",
    "text_overflow",
    "low_contrast",
    "unsupported_class",
    "off_canvas",
)
Fetch = Callable[[str], bytes]
_IGNORED = frozenset("\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\ufe0e\ufe0f\u00ad")
_lock = threading.Lock()


def _warning(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"code": code, "message": message, **{k: v for k, v in extra.items() if v is not None}}


def sorted_warnings(warnings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(warnings, key=lambda w: CODES.index(w["code"]))  # stable: order of discovery within a code


# --- glyphs -----------------------------------------------------------------------------------------


def _cmap(data: bytes) -> frozenset[int]:
    import io

    from fontTools.ttLib import TTCollection, TTFont

    codes: set[int] = set()
    try:
        if data[:4] == b"ttcf":
            fonts = TTCollection(io.BytesIO(data), lazy=True).fonts
        else:
            fonts = [TTFont(io.BytesIO(data), lazy=True)]
        for font in fonts:
            codes.update(font.getBestCmap() or {})
    except Exception:  # an unreadable font draws nothing
        return frozenset()
    return frozenset(codes)


@cache
def _default_coverage() -> frozenset[int]:
    from .fonts import default_font_files

    out: set[int] = set()
    for f in default_font_files():
        try:
            out |= _cmap(Path(f.path).read_bytes())
        except OSError:
            continue
    return frozenset(out)


def coverage(bundle: Bundle) -> frozenset[int]:
    """Code points some font the engine would use for ``bundle`` can draw (cached on the bundle)."""
    cached = bundle._cache.get("preflight_coverage")
    if cached is not None:
        return cached
    with _lock:
        out = set(_default_coverage())
        for f in bundle.fonts:
            out |= _cmap(bundle.files[f.path])
        bundle._cache["preflight_coverage"] = frozenset(out)
    return bundle._cache["preflight_coverage"]


def _undrawable(text: str, cover: frozenset[int]) -> list[str]:
    out = []
    for c in text:
        if c.isspace() or c in _IGNORED or ord(c) < 0x20 or ord(c) in cover or c in out:
            continue
        out.append(c)
    return out


def _glyph_warnings(bundle: Bundle, props: Mapping[str, Any], template_text: str) -> list[dict[str, Any]]:
    cover = coverage(bundle)
    out = []
    seen: set[str] = set()
    for name, value in props.items():
        if not isinstance(value, str):
            continue
        chars = _undrawable(value, cover)
        seen.update(chars)
        if chars:
            out.append(
                _warning(
                    "missing_glyph",
                    f"Prop {name!r}: no font can draw {''.join(chars)!r} "
                    f"({', '.join(f'U+{ord(c):04X}' for c in chars)}); it renders as empty boxes.",
                    prop=name,
                    chars=chars,
                )
            )
    chars = [c for c in _undrawable(template_text, cover) if c not in seen]
    if chars:
        out.append(
            _warning(
                "missing_glyph",
                f"The template's text has characters no font can draw: {''.join(chars)!r}.",
                chars=chars,
            )
        )
    return out


# --- images -----------------------------------------------------------------------------------------


def _image_warnings(
    bundle: Bundle, props: Mapping[str, Any], fetch: Fetch | None
) -> tuple[list[dict[str, Any]], dict[str, bytes]]:
    """Warnings, and ``{url: bytes}`` for the render pass (a placeholder where the image failed)."""
    from .props import _PLACEHOLDER_PNG

    out: list[dict[str, Any]] = []
    images: dict[str, bytes] = {}
    for name, spec in bundle.props.items():
        value = props.get(name)
        if spec.type != "image" or not isinstance(value, str):
            continue
        if not value.startswith(("http://", "https://")):
            continue
        if fetch is None:
            images[value] = _PLACEHOLDER_PNG
            continue
        try:
            data = fetch(value)
        except Exception as exc:  # the caller's fetcher: any failure is the warning
            reason = getattr(exc, "message", None) or str(exc) or type(exc).__name__
            out.append(
                _warning(
                    "image_unavailable",
                    f"Prop {name!r}: {value} could not be loaded: {reason}",
                    prop=name,
                    url=value,
                )
            )
            images[value] = _PLACEHOLDER_PNG
            continue
        problem = image_problem(data)
        if problem is not None:
            out.append(
                _warning(
                    "image_unavailable",
                    f"Prop {name!r}: {value}: {problem[1]}",
                    prop=name,
                    url=value,
                    reason=problem[0],
                )
            )
            images[value] = _PLACEHOLDER_PNG
        else:
            images[value] = data
    return out, images


# --- fonts ------------------------------------------------------------------------------------------

_GENERIC = frozenset(
    "serif sans-serif monospace cursive fantasy system-ui ui-sans-serif ui-serif ui-monospace ui-rounded emoji "
    "math fangsong inherit initial unset revert".split()
)
_FONT_DECL = re.compile(r"font-family\s*:\s*([^;}<>\"]*)", re.I)
_FONT_SHORT = re.compile(r"(?<![\w-])font\s*:\s*([^;}<>\"]*)", re.I)
_TW_FONT = re.compile(r"(?<![\w-])font-\[([^\]]*)\]")
_ATTR_FONT = re.compile(r"(?<![\w-])font-family\s*=\s*(?:\"([^\"]*)\"|'([^']*)')", re.I)  # svg attribute


@cache
def _default_families() -> frozenset[str]:
    from fontTools.ttLib import TTCollection, TTFont

    from .fonts import FALLBACK_STACK, default_font_files

    names = {f.lower() for f in FALLBACK_STACK}
    for f in default_font_files():
        if f.family:
            names.add(f.family.lower())
            continue
        try:
            fonts = (
                TTCollection(f.path, lazy=True).fonts
                if f.path.endswith(".ttc")
                else [TTFont(f.path, lazy=True)]
            )
            for font in fonts:
                for rec in font["name"].names:
                    if rec.nameID in (1, 16):
                        names.add(rec.toUnicode().lower())
        except Exception:  # noqa: S112 (an unreadable system font names nothing)
            continue
    return frozenset(names)


def _families_in(text: str) -> list[str]:
    import html

    text = html.unescape(text)
    found = []
    for m in _FONT_DECL.finditer(text):
        found += m.group(1).split(",")
    for m in _FONT_SHORT.finditer(text):  # `font: bold 20px Inter, sans-serif`: the families follow the size
        parts = re.split(r"\d[\w.%/]*\s+", m.group(1), maxsplit=1)
        if len(parts) == 2:
            found += parts[1].split(",")
    for m in _ATTR_FONT.finditer(text):
        found += (m.group(1) or m.group(2) or "").split(",")
    for m in _TW_FONT.finditer(text):
        found += m.group(1).replace("_", " ").split(",")
    out = []
    for f in found:
        f = f.strip().strip("'\"").strip()
        if f and f not in out and not f.startswith(("var(", "{")):
            out.append(f)
    return out


def _family_warnings(bundle: Bundle, texts: list[str]) -> list[dict[str, Any]]:
    known = {f.family.lower() for f in bundle.fonts} | _default_families() | _GENERIC
    out = []
    named: list[str] = []
    for text in texts:
        for family in _families_in(text):
            if family not in named:
                named.append(family)
    for family in named:
        if family.lower() not in known and not family.lower().startswith("lw"):
            out.append(
                _warning(
                    "font_missing",
                    f"The template names the font family {family!r}, which neither the bundle's fonts nor the "
                    "default fonts provide; text in it falls back to Noto Sans.",
                    family=family,
                )
            )
    return out


def load_for_lint(bundle_or_path: Any) -> tuple[Bundle, list[dict[str, Any]]]:
    """The bundle, with manifest fonts whose file is missing dropped (each a ``font_missing`` warning)."""
    if isinstance(bundle_or_path, Bundle):
        return bundle_or_path, []
    try:
        return load_bundle(bundle_or_path), []
    except BundleError as exc:
        field = str(exc.details.get("field", ""))
        if exc.code != "asset_missing" or not re.fullmatch(r"fonts\[\d+\]\.path", field):
            raise
    from .files import normalize_mapping, read_folder

    files = dict(
        read_folder(Path(bundle_or_path))
        if isinstance(bundle_or_path, str | Path)
        else normalize_mapping(bundle_or_path)
    )
    import json

    manifest = json.loads(files["loopwind.json"])
    kept, warnings = [], []
    for f in manifest.get("fonts", []):
        path = f.get("path") if isinstance(f, dict) else None
        if isinstance(path, str) and path not in files:
            warnings.append(
                _warning(
                    "font_missing",
                    f"The manifest names the font {path!r} (family {f.get('family')!r}) but the bundle lacks the file.",
                    family=f.get("family"),
                    file=path,
                )
            )
        else:
            kept.append(f)
    manifest["fonts"] = kept
    files["loopwind.json"] = json.dumps(manifest).encode()
    return load_bundle(files), warnings


# --- layout -----------------------------------------------------------------------------------------


def _measure(job, frame: int | None):
    import pytakumi

    from .html_engine import _fail, _root
    from .isolate import run_native
    from .limits import MAX_NESTING_DEPTH

    b = job.bundle
    root, sheets, time_ms = _root(job, frame)
    try:
        node = pytakumi.from_html(root, max_depth=MAX_NESTING_DEPTH)
        return run_native(
            lambda: job.renderer.measure(
                node, width=b.width, height=b.height, stylesheets=sheets, images=job.images, time_ms=time_ms
            )
        )
    except (ValueError, RuntimeError, OSError) as exc:
        raise _fail(exc) from None


def _rect(t: list[float], x: float, y: float, w: float, h: float) -> tuple[float, float, float, float]:
    pts = [(x, y), (x + w, y), (x, y + h), (x + w, y + h)]
    xs = [t[0] * px + t[2] * py + t[4] for px, py in pts]
    ys = [t[1] * px + t[3] * py + t[5] for px, py in pts]
    return min(xs), min(ys), max(xs), max(ys)


def _inked(run: Mapping[str, Any]) -> tuple[float, float, float, float]:
    """A run's box without its leading and trailing spaces (a wrapped line keeps its trailing space in its
    width; centred text overhangs its box by it). A space is about 0.26 em, and a run about 1.36 em tall."""
    text = run["text"]
    space = 0.26 * float(run["height"]) / 1.36
    lead, trail = len(text) - len(text.lstrip()), len(text) - len(text.rstrip())
    x, w = float(run["x"]) + lead * space, float(run["width"]) - (lead + trail) * space
    return x, float(run["y"]), max(w, 0.0), float(run["height"])


def layout_boxes(tree: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Flatten Takumi's measure tree: every node's absolute box, its parent's, and its text runs."""
    out: list[dict[str, Any]] = []
    ident = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]

    def walk(node, parent_box, path):
        t = list(node.get("transform") or ident)  # Takumi's transforms are absolute (canvas space)
        box = _rect(t, 0, 0, float(node["width"]), float(node["height"]))
        runs = [(r["text"], _rect(t, *_inked(r))) for r in node.get("runs") or []]
        out.append({"box": box, "parent": parent_box, "runs": runs, "depth": len(path), "path": path})
        for i, child in enumerate(node.get("children") or []):
            walk(child, box, (*path, i))

    walk(tree, None, ())
    return out


_SLACK = 1.5  # px: antialiasing and rounding


def _outside(inner, outer) -> bool:
    # Glyph boxes (ascent to descent) overhang tight line heights: vertically, a third of the run's height
    # is allowed; horizontally only rounding.
    dy = max(_SLACK, (inner[3] - inner[1]) / 3)
    return (
        inner[0] < outer[0] - _SLACK
        or inner[2] > outer[2] + _SLACK
        or inner[1] < outer[1] - dy
        or inner[3] > outer[3] + dy
    )


def _position(r, frame: int | None = None) -> dict[str, Any]:
    pos = {
        "x": round(r[0], 1),
        "y": round(r[1], 1),
        "width": round(r[2] - r[0], 1),
        "height": round(r[3] - r[1], 1),
    }
    if frame is not None:
        pos["frame"] = frame
    return pos


def _overflows(bundle: Bundle, tree) -> list[tuple[str, tuple]]:
    canvas = (0.0, 0.0, float(bundle.width), float(bundle.height))
    found = []
    for node in layout_boxes(tree):
        for text, r in node["runs"]:
            if not text.strip() or r[2] - r[0] <= 0:
                continue
            # the run's own node (a text node) may be wider than its element: compare with the element too
            limits = [canvas, node["box"]] + ([node["parent"]] if node["parent"] else [])
            if any(_outside(r, lim) for lim in limits):
                found.append((text, r))
    return found


def worst_case(spec) -> str:
    """Long worst-case text for a string prop: words of 'W' filling its maxLength."""
    n = spec.max_length or 0
    return ("WWWWWWWW " * (n // 9 + 1))[:n].rstrip() if n else ""


def _shared_fitter(job, fitter):
    """``job`` measuring text with ``fitter`` (the preflight's variants share one: a ``fit_text`` of an
    unchanged value is not measured again)."""
    job.fitter = fitter
    job.base_context.update(fit_text=fitter.fit_text, clamp_text=fitter.clamp_text)
    return job


def _overflow_warnings(
    bundle: Bundle, props: Mapping[str, Any], images, *, worst: bool, base_tree=None, fitter=None
) -> list[dict[str, Any]]:
    from .pipeline import Job

    if bundle.engine not in ("html", "jsx"):
        return []
    frame = None  # videos: the rest state of the animation classes (``off_canvas`` is about motion)

    base = dict(props)

    def overflows(p):
        if p == base and base_tree is not None:
            return _overflows(bundle, base_tree)
        job = Job(bundle, p, images=images)
        return _overflows(bundle, _measure(job if fitter is None else _shared_fitter(job, fitter), frame))

    if worst:
        names = [n for n, s in bundle.props.items() if s.type == "string" and not s.enum and s.max_length]
        trial = {**base, **{n: worst_case(bundle.props[n]) for n in names}}
    else:
        names = [n for n, v in props.items() if isinstance(v, str) and bundle.props[n].type == "string"]
        trial = base
    found = overflows(trial)
    if not found:
        return []
    out = []
    if worst:
        # Attribute: which props overflow at their worst on their own. Groups of props at their worst are
        # measured together and split while they overflow, down to single props; a group that does not
        # overflow clears its props without a layout each. This assumes what the all-at-once shortcut above
        # already does: more worst-case text never removes an overflow. Props that only overflow together
        # (two long lines sharing a column) are not reported, as with one layout per prop; the halves
        # interleave, so neighbours in the manifest (likely neighbours in the layout) part at once.
        baseline = {t for t, _ in overflows(base)}
        hits_of: dict[str, list] = {}

        def new_hits(group, measured=None):
            ran = measured if measured is not None else overflows({**base, **{n: trial[n] for n in group}})
            return [(t, r) for t, r in ran if t not in baseline]

        def split(group, hits):
            if len(group) == 1:
                hits_of[group[0]] = hits
                return
            for half in (group[0::2], group[1::2]):
                half_hits = new_hits(half)
                if half_hits:
                    split(half, half_hits)

        first = new_hits(names, found)
        if first:
            split(names, first)
        for name in names:
            if hits_of.get(name):
                _, r = hits_of[name][0]
                out.append(
                    _warning(
                        "text_overflow",
                        f"Prop {name!r} at its maxLength ({bundle.props[name].max_length} characters) overflows its "
                        "box: shorten maxLength, or let the template shrink (fit_text) or clamp it (line-clamp-N).",
                        prop=name,
                        position=_position(r, frame),
                    )
                )
        found = [(t, r) for t, r in found if t in baseline]
    for text, r in found:
        prop = next((n for n in names if isinstance(trial.get(n), str) and text.strip() in trial[n]), None)
        if any(w.get("prop") == prop for w in out) and prop is not None:
            continue
        where = f"Prop {prop!r}" if prop else f"The text {text.strip()[:40]!r}"
        out.append(
            _warning(
                "text_overflow",
                f"{where} overflows its box at {_position(r)}.",
                prop=prop,
                text=None if prop else text.strip()[:80],
                position=_position(r, frame),
            )
        )
    return out


# --- classes ----------------------------------------------------------------------------------------

_CLASS_ATTR = re.compile(r"^(?:class|classname|tw)$", re.I)


def _source_line(bundle: Bundle, token: str) -> tuple[str, int] | None:
    """(file, line) where ``token`` is first written in the bundle's markup or component sources."""
    pattern = re.compile(r"(?<![\w:/\[!-])" + re.escape(token) + r"(?![\w/\]!-])")
    sources = [bundle.entry] + sorted(
        p
        for p in bundle.files
        if p != bundle.entry and p.lower().endswith((".html", ".tsx", ".jsx", ".ts", ".js"))
    )
    for path in sources:
        try:
            text = bundle.text(path)
        except (UnicodeDecodeError, KeyError):
            continue
        m = pattern.search(text)
        if m:
            return path, text.count("\n", 0, m.start()) + 1
    return None


def _class_warnings(job, markup: str) -> list[dict[str, Any]]:
    """Class and ``tw`` tokens of the rest-state markup that Takumi's Tailwind parser drops."""
    import html

    from .animation import is_animation_token
    from .markup import _ATTR, _STYLE_BLOCK, _TAG, _unquote
    from .tailwind import css_classes, css_variables, ignored

    b = job.bundle
    if b.engine not in ("html", "jsx"):
        return []
    blocks = [m.group(1) for m in _STYLE_BLOCK.finditer(markup)]
    sheets = [*job.stylesheets, *blocks]
    variables = css_variables([*sheets, markup])  # inline style="--color-brand: …" counts too
    selected = css_classes(sheets)
    found: dict[str, dict[str, Any]] = {}
    for tag in _TAG.finditer(_STYLE_BLOCK.sub("", markup)):
        for attr in _ATTR.finditer(tag.group(2) or ""):
            if not _CLASS_ATTR.match(attr.group(1)):
                continue
            for token in html.unescape(_unquote(attr.group(2))).split():
                if token in found:
                    found[token]["count"] += 1
                    continue
                if is_animation_token(token):
                    continue
                reason = ignored(token, width=b.width, variables=variables, stylesheet_classes=selected)
                if reason is not None:
                    found[token] = {"reason": reason, "element": tag.group(1).lower(), "count": 1}
    out = []
    for token, hit in found.items():
        where = _source_line(b, token)
        out.append(
            _warning(
                "unsupported_class",
                f"The class {token!r} on <{hit['element']}> is ignored by the renderer: {hit['reason']}.",
                **{"class": token},
                reason=hit["reason"],
                element=hit["element"],
                count=hit["count"],
                file=where[0] if where else None,
                line=where[1] if where else None,
            )
        )
    return out


# --- contrast ---------------------------------------------------------------------------------------


def _luminance(rgb: tuple[int, ...]) -> float:
    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(rgb[0]) + 0.7152 * channel(rgb[1]) + 0.0722 * channel(rgb[2])


def contrast_ratio(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """WCAG 2 contrast ratio of two sRGB colors, 1 to 21."""
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _run_colors(img, r, canvas) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """(text color, background color) inside a text run's box of the rendered image (RGBA; transparent
    shows as white, as in a jpg): the background is the most frequent color, the text the most frequent of
    the colors nearly as far from it as the farthest (glyph interiors are solid; antialiased edges lie in
    between)."""
    from PIL import Image

    x0, y0 = max(int(r[0]), 0), max(int(r[1]), 0)
    x1, y1 = min(int(r[2] + 0.999), int(canvas[2])), min(int(r[3] + 0.999), int(canvas[3]))
    if (x1 - x0) * (y1 - y0) < 16:
        return None
    crop = img.crop((x0, y0, x1, y1))
    if (
        img.mode == "RGBA"
    ):  # composited per box, not the whole canvas: the same pixels, a fraction of the work
        crop = Image.alpha_composite(Image.new("RGBA", crop.size, (255, 255, 255, 255)), crop).convert("RGB")
    colors = crop.getcolors(maxcolors=(x1 - x0) * (y1 - y0))
    if not colors or len(colors) < 2:
        return None
    bg = max(colors)[1]
    ratios = [(contrast_ratio(c, bg), n, c) for n, c in colors if c != bg]
    best = max(ratio for ratio, _, _ in ratios)
    near = [(n, c) for ratio, n, c in ratios if ratio >= 1 + (best - 1) * 0.85]
    return max(near)[1], bg


def _contrast_warnings(job, strings: Mapping[str, str], tree) -> list[dict[str, Any]]:
    """Text runs whose rendered color is below WCAG AA against what is rendered behind them."""

    from PIL import Image

    from .html_engine import render_html

    b = job.bundle
    if b.engine not in ("html", "jsx"):
        return []
    raw = render_html(job, format="raw")  # RGBA, no PNG encoding
    img = Image.frombytes("RGBA", (b.width, b.height), raw)
    canvas = (0.0, 0.0, float(b.width), float(b.height))
    worst: dict[str, tuple[float, dict[str, Any]]] = {}
    for node in layout_boxes(tree):
        for text, r in node["runs"]:
            visible = text.strip()
            if not any(c.isalnum() for c in visible):
                continue  # punctuation, arrows, emoji: no text to read
            found = _run_colors(img, r, canvas)
            if found is None:
                continue
            fg, bg = found
            ratio = contrast_ratio(fg, bg)
            size = (r[3] - r[1]) / 1.36  # px: a run is about 1.36 em tall
            need = 3.0 if size >= 24 else 4.5
            if ratio >= need:
                continue
            prop = next((n for n, v in strings.items() if v and visible in v), None)
            key = prop or visible[:80]
            if key in worst and worst[key][0] <= ratio:
                continue
            hexes = ["#%02x%02x%02x" % fg, "#%02x%02x%02x" % bg]  # noqa: UP031
            where = f"Prop {prop!r}" if prop else f"The text {visible[:40]!r}"
            worst[key] = (
                ratio,
                _warning(
                    "low_contrast",
                    f"{where}: contrast {ratio:.2f}:1 between its color {hexes[0]} and the background {hexes[1]}, "
                    f"below WCAG AA ({need:g}:1 for {'large' if need == 3.0 else 'normal'} text).",
                    prop=prop,
                    text=None if prop else visible[:80],
                    ratio=round(ratio, 2),
                    required=need,
                    color=hexes[0],
                    background=hexes[1],
                    position=_position(r),
                ),
            )
    return [w for _, w in worst.values()]


# --- motion ----------------------------------------------------------------------------------------

MAX_MOTION_FRAMES = 240  # longer videos are sampled evenly


def _motion_warnings(job, strings: Mapping[str, str]) -> list[dict[str, Any]]:
    """Video frames where text that is inside the canvas in some frame leaves it, partly or wholly, in others
    (Takumi's layout of each frame; a run is the same when its place in the tree and its text are). Shapes
    and images that move out (confetti, glows) are left alone: they usually do on purpose."""
    b = job.bundle
    if b.type != "video" or b.engine not in ("html", "jsx"):
        return []
    canvas = (0.0, 0.0, float(b.width), float(b.height))
    total = b.total_frames
    step = max(1, -(-total // MAX_MOTION_FRAMES))
    frames = list(range(0, total, step))
    if b.engine == "jsx":
        job.prefetch(frames[:64])
    inside: set[tuple] = set()
    out_at: dict[tuple, dict[str, Any]] = {}
    for frame in frames:
        for node in layout_boxes(_measure(job, frame)):
            for text, r in node["runs"]:
                visible = text.strip()
                if not visible or r[2] - r[0] <= 0:
                    continue
                key = (node["path"], visible)
                if not _outside(r, canvas):
                    inside.add(key)
                    continue
                hit = out_at.setdefault(key, {"first": frame, "last": frame, "box": r})
                hit["last"] = frame
    job.close()
    fps = b.fps or 1
    out = []
    reported: set[str] = set()
    for (path, visible), hit in out_at.items():
        prop = next((n for n, v in strings.items() if v and visible in v), None)
        if (path, visible) not in inside or (prop or visible) in reported:
            continue  # never inside: placed off the canvas on purpose (or text_overflow's business)
        reported.add(prop or visible)
        what = f"Prop {prop!r}" if prop else f"The text {visible[:40]!r}"
        out.append(
            _warning(
                "off_canvas",
                f"{what} leaves the canvas in frames {hit['first']}–{hit['last']} "
                f"({hit['first'] / fps:.2f}–{hit['last'] / fps:.2f} s).",
                prop=prop,
                text=None if prop else visible[:80],
                frames=[hit["first"], hit["last"]],
                position=_position(hit["box"], hit["first"]),
            )
        )
    return out


# --- the passes -------------------------------------------------------------------------------------


def _markup_texts(job, frame: int | None) -> tuple[str, list[str]]:
    """(the visible text of the template, the markup and stylesheets to search for font names)."""
    import html

    markup = job.markup(frame)
    text = re.sub(r"<style[^>]*>.*?</style\s*>|<script[^>]*>.*?</script\s*>", " ", markup, flags=re.S | re.I)
    text = html.unescape(re.sub(r"<[^>]*>", " ", text))
    return text, [markup, *job.stylesheets]


def _run(bundle: Bundle, props: Mapping[str, Any] | None, *, fetch: Fetch | None, worst: bool) -> list[dict]:
    from .pipeline import Job

    raw = dict(props or {})
    warnings, images = _image_warnings(bundle, raw, fetch)
    values = validate_props(bundle, raw, images=images)
    strings = {n: v for n, v in values.items() if isinstance(v, str) and bundle.props[n].type == "string"}
    job = Job(bundle, raw, images=images)
    markup, cache = job.markup, {}

    def memo(frame=None):  # each pass needs the rest-state markup: one Jinja (or V8) call for all of them
        if frame not in cache:
            cache[frame] = markup(frame)
        return cache[frame]

    job.markup = memo
    text, sources = _markup_texts(job, None)
    warnings += _glyph_warnings(bundle, strings, text)
    warnings += _family_warnings(bundle, sources)
    warnings += _class_warnings(job, memo(None))
    if bundle.engine in ("html", "jsx"):
        tree = _measure(job, None)
        warnings += _overflow_warnings(bundle, raw, images, worst=worst, base_tree=tree, fitter=job.fitter)
        warnings += _contrast_warnings(job, strings, tree)
        warnings += _motion_warnings(job, strings)
    return warnings


def lint(
    bundle_or_path: Bundle | str | Path | Mapping[str, Any], *, fetch: Fetch | None = None
) -> list[dict]:
    """Warnings about a template, previewed with its example props (``lint_props``)."""
    bundle, warnings = load_for_lint(bundle_or_path)
    warnings += _run(bundle, lint_props(bundle), fetch=fetch, worst=True)
    return sorted_warnings(warnings)


def lint_props(bundle: Bundle) -> dict:
    """The props a lint previews: the examples, with example image bytes as data: URLs."""
    import base64

    out = {k: v for k, v in example_props(bundle).items() if not isinstance(v, bytes | ImageValue)}
    for name, value in example_props(bundle).items():
        if isinstance(value, bytes):
            out[name] = "data:image/png;base64," + base64.b64encode(value).decode("ascii")
    return out


def remote_image_urls(bundle: Bundle, props: Mapping[str, Any] | None) -> list[str]:
    """The http(s) URLs among ``props``' image props: what a caller fetches for ``fetch`` beforehand
    (the server does, with its SSRF protections, then runs the preflight in a render child)."""
    return [
        value
        for name, spec in bundle.props.items()
        if spec.type == "image"
        and isinstance(value := (props or {}).get(name), str)
        and value.startswith(("http://", "https://"))
    ]


def check(
    bundle_or_path: Bundle | str | Path | Mapping[str, Any],
    props: Mapping[str, Any] | None = None,
    *,
    fetch: Fetch | None = None,
) -> list[dict]:
    """Warnings about one render's props (PropsError when the props are invalid, as ``render`` would)."""
    bundle = bundle_or_path if isinstance(bundle_or_path, Bundle) else load_bundle(bundle_or_path)
    return sorted_warnings(_run(bundle, props, fetch=fetch, worst=False))
