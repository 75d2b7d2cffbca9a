"""Resource reference checks: nothing a template references may leave the bundle.

Allowed references: ``#fragment`` (inside an SVG), ``data:`` URIs (SVG ones are checked recursively)
and the names the engine registered for bundle assets and image props. Everything else
(``http:``, ``file:``, absolute or relative paths not in the bundle) is a TemplateError, so neither
Takumi nor resvg nor CairoSVG is ever asked to open a file or a connection.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
import urllib.parse
import xml.etree.ElementTree as ET  # noqa: S405 - DOCTYPE/ENTITY are refused before parsing
from collections.abc import Container

from .errors import TemplateError

_CSS_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.I | re.S)
_IMPORT = re.compile(r"@import", re.I)
_DATA_URI = re.compile(r"data:([a-z0-9.+/-]*)((?:;[a-z0-9=.+-]+)*?)(;base64)?,(.*)", re.I | re.S)
_FORBIDDEN_SVG = frozenset({"script", "foreignObject", "iframe", "object", "embed", "audio", "video"})
# Animation elements that could set a link target after the checks above looked at it: a customer who
# inlines a rendered SVG would run <set attributeName="href" to="javascript:…"> on a click.
_ANIMATION = frozenset({"set", "animate", "animateMotion", "animateTransform", "animateColor", "discard"})
_LINK_ATTRIBUTES = frozenset({"href", "src"})
_SCRIPT_URL = ("javascript:", "vbscript:", "data:text/html", "data:application/xhtml")


def _script_url(value: str) -> bool:
    """Whether an attribute value holds a scripting URL anywhere (``to``, ``values`` and ``from`` lists
    included), ignoring the whitespace and control characters browsers ignore inside a scheme."""
    squeezed = "".join(ch for ch in value if ch > " ").lower()
    return any(marker in squeezed for marker in _SCRIPT_URL)


MAX_SVG_NESTING = 3


def _blocked(ref: str, where: str) -> TemplateError:
    shown = ref if len(ref) <= 120 else ref[:117] + "..."
    return TemplateError(
        f"Reference to {shown!r} is not allowed: templates can only use bundle assets, data: URIs and image props.",
        code="resource_not_allowed",
        details={"reference": shown, "where": where},
    )


def decode_data_uri(uri: str) -> tuple[str, bytes]:
    m = _DATA_URI.fullmatch(uri.strip())
    if not m:
        raise _blocked(uri, "data uri")
    mime, b64, payload = m.group(1).lower(), m.group(3), m.group(4)
    try:
        data = (
            base64.b64decode(re.sub(r"\s+", "", payload)) if b64 else urllib.parse.unquote_to_bytes(payload)
        )
    except (binascii.Error, ValueError):
        raise _blocked(uri, "data uri") from None
    return mime, data


def check_reference(ref: str, allowed: Container[str], where: str, *, depth: int = 0) -> None:
    ref = html.unescape(ref).strip()
    if not ref or ref.startswith("#") or ref in allowed:
        return
    if ref[:5].lower() == "data:":
        mime, data = decode_data_uri(ref)
        if mime == "image/svg+xml":
            check_svg(data, depth=depth + 1)
        elif mime and not mime.startswith(("image/", "font/", "application/font", "application/x-font")):
            raise _blocked(ref, where)
        return
    raise _blocked(ref, where)


def check_css(css: str, allowed: Container[str], where: str, *, depth: int = 0) -> None:
    if _IMPORT.search(css):
        raise TemplateError(
            "@import is not allowed in stylesheets.", code="resource_not_allowed", details={"where": where}
        )
    for m in _CSS_URL.finditer(css):
        check_reference(m.group(2), allowed, where, depth=depth)


def parse_svg(data: bytes | str, *, where: str = "svg") -> ET.Element:
    """Parse SVG markup safely: no DOCTYPE or entities (XML bombs, external entities)."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    if re.search(r"<!DOCTYPE|<!ENTITY", text, re.I):
        raise TemplateError(
            "SVG with a DOCTYPE or entities is not allowed.",
            code="svg_doctype_forbidden",
            details={"where": where},
        )
    try:
        return ET.fromstring(text)  # noqa: S314 - no DTD possible, see above
    except ET.ParseError as exc:
        raise TemplateError(f"Malformed SVG: {exc}", code="svg_malformed", details={"where": where}) from None


def check_svg(
    data: bytes | str, *, allowed: Container[str] = (), depth: int = 0, where: str = "svg"
) -> ET.Element:
    """Parse and check an SVG document; returns its root element."""
    if depth > MAX_SVG_NESTING:
        raise TemplateError("SVG images nested too deeply.", code="svg_nesting", details={"where": where})
    root = parse_svg(data, where=where)
    if not root.tag.endswith("svg"):
        raise TemplateError("The root element is not <svg>.", code="svg_malformed", details={"where": where})
    for el in root.iter():
        tag = el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""
        if tag in _FORBIDDEN_SVG:
            raise TemplateError(
                f"<{tag}> is not allowed in SVG templates.",
                code="svg_element_forbidden",
                details={"element": tag},
            )
        target = el.attrib.get("attributeName", "").rsplit(":", 1)[-1]
        if tag in _ANIMATION and target in _LINK_ATTRIBUTES:
            raise TemplateError(
                f"<{tag}> may not animate {target}: a link must not change after it is checked.",
                code="svg_element_forbidden",
                details={"element": tag, "attribute": target},
            )
        for key, value in el.attrib.items():
            name = key.rsplit("}", 1)[-1]
            if _script_url(value):
                raise TemplateError(
                    f"A scripting URL in <{tag} {name}> is not allowed.",
                    code="svg_element_forbidden",
                    details={"element": tag, "attribute": name},
                )
            if name in ("href", "src"):
                check_reference(value, allowed, f"<{tag} {name}>", depth=depth)
            elif name == "style" or "url(" in value:
                check_css(value, allowed, f"<{tag} {name}>", depth=depth)
            elif name.startswith("on"):
                raise TemplateError(
                    "Event handler attributes are not allowed.",
                    code="svg_element_forbidden",
                    details={"attribute": name},
                )
        if tag == "style" and el.text:
            check_css(el.text, allowed, "<style>", depth=depth)
    return root
