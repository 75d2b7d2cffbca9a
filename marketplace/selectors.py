"""Reads the website needs beyond the registry's selectors."""

from __future__ import annotations

from django.db.models import Count, Q

from billing.models import Plan
from billing.plans import plans_by_code
from rendering.models import Render, RenderJob
from templates_registry.models import Tag, Template
from templates_registry.selectors import template_visible_q


def featured_templates(*, limit: int = 6) -> list[Template]:
    return list(
        Template.objects.filter(featured=True, private=False, unpublished_at=None)
        .select_related("owner", "latest_version")
        .prefetch_related("tags")
        .defer("search_vector")
        .order_by("-published_at", "-pk")[:limit]
    )


def popular_tags(*, limit: int = 20) -> list[str]:
    listed = Q(templates__private=False, templates__unpublished_at=None)
    rows = (
        Tag.objects.annotate(n=Count("templates", filter=listed))
        .filter(n__gt=0)
        .order_by("-n", "name")
        .values_list("name", flat=True)[:limit]
    )
    return list(rows)


def renders_recent(*, user, limit: int = 25) -> list[Render]:
    """Sync renders appear here once the worker has flushed the render log (within a minute)."""
    return list(
        Render.objects.filter(user=user)
        .select_related("template", "template__owner", "version")
        .order_by("-created_at")[:limit]
    )


def jobs_recent(*, user, limit: int = 25) -> list[RenderJob]:
    return list(
        RenderJob.objects.filter(user=user)
        .select_related("template", "template__owner")
        .order_by("-created_at")[:limit]
    )


def starred_templates(*, user, viewer, limit: int = 24) -> list[Template]:
    """Templates ``user`` starred that ``viewer`` may see (stars are public, like on GitHub)."""
    return list(
        Template.objects.filter(star_set__user=user, unpublished_at=None)
        .filter(template_visible_q(viewer))
        .select_related("owner", "latest_version")
        .defer("search_vector")
        .order_by("-star_set__created_at")[:limit]
    )


def pricing_plans() -> list[Plan]:
    """The plans as the admin has them (rows, with the built-in defaults for any missing), cheapest
    first: what /pricing shows, so editing a plan changes the page."""
    return sorted(plans_by_code().values(), key=lambda plan: (plan.sort_order, plan.price_cents, plan.code))
