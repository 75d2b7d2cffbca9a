"""A password reset, a password change and "sign out everywhere" end every session the account
had: its refresh tokens are refused (with the error JSON) and its website sessions are signed out."""

import re

import pytest
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from accounts.services import tokens_for_user
from tests.conftest import PASSWORD, assert_error, bearer
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a brand new passphrase 987"


def signed_in_site(user) -> Client:
    client = Client()
    client.force_login(user)
    assert client.get("/dashboard").status_code == 200
    return client


def assert_signed_out(client: Client) -> None:
    response = client.get("/dashboard")
    assert response.status_code == 302 and response["Location"].startswith("/login"), response


def assert_refresh_refused(refresh_token: str) -> None:
    response = APIClient().post("/api/auth/refresh", {"refreshToken": refresh_token}, format="json")
    assert_error(response, 401, "invalid_refresh_token")


def test_password_reset_revokes_refresh_tokens_and_sessions():
    user = UserFactory(password=PASSWORD)
    old = tokens_for_user(user)
    site = signed_in_site(user)

    browser = Client()
    browser.post("/account/password-reset", {"email": user.email})
    link = re.search(r"https?://\S+?(/account/reset/\S+)", mail.outbox[0].body).group(1)
    form_page = browser.get(link, follow=True)
    response = browser.post(
        form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response["Location"] == "/account/reset/done"

    assert_refresh_refused(old["refreshToken"])
    assert_signed_out(site)


def test_password_change_revokes_refresh_tokens_and_other_sessions():
    user = UserFactory(password=PASSWORD, is_staff=True)
    old = tokens_for_user(user)
    changing, other = signed_in_site(user), signed_in_site(user)

    response = changing.post(
        "/admin/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302, response.content[:500]

    assert_refresh_refused(old["refreshToken"])
    assert_signed_out(other)
    assert changing.get("/dashboard").status_code == 200  # the session that changed it stays


def test_sign_out_everywhere_revokes_refresh_tokens_and_sessions():
    user = UserFactory(password=PASSWORD)
    old, current = tokens_for_user(user), tokens_for_user(user)
    site = signed_in_site(user)

    response = bearer(APIClient(), current["token"]).post("/api/auth/logout", {}, format="json")
    assert response.status_code == 204

    assert_refresh_refused(old["refreshToken"])
    assert_refresh_refused(current["refreshToken"])
    assert_signed_out(site)
