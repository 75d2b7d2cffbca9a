"""CLI device login (RFC 8628 style): start, approve or deny on /device, poll for tokens."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import DeviceAuthorization
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db


def start(api):
    response = api.post("/api/auth/device", {"clientName": "loopwind CLI 0.1"}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def poll(api, device_code):
    return api.post("/api/auth/device/token", {"deviceCode": device_code}, format="json")


def test_start_returns_the_rfc8628_fields(api):
    grant = start(api)
    assert set(grant) == {
        "deviceCode",
        "userCode",
        "verificationUri",
        "verificationUriComplete",
        "expiresIn",
        "interval",
    }
    assert grant["expiresIn"] == 600 and grant["interval"] >= 1
    assert grant["verificationUri"].endswith("/device")
    assert grant["verificationUriComplete"].endswith(f"/device?code={grant['userCode']}")
    assert len(grant["userCode"]) == 9 and grant["userCode"][4] == "-"
    # the device code is stored hashed only
    assert not DeviceAuthorization.objects.filter(device_code_hash=grant["deviceCode"]).exists()


def test_approve_in_the_browser_then_tokens_once(api, client, user):
    grant = start(api)
    assert_error(poll(api, grant["deviceCode"]), 400, "authorization_pending")

    client.force_login(user)
    page = client.get(f"/device?code={grant['userCode']}")
    assert page.status_code == 200 and grant["userCode"] in page.content.decode()
    done = client.post("/device", {"code": grant["userCode"].lower(), "decision": "approve"})
    assert done.status_code == 200 and "signed in" in done.content.decode()

    DeviceAuthorization.objects.update(last_polled_at=None)
    response = poll(api, grant["deviceCode"])
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["user"]["id"] == user.public_id and body["token"] and body["refreshToken"]
    assert api.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {body['token']}").status_code == 200
    # works once
    assert_error(poll(api, grant["deviceCode"]), 400, "expired_token")


def test_deny(api, client, user):
    grant = start(api)
    client.force_login(user)
    client.post("/device", {"code": grant["userCode"], "decision": "deny"})
    assert_error(poll(api, grant["deviceCode"]), 400, "access_denied")


def test_polling_too_fast_slows_down(api):
    grant = start(api)
    assert_error(poll(api, grant["deviceCode"]), 400, "authorization_pending")
    error = assert_error(poll(api, grant["deviceCode"]), 400, "slow_down")
    assert error["details"]["interval"] == grant["interval"] + 5


def test_expired_codes(api, client, user):
    grant = start(api)
    DeviceAuthorization.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_error(poll(api, grant["deviceCode"]), 400, "expired_token")
    client.force_login(user)
    response = client.post("/device", {"code": grant["userCode"], "decision": "approve"}, follow=True)
    assert "expired" in response.content.decode()
    assert DeviceAuthorization.objects.get().status == "pending"


def test_unknown_device_code_and_bad_bodies(api):
    assert_error(poll(api, "nope"), 400, "invalid_grant")
    assert_error(api.post("/api/auth/device/token", {}, format="json"), 400, "validation_error")
    assert_error(api.post("/api/auth/device/token", {"deviceCode": ["x"]}, format="json"), 400)


def test_device_page_requires_sign_in(client):
    response = client.get("/device?code=BCDF-GHJK")
    assert response.status_code == 302 and response["Location"].startswith("/login")


def test_device_page_rejects_unknown_code(client, user):
    client.force_login(user)
    response = client.post("/device", {"code": "ZZZZ-ZZZZ", "decision": "approve"}, follow=True)
    assert "unknown" in response.content.decode()


def test_device_approval_needs_csrf(api, user):
    from django.test import Client

    grant = start(api)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    response = browser.post("/device", {"code": grant["userCode"], "decision": "approve"})
    assert response.status_code == 403
    assert DeviceAuthorization.objects.get().status == "pending"
