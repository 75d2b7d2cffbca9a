import json
import re

from django import template

from core.files import file_url

register = template.Library()


@register.filter
def preview_url(version) -> str:
    """A signed, expiring URL of the version's PNG preview ('' without one)."""
    return file_url(version.preview) if version is not None and version.preview else ""


@register.filter
def preview_video_url(version) -> str:
    return file_url(version.preview_video) if version is not None and version.preview_video else ""


@register.filter
def percent(used, limit) -> int:
    """Bar width for usage against a limit, 0–100 (no limit: 0)."""
    try:
        return max(0, min(100, round(100 * int(used) / int(limit)))) if limit else 0
    except (TypeError, ValueError, ZeroDivisionError):
        return 0


@register.filter
def as_json(value) -> str:
    return json.dumps(value, ensure_ascii=False)


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters changed (pagination and sort links keep filters)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def dollars(cents) -> str:
    """A plan's monthly price from cents: 1900 → "$19", 1950 → "$19.50"."""
    try:
        cents = int(cents)
    except (TypeError, ValueError):
        return ""
    return f"${cents // 100:,}" if cents % 100 == 0 else f"${cents / 100:,.2f}"


@register.filter
def filesize(size) -> str:
    try:
        size = int(size)
    except (TypeError, ValueError):
        return ""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


@register.filter
def intcomma_plain(value) -> str:
    """12000 → "12,000" (django.contrib.humanize is not installed; this is all it would be used for)."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


@register.filter
def color_hex(value) -> str:
    """A color prop's text as the #rrggbb an <input type=color> takes (black when it is not a hex color)."""
    text = str(value or "").strip().lower()
    if re.fullmatch(r"#[0-9a-f]{3}", text):
        return "#" + "".join(ch * 2 for ch in text[1:])
    if re.fullmatch(r"#[0-9a-f]{6}", text):
        return text
    if re.fullmatch(r"#[0-9a-f]{8}", text):
        return text[:7]
    return "#000000"
