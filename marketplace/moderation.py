"""Staff moderation: every action goes through here and is written to the ModerationLog."""

from __future__ import annotations

from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import user_logout
from marketplace.models import ModerationLog, TemplateViolation
from rendering.jobs import render_job_enqueue
from rendering.models import RenderJob
from templates_registry.models import Template
from templates_registry.services import template_unpublish


def _log(actor, action: str, target_type: str, target_id: str, label: str, reason: str = "") -> None:
    ModerationLog.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_label=label[:120],
        reason=reason,
    )


@transaction.atomic
def template_feature_set(*, actor, template: Template, featured: bool) -> None:
    if template.unpublished_at is not None or template.private:
        featured = False  # only listed templates can be featured
    Template.objects.filter(pk=template.pk).update(featured=featured, updated_at=timezone.now())
    action = ModerationLog.Action.FEATURE if featured else ModerationLog.Action.UNFEATURE
    _log(actor, action, "template", template.public_id, template.slug)


@transaction.atomic
def template_moderate_unpublish(*, actor, template: Template, reason: str = "") -> None:
    template_unpublish(template=template)
    _log(actor, ModerationLog.Action.UNPUBLISH, "template", template.public_id, template.slug, reason)


@transaction.atomic
def template_mark_violating(*, actor, template: Template, reason: str) -> TemplateViolation:
    """Hidden from everyone (unpublished) with the reason kept for its owner to read."""
    reason = (reason or "").strip() or "This template violates the loopwind.dev terms."
    violation, _ = TemplateViolation.objects.update_or_create(
        template=template, defaults={"reason": reason, "created_by": actor, "created_at": timezone.now()}
    )
    if template.unpublished_at is None:
        template_unpublish(template=template)
    _log(actor, ModerationLog.Action.VIOLATION, "template", template.public_id, template.slug, reason)
    return violation


@transaction.atomic
def template_violation_clear(*, actor, template: Template) -> None:
    """Takes the mark away; the template stays unpublished until its owner publishes it again."""
    TemplateViolation.objects.filter(template=template).delete()
    _log(actor, ModerationLog.Action.VIOLATION_CLEARED, "template", template.public_id, template.slug)


def _user_sessions_end(user: User) -> int:
    """Website sessions store the user id signed inside the session data, so they are found by
    decoding the live ones. (is_active=False already makes Django refuse them; this removes them.)"""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()
            ended += 1
    return ended


@transaction.atomic
def user_suspend(*, actor, user: User, reason: str = "") -> None:
    """API keys and JWTs of an inactive user are refused; refresh tokens and sessions are ended too."""
    User.objects.filter(pk=user.pk).update(is_active=False)
    user.is_active = False
    user_logout(refresh_token=None, user=user)
    _user_sessions_end(user)
    _log(actor, ModerationLog.Action.SUSPEND, "user", user.public_id, user.username, reason)


@transaction.atomic
def user_unsuspend(*, actor, user: User) -> None:
    User.objects.filter(pk=user.pk).update(is_active=True)
    user.is_active = True
    _log(actor, ModerationLog.Action.UNSUSPEND, "user", user.public_id, user.username)


def render_job_retry(*, actor, job: RenderJob) -> bool:
    """Puts a failed or cancelled job back on the queue. Returns False for jobs not in a final failed state."""
    with transaction.atomic():
        updated = RenderJob.objects.filter(
            pk=job.pk, status__in=[RenderJob.Status.FAILED, RenderJob.Status.CANCELLED]
        ).update(
            status=RenderJob.Status.QUEUED,
            error_code="",
            error_message="",
            progress=0,
            current_frame=0,
            completed_at=None,
            started_at=None,
        )
        if not updated:
            return False
        _log(actor, ModerationLog.Action.JOB_RETRY, "job", job.public_id, job.public_id)
    job.refresh_from_db()
    render_job_enqueue(job=job)
    return True
