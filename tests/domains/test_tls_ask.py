"""Caddy's on-demand TLS ask: 200 only for verified domains, only for the proxy."""

from __future__ import annotations

import pytest

from domains.models import Domain
from tests.domains.conftest import person, verified_domain

pytestmark = pytest.mark.django_db
URL = "/internal/tls-ask"


def test_verified_domains_only(client, db):
    owner = person("brand")
    verified_domain(owner, "og.example.com")
    Domain.objects.create(account=owner, domain="pending.example.com")
    assert client.get(URL, {"domain": "og.example.com"}).status_code == 200
    assert client.get(URL, {"domain": "OG.example.com."}).status_code == 200
    assert client.get(URL, {"domain": "pending.example.com"}).status_code == 404
    assert client.get(URL, {"domain": "loopwind.test"}).status_code == 404
    assert client.get(URL).status_code == 404


def test_forwarded_requests_and_strangers_are_refused(client, db):
    verified_domain(person("brand"), "og.example.com")
    forwarded = client.get(URL, {"domain": "og.example.com"}, HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert forwarded.status_code == 403
    assert client.get(URL, {"domain": "og.example.com"}, REMOTE_ADDR="198.51.100.1").status_code == 403


def test_a_token_lets_a_remote_proxy_ask(client, settings, db):
    settings.LOOPWIND_TLS_ASK_TOKEN = "s3cret-token"
    verified_domain(person("brand"), "og.example.com")
    remote = {"REMOTE_ADDR": "198.51.100.1"}
    assert client.get(URL, {"domain": "og.example.com", "token": "s3cret-token"}, **remote).status_code == 200
    assert (
        client.get(
            URL, {"domain": "og.example.com"}, HTTP_X_LOOPWIND_TOKEN="s3cret-token", **remote
        ).status_code
        == 200
    )
    assert client.get(URL, {"domain": "og.example.com", "token": "wrong"}, **remote).status_code == 403
