"""Custom domains: a Business account, its published template, and a local DNS server that the
verification asks (LOOPWIND_DNS_RESOLVER)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import tokens_for_user
from billing.services import plan_set
from domains.models import Domain
from templates_registry.services import template_publish
from tests.domains.dnsserver import LocalDns, SilentDns
from tests.templates_registry.helpers import example_files

TARGET = "cname.loopwind.test"


@pytest.fixture(autouse=True)
def _fresh_hosts():
    """Each process keeps the table of verified domains; tests start with none (and a cleared cache)."""
    from domains import hosts

    hosts._table = None
    yield
    hosts._table = None


@pytest.fixture(autouse=True)
def _domain_settings(settings):
    settings.SITE_URL = "https://loopwind.test"
    settings.LOOPWIND_DOMAIN_TARGET = TARGET
    settings.ALLOWED_HOSTS = ["loopwind.test", "127.0.0.1", "localhost", "testserver"]
    settings.DOMAIN_VERIFY_INTERVAL = 0  # tests verify again at once (test_verify_is_spaced_out sets it)


@pytest.fixture
def local_dns(settings):
    zone = LocalDns()
    settings.LOOPWIND_DNS_RESOLVER = [zone.start()]
    settings.LOOPWIND_DNS_TIMEOUT = 2.0
    yield zone
    zone.stop()


@pytest.fixture
def silent_dns(settings):
    server = SilentDns()
    settings.LOOPWIND_DNS_RESOLVER = [server.address]
    settings.LOOPWIND_DNS_TIMEOUT = 0.5
    yield server
    server.close()


def person(username: str, plan: str = "business") -> User:
    user = User.objects.create(username=username, email=f"{username}@example.com", name=username.title())
    if plan != "free":
        plan_set(user=user, code=plan)
        user.refresh_from_db()
    return user


def api_for(user: User, account: str | None = None) -> APIClient:
    client = APIClient()
    extra = {"HTTP_X_LOOPWIND_ACCOUNT": account} if account else {}
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for_user(user)['token']}", **extra)
    return client


@pytest.fixture
def biz(db) -> User:
    return person("brand")


@pytest.fixture
def biz_api(biz) -> APIClient:
    return api_for(biz)


@pytest.fixture
def biz_template(biz):
    return template_publish(user=biz, files=example_files("og-card")).template


def verified_domain(user: User, name: str = "og.example.com") -> Domain:
    """A verified domain without DNS (the routing tests)."""
    from django.utils import timezone

    from domains import hosts

    now = timezone.now()
    domain = Domain.objects.create(
        account=user, domain=name, status=Domain.Status.VERIFIED, verified_at=now, last_checked_at=now
    )
    hosts.forget(name)
    return domain


from tests.orgs.conftest import Team, team  # noqa: E402, F401  (alice owns acme, bob admin, carol member)
