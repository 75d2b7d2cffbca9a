"""Demo data for `make run`: a demo user with an API key and a staff account for /admin.

Idempotent: running it again creates nothing new. The demo credentials are derived from
SECRET_KEY (HMAC), so the same key and password are printed on every run without being
stored anywhere in plain text."""

import hashlib
import hmac

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts import keyformat, services
from accounts.models import API_KEY_SCOPES, ApiKey, User


def _derived(label: str) -> bytes:
    return hmac.new(settings.SECRET_KEY.encode(), f"loopwind-demo:{label}".encode(), hashlib.sha256).digest()


class Command(BaseCommand):
    help = "Create the demo user, its API key and a staff account (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        demo_password = keyformat.base62_from_bytes(_derived("demo-password"), 20)
        staff_password = keyformat.base62_from_bytes(_derived("staff-password"), 20)
        demo = self._user("demo@loopwind.dev", "demo", "Demo User", demo_password, staff=False)
        self._user("admin@loopwind.dev", "admin", "loopwind staff", staff_password, staff=True)

        raw_key = keyformat.generate_key(keyformat.base62_from_bytes(_derived("demo-api-key")))
        if not ApiKey.objects.filter(key_hash=keyformat.hash_key(raw_key)).exists():
            services.api_key_create(user=demo, name="Demo key", scopes=list(API_KEY_SCOPES), raw_key=raw_key)

        site = settings.SITE_URL
        self.stdout.write(
            self.style.SUCCESS("\nloopwind demo data is ready\n")
            + f"  Site:          {site}/\n"
            + f"  API docs:      {site}/api/docs\n"
            + f"  Demo user:     demo@loopwind.dev / {demo_password}\n"
            + f"  Demo API key:  {raw_key}\n"
            + f"  Staff (admin): admin@loopwind.dev / {staff_password}  ->  {site}/admin/\n"
            + f'  Try:           curl -H "Authorization: Bearer {raw_key}" {site}/api/me\n'
        )

    def _user(self, email: str, username: str, name: str, password: str, *, staff: bool) -> User:
        user = User.objects.filter(email=email).first()
        if user is None:
            # Created directly, not through user_register: "admin" is a reserved username for sign-up.
            user = User.objects.create_user(email, username, password, name=name)
        if staff and not (user.is_staff and user.is_superuser):
            user.is_staff = user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
        if not user.check_password(password):  # SECRET_KEY changed since the last run
            user.set_password(password)
            user.save(update_fields=["password"])
        return user
