"""Dramatiq actors: thin entry points into the worker, webhook and maintenance code. Everything
sends to them by name (rendering/queue.py), so nothing imports this module but RenderingConfig."""

import dramatiq
from django.conf import settings

from domains.schedule import recheck_schedule
from rendering import batch_maintenance, batch_worker, maintenance, queue, webhooks, worker
from templates_registry.services import version_preview_video_render

RENDER_OPTIONS = {
    "max_retries": worker.MAX_ATTEMPTS,
    "min_backoff": 1_000,
    "max_backoff": 60_000,
    "time_limit": (settings.VIDEO_TIME_LIMIT + 120) * 1000,
    "retry_when": lambda retries, exc: (
        isinstance(exc, worker.TransientFailure) and retries < worker.MAX_ATTEMPTS
    ),
}


@dramatiq.actor(actor_name=queue.RENDER_JOB, queue_name="render", priority=10, **RENDER_OPTIONS)
def render_job(job_id: str) -> None:
    worker.render_job_run(job_id)


# Paid plans' jobs: a queue of their own (run a worker with `--queues render-priority` to
# reserve capacity for it) and, in a shared worker, taken before the free queue's messages.
@dramatiq.actor(
    actor_name=queue.RENDER_JOB_PRIORITY, queue_name="render-priority", priority=0, **RENDER_OPTIONS
)
def render_job_priority(job_id: str) -> None:
    worker.render_job_run(job_id)


@dramatiq.actor(actor_name=queue.DELIVER_WEBHOOK, queue_name="webhooks", max_retries=0, time_limit=60_000)
def deliver_webhook(delivery_id: int) -> None:
    delay = webhooks.attempt(delivery_id)
    if delay is not None:
        webhooks.webhook_enqueue(delivery_id, delay_ms=delay)


@dramatiq.actor(actor_name=queue.RENDER_VERSION_PREVIEW, queue_name="render", priority=20, max_retries=3,
                time_limit=(settings.VIDEO_TIME_LIMIT + 120) * 1000)  # fmt: skip
def render_version_preview(version_id: int) -> None:
    """A video version's MP4 preview, after its publish (templates_registry.previews)."""
    version_preview_video_render(version_id=version_id)


@dramatiq.actor(actor_name=queue.FLUSH_RENDER_COUNTS, queue_name="maintenance", max_retries=3)
def flush_render_counts() -> None:
    """A minute after renders happened: their count into the templates' counters."""
    maintenance.render_counts_flush()
    # Re-arms the custom domains' daily re-verification should its message have been lost (a Redis
    # restart): one cache write when it is already scheduled.
    recheck_schedule()


@dramatiq.actor(actor_name=queue.CLEANUP_OUTPUTS, queue_name="maintenance", max_retries=3)
def cleanup_outputs() -> None:
    """Hourly upkeep: expired outputs, and jobs whose queue message was lost."""
    maintenance.outputs_cleanup()
    maintenance.jobs_requeue_stale()
    batch_maintenance.batch_outputs_cleanup()
    batch_maintenance.batches_requeue_stale()


# A chunk of a batch's rows (rendering/batch.py sends them): after single jobs in a shared worker,
# so a 10,000-row batch does not hold up everyone's one-off renders.
@dramatiq.actor(actor_name=queue.RENDER_BATCH_CHUNK, queue_name="render", priority=15,
                max_retries=worker.MAX_ATTEMPTS, min_backoff=1_000, max_backoff=60_000,
                time_limit=batch_worker.CHUNK_TIME_LIMIT_MS,
                retry_when=lambda retries, exc: isinstance(exc, worker.TransientFailure)
                and retries < worker.MAX_ATTEMPTS)  # fmt: skip
def render_batch_chunk(batch_id: str, first: int, last: int) -> None:
    batch_worker.batch_chunk_run(batch_id, first, last)
