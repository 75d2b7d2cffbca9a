"""Access tokens do not outlive "sign out everywhere", a password change or a suspension: each
bumps the account's token generation and access tokens issued under an older one get 401."""

import pytest
from rest_framework.test import APIClient

from accounts import moderation
from accounts.services import tokens_for_user
from tests.conftest import PASSWORD, assert_error, bearer
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def me(token: str):
    return bearer(APIClient(), token).get("/api/me")


def test_sign_out_everywhere_refuses_outstanding_access_tokens():
    user = UserFactory(password=PASSWORD)
    other_session = tokens_for_user(user)["token"]
    current = tokens_for_user(user)["token"]
    assert me(other_session).status_code == 200

    assert bearer(APIClient(), current).post("/api/auth/logout", {}, format="json").status_code == 204

    assert_error(me(other_session), 401, "token_revoked")
    assert_error(me(current), 401, "token_revoked")
    user.refresh_from_db()
    assert me(tokens_for_user(user)["token"]).status_code == 200  # signing in again works


def test_password_change_refuses_outstanding_access_tokens():
    user = UserFactory(password=PASSWORD)
    token = tokens_for_user(user)["token"]
    user.set_password("a brand new passphrase 987")
    user.save()
    assert_error(me(token), 401, "token_revoked")


def test_suspension_refuses_outstanding_access_tokens():
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    user = UserFactory(password=PASSWORD)
    token = tokens_for_user(user)["token"]
    moderation.user_suspend(actor=admin_user, user=user, reason="abuse")
    moderation.user_unsuspend(actor=admin_user, user=user)
    assert_error(me(token), 401, "token_revoked")  # lifting the suspension does not revive it


def test_a_logged_in_request_costs_no_extra_query(django_assert_max_num_queries):
    user = UserFactory(password=PASSWORD)
    client = bearer(APIClient(), tokens_for_user(user)["token"])
    client.get("/api/me")
    with django_assert_max_num_queries(1):  # the user row the JWT names, nothing else
        assert client.get("/api/me").status_code == 200


def test_a_password_hash_upgrade_at_sign_in_revokes_nothing():
    from django.contrib.auth.hashers import make_password

    user = UserFactory(password=PASSWORD)
    user.password = make_password(PASSWORD, hasher="scrypt")  # an older hasher: upgraded at sign-in
    user.save(update_fields=["password"])
    user.refresh_from_db()
    token = tokens_for_user(user)["token"]
    response = APIClient().post("/api/auth/login", {"email": user.email, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.password.startswith("pbkdf2_")
    assert me(token).status_code == 200
