"""Running a job, in the Dramatiq worker: at least once, completing at most once."""

from __future__ import annotations

import contextlib
import logging
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from billing.models import Usage
from billing.services import usage_record
from core import files as stored_files
from core.netsafe import FetchFailed, UnsafeUrl
from core.observability import JOB_OUTCOMES, RENDER_SECONDS
from core.renderpool.isolation import RenderTask
from core.renderpool.pools import image_pool, video_pool
from loopwind import engine
from rendering import webhooks
from rendering.bundles import bundle_for, version_files
from rendering.models import JobOutput, Render, RenderJob
from rendering.queue import CLEANUP_OUTPUTS, FLUSH_RENDER_COUNTS, enqueue_once
from rendering.services import remote_images_fetch

logger = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.25  # seconds between progress writes (and cancel checks)
MAX_ATTEMPTS = 5  # transient failures (storage, broker, a crashed worker) before a job fails
Status = RenderJob.Status


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
    enqueue_once(CLEANUP_OUTPUTS)
    enqueue_once(FLUSH_RENDER_COUNTS)


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
    if job.format in engine.VIDEO_FORMATS:
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
            with _cost_recorded(job, task):
                video_pool().run(task, files_loader=files, on_progress=progress,
                                 should_cancel=progress.should_cancel, account=str(job.user_id))  # fmt: skip
        except BaseException:
            folder.cleanup()
            raise
        return path, folder
    task = RenderTask(bundle.checksum, None, job.props, format=job.format, scale=job.scale, images=images)
    with _cost_recorded(job, task):
        content = image_pool().run(
            task, files_loader=files, should_cancel=progress.should_cancel, account=str(job.user_id)
        )
    return content, None


@contextlib.contextmanager
def _cost_recorded(job: RenderJob, task: RenderTask):
    """What the renderer spent on the job goes into its owner's usage, whatever the outcome."""
    try:
        yield
    finally:
        if task.cpu_ms:
            usage_record(user=job.user, usage_type=Usage.Type.RENDER_CPU_MS, amount=task.cpu_ms)


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
                content_type=engine.CONTENT_TYPES[job.format],
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
            # The render's record, for the template's renders counter (summed off the request):
            # inside this transaction, so a job completed twice after a crash is counted once.
            Render.objects.create(
                user_id=job.user_id, template_id=job.template_id, version_id=job.version_id, format=job.format,
                scale=job.scale, output=name, size=len(content), duration_ms=duration_ms, source="job",
            )  # fmt: skip
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
                transaction.on_commit(lambda: webhooks.webhook_enqueue(delivery.pk))
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
            transaction.on_commit(lambda: webhooks.webhook_enqueue(delivery.pk))
