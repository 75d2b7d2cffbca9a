"""JWT tampering beyond /api/me (tests/accounts/test_auth_api.py::TestJwtTampering covers the token
kinds there): each bad token × a spread of endpoints, writes and public reads included, is 401
``invalid_token`` and does nothing. A bad token on a public read is refused, not taken as anonymous."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from rendering.models import RenderJob
from tests.conftest import assert_error, bearer

pytestmark = pytest.mark.django_db


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def bad_tokens(user, other_user) -> dict[str, str]:
    claims = AccessToken.for_user(user).payload
    expired = AccessToken.for_user(user)
    expired.set_exp(lifetime=-timedelta(seconds=1))
    header, _, signature = str(AccessToken.for_user(user)).split(".")
    swapped = {**claims, "sub": other_user.public_id}
    wrong_issuer = {**claims, "iss": "https://evil.example"}
    return {
        "expired": str(expired),
        "forged": jwt.encode(claims, "not-our-secret-key-but-long-enough-0123456789", algorithm="HS256"),
        "alg_none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.",
        "swapped_sub": f"{header}.{_b64(swapped)}.{signature}",
        "refresh_as_access": str(RefreshToken.for_user(user)),
        "wrong_issuer": jwt.encode(wrong_issuer, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256"),
        "truncated": str(AccessToken.for_user(user))[:-5],
    }


ENDPOINTS = [
    ("GET", "/api/templates", None),  # public read: a bad token is refused, not ignored
    ("GET", "/api/templates/{u}/og-card", None),
    ("PATCH", "/api/templates/{u}/og-card", {"description": "pwned"}),
    ("POST", "/api/render", {"template": "{u}/og-card", "props": {"title": "x"}}),
    ("POST", "/api/render/async", {"template": "{u}/og-card", "props": {"title": "x"}, "format": "png"}),
    ("GET", "/api/keys", None),
    ("POST", "/api/keys", {"name": "stolen"}),
    ("GET", "/api/webhooks/secret", None),
    ("POST", "/api/render/signing-secret", None),
    ("GET", "/api/me/usage", None),
    ("POST", "/api/billing/checkout", {"plan": "pro"}),
]


def test_tampered_jwts_are_refused_everywhere(user, other_user, published):
    wrong = []
    for kind, token in bad_tokens(user, other_user).items():
        client = bearer(APIClient(), token)
        for method, path, body in ENDPOINTS:
            path = path.format(u=user.username)
            if body is not None:
                body = json.loads(json.dumps(body).replace("{u}", user.username))
            call = getattr(client, method.lower())
            response = call(path) if body is None else call(path, body, format="json")
            if response.status_code != 401:
                wrong.append((kind, method, path, response.status_code, response.content[:120]))
            else:
                assert_error(response, 401)
    assert not wrong, "\n".join(map(str, wrong))
    # nothing happened
    assert not user.api_keys.exists() and not other_user.api_keys.exists()
    assert not RenderJob.objects.exists()
    assert published["og-card"].__class__.objects.get(pk=published["og-card"].pk).description != "pwned"


def test_a_deactivated_users_token_stops_working(user, user_api):
    assert user_api.get("/api/keys").status_code == 200
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert_error(user_api.get("/api/keys"), 401)
    assert_error(user_api.post("/api/render", {"template": "x/y"}, format="json"), 401)
