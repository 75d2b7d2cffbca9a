"""Writes the website makes that span apps (each step is the owning app's service)."""

from __future__ import annotations

from django.db import transaction

from accounts import services as account_services
from templates_registry import selectors as registry
from templates_registry.services import template_unpublish


@transaction.atomic
def account_delete(*, user) -> None:
    """Deleting an account: its API keys are revoked first, every token and session ends, the
    profile is emptied and sign-in closed (accounts.user_deactivate); then its templates are
    unpublished (404 for everyone, renders included). The username stays taken, so nobody can
    publish under the deleted account's template slugs."""
    account_services.user_deactivate(user=user)
    for template in registry.user_templates(owner=user, include_private=True):
        template_unpublish(template=template)
