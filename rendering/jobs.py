"""Async render jobs, their lifecycle on the caller's side: accept, send to the workers, cancel,
retry. Running them is rendering/worker.py; upkeep is rendering/maintenance.py."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from billing.models import Usage
from billing.plans import plan_limits
from billing.services import (
    quota_consume,
    quota_refund,
    video_length_allowed_or_raise,
    webhooks_allowed_or_raise,
)
from core.errors import ApiError
from core.netsafe import check_url
from loopwind import engine
from moderation.services import Action, moderation_log
from rendering.bundles import bundle_for
from rendering.models import RenderJob
from rendering.queue import RENDER_JOB, RENDER_JOB_PRIORITY, enqueue
from rendering.services import check_props
from templates_registry.models import Template, TemplateVersion

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
    allowed = engine.VIDEO_FORMATS if bundle.type == "video" else engine.IMAGE_FORMATS
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
        or getattr(bundle_or_job, "format", "") in engine.VIDEO_FORMATS
    )
    return Usage.Type.VIDEO_RENDER if video else Usage.Type.IMAGE_RENDER


def render_job_send(job: RenderJob) -> None:
    """Sends a job to the workers; pro and business plans' jobs go on the priority queue."""
    actor = RENDER_JOB_PRIORITY if plan_limits(job.user).priority_rendering else RENDER_JOB
    enqueue(actor, job.public_id)


def render_job_enqueue(*, job: RenderJob) -> None:
    """Queues a new job. A broker that is down means the job was not accepted: it is removed and
    its quota given back (503 ``queue_unavailable``)."""
    try:
        render_job_send(job)
    except ApiError:
        quota_refund(user=job.user, usage_type=usage_type_of(job))
        job.delete()
        raise


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
