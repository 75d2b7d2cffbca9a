"""Writes the website makes that span apps (each step is the owning app's service)."""

from __future__ import annotations

from django.db import transaction

from accounts import services as account_services
from accounts.models import Membership, Role, User
from billing.models import Subscription
from billing.stripe_billing import ACTIVE_STATUSES
from core.errors import ApiError, Conflict
from templates_registry import selectors as registry
from templates_registry.services import template_unpublish


class SubscriptionActive(Conflict):
    code = "subscription_active"
    message = (
        "Your paid subscription is still active: cancel it on the Usage & billing page (Manage billing) "
        "first, so nothing is charged to a deleted account."
    )


def account_delete_allowed_or_raise(*, user) -> None:
    subscription = Subscription.objects.filter(user=user).first()
    if (
        subscription is not None
        and subscription.stripe_subscription_id
        and subscription.status in ACTIVE_STATUSES
    ):
        raise SubscriptionActive()
    sole = sole_owner_of(user=user)
    if sole:
        raise ApiError(
            f"You are the only owner of {', '.join(sole)}: make someone else owner, or delete "
            f"{'it' if len(sole) == 1 else 'them'}, first.",
            code="last_owner",
            status=409,
            details={"orgs": sole},
        )


def sole_owner_of(*, user) -> list[str]:
    """The organizations that would be left without an owner if ``user`` went."""
    owned = Membership.objects.filter(user=user, role=Role.OWNER, org__is_active=True).values_list(
        "org_id", flat=True
    )
    others = (
        Membership.objects.filter(org_id__in=owned, role=Role.OWNER)
        .exclude(user=user)
        .values_list("org_id", flat=True)
    )
    return list(
        User.objects.filter(pk__in=owned)
        .exclude(pk__in=others)
        .order_by("username")
        .values_list("username", flat=True)
    )


@transaction.atomic
def account_delete(*, user) -> None:
    """Deleting an account: its API keys are revoked first, every token and session ends, the
    profile is emptied and sign-in closed (accounts.user_deactivate); then its templates are
    unpublished (404 for everyone, renders included). The username stays taken, so nobody can
    publish under the deleted account's template slugs. Refused while a paid subscription is active."""
    account_delete_allowed_or_raise(user=user)
    account_services.user_deactivate(user=user)
    for template in registry.user_templates(owner=user, include_private=True):
        template_unpublish(template=template)
