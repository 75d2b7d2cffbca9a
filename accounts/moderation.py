"""Staff moderation of users: suspend and reinstate. Each action is written to the ModerationLog."""

from __future__ import annotations

from django.db import transaction

from accounts.events import account_changed
from accounts.models import User
from accounts.services import user_sign_out_everywhere
from moderation.services import Action, moderation_log


@transaction.atomic
def user_suspend(*, actor, user: User, reason: str = "") -> None:
    """API keys and JWTs of an inactive user are refused; refresh tokens and sessions are ended too."""
    User.objects.filter(pk=user.pk).update(is_active=False)
    user.is_active = False
    account_changed.send(sender=__name__, user_id=user.pk)
    user_sign_out_everywhere(user=user)
    moderation_log(actor=actor, action=Action.SUSPEND, target_type="user", target_id=user.public_id,
                   label=user.username, reason=reason)  # fmt: skip


@transaction.atomic
def user_unsuspend(*, actor, user: User) -> None:
    User.objects.filter(pk=user.pk).update(is_active=True)
    user.is_active = True
    account_changed.send(sender=__name__, user_id=user.pk)
    moderation_log(actor=actor, action=Action.UNSUSPEND, target_type="user", target_id=user.public_id,
                   label=user.username)  # fmt: skip
