"""Upkeep the worker runs hourly: send again what the broker lost, delete expired outputs."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from core import files as stored_files
from rendering import renderlog, webhooks
from rendering.idempotency import KEY_LIFETIME
from rendering.jobs import render_job_send
from rendering.models import IdempotencyRecord, JobOutput, Render, RenderCountMark, RenderJob, WebhookDelivery
from rendering.queue import DELIVER_WEBHOOK, RENDER_JOB, RENDER_JOB_PRIORITY, held_arguments
from templates_registry.models import Template

logger = logging.getLogger(__name__)
Status = RenderJob.Status

STALE_AFTER = timedelta(minutes=15)


def jobs_requeue_stale(*, older_than: timedelta = STALE_AFTER) -> dict[str, int]:
    """The database records what must happen; the queue only carries it. Should the broker lose
    messages (Redis restarted without its append-only file, a failover), jobs would wait forever:
    this sends them again, unless the broker still holds a message for them (a job waiting behind
    a backlog, a retry waiting out its backoff, or a message taken by a worker that died, which
    Dramatiq gives back itself). Were one sent twice all the same, render_job_run allows for it:
    the job completes once, with one output and one webhook; receivers deduplicate webhooks on
    their webhook-id.

    Stale means queued for longer than ``older_than``, or processing for longer than any render
    may run (its time limit stops it before) plus ``older_than``; and webhook deliveries whose
    next attempt is ``older_than`` overdue. A broker that does not answer raises
    queue_unavailable: the next sweep tries again."""
    now = timezone.now()
    running_for = timedelta(seconds=settings.VIDEO_TIME_LIMIT + 120) + older_than
    stale_jobs = RenderJob.objects.select_related("user").filter(
        Q(status=Status.QUEUED, created_at__lt=now - older_than)
        | Q(status=Status.PROCESSING, started_at__lt=now - running_for)
    )
    stale_deliveries = WebhookDelivery.objects.filter(
        Q(next_attempt_at__lt=now - older_than) | Q(next_attempt_at=None, created_at__lt=now - older_than),
        status=WebhookDelivery.Status.PENDING,
    ).values_list("pk", flat=True)
    # Redis is asked only when something looks stale: the hourly sweep reads no queue for nothing
    held_jobs = held_arguments(RENDER_JOB, RENDER_JOB_PRIORITY) if stale_jobs.exists() else set()
    held_deliveries = held_arguments(DELIVER_WEBHOOK) if stale_deliveries.exists() else set()
    requeued = still_queued = 0
    for job in stale_jobs.iterator():
        if job.public_id in held_jobs:
            still_queued += 1
        else:
            render_job_send(job)
            requeued += 1
    redelivered = 0
    for delivery_id in stale_deliveries:
        if delivery_id in held_deliveries:
            still_queued += 1
        else:
            webhooks.webhook_enqueue(delivery_id)
            redelivered += 1
    if requeued or redelivered:
        logger.warning("requeued %s stale jobs and %s overdue webhook deliveries", requeued, redelivered)
    if still_queued:
        logger.info("%s old jobs or deliveries are still in the broker's queue: left there", still_queued)
    return {"jobs": requeued, "webhooks": redelivered, "stillQueued": still_queued}


# --- cleanup ---------------------------------------------------------------------------------


def outputs_cleanup() -> dict[str, int]:
    """Deletes job outputs past their expiry (their URLs have expired too) and idempotency
    records past 24 hours. Rows stay, marked deleted, so job history keeps its facts."""
    render_log_flush()  # the newest renders' rows, so a file they still use is kept
    now = timezone.now()
    expired = JobOutput.objects.filter(expires_at__lt=now, deleted_at=None)
    removed = 0
    for output in expired.iterator():
        stored_files.file_delete(output.name)
        JobOutput.objects.filter(pk=output.pk).update(deleted_at=now)
        removed += 1
    keys, _ = IdempotencyRecord.objects.filter(created_at__lt=now - KEY_LIFETIME).delete()
    return {"outputs": removed, "renders": render_outputs_cleanup(now=now), "idempotencyKeys": keys}


def render_outputs_cleanup(*, now) -> int:
    """Deletes the stored images of sync renders once the render cache has forgotten them
    (RENDER_CACHE_TTL after the render; hits do not extend it), unless a newer render of the same
    key, still cached, shares the file (names are content-addressed). They grew without bound."""
    cutoff = now - timedelta(seconds=settings.RENDER_CACHE_TTL)
    newer = Render.objects.filter(output=OuterRef("output"), created_at__gte=cutoff)
    stale = Render.objects.filter(created_at__lt=cutoff, output_deleted_at=None).exclude(
        source__in=("job", "batch")
    )
    removed = 0
    for name in stale.exclude(Exists(newer)).values_list("output", flat=True).distinct().iterator():
        stored_files.file_delete(name)
        Render.objects.filter(output=name, created_at__lt=cutoff).update(output_deleted_at=now)
        removed += 1
    return removed


COUNT_SETTLE = timedelta(seconds=10)  # kept for callers; rows are flagged, so none is skipped


def render_counts_flush(*, settle: timedelta = COUNT_SETTLE) -> int:
    """The minute upkeep of sync renders: the render log's records become Render rows (one bulk
    INSERT), and the renders not yet counted are added to their templates' ``renders`` counters
    (one UPDATE per template instead of one per render on a hot row). Exact: the Render rows are the
    record and each is flagged once counted, in the same transaction (a flush that dies changes
    nothing; the mark row's lock keeps two flushes apart). Renders younger than ``settle`` wait for
    the next flush. Returns the renders counted."""
    with transaction.atomic():
        mark, _ = RenderCountMark.objects.select_for_update().get_or_create(pk=1)
        claims = renderlog.claim()
        renderlog.insert(claims)
        uncounted = Render.objects.filter(counted=False, created_at__lt=timezone.now() - settle)
        rows = list(uncounted.values_list("pk", "template_id"))
        per_template = Counter(template_id for _, template_id in rows)
        for start in range(0, len(rows), 5000):
            Render.objects.filter(pk__in=[pk for pk, _ in rows[start : start + 5000]]).update(counted=True)
        for template_id, n in per_template.items():
            Template.objects.filter(pk=template_id).update(renders=F("renders") + n)
        if rows:
            mark.last_render_id = max(mark.last_render_id, max(pk for pk, _ in rows))
        mark.flushed_at = timezone.now()
        mark.save(update_fields=["last_render_id", "flushed_at"])
    renderlog.release(claims)  # only once the rows are committed
    return len(rows)


def render_log_flush() -> None:
    """The render log's records as Render rows now, without counting (tests, the hourly cleanup)."""
    render_counts_flush(settle=timedelta(days=36500))
