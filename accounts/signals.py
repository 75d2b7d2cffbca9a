"""simplejwt's blacklist app keeps each refresh token's full text next to its jti. Only the jti
is ever needed (blacklisting and the blacklist check go by jti), and the text is a live
credential, so it is dropped before the row is written: a database leak yields no session."""

from django.db.models.signals import pre_save
from django.dispatch import receiver
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.models import User, password_changed
from accounts.services import user_password_changed


@receiver(pre_save, sender=OutstandingToken)
def drop_refresh_token_text(sender, instance: OutstandingToken, **kwargs) -> None:
    instance.token = ""


@receiver(password_changed, sender=User)
def revoke_after_password_change(sender, user: User, **kwargs) -> None:
    user_password_changed(user=user)
