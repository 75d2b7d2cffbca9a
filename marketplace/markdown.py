"""A small Markdown subset to HTML, for our own docs (docs/engine.md): headings, fenced code,
tables, lists, paragraphs, inline code, bold, italics and links. Everything is escaped first, so
the output is safe whatever the text; links keep only http(s), relative and #anchors."""

from __future__ import annotations

import re
from html import escape

_INLINE_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _inline(text: str) -> str:
    codes: list[str] = []

    def stash(match):
        codes.append(f"<code>{escape(match.group(1))}</code>")
        return f"\x00{len(codes) - 1}\x00"

    text = escape(_INLINE_CODE.sub(stash, text), quote=False)
    text = _BOLD.sub(r"<strong>\1</strong>", text)
    text = _ITALIC.sub(r"<em>\1</em>", text)

    def link(match):
        label, href = match.group(1), match.group(2)
        if not re.match(r"^(https?://|/|#|[\w.-]+(/[\w.-]+)*(#[\w-]+)?$)", href):
            return label
        return f'<a href="{escape(href)}">{label}</a>'

    text = _LINK.sub(link, text)
    return re.sub(r"\x00(\d+)\x00", lambda m: codes[int(m.group(1))], text)


def _table(rows: list[str]) -> str:
    cells = [[c.strip() for c in row.strip().strip("|").split("|")] for row in rows]
    head, body = cells[0], [r for r in cells[2:]]
    out = ['<div class="table-wrap"><table><thead><tr>']
    out += [f'<th scope="col">{_inline(c)}</th>' for c in head]
    out.append("</tr></thead><tbody>")
    for row in body:
        out.append("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in row) + "</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def render(markdown: str) -> str:
    lines = markdown.splitlines()
    out: list[str] = []
    paragraph: list[str] = []
    i = 0

    def flush():
        if paragraph:
            out.append(f"<p>{_inline(' '.join(paragraph))}</p>")
            paragraph.clear()

    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith("```"):
            flush()
            block = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                block.append(lines[i])
                i += 1
            out.append(f'<pre tabindex="0"><code>{escape(chr(10).join(block))}</code></pre>')
        elif heading := re.match(r"^(#{1,4})\s+(.*)$", stripped):
            flush()
            level = min(6, len(heading.group(1)) + 1)  # the page has its own h1
            out.append(f'<h{level} id="{_slug(heading.group(2))}">{_inline(heading.group(2))}</h{level}>')
        elif (
            stripped.startswith("|") and i + 1 < len(lines) and re.match(r"^\|?\s*:?-", lines[i + 1].strip())
        ):
            flush()
            rows = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                rows.append(lines[i])
                i += 1
            out.append(_table(rows))
            continue
        elif re.match(r"^([-*]|\d+\.)\s+", stripped):
            flush()
            tag = "ol" if stripped[0].isdigit() else "ul"
            items: list[str] = []
            while i < len(lines) and lines[i].strip():
                item = lines[i].strip()
                if re.match(r"^([-*]|\d+\.)\s+", item):
                    items.append(re.sub(r"^([-*]|\d+\.)\s+", "", item))
                else:
                    items[-1] += " " + item  # a continuation line
                i += 1
            out.append(f"<{tag}>" + "".join(f"<li>{_inline(item)}</li>" for item in items) + f"</{tag}>")
            continue
        elif not stripped:
            flush()
        else:
            paragraph.append(stripped)
        i += 1
    flush()
    return "\n".join(out)
