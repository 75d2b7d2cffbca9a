"""Writes the website makes that span apps (each step is the owning app's service)."""

from __future__ import annotations

from django.db import transaction

from accounts import services as account_services
from billing.models import Subscription
from billing.stripe_billing import ACTIVE_STATUSES
from core.errors import Conflict
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
