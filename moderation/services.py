"""Writes of moderation's own records. The actions that call them live with what they act on."""

from __future__ import annotations

from django.utils import timezone

from moderation.models import ModerationLog, TemplateViolation

Action = ModerationLog.Action


def moderation_log(
    *, actor, action: str, target_type: str, target_id: str, label: str, reason: str = ""
) -> None:
    """Appends one staff action to the log (``actor`` None for the system)."""
    ModerationLog.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_label=label[:120],
        reason=reason,
    )


def violation_mark(*, template_id: int, reason: str, actor) -> TemplateViolation:
    violation, _ = TemplateViolation.objects.update_or_create(
        template_id=template_id,
        defaults={"reason": reason, "created_by": actor, "created_at": timezone.now()},
    )
    return violation


def violation_clear(*, template_id: int) -> None:
    TemplateViolation.objects.filter(template_id=template_id).delete()
