"""Which Tailwind classes Takumi's ``tw`` parser drops (preflight's ``unsupported_class``).

Both the html and the jsx engine end as markup whose ``class``/``tw`` tokens go to Takumi as ``tw``
(``markup.prepare_html``). Takumi parses each token on its own and silently skips the ones it cannot parse;
this module mirrors that parser (takumi-core ``style/tw``: ``TailwindValue::parse``, ``FIXED_PROPERTIES``,
``PREFIX_PARSERS``, ``THEME_TARGETS``) closely enough to name the tokens it drops:

- a variant other than a breakpoint (``hover:``, ``dark:``, ``group-hover:``, ``before:``…) drops the whole
  token; a breakpoint (``sm: md: lg: xl: 2xl:``) wider than the canvas never applies;
- a utility that is neither a fixed name (``flex``, ``truncate``) nor ``<prefix>-<value>`` with a prefix
  Takumi knows (``space-x-4``, ``ring-2``, ``transition``, ``container``, ``sr-only``);
- a known prefix with a value none of its parsers reads (``rounded-5xl``, ``w-10px``); for the prefixes
  that read theme variables (``bg``, ``text``, ``p``, ``w``…) such a value becomes ``var(--color-<value>)``
  (or ``--spacing-``, ``--text-``…), which applies only when the template's CSS defines that variable.

Where this module's value grammar is not sure (prefixes whose values are CSS the parser reads in full), it
accepts the token: a warning here is meant to be right. ``tests/engine/test_tailwind_support.py`` holds the
grammar to the installed Takumi (a token called dropped renders exactly as without it; one called
supported changes the render).
"""

from __future__ import annotations

import re
from functools import lru_cache

# Breakpoints: the token applies when the canvas is at least this wide (Takumi's rem is 16 px).
BREAKPOINTS = {"sm": 640, "md": 768, "lg": 1024, "xl": 1280, "2xl": 1536}

FIXED = frozenset(
    """border border-t border-r border-b border-l border-x border-y outline rounded box-border box-content inline
    inline-block inline-flex bg-radial bg-conic inline-grid block flex grid hidden list-item bg-repeat bg-no-repeat
    bg-space bg-repeat-space bg-round bg-repeat-round bg-repeat-x bg-repeat-y aspect-auto flex-grow grow
    flex-shrink shrink flex-row flex-row-reverse flex-col flex-col-reverse flex-wrap flex-wrap-reverse flex-nowrap
    flex-auto flex-initial flex-none absolute relative static fixed uppercase lowercase capitalize normal-case
    underline overline line-through no-underline italic not-italic w-screen h-screen min-w-screen min-h-screen
    max-w-screen max-h-screen truncate text-ellipsis text-clip break-normal break-all break-keep grid-flow-row
    grid-flow-col grid-flow-row-dense grid-flow-dense grid-flow-col-dense col-span-full row-span-full
    col-start-auto col-end-auto row-start-auto row-end-auto shadow-2xs shadow-xs shadow-sm shadow shadow-md
    shadow-lg shadow-xl shadow-2xl shadow-none grayscale invert sepia backdrop-grayscale backdrop-invert
    backdrop-sepia drop-shadow-xs drop-shadow-sm drop-shadow drop-shadow-md drop-shadow-lg drop-shadow-xl
    drop-shadow-2xl drop-shadow-none inset-shadow-2xs inset-shadow-xs inset-shadow-sm inset-shadow-none
    text-shadow-2xs text-shadow-xs text-shadow-sm text-shadow-md text-shadow-lg text-shadow-none isolate
    isolation-auto visible invisible""".split()
)

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_RATIO = re.compile(r"\d+(?:\.\d+)?\s*/\s*\d+(?:\.\d+)?")
_SIZES = ("3xs", "2xs", "xs", "sm", "md", "lg", "xl", "2xl", "3xl", "4xl", "5xl", "6xl", "7xl")
_LENGTH_WORDS = frozenset(
    "auto dvw svw lvw cqw cqi vi dvh svh lvh cqh cqb vb vmin cqmin vmax cqmax px full".split() + list(_SIZES)
)
_PALETTE = frozenset(
    """slate gray zinc neutral stone red orange amber yellow lime green emerald teal cyan sky blue indigo violet
    purple fuchsia pink rose mauve olive mist taupe""".split()
)
_SHADES = frozenset("50 100 200 300 400 500 600 700 800 900 950".split())
_COLOR_WORDS = frozenset("black white transparent current inherit".split())


def _number(s: str) -> bool:
    return bool(_NUMBER.fullmatch(s))


def _length(s: str) -> bool:
    return _number(s) or bool(_RATIO.fullmatch(s)) or s.lower() in _LENGTH_WORDS


def _color(s: str) -> bool:
    s = s.lower()
    if "/" in s:
        s, alpha = s.split("/", 1)
        if not (_number(alpha) or (alpha.startswith("[") and alpha.endswith("]"))):
            return False
    if s in _COLOR_WORDS:
        return True
    name, _, shade = s.rpartition("-")
    return name in _PALETTE and shade in _SHADES


def _words(*words: str):
    allowed = frozenset(" ".join(words).split())
    return lambda s: s.lower() in allowed


def _any(s: str) -> bool:  # values are CSS the parser reads in full: not second-guessed here
    return bool(s)


_font_size = _words("xs sm base lg xl 2xl 3xl 4xl 5xl 6xl 7xl 8xl 9xl")
_rounded = _words("full none xs sm md lg xl 2xl 3xl 4xl")
_blur = _words("none xs sm md lg xl 2xl 3xl")
_tracking = _words("tighter tight normal wide wider widest")
_leading = _words("none tight snug normal relaxed loose")
_weight = _words("thin extralight light normal medium semibold bold extrabold black")
_family = _words("sans serif mono")
_justify = _words("start end center between around evenly stretch normal baseline left right")
_align = _words("start end center baseline stretch auto normal")
_overflow = _words("hidden visible clip auto scroll")
_border_style = _words("solid dashed dotted double hidden none")
_text_align = _words("left center right justify start end")
_text_wrap = _words("wrap nowrap balance pretty")
_whitespace = _words("normal nowrap pre pre-line pre-wrap break-spaces")
_object_fit = _words("contain cover fill none scale-down")
_position = _words(
    "center top bottom left right left-top top-left right-top top-right left-bottom bottom-left right-bottom "
    "bottom-right"
)


def _font_size_lh(s: str) -> bool:
    if "/" in s:
        size, lh = s.split("/", 1)
        return _font_size(size) and (_leading(lh) or _number(lh) or lh.startswith("["))
    return _font_size(s)


def _flex(s: str) -> bool:
    return _number(s) or bool(_RATIO.fullmatch(s)) or s.lower() in ("auto", "initial", "none")


# prefix -> value checks tried in turn (PREFIX_PARSERS); None = accept any value (not modelled)
_L, _C, _N = _length, _color, _number
PREFIXES: dict[str, tuple] = {
    "list": None, "list-image": None, "object": (_object_fit, _position),
    "bg": (_C, _words("none"), _position, _words("auto cover contain")),
    "bg-clip": (_words("border padding content text"),), "mask": None, "bg-linear": None, "bg-conic": None,
    "from": None, "to": None, "via": None, "bg-size": None, "bg-position": None,
    "w": (_L,), "h": (_L,), "min-w": (_L,), "min-h": (_L,), "max-w": (_L, _words("none prose")), "max-h": (_L,),
    "size": (_L,), "font": (_weight, _N, _family), "font-stretch": None, "gap-x": (_L,), "gap-y": (_L,),
    "gap": (_L,), "justify": (_justify,), "content": (_justify,), "items": (_align,), "self": (_align,),
    "justify-self": (_align,), "justify-items": (_align,), "overflow-x": (_overflow,),
    "overflow-y": (_overflow,), "overflow": (_overflow,),
    "border": (_C, _border_style, _N), "border-t": (_C, _N), "border-r": (_C, _N), "border-b": (_C, _N),
    "border-l": (_C, _N), "border-x": (_C, _N), "border-y": (_C, _N), "outline": (_C, _border_style, _N),
    "shadow": None, "outline-offset": (_N,), "grow": (_N,), "flex-grow": (_N,), "shrink": (_N,),
    "flex-shrink": (_N,), "basis": (_L,), "flex-basis": (_L,), "aspect": None,
    "text": (_font_size_lh, _C, _text_align, _text_wrap), "decoration": None,
    "leading": (_leading, _N), "opacity": (_N,), "line-clamp": (_N, _words("none")),
    "whitespace": (_whitespace,), "wrap": None, "flex": (_flex,), "origin": None,
    "translate": (_L,), "rotate": (_N,), "scale": (_N,), "scale-x": (_N,), "scale-y": (_N,),
    "translate-x": (_L,), "translate-y": (_L,),
    **{p: (_L,) for p in "m mx my mt mr mb ml ms me p px py pt pr pb pl ps pe".split()},
    **{p: (_L,) for p in "inset inset-x inset-y top right bottom left".split()},
    **{p: (_rounded,) for p in "rounded rounded-t rounded-r rounded-b rounded-l rounded-tl rounded-tr "
       "rounded-br rounded-bl".split()},
    "grid-cols": None, "grid-rows": None, "auto-cols": None, "auto-rows": None, "col": None, "row": None,
    "col-span": None, "row-span": None, "col-start": None, "col-end": None, "row-start": None, "row-end": None,
    "tracking": (_tracking,), "blur": (_blur,),
    **{p: None for p in "brightness contrast grayscale hue-rotate invert saturate sepia filter backdrop-blur "
       "backdrop-brightness backdrop-contrast backdrop-grayscale backdrop-hue-rotate backdrop-invert "
       "backdrop-opacity backdrop-saturate backdrop-sepia backdrop-filter drop-shadow text-shadow mix-blend "
       "bg-blend align animate".split()},
}  # fmt: skip

# THEME_TARGETS: the theme namespaces (CSS variable prefixes) a prefix reads for a value it has no
# built-in for.
_SPACING = ("--spacing-",)
THEME = {
    "aspect": ("--aspect-",), "basis": _SPACING, "bg": ("--color-",), "bottom": _SPACING,
    "decoration": ("--color-",), "font": ("--font-", "--font-weight-"), "gap": _SPACING, "gap-x": _SPACING,
    "gap-y": _SPACING, "h": _SPACING, "inset": _SPACING, "inset-x": _SPACING, "inset-y": _SPACING,
    "leading": ("--leading-",), "left": _SPACING, "max-h": _SPACING, "max-w": ("--spacing-", "--container-"),
    "min-h": _SPACING, "min-w": _SPACING, "outline": ("--color-",), "right": _SPACING,
    "size": _SPACING, "text": ("--text-", "--color-"), "top": _SPACING, "tracking": ("--tracking-",),
    "w": _SPACING,
    **{p: ("--color-",) for p in "border border-b border-l border-r border-t border-x border-y".split()},
    **{p: _SPACING for p in "m mb me ml mr ms mt mx my p pb pe pl pr ps pt px py".split()},
    **{p: ("--radius-",) for p in "rounded rounded-b rounded-bl rounded-br rounded-l rounded-r rounded-t "
       "rounded-tl rounded-tr".split()},
}  # fmt: skip
# Negative values (``-mt-4``): Takumi negates only these; any other prefix drops the token.
_NEGATABLE = frozenset(
    "m mx my mt mr mb ml ms me inset inset-x inset-y top right bottom left translate translate-x translate-y "
    "scale scale-x scale-y rotate tracking hue-rotate backdrop-hue-rotate col-start col-end row-start "
    "row-end".split()
)


def _split_variant(token: str) -> tuple[str, str] | None:
    depth, quote, i = 0, "", 0
    while i < len(token):
        c = token[i]
        if c == "\\":
            i += 1
        elif quote:
            if c == quote:
                quote = ""
        elif c in "'\"":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth = max(0, depth - 1)
        elif c == ":" and depth == 0:
            return token[:i], token[i + 1 :]
        i += 1
    return None


def _theme_names(prefix: str, suffix: str) -> list[str]:
    """The variables a value without a built-in reads (theme_expression); [] when none applies."""
    if suffix.startswith("["):
        return []
    namespaces = THEME.get(prefix, ())
    if "/" in suffix:
        token, alpha = suffix.split("/", 1)
        if (
            not namespaces
            or namespaces[0] != "--color-"
            or not _number(alpha)
            or not 0 <= float(alpha) <= 100
        ):
            return []
        return ["--color-" + token]
    if _number(suffix) and "--spacing-" in namespaces:
        return ["--spacing"]  # read with a fallback: always applies
    return [ns + suffix for ns in namespaces]


@lru_cache(maxsize=4096)
def _utility(token: str) -> tuple[str, str | tuple[str, ...]] | None:
    """None when Takumi reads ``token`` (without variant or ``!``); else ``("unknown", "")``,
    ``("value", prefix)`` or ``("variable", names)`` (applies only where one of the variables is defined)."""
    if token in FIXED:
        return None
    negative = token.startswith("-")
    body = token[1:] if negative else token
    themed: tuple[str, ...] = ()
    known_prefix = ""
    for i in range(len(body) - 1, 0, -1):
        if body[i] != "-":
            continue
        prefix, suffix = body[:i], body[i + 1 :]
        if prefix not in PREFIXES:
            continue
        known_prefix = known_prefix or prefix
        checks = PREFIXES[prefix]
        if checks is None or (suffix.startswith("[") and suffix.endswith("]") and len(suffix) > 2):
            return None if not negative or prefix in _NEGATABLE or checks is None else ("value", prefix)
        if any(check(suffix) for check in checks):
            return None if not negative or prefix in _NEGATABLE else ("value", prefix)
        if prefix in THEME:
            names = _theme_names(prefix, suffix)
            if "--spacing" in names:
                return None
            if names:
                themed = tuple(names)
                break
    if themed:
        return ("variable", themed)
    return ("value", known_prefix) if known_prefix else ("unknown", "")


def ignored(
    token: str, *, width: int, variables: frozenset[str] = frozenset(), stylesheet_classes=frozenset()
) -> str | None:
    """Why Takumi ignores ``token`` on a canvas ``width`` px wide, or None when it uses it.

    ``variables``: the custom properties the template's CSS defines (``--color-brand``…);
    ``stylesheet_classes``: class names its stylesheets select (``.card``), which are not Tailwind's."""
    if token in stylesheet_classes:
        return None
    rest = token
    split = _split_variant(token)
    if split is not None:
        variant, rest = split
        bp = BREAKPOINTS.get(variant.lower())
        if bp is None:
            return (
                f"the variant {variant + ':'!r} is not supported (only the breakpoints sm: md: lg: xl: 2xl:)"
            )
        if width < bp:
            return f"the breakpoint {variant + ':'!r} ({bp}px) is wider than the template ({width}px): never applies"
    if rest.startswith("!"):
        rest = rest[1:]
    elif rest.endswith("!"):
        rest = rest[:-1]
    found = _utility(rest)
    if found is None:
        return None
    kind, detail = found
    if kind == "variable":
        if any(name in variables for name in detail):
            return None
        return f"no built-in value, and the CSS variable {detail[0]} it would read is not defined"
    if kind == "value":
        return f"{detail + '-'!r} takes no value {rest[len(detail) + 1 + rest.startswith('-') :]!r}"
    return "not a utility the renderer knows"


_VAR_DEF = re.compile(r"(--[A-Za-z0-9_-]+)\s*:")
_CLASS_SEL = re.compile(r"\.((?:[A-Za-z0-9_-]|\\.)+)")


def css_variables(texts) -> frozenset[str]:
    return frozenset(m.group(1) for text in texts for m in _VAR_DEF.finditer(text))


def css_classes(sheets) -> frozenset[str]:
    out = set()
    for css in sheets:
        css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
        for block in re.findall(r"([^{}]*)\{", css):  # selectors (and at-rule preludes) only
            for m in _CLASS_SEL.finditer(block):
                out.add(re.sub(r"\\(.)", r"\1", m.group(1)))
    return frozenset(out)
