"""Async render jobs: accept, run (at least once, completing at most once), cancel."""

from __future__ import annotations

import logging
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from billing.models import Usage
from billing.plans import plan_limits
from billing.services import (
    quota_consume,
    quota_refund,
    video_length_allowed_or_raise,
    webhooks_allowed_or_raise,
)
from core import files as stored_files
from core.errors import ApiError, NotFound
from core.netsafe import FetchFailed, UnsafeUrl, check_url
from core.observability import JOB_OUTCOMES, RENDER_SECONDS
from core.renderpool.isolation import RenderTask
from core.renderpool.pools import image_pool, video_pool
from loopwind import engine
from moderation.services import Action, moderation_log
from rendering import webhooks
from rendering.bundles import bundle_for, version_files
from rendering.models import JobOutput, RenderJob, WebhookDelivery
from rendering.services import CONTENT_TYPES, IMAGE_FORMATS, check_props, remote_images_fetch
from templates_registry.models import Template, TemplateVersion

logger = logging.getLogger(__name__)

VIDEO_FORMATS = ("mp4", "gif", "webm")
PROGRESS_INTERVAL = 0.25  # seconds between progress writes (and cancel checks)
MAX_ATTEMPTS = 5  # transient failures (storage, broker, a crashed worker) before a job fails
Status = RenderJob.Status


class FormatMismatch(ApiError):
    code = "format_mismatch"


def _estimate_ms(bundle: engine.Bundle, fmt: str) -> int:
    if bundle.type != "video":
        return 500
    per_frame = {"mp4": 20, "webm": 60, "gif": 35}[fmt] * max(1, bundle.width * bundle.height // (1280 * 720))
    return 800 + bundle.total_frames * per_frame


def render_job_create(
    *,
    user,
    template: Template,
    version: TemplateVersion,
    props: dict,
    fmt: str,
    scale: int = 1,
    webhook: str | None = None,
) -> RenderJob:
    """Validates everything a worker would trip on (props, format, webhook URL) before accepting."""
    bundle = bundle_for(version)
    allowed = VIDEO_FORMATS if bundle.type == "video" else IMAGE_FORMATS
    if fmt not in allowed:
        raise FormatMismatch(
            f"A {bundle.type} template renders to {', '.join(allowed)}, not {fmt}.",
            details={"allowed": list(allowed)},
        )
    check_props(version=version, props=props, bundle=bundle)
    if webhook:
        webhooks_allowed_or_raise(user)
        check_url(webhook)  # refused now, and checked again at every send
    if bundle.type == "video":
        video_length_allowed_or_raise(user, bundle.duration or 0)
    # Counted when accepted: one job is one render, however often a worker retries it.
    quota_consume(user=user, usage_type=usage_type_of(bundle))
    return RenderJob.objects.create(
        user=user,
        template=template,
        version=version,
        props=props,
        format=fmt,
        scale=scale,
        webhook_url=webhook or "",
        total_frames=bundle.total_frames if bundle.type == "video" else 1,
        estimated_ms=_estimate_ms(bundle, fmt) if bundle.type == "video" else 500,
    )


def usage_type_of(bundle_or_job) -> str:
    video = (
        getattr(bundle_or_job, "type", None) == "video"
        or getattr(bundle_or_job, "format", "") in VIDEO_FORMATS
    )
    return Usage.Type.VIDEO_RENDER if video else Usage.Type.IMAGE_RENDER


def _send(job: RenderJob) -> None:
    """Pro and business plans' jobs go on the priority queue."""
    from rendering import tasks
    from rendering.queue import enqueue

    actor = tasks.render_job_priority if plan_limits(job.user).priority_rendering else tasks.render_job
    enqueue(actor, job.public_id)


def render_job_enqueue(*, job: RenderJob) -> None:
    """Queues a new job. A broker that is down means the job was not accepted: it is removed and
    its quota given back (503 ``queue_unavailable``)."""
    try:
        _send(job)
    except ApiError:
        quota_refund(user=job.user, usage_type=usage_type_of(job))
        job.delete()
        raise


def render_job_get(*, job_id: str, user) -> RenderJob:
    job = (
        RenderJob.objects.select_related("template", "template__owner", "output")
        .filter(public_id=job_id, user=user)
        .first()
    )
    if job is None:
        raise NotFound(f"No render job {job_id[:40]}.")
    return job


def render_job_cancel(*, job: RenderJob) -> RenderJob:
    updated = RenderJob.objects.filter(pk=job.pk, status__in=[Status.QUEUED, Status.PROCESSING]).update(
        status=Status.CANCELLED, completed_at=timezone.now()
    )
    if not updated:
        raise ApiError(
            f"The job is already {job.status}; only queued or processing jobs can be cancelled.",
            code="job_final",
            status=409,
        )
    job.refresh_from_db()
    return job


def render_job_retry(*, actor, job: RenderJob) -> bool:
    """Staff put a failed or cancelled job back on the queue (logged in the ModerationLog).
    Returns False for jobs not in a final failed state."""
    with transaction.atomic():
        updated = RenderJob.objects.filter(pk=job.pk, status__in=[Status.FAILED, Status.CANCELLED]).update(
            status=Status.QUEUED,
            error_code="",
            error_message="",
            progress=0,
            current_frame=0,
            completed_at=None,
            started_at=None,
        )
        if not updated:
            return False
        moderation_log(actor=actor, action=Action.JOB_RETRY, target_type="job", target_id=job.public_id,
                       label=job.public_id)  # fmt: skip
    job.refresh_from_db()
    render_job_enqueue(job=job)
    return True


# --- running a job (in the worker) -----------------------------------------------------------


class TransientFailure(Exception):
    """Worth retrying: the broker redelivers the message with backoff."""


def output_name(job: RenderJob) -> str:
    # The job's random token makes the name unguessable; the same job always writes the same
    # name, so a re-run after a crash replaces its own partial file instead of leaving one behind.
    return f"outputs/{job.public_id}-{job.output_token}.{job.format}"


def _claim(job_id: str) -> RenderJob | None:
    claimed = RenderJob.objects.filter(
        public_id=job_id, status__in=[Status.QUEUED, Status.PROCESSING]
    ).update(
        status=Status.PROCESSING,
        started_at=Coalesce(F("started_at"), timezone.now()),
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return None
    return RenderJob.objects.select_related("user", "template", "template__owner", "version").get(
        public_id=job_id
    )


class _Progress:
    """Writes progress at most every 250 ms; the same write tells whether the job was cancelled."""

    def __init__(self, job: RenderJob):
        self.job = job
        self.last = 0.0
        self.cancelled = False

    def __call__(self, frame: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_INTERVAL and frame < total:
            return
        self.last = now
        updated = RenderJob.objects.filter(pk=self.job.pk, status=Status.PROCESSING).update(
            current_frame=frame, total_frames=total, progress=round(frame / max(total, 1), 4)
        )
        self.cancelled = not updated

    def should_cancel(self) -> bool:
        now = time.monotonic()
        if now - self.last >= PROGRESS_INTERVAL:
            self.last = now
            self.cancelled = not RenderJob.objects.filter(pk=self.job.pk, status=Status.PROCESSING).exists()
        return self.cancelled


def render_job_run(job_id: str) -> None:
    """Runs a job. Safe to call twice for one job (at-least-once delivery): a finished job is
    left alone, and completion commits once, guarded by JobOutput's one-per-job constraint."""
    job = _claim(job_id)
    if job is None:
        return
    started = time.monotonic()
    folder = None
    try:
        content_or_path, folder = _render(job)
        _store_and_complete(job, content_or_path, int((time.monotonic() - started) * 1000))
    except engine.EngineError as exc:
        if exc.code == "render_cancelled":
            return
        if exc.code == "render_busy":
            _retry_or_fail(job, exc, exc.code, exc.message)
        else:
            _fail(job, exc.code, exc.message)
        return
    except (FetchFailed, UnsafeUrl) as exc:
        _fail(job, exc.code, exc.message)
        return
    except stored_files.StorageUnavailable as exc:
        _retry_or_fail(job, exc, exc.code, "File storage was unavailable; please try again.")
    except Exception as exc:
        _retry_or_fail(job, exc, "render_failed", "The render failed repeatedly; please try again.")
    finally:
        if folder is not None:
            folder.cleanup()
    cleanup_schedule()


def _retry_or_fail(job: RenderJob, exc: Exception, code: str, message: str) -> None:
    """A failure worth retrying: raises TransientFailure (the broker redelivers the message with
    backoff) until the job has had MAX_ATTEMPTS, then fails it with ``code`` for good, so a job
    never stays ``processing`` once its retries are spent."""
    if job.attempts < MAX_ATTEMPTS:
        logger.warning("job %s attempt %s failed, will retry: %r", job.public_id, job.attempts, exc)
        raise TransientFailure(str(exc)) from exc
    logger.error("job %s failed after %s attempts: %r", job.public_id, job.attempts, exc, exc_info=exc)
    _fail(job, code, message)


def _render(job: RenderJob):
    bundle = bundle_for(job.version)
    images = remote_images_fetch(bundle, job.props)
    progress = _Progress(job)
    files = lambda: version_files(job.version)  # noqa: E731
    if job.format in VIDEO_FORMATS:
        folder = tempfile.TemporaryDirectory(prefix="loopwind-job-")
        path = Path(folder.name) / f"out.{job.format}"
        task = RenderTask(
            bundle.checksum,
            None,
            job.props,
            kind="video",
            format=job.format,
            images=images,
            output_path=str(path),
        )
        try:
            video_pool().run(
                task, files_loader=files, on_progress=progress, should_cancel=progress.should_cancel
            )
        except BaseException:
            folder.cleanup()
            raise
        return path, folder
    task = RenderTask(bundle.checksum, None, job.props, format=job.format, scale=job.scale, images=images)
    content = image_pool().run(task, files_loader=files, should_cancel=progress.should_cancel)
    return content, None


def _store_and_complete(job: RenderJob, content_or_path, duration_ms: int) -> None:
    name = output_name(job)
    content = content_or_path.read_bytes() if isinstance(content_or_path, Path) else content_or_path
    stored_files.file_delete(name)  # a crashed earlier attempt may have left a partial file
    if not stored_files.file_save(name, content):
        raise stored_files.StorageUnavailable("Another writer holds the output's name.")
    now = timezone.now()
    try:
        with transaction.atomic():
            JobOutput.objects.create(
                job=job,
                name=name,
                size=len(content),
                content_type=CONTENT_TYPES[job.format],
                expires_at=now + timedelta(seconds=settings.OUTPUT_TTL),
            )
            updated = RenderJob.objects.filter(pk=job.pk, status=Status.PROCESSING).update(
                status=Status.COMPLETED,
                progress=1,
                current_frame=F("total_frames"),
                completed_at=now,
                duration_ms=duration_ms,
            )
            if not updated:  # cancelled while rendering: keep no output
                raise _Cancelled()
            JOB_OUTCOMES.labels(status="completed").inc()
            RENDER_SECONDS.labels(format=job.format, cache="job").observe(duration_ms / 1000)
            logger.info("job %s completed in %d ms, attempt %d", job.public_id, duration_ms, job.attempts)
            job.refresh_from_db()
            delivery = webhooks.delivery_create(
                job=job,
                event="render.completed",
                output_url=stored_files.file_url(name, expires_in=settings.OUTPUT_TTL),
            )
            if delivery is not None:
                transaction.on_commit(lambda: webhook_enqueue(delivery.pk))
    except IntegrityError:
        logger.info("job %s was already completed by another run", job.public_id)
    except _Cancelled:
        stored_files.file_delete(name)


class _Cancelled(Exception):
    pass


def _fail(job: RenderJob, code: str, message: str) -> None:
    with transaction.atomic():
        updated = RenderJob.objects.filter(pk=job.pk, status=Status.PROCESSING).update(
            status=Status.FAILED,
            error_code=code[:64],
            error_message=message[:2000],
            completed_at=timezone.now(),
        )
        if not updated:
            return
        JOB_OUTCOMES.labels(status="failed").inc()
        job.refresh_from_db()
        delivery = webhooks.delivery_create(job=job, event="render.failed", output_url=None)
        if delivery is not None:
            transaction.on_commit(lambda: webhook_enqueue(delivery.pk))


def webhook_enqueue(delivery_id: int, delay_ms: int | None = None) -> None:
    from rendering.queue import enqueue
    from rendering.tasks import deliver_webhook

    try:
        enqueue(deliver_webhook, delivery_id, delay_ms=delay_ms)
    except ApiError:
        logger.warning("webhook %s could not be queued; redeliver it from the dashboard", delivery_id)


def delivery_list(*, user):
    return (
        WebhookDelivery.objects.filter(user=user)
        .select_related("job")
        .prefetch_related("attempt_log")
        .order_by("-created_at")[:100]
    )


# --- recovering lost messages ----------------------------------------------------------------

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
    from rendering import tasks
    from rendering.queue import held_arguments

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
    held_jobs = held_arguments(tasks.render_job, tasks.render_job_priority) if stale_jobs.exists() else set()
    held_deliveries = held_arguments(tasks.deliver_webhook) if stale_deliveries.exists() else set()
    requeued = still_queued = 0
    for job in stale_jobs.iterator():
        if job.public_id in held_jobs:
            still_queued += 1
        else:
            _send(job)
            requeued += 1
    redelivered = 0
    for delivery_id in stale_deliveries:
        if delivery_id in held_deliveries:
            still_queued += 1
        else:
            webhook_enqueue(delivery_id)
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
    from rendering.idempotency import KEY_LIFETIME
    from rendering.models import IdempotencyRecord

    now = timezone.now()
    expired = JobOutput.objects.filter(expires_at__lt=now, deleted_at=None)
    removed = 0
    for output in expired.iterator():
        stored_files.file_delete(output.name)
        JobOutput.objects.filter(pk=output.pk).update(deleted_at=now)
        removed += 1
    keys, _ = IdempotencyRecord.objects.filter(created_at__lt=now - KEY_LIFETIME).delete()
    return {"outputs": removed, "idempotencyKeys": keys}


CLEANUP_EVERY_MS = 3600 * 1000


def cleanup_schedule() -> None:
    """At most one pending cleanup at a time, without a separate scheduler: whoever finishes a
    job makes sure one is queued within the hour."""
    from django.core.cache import cache

    from rendering.queue import enqueue
    from rendering.tasks import cleanup_outputs

    try:
        if cache.add("rendering:cleanup-scheduled", 1, timeout=CLEANUP_EVERY_MS // 1000):
            enqueue(cleanup_outputs, delay_ms=CLEANUP_EVERY_MS)
    except Exception:
        logger.warning("could not schedule the output cleanup", exc_info=True)
