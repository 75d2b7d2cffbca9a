"""HTML markup preparation for Takumi.

After Jinja, the markup is rewritten start tag by start tag:
- Tailwind classes in ``class`` are also given to Takumi as ``tw`` (``tw`` classes win, coming last);
  ``class`` stays for the bundle's stylesheets.
- Animation classes (see ``animation.py``) become inline ``opacity``/``transform`` for the frame time.
- ``src``/``href`` and CSS ``url()`` references are checked (see ``resources.py``).
- ``<style>`` blocks move into the stylesheet list; ``<script>``, ``<link>`` and ``<head>`` are dropped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Container

from .animation import is_animation_token, style_for
from .resources import check_css, check_reference

_TAG = re.compile(
    r"<([a-zA-Z][a-zA-Z0-9:-]*)((?:\s+[^\s=/>\"']+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?)*)\s*(/?)>"
)
_ATTR = re.compile(r"([^\s=/>\"']+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?")
_STYLE_BLOCK = re.compile(r"<style[^>]*>(.*?)</style\s*>", re.I | re.S)
_DROP = re.compile(
    r"<script[^>]*>.*?</script\s*>|<head[^>]*>.*?</head\s*>|<link\b[^>]*>|<!--.*?-->|<!DOCTYPE[^>]*>",
    re.I | re.S,
)
_BODY = re.compile(r"<body[^>]*>(.*?)</body\s*>", re.I | re.S)
_HTML_TAGS = re.compile(r"</?(?:html|body)\b[^>]*>", re.I)
# Second, tolerant pass (``<img/src=…>`` and other shapes the rewrite does not parse): every reference
# attribute inside anything tag-like is checked too.
_ANY_TAG = re.compile(r"<[a-zA-Z][^>]*>")
_REF_ATTR = re.compile(
    r"[\s/\"'](src|href|xlink:href|poster|srcset|style)\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+)", re.I
)


def _check_all_references(markup: str, allowed: Container[str]) -> None:
    for tag in _ANY_TAG.finditer(markup):
        for m in _REF_ATTR.finditer(tag.group(0)):
            name, value = m.group(1).lower(), html.unescape(_unquote(m.group(2)))
            if name == "style":
                check_css(value, allowed, "style")
            elif name == "srcset":
                for part in value.split(","):
                    check_reference(part.strip().split(" ")[0], allowed, "srcset")
            else:
                check_reference(value, allowed, name)


def _unquote(value: str | None) -> str:
    if value is None:
        return ""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def prepare_html(markup: str, *, time_ms: float | None, allowed: Container[str]) -> tuple[str, list[str]]:
    """Return (body markup for Takumi, stylesheets found in <style> blocks)."""
    styles = [m.group(1) for m in _STYLE_BLOCK.finditer(markup)]
    for css in styles:
        check_css(css, allowed, "<style>")
    markup = _STYLE_BLOCK.sub("", markup)
    markup = _DROP.sub("", markup)
    body = _BODY.search(markup)
    if body:
        markup = body.group(1)
    markup = _HTML_TAGS.sub("", markup)

    def rewrite(m: re.Match) -> str:
        tag, attrs_src, selfclose = m.group(1), m.group(2), m.group(3)
        if not attrs_src:
            return m.group(0)
        attrs: list[tuple[str, str | None]] = []
        for a in _ATTR.finditer(attrs_src):
            attrs.append((a.group(1), a.group(2)))
        names = {k.lower() for k, _ in attrs}
        if not names & {"class", "tw", "src", "href", "xlink:href", "style", "poster", "srcset"}:
            return m.group(0)
        classes: list[str] = []
        tw: list[str] = []
        style = ""
        out: list[str] = []
        for key, raw in attrs:
            low = key.lower()
            value = _unquote(raw)
            if low == "class":
                classes = value.split()
            elif low == "tw":
                tw = value.split()
            elif low == "style":
                check_css(html.unescape(value), allowed, f"<{tag} style>")
                style = value
            else:
                if low in ("src", "href", "xlink:href", "poster"):
                    check_reference(value, allowed, f"<{tag} {low}>")
                elif low == "srcset":
                    for part in value.split(","):
                        check_reference(part.strip().split(" ")[0], allowed, f"<{tag} srcset>")
                out.append(key if raw is None else f'{key}="{value.replace(chr(34), "&quot;")}"')
        anim = [t for t in classes + tw if is_animation_token(t)]
        if classes:
            out.append('class="{}"'.format(" ".join(t for t in classes if t not in anim)))
        tw_tokens = [t for t in classes + tw if t not in anim]
        if tw_tokens:
            out.append('tw="{}"'.format(" ".join(tw_tokens)))
        if anim and time_ms is not None:
            style = (style.rstrip().rstrip(";") + ";" if style.strip() else "") + style_for(anim, time_ms)
        if style:
            out.append('style="{}"'.format(style.replace('"', "&quot;")))
        return f"<{tag} {' '.join(out)}{' /' if selfclose else ''}>"

    out = _TAG.sub(rewrite, markup)
    _check_all_references(out, allowed)
    return out, styles


_FONT_DECL = re.compile(r"(font(?:-family)?\s*:\s*)([^;}<>]*)", re.I)
_TW_FONT = re.compile(r"(font-\[)([^\]]*)(\])")
_QUOTE = r"(?:'|\"|&quot;|&#34;|&#39;|&#x27;)?"


def apply_family_map(text: str, mapping: dict[str, str]) -> str:
    """Point font-family declarations and Tailwind ``font-[…]`` at the bundle fonts' private names."""
    if not mapping:
        return text
    patterns = []
    for family, private in sorted(mapping.items(), key=lambda kv: -len(kv[0])):
        name = r"[\s_]+".join(re.escape(part) for part in family.split())
        patterns.append((re.compile(_QUOTE + r"(?<![\w-])" + name + r"(?![\w-])" + _QUOTE, re.I), private))

    def swap(value: str) -> str:
        for pattern, private in patterns:
            value = pattern.sub(f"'{private}'", value)
        return value

    text = _FONT_DECL.sub(lambda m: m.group(1) + swap(m.group(2)), text)
    return _TW_FONT.sub(lambda m: m.group(1) + swap(m.group(2)) + m.group(3), text)
