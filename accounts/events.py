"""``account_changed``: what an account may do has changed (suspended or reinstated, another plan).
Sent by the code that changes it — moderation, billing's plan changes and the Stripe sync, which
write with ``.update()`` and so send no model signals — and received here to forget the account's
entries in the shared hot-path cache (core.hotcache: API keys, templates, signer secrets)."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver

from accounts.models import ApiKey, User
from core import hotcache

account_changed = Signal()  # sender: the sending module's name; user_id=…


@receiver(account_changed, dispatch_uid="accounts.forget_changed_account")
def forget_changed_account(sender, user_id: int, **kwargs) -> None:
    hotcache.forget(user_id)


@receiver(post_save, sender=User, dispatch_uid="accounts.forget_saved_user")
@receiver(post_delete, sender=User, dispatch_uid="accounts.forget_deleted_user")
def forget_saved_user(sender, instance: User, **kwargs) -> None:
    hotcache.forget(instance.pk)


@receiver(post_save, sender=ApiKey, dispatch_uid="accounts.forget_saved_key")
@receiver(post_delete, sender=ApiKey, dispatch_uid="accounts.forget_deleted_key")
def forget_saved_key(sender, instance: ApiKey, **kwargs) -> None:
    hotcache.forget(instance.user_id)
