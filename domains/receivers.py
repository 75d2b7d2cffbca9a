"""An account suspended, reinstated, deleted or deactivated (an organization deleted): its verified
domains stop (or start again) serving at once on every process, not after the Host table's TTL."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.events import account_changed
from accounts.models import User
from domains import hosts, services
from domains.models import Domain


def _forget_if_serving(user_id: int | None) -> None:
    if (
        user_id is not None
        and Domain.objects.filter(account_id=user_id, status=Domain.Status.VERIFIED).exists()
    ):
        hosts.forget()


@receiver(account_changed, dispatch_uid="domains.account_changed")
def account_changed_forget(sender, user_id: int, **kwargs) -> None:
    services.domains_plan_enforce(account_id=user_id)  # a downgrade to a plan without domains
    _forget_if_serving(user_id)


@receiver(post_save, sender=User, dispatch_uid="domains.user_saved")
def user_saved_forget(sender, instance: User, update_fields=None, **kwargs) -> None:
    if update_fields is not None and "is_active" not in update_fields and "username" not in update_fields:
        return  # a last-login stamp and the like: no query
    _forget_if_serving(instance.pk)


@receiver(post_delete, sender=User, dispatch_uid="domains.user_deleted")
def user_deleted_forget(sender, instance: User, **kwargs) -> None:
    hosts.forget()  # its domains went with it (CASCADE); cheap, and deletions are rare
