"""Reads for organizations."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import AuditEvent, Invitation, Membership, User


def orgs_of(*, user: User) -> QuerySet[Membership]:
    """The person's memberships, with their organizations, by name."""
    return (
        Membership.objects.select_related("org")
        .filter(user=user, org__is_active=True, org__kind=User.Kind.ORG)
        .order_by("org__username")
    )


def member_list(*, org: User) -> QuerySet[Membership]:
    return Membership.objects.select_related("user").filter(org=org).order_by("user__username")


def invitation_list_pending(*, org: User) -> QuerySet[Invitation]:
    return (
        Invitation.objects.select_related("invited_by")
        .filter(org=org, accepted_at=None, revoked_at=None, expires_at__gt=timezone.now())
        .order_by("-created_at")
    )


def audit_list(*, org: User, limit: int = 100, before: int | None = None) -> list[AuditEvent]:
    queryset = AuditEvent.objects.filter(org=org).order_by("-id")
    if before:
        queryset = queryset.filter(id__lt=before)
    return list(queryset[:limit])
