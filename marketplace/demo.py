"""The demo accounts of `make run` (management command demo_data). Local only: their credentials
are derived from SECRET_KEY and printed on every run, and the staff address is well known, so a
production start refuses while the demo staff account still has its demo password
(marketplace/checks.py)."""

import hashlib
import hmac

from django.conf import settings

from accounts import keyformat

DEMO_STAFF_EMAIL = "admin@loopwind.dev"


def demo_secret(label: str) -> bytes:
    return hmac.new(settings.SECRET_KEY.encode(), f"loopwind-demo:{label}".encode(), hashlib.sha256).digest()


def demo_password(label: str) -> str:
    return keyformat.base62_from_bytes(demo_secret(label), 20)


def demo_staff_password() -> str:
    return demo_password("staff-password")
