"""Reads of jobs and webhook deliveries, shared by the API and the dashboard."""

from __future__ import annotations

from django.db.models import QuerySet

from core.errors import NotFound
from rendering.models import RenderJob, WebhookDelivery

DELIVERIES_LISTED = 100  # the API's list and the dashboard's show the same newest deliveries


def render_job_get(*, job_id: str, user) -> RenderJob:
    job = (
        RenderJob.objects.select_related("template", "template__owner", "version", "output")
        .filter(public_id=job_id, user=user)
        .first()
    )
    if job is None:
        raise NotFound(f"No render job {job_id[:40]}.")
    return job


def delivery_list(*, user, limit: int = DELIVERIES_LISTED) -> QuerySet[WebhookDelivery]:
    """The newest deliveries with every attempt, in two queries whatever their number."""
    return (
        WebhookDelivery.objects.filter(user=user)
        .select_related("job")
        .prefetch_related("attempt_log")
        .order_by("-created_at", "-pk")[:limit]
    )


def delivery_get(*, user, delivery_id: str) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.select_related("job").filter(public_id=delivery_id, user=user).first()
    if delivery is None:
        raise NotFound("No such webhook delivery.")
    return delivery
