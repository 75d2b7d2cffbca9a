"""CSS color validation for ``color`` props.

Accepted: ``#rgb``, ``#rgba``, ``#rrggbb``, ``#rrggbbaa``, ``rgb()/rgba()``, ``hsl()/hsla()``
with numeric arguments (commas or spaces, optional ``/ alpha``), ``transparent``,
``currentColor`` and the CSS named colors. Anything else (``url()``, ``;``, expressions)
is refused, so a color prop can never inject CSS. Hex is normalized to lowercase,
names to lowercase.
"""

from __future__ import annotations

import re

_NAMES = """
aliceblue antiquewhite aqua aquamarine azure beige bisque black blanchedalmond blue blueviolet brown
burlywood cadetblue chartreuse chocolate coral cornflowerblue cornsilk crimson cyan darkblue darkcyan
darkgoldenrod darkgray darkgreen darkgrey darkkhaki darkmagenta darkolivegreen darkorange darkorchid
darkred darksalmon darkseagreen darkslateblue darkslategray darkslategrey darkturquoise darkviolet
deeppink deepskyblue dimgray dimgrey dodgerblue firebrick floralwhite forestgreen fuchsia gainsboro
ghostwhite gold goldenrod gray green greenyellow grey honeydew hotpink indianred indigo ivory khaki
lavender lavenderblush lawngreen lemonchiffon lightblue lightcoral lightcyan lightgoldenrodyellow
lightgray lightgreen lightgrey lightpink lightsalmon lightseagreen lightskyblue lightslategray
lightslategrey lightsteelblue lightyellow lime limegreen linen magenta maroon mediumaquamarine
mediumblue mediumorchid mediumpurple mediumseagreen mediumslateblue mediumspringgreen mediumturquoise
mediumvioletred midnightblue mintcream mistyrose moccasin navajowhite navy oldlace olive olivedrab
orange orangered orchid palegoldenrod palegreen paleturquoise palevioletred papayawhip peachpuff peru
pink plum powderblue purple rebeccapurple red rosybrown royalblue saddlebrown salmon sandybrown
seagreen seashell sienna silver skyblue slateblue slategray slategrey snow springgreen steelblue tan
teal thistle tomato turquoise violet wheat white whitesmoke yellow yellowgreen transparent currentcolor
"""
NAMED_COLORS = frozenset(_NAMES.split())

_HEX = re.compile(r"#(?:[0-9a-f]{3}|[0-9a-f]{4}|[0-9a-f]{6}|[0-9a-f]{8})")
_NUM = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?"
_HUE = rf"{_NUM}(?:deg|rad|grad|turn)?"
_PCT = rf"{_NUM}%?"
_FUNC = re.compile(
    rf"(?:rgba?\(\s*{_PCT}\s*(?:,\s*{_PCT}\s*,\s*{_PCT}\s*(?:,\s*{_PCT}\s*)?"
    rf"|\s+{_PCT}\s+{_PCT}\s*(?:/\s*{_PCT}\s*)?)\)"
    rf"|hsla?\(\s*{_HUE}\s*(?:,\s*{_PCT}\s*,\s*{_PCT}\s*(?:,\s*{_PCT}\s*)?"
    rf"|\s+{_PCT}\s+{_PCT}\s*(?:/\s*{_PCT}\s*)?)\))"
)


def normalize_color(value: str) -> str | None:
    """Return the normalized CSS color, or None when ``value`` is not a CSS color."""
    text = value.strip().lower()
    if len(text) > 100:
        return None
    if _HEX.fullmatch(text) or text in NAMED_COLORS or _FUNC.fullmatch(text):
        return "currentColor" if text == "currentcolor" else text
    return None
