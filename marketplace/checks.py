"""Start-up refusals for production that need the database (tagged ``database``: `migrate`, the
release step of every deploy, runs them, and so does `check --database default`; wsgi.py runs the
demo staff one before serving)."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.db import DatabaseError

from marketplace.demo import DEMO_STAFF_EMAIL, demo_staff_password


def is_production() -> bool:
    # The condition the settings use for production hardening (secure cookies by default).
    return not settings.DEBUG and settings.SITE_URL.startswith("https://")


@register(Tags.security, Tags.database)
def demo_staff_account_check(app_configs=None, databases=None, **kwargs) -> list[Error]:
    if not databases or not is_production():
        return []
    from accounts.models import User

    try:
        staff = User.objects.filter(email=DEMO_STAFF_EMAIL, is_staff=True).first()
    except DatabaseError:  # no tables yet: nothing to refuse
        return []
    if staff is None or not staff.check_password(demo_staff_password()):
        return []
    return [
        Error(
            f"The demo staff account {DEMO_STAFF_EMAIL} (created by `make run` / demo_data) exists with "
            "its demo password in production settings.",
            hint="Delete it, or give it a new password (`manage.py changepassword`), before serving.",
            id="marketplace.E001",
        )
    ]
