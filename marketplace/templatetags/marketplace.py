import json

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
