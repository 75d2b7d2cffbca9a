"""The element tree a JSX component returned, as the HTML markup the html engine feeds Takumi.

The runtime (``runtime.js``) has already called the components and flattened fragments and arrays; what
arrives is ``[tag, attrs, children]`` lists and text strings. Here, as in Satori / Vercel OG:
- ``style`` objects become CSS: camelCase keys to kebab-case, numbers to px except unitless properties;
- ``className``/``class`` become ``class`` and ``tw`` stays ``tw`` (``markup.prepare_html`` then gives the
  classes to Takumi and expands animation classes, exactly as for html templates);
- SVG's camelCase presentation attributes (``strokeWidth``) become their SVG names (``stroke-width``);
- text and attribute values are escaped, so a prop holding ``<script>`` renders as text.
Helper calls that need Python (``qr``, ``fitText``, ``clampText``) come back as tokens and are resolved
here. The markup then goes through the same reference checks as any html template.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape
from typing import Any

from ..errors import TemplateError

TOKEN = re.compile("\ue000lw(\\d+)\ue001")
# The runtime only emits these; checked again here because the tree comes out of the sandbox.
_TAG = re.compile(r"[A-Za-z][A-Za-z0-9:._-]*")
_ATTR = re.compile(r"[A-Za-z_:][A-Za-z0-9_:.-]*")
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")
# React's unitless CSS properties: a number stays a number
UNITLESS = frozenset(
    """animationIterationCount aspectRatio borderImageOutset borderImageSlice borderImageWidth boxFlex
    boxFlexGroup boxOrdinalGroup columnCount columns flex flexGrow flexPositive flexShrink flexNegative flexOrder
    gridArea gridRow gridRowEnd gridRowSpan gridRowStart gridColumn gridColumnEnd gridColumnSpan gridColumnStart
    fontWeight lineClamp lineHeight opacity order orphans scale tabSize widows zIndex zoom fillOpacity
    floodOpacity stopOpacity strokeDasharray strokeDashoffset strokeMiterlimit strokeOpacity strokeWidth
    WebkitLineClamp""".split()
)
# SVG attributes that are camelCase in SVG itself (everything else camelCase inside <svg> is kebab-cased)
SVG_CAMEL = frozenset(
    """viewBox preserveAspectRatio gradientUnits gradientTransform patternUnits patternContentUnits
    patternTransform markerWidth markerHeight markerUnits refX refY spreadMethod stdDeviation baseFrequency
    numOctaves kernelMatrix kernelUnitLength pathLength textLength lengthAdjust startOffset clipPathUnits
    maskUnits maskContentUnits filterUnits primitiveUnits pointsAtX pointsAtY pointsAtZ tableValues
    diffuseConstant specularConstant specularExponent surfaceScale edgeMode xChannelSelector yChannelSelector
    limitingConeAngle targetX targetY attributeName attributeType repeatCount repeatDur keyTimes keySplines
    keyPoints calcMode glyphRef systemLanguage requiredExtensions requiredFeatures zoomAndPan
    contentScriptType contentStyleType baseProfile externalResourcesRequired""".split()
)
_SPECIAL = {
    "className": "class",
    "htmlFor": "for",
    "xlinkHref": "xlink:href",
    "xmlnsXlink": "xmlns:xlink",
    "xmlSpace": "xml:space",
    "xmlLang": "xml:lang",
}
VOID = frozenset({"img", "br", "hr", "input", "meta", "link", "source", "area", "col", "wbr"})


def css_property(key: str) -> str:
    if key.startswith("--"):
        return key
    if key[:1].isupper():  # WebkitLineClamp -> -webkit-line-clamp
        key = "-" + key[0].lower() + key[1:]
    elif key.startswith("ms") and key[2:3].isupper():
        key = "-" + key
    return _CAMEL.sub(lambda m: "-" + m.group(1).lower(), key)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def style_text(style: dict[str, Any], resolve: Callable[[str, bool], str]) -> str:
    parts = []
    for key, value in style.items():
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            text = _number(value) if key in UNITLESS or value == 0 else _number(value) + "px"
        else:
            text = resolve(str(value), True)
        parts.append(f"{css_property(key)}:{text}")
    return ";".join(parts)


class Converter:
    """Turns one render's tree into markup; ``helpers`` resolves the render's helper requests."""

    def __init__(self, requests: list, helpers: Callable[[str, list], Any]):
        self.requests = requests
        self.helpers = helpers
        self.values: dict[int, Any] = {}

    def value(self, index: int) -> Any:
        if index not in self.values:
            if index >= len(self.requests):
                raise TemplateError("A helper value was forged.", code="helper_error", details={})
            kind, args = self.requests[index]
            self.values[index] = self.helpers(kind, args)
        return self.values[index]

    def resolve(self, text: str, css: bool = False) -> str:
        if "\ue000" not in text:
            return text
        whole = TOKEN.fullmatch(text)
        if whole and css:
            value = self.value(int(whole.group(1)))
            return f"{value}px" if isinstance(value, int | float) else str(value)
        return TOKEN.sub(lambda m: str(self.value(int(m.group(1)))), text)

    def markup(self, tree: list) -> str:
        out: list[str] = []
        for node in tree:
            self._node(node, out, in_svg=False)
        return "".join(out)

    def _node(self, node: Any, out: list[str], in_svg: bool) -> None:
        if isinstance(node, str):
            out.append(escape(self.resolve(node), quote=False))
            return
        tag, attrs, children = node
        if not isinstance(tag, str) or not _TAG.fullmatch(tag) or not isinstance(attrs, dict):
            raise TemplateError(
                "The template produced an invalid element.", code="invalid_element", details={}
            )
        in_svg = in_svg or tag == "svg"
        out.append("<" + tag)
        for key, value in attrs.items():
            if not _ATTR.fullmatch(key):
                continue
            if key == "style":
                text = (
                    style_text(value, self.resolve) if isinstance(value, dict) else self.resolve(str(value))
                )
                if text:
                    out.append(f' style="{escape(text)}"')
                continue
            name = _SPECIAL.get(key, key)
            if in_svg and name not in SVG_CAMEL and name == key:
                name = css_property(key) if not key[:1].isupper() else key
            if value is True:
                out.append(" " + name)
            elif isinstance(value, int | float):
                out.append(f' {name}="{_number(value)}"')
            else:
                out.append(f' {name}="{escape(self.resolve(str(value)))}"')
        if not children and tag in VOID:
            out.append(" />")
            return
        out.append(">")
        for child in children:
            self._node(child, out, in_svg)
        out.append(f"</{tag}>")
