"""Documentation pages. The template format page shows docs/engine.md, the authors' reference."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from marketplace import markdown

PAGES = {
    "": ("Getting started", "marketplace/docs/index.html"),
    "templates": ("Template format", "marketplace/docs/templates.html"),
    "cli": ("CLI", "marketplace/docs/cli.html"),
    "sdk": ("Python SDK", "marketplace/docs/sdk.html"),
    "typescript": ("TypeScript SDK", "marketplace/docs/typescript.html"),
    "api": ("REST API", "marketplace/docs/api.html"),
    "teams": ("Teams", "marketplace/docs/teams.html"),
    "analytics": ("API analytics", "marketplace/docs/analytics.html"),
}


@lru_cache(maxsize=1)
def engine_reference() -> str:
    path = Path(settings.BASE_DIR) / "docs" / "engine.md"
    # our own file, rendered by a renderer that escapes everything it does not produce itself
    return mark_safe(markdown.render(path.read_text(encoding="utf-8"))) if path.exists() else ""  # noqa: S308


@require_GET
def page(request, slug: str = ""):
    if slug not in PAGES:
        raise Http404("No such page.")
    title, template_name = PAGES[slug]
    context = {
        "title": title,
        "slug": slug,
        "pages": [(key, label) for key, (label, _) in PAGES.items()],
        "site_url": settings.SITE_URL,
    }
    if slug == "templates":
        context["reference"] = engine_reference()
    return render(request, template_name, context)
