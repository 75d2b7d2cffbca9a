"""Reads the website needs beyond the registry's selectors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from billing.models import Plan
from billing.plans import plans_by_code
from core.files import file_url
from rendering.models import JobOutput, Render, RenderJob
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
        .select_related("template", "template__owner", "output")
        .order_by("-created_at")[:limit]
    )


VIDEO_FORMATS = {"mp4", "webm", "mov"}
OUTPUT_LINK_LIFETIME = 3600  # the history's links, capped by the output's own expiry


@dataclass(frozen=True)
class OutputLink:
    """Where a history row's output can be seen and downloaded while it lives: ``kind`` is "image"
    (shown inline), "video" (a player) or "file" (a download only, e.g. a PDF); the download is
    named after the template (``og-card.png``), not the storage's hash."""

    kind: str
    url: str
    download_url: str
    filename: str


def _link(*, name: str, template_name: str, fmt: str, expires_in: int) -> OutputLink:
    ext = "jpg" if fmt == "jpeg" else fmt
    filename = f"{template_name}.{ext}"
    kind = (
        "video"
        if fmt in VIDEO_FORMATS
        else "image"
        if fmt in {"png", "jpeg", "jpg", "webp", "gif", "svg"}
        else "file"
    )
    return OutputLink(
        kind=kind,
        url=file_url(name, expires_in=expires_in),
        download_url=file_url(name, expires_in=expires_in, download_name=filename),
        filename=filename,
    )


def render_output_link(
    render: Render, *, job_outputs: dict[str, JobOutput] | None = None
) -> OutputLink | None:
    """A render's output while it lives. A job's render (source "job") shares the job's output file,
    which lives until the job output's expiry (rendering.maintenance deletes it then), so its link
    follows that output; pass ``job_outputs`` (live outputs by name) to look them up in one query."""
    if render.output_deleted_at is not None or not render.output:
        return None
    expires_in = OUTPUT_LINK_LIFETIME
    if render.source == "job":
        outputs = job_outputs if job_outputs is not None else live_job_outputs([render.output])
        output = outputs.get(render.output)
        if output is None:
            return None
        expires_in = min(expires_in, int((output.expires_at - timezone.now()).total_seconds()))
    return _link(
        name=render.output, template_name=render.template.name, fmt=render.format, expires_in=expires_in
    )


def live_job_outputs(names: list[str]) -> dict[str, JobOutput]:
    if not names:
        return {}
    rows = JobOutput.objects.filter(
        name__in=names, deleted_at=None, expires_at__gt=timezone.now() + timedelta(seconds=1)
    )
    return {row.name: row for row in rows}


def render_history(*, user, limit: int = 25) -> list[tuple[Render, OutputLink | None]]:
    renders = renders_recent(user=user, limit=limit)
    outputs = live_job_outputs([r.output for r in renders if r.source == "job"])
    return [(r, render_output_link(r, job_outputs=outputs)) for r in renders]


def job_output_link(job: RenderJob) -> OutputLink | None:
    """The output of a completed job until it expires (JobOutput.expires_at) or is deleted."""
    if job.status != RenderJob.Status.COMPLETED:
        return None
    output = getattr(job, "output", None)
    if output is None or output.deleted_at is not None:
        return None
    remaining = int((output.expires_at - timezone.now()).total_seconds())
    if remaining <= 0:
        return None
    return _link(
        name=output.name,
        template_name=job.template.name,
        fmt=job.format,
        expires_in=min(remaining, OUTPUT_LINK_LIFETIME),
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
