"""Demo data for `make run`: a demo user with an API key, a staff account for /admin, and the
official templates (loopwind/templates/) published under the `loopwind` user, a few of them featured.

Idempotent: running it again creates nothing new. The demo credentials are derived from
SECRET_KEY (HMAC), so the same key and password are printed on every run without being
stored anywhere in plain text.

The first run publishes every official template (each publish renders its preview, the videos a
whole MP4): about a minute on two cores; later runs compare checksums and publish nothing.
``--templates og-card,quote-card`` publishes only those (tests that need one or two)."""

import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts import keyformat, services
from accounts.models import API_KEY_SCOPES, ApiKey, User
from loopwind import engine
from loopwind.bundlefiles import is_template_folder
from marketplace import demo
from templates_registry.models import Template
from templates_registry.services import template_publish

EXAMPLES = Path(engine.__file__).resolve().parent.parent / "templates"
# The home page's featured row on a fresh install: one of each kind, images and videos; staff change it
# in the admin (Templates → action "Feature on the home page").
FEATURED = (
    "product-launch",
    "github-repo",
    "post-card",
    "product-promo",
    "certificate",
    "quote-arabic",
    "kinetic-typography",
    "sale-banner-ja",
)


class Command(BaseCommand):
    help = "Create the demo user, its API key, a staff account and the official templates (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--templates",
            default="",
            help="Comma-separated official template names to publish (default: all of them).",
        )

    @transaction.atomic
    def handle(self, *args, **options):
        demo_password = demo.demo_password("demo-password")
        staff_password = demo.demo_staff_password()
        demo_user = self._user("demo@loopwind.dev", "demo", "Demo User", demo_password, staff=False)
        # Local only: a production start refuses while this account has this password (marketplace/checks.py).
        self._user(demo.DEMO_STAFF_EMAIL, "admin", "loopwind staff", staff_password, staff=True)

        official = self._user("official@loopwind.dev", "loopwind", "loopwind", None, staff=False)
        if official.plan != "business":
            official.plan = "business"
            official.save(update_fields=["plan"])
        only = {name.strip() for name in options["templates"].split(",") if name.strip()}
        started = time.monotonic()
        published, new = self._publish_examples(official, only=only)
        seconds = time.monotonic() - started

        raw_key = keyformat.generate_key(keyformat.base62_from_bytes(demo.demo_secret("demo-api-key")))
        if not ApiKey.objects.filter(key_hash=keyformat.hash_key(raw_key)).exists():
            services.api_key_create(
                user=demo_user, name="Demo key", scopes=list(API_KEY_SCOPES), raw_key=raw_key
            )

        site = settings.SITE_URL
        self.stdout.write(
            self.style.SUCCESS("\nloopwind demo data is ready\n")
            + f"  Site:          {site}/\n"
            + f"  API docs:      {site}/api/docs\n"
            + f"  Demo user:     demo@loopwind.dev / {demo_password}\n"
            + f"  Demo API key:  {raw_key}\n"
            + f"  Staff (admin): {demo.DEMO_STAFF_EMAIL} / {staff_password}  ->  {site}/admin/ (local only)\n"
            + f'  Try:           curl -H "Authorization: Bearer {raw_key}" {site}/api/me\n'
            + f"  Templates:     {len(published)} official templates under {site}/loopwind"
            + (f" ({new} published in {seconds:.0f} s)\n" if new else " (up to date)\n")
        )

    def _publish_examples(self, official: User, *, only: set[str]) -> tuple[list[str], int]:
        """Publishes each example once; a changed example becomes its next patch version.
        Returns the slugs and how many were published now."""
        slugs, new = [], 0
        folders = sorted(p for p in EXAMPLES.iterdir() if is_template_folder(p))
        unknown = only - {folder.name for folder in folders}
        if unknown:
            raise CommandError(f"No official template named {', '.join(sorted(unknown))}.")
        for folder in folders:
            if only and folder.name not in only:
                continue
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
                new += 1
                if template is None and bundle.name in FEATURED:  # first publish only: staff decide later
                    Template.objects.filter(owner=official, name=bundle.name).update(featured=True)
            slugs.append(f"loopwind/{bundle.name}")
        return slugs, new

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
