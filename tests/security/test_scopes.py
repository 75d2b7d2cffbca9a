"""Scope matrix: an API key holding one scope × every authenticated endpoint.

A key without the endpoint's scope gets 403 ``insufficient_scope`` naming the scope it needs; a key
with it gets past the check (whatever the endpoint then answers, never that 403). A JWT holds every
scope (tests/accounts covers it).
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import API_KEY_SCOPES
from accounts.services import api_key_create
from tests.conftest import assert_error, bearer

pytestmark = pytest.mark.django_db

RR, RW, TR, TW, KM = "render:read", "render:write", "templates:read", "templates:write", "keys:manage"
TEMPLATE = {"template": "{u}/{pub}", "props": {"title": "x"}}

# (method, path, body, scope needed); destructive calls last.
ENDPOINTS = [
    ("GET", "/api/me", None, None),
    ("PATCH", "/api/me", {"bio": "hi"}, KM),
    ("GET", "/api/keys", None, KM),
    ("POST", "/api/keys", {"name": "k2"}, KM),
    ("GET", "/api/me/usage", None, RR),
    ("POST", "/api/billing/checkout", {"plan": "pro"}, KM),
    ("POST", "/api/billing/portal", None, KM),
    ("GET", "/api/templates", None, TR),
    ("GET", "/api/templates/{u}/{pub}", None, TR),
    ("PATCH", "/api/templates/{u}/{pub}", {"description": "d"}, TW),
    ("GET", "/api/templates/{u}/{pub}/versions", None, TR),
    ("PATCH", "/api/templates/{u}/{pub}/versions/1.0.0", {"deprecated": "old"}, TW),
    ("GET", "/api/templates/{u}/{pub}/download", None, TR),
    ("POST", "/api/templates/{u}/{pub}/star", None, TW),
    ("DELETE", "/api/templates/{u}/{pub}/star", None, TW),
    ("GET", "/api/users/{u}", None, TR),
    ("GET", "/api/me/templates", None, TR),
    ("POST", "/api/templates/publish", None, TW),
    ("POST", "/api/render", TEMPLATE, RW),
    ("POST", "/api/render/sign", TEMPLATE, RW),
    ("POST", "/api/render/async", {**TEMPLATE, "format": "png"}, RW),
    ("GET", "/api/render/{job}", None, RR),
    ("GET", "/api/render/{job}/events", None, RR),
    ("GET", "/api/render/batch/{batch}", None, RR),
    ("GET", "/api/render/batch/{batch}/events", None, RR),
    ("GET", "/api/render/batch/{batch}/zip", None, RR),
    ("GET", "/api/render/batch/{batch}/manifest.csv", None, RR),
    ("POST", "/api/render/batch/{batch}/cancel", None, RW),
    ("GET", "/api/webhooks/deliveries", None, RR),
    ("POST", "/api/webhooks/deliveries/{delivery}/redeliver", None, RW),
    # Secrets are account-level: a render key that could read the webhook secret could forge webhooks
    # to its owner (issue 22, item 11), and rotating the signing secret breaks every signed URL.
    ("GET", "/api/webhooks/secret", None, KM),
    ("POST", "/api/webhooks/secret", None, KM),
    ("POST", "/api/render/signing-secret", None, KM),
    ("POST", "/api/auth/logout", {}, KM),  # every session of the owner
    ("DELETE", "/api/render/{job}", None, RW),
    ("DELETE", "/api/keys/{key}", None, KM),
    ("DELETE", "/api/templates/{u}/{priv}", None, TW),
]


def test_every_scope_is_in_the_matrix():
    assert {scope for *_, scope in ENDPOINTS} - {None} == set(API_KEY_SCOPES)


def _fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.parametrize("scope", sorted(API_KEY_SCOPES))
def test_scope_matrix(scope, objects, user):
    _, raw = api_key_create(user=user, name=f"only {scope}", scopes=[scope])
    client = bearer(APIClient(), raw)
    wrong = []
    for method, path, body, needed in ENDPOINTS:
        call = getattr(client, method.lower())
        url = _fill(path, objects)
        response = call(url) if body is None else call(url, _fill(body, objects), format="json")
        refused = response.status_code == 403 and response.json()["error"]["code"] == "insufficient_scope"
        if needed is None or needed == scope:
            # past the scope check; billing is off in tests, so its endpoints then say 503 billing_disabled
            failed = response.status_code >= 500 and b"billing_disabled" not in response.content
            if refused or response.status_code == 401 or failed:
                wrong.append((method, url, needed, response.status_code, response.content[:160]))
        else:
            if not refused:
                wrong.append((method, url, needed, response.status_code, response.content[:160]))
            else:
                assert assert_error(response, 403)["details"]["requiredScope"] == needed
    assert not wrong, "\n".join(map(str, wrong))
