"""Demo data for `make run`: a demo user with an API key, a staff account for /admin, and the
official example templates (loopwind/templates/) published under the `loopwind` user.

Idempotent: running it again creates nothing new. The demo credentials are derived from
SECRET_KEY (HMAC), so the same key and password are printed on every run without being
stored anywhere in plain text."""

import hashlib
import hmac
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts import keyformat, services
from accounts.models import API_KEY_SCOPES, ApiKey, User
from loopwind import engine
from loopwind.bundlefiles import is_template_folder
from templates_registry.models import Template
from templates_registry.services import template_publish

EXAMPLES = Path(engine.__file__).resolve().parent.parent / "templates"


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

        official = self._user("official@loopwind.dev", "loopwind", "loopwind", None, staff=False)
        if official.plan != "business":
            official.plan = "business"
            official.save(update_fields=["plan"])
        published = self._publish_examples(official)

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
            + f"  Templates:     {', '.join(published)}\n"
        )

    def _publish_examples(self, official: User) -> list[str]:
        """Publishes each example once; a changed example becomes its next patch version."""
        slugs = []
        for folder in sorted(p for p in EXAMPLES.iterdir() if is_template_folder(p)):
            bundle = engine.load_bundle(folder)
            template = (
                Template.objects.filter(owner=official, name=bundle.name)
                .select_related("latest_version")
                .first()
            )
            if (
                template is None
                or template.latest_version is None
                or template.latest_version.checksum != bundle.checksum
            ):
                template_publish(user=official, files=dict(bundle.files))
                if template is None:  # featured on first publish only: staff may unfeature them later
                    Template.objects.filter(owner=official, name=bundle.name).update(featured=True)
            slugs.append(f"loopwind/{bundle.name}")
        return slugs

    def _user(self, email: str, username: str, name: str, password: str, *, staff: bool) -> User:
        user = User.objects.filter(email=email).first()
        if user is None:
            # Created directly, not through user_register: "admin" and "loopwind" are reserved for sign-up.
            user = User.objects.create_user(email, username, password, name=name)
        if password is None:  # the official account never signs in with a password
            return user
        if staff and not (user.is_staff and user.is_superuser):
            user.is_staff = user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
        if not user.check_password(password):  # SECRET_KEY changed since the last run
            user.set_password(password)
            user.save(update_fields=["password"])
        return user
