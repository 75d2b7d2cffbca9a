"""Reads of jobs and webhook deliveries, shared by the API and the dashboard."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from core.errors import NotFound
from rendering.models import BatchRow, RenderBatch, RenderJob, WebhookDelivery

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


# --- batches ---------------------------------------------------------------------------------

BATCHES_LISTED = 50


def render_batch_get(*, batch_id: str, user) -> RenderBatch:
    """The user's own batch; anyone else's is a 404, as if it did not exist."""
    batch = (
        RenderBatch.objects.select_related("template", "template__owner", "version")
        .filter(public_id=batch_id[:40], user=user)
        .first()
    )
    if batch is None:
        raise NotFound(f"No render batch {batch_id[:40]}.")
    return batch


def batch_counts(*, batch: RenderBatch) -> dict[str, int]:
    """Rows done, failed, cancelled and pending, in one query."""
    status = BatchRow.Status
    return BatchRow.objects.filter(batch=batch).aggregate(
        done=Count("pk", filter=Q(status=status.DONE)),
        failed=Count("pk", filter=Q(status=status.FAILED)),
        cancelled=Count("pk", filter=Q(status=status.CANCELLED)),
        pending=Count("pk", filter=Q(status=status.PENDING)),
    )


def batch_rows(*, batch: RenderBatch) -> QuerySet[BatchRow]:
    return BatchRow.objects.filter(batch=batch).order_by("number")


def render_batch_list(*, user, limit: int = BATCHES_LISTED) -> list[RenderBatch]:
    """The newest batches with their row counts (annotated: one query whatever their number)."""
    status = BatchRow.Status
    return list(
        RenderBatch.objects.filter(user=user)
        .select_related("template", "template__owner")
        .annotate(
            done_rows=Count("rows", filter=Q(rows__status=status.DONE)),
            failed_rows=Count("rows", filter=Q(rows__status=status.FAILED)),
        )
        .order_by("-created_at", "-pk")[:limit]
    )
