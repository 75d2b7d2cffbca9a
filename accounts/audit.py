"""The audit log of organizations: who invited, removed, changed a role, created or revoked a key,
published, unpublished or changed billing. Services record; a person's own account keeps none."""

from __future__ import annotations

from accounts.models import AuditEvent, User


def record(*, account: User, actor: User | None, action: str, target: str = "", **data) -> AuditEvent | None:
    if not account.is_org:
        return None
    return AuditEvent.objects.create(
        org=account,
        actor=actor if actor is not None and actor.pk else None,
        actor_name=actor.username if actor is not None else "",
        action=action,
        target=target[:200],
        data=data,
    )
