"""register, login, refresh, logout and /api/me, with the bad input each must refuse."""

import base64
import json
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from tests.conftest import PASSWORD, assert_error, bearer

pytestmark = pytest.mark.django_db


def register(api, **overrides):
    body = {"email": "Ada@Example.com", "password": PASSWORD, "name": "Ada Lovelace", **overrides}
    return api.post("/api/auth/register", body, format="json")


def login(api, email, password=PASSWORD):
    return api.post("/api/auth/login", {"email": email, "password": password}, format="json")


class TestRegister:
    def test_creates_the_user_and_returns_a_token(self, api):
        response = register(api)
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["user"]["email"] == "ada@example.com"
        assert body["user"]["username"] == "ada"
        assert body["user"]["id"].startswith("usr_")
        assert body["user"]["avatarUrl"] == ""
        assert "createdAt" in body["user"]
        assert body["token"] and body["refreshToken"]
        user = User.objects.get(email="ada@example.com")
        assert user.name == "Ada Lovelace" and user.check_password(PASSWORD)
        assert bearer(api, body["token"]).get("/api/me").json()["username"] == "ada"

    def test_username_derived_from_email_is_made_unique(self, api):
        assert register(api).status_code == 201
        second = register(api, email="ada@elsewhere.org")
        assert second.status_code == 201
        username = second.json()["user"]["username"]
        assert username.startswith("ada-") and username != "ada"

    def test_odd_email_local_part_gives_a_valid_username(self, api):
        response = register(api, email="J.Doe+news@example.com")
        assert response.json()["user"]["username"] == "j-doe-news"

    def test_email_is_unique_whatever_its_case(self, api):
        assert register(api).status_code == 201
        assert_error(register(api, email="ADA@example.COM"), 409, "email_taken")
        assert User.objects.count() == 1

    def test_chosen_username(self, api):
        assert register(api, username="Lovelace").json()["user"]["username"] == "lovelace"
        assert_error(register(api, email="b@example.com", username="lovelace"), 409, "username_taken")

    @pytest.mark.parametrize(
        "username", ["api", "admin", "static", "i", "device", "templates", "-ada", "a", "a_b"]
    )
    def test_reserved_or_malformed_usernames_are_refused(self, api, username):
        error = assert_error(register(api, username=username), 400, "invalid_username")
        assert "username" in error["details"]["fields"]
        assert not User.objects.exists()

    @pytest.mark.parametrize("password", ["short", "password123", "12345678901", "ada@example.com"])
    def test_weak_passwords_are_refused_by_djangos_validators(self, api, password):
        error = assert_error(register(api, password=password), 400, "weak_password")
        assert error["details"]["fields"]["password"]
        assert not User.objects.exists()

    @pytest.mark.parametrize(
        "body, field",
        [
            ({"password": PASSWORD}, "email"),
            ({"email": "ada@example.com"}, "password"),
            ({"email": "not-an-email", "password": PASSWORD}, "email"),
            ({"email": ["ada@example.com"], "password": PASSWORD}, "email"),
            ({"email": "ada@example.com", "password": {"x": 1}}, "password"),
            (
                {"email": "ada@example.com", "password": PASSWORD, "name": 12345},
                "name",
            ),  # not coerced to "12345"
        ],
    )
    def test_missing_fields_and_wrong_types(self, api, body, field):
        response = api.post("/api/auth/register", body, format="json")
        error = assert_error(response, 400, "validation_error")
        assert field in error["details"]["fields"]
        assert error["message"].startswith(field)

    def test_malformed_json(self, api):
        response = api.generic(
            "POST", "/api/auth/register", '{"email": "a@b.c", ', content_type="application/json"
        )
        assert_error(response, 400, "malformed_json")

    def test_json_that_is_not_an_object(self, api):
        response = api.generic("POST", "/api/auth/register", "[1, 2]", content_type="application/json")
        assert_error(response, 400, "validation_error")

    def test_a_one_megabyte_body_is_413(self, api):
        body = json.dumps({"email": "a@example.com", "password": PASSWORD, "name": "x" * 1_000_000})
        response = api.generic("POST", "/api/auth/register", body, content_type="application/json")
        assert_error(response, 413, "payload_too_large")
        assert not User.objects.exists()

    def test_unsupported_content_type(self, api):
        response = api.generic("POST", "/api/auth/register", "<xml/>", content_type="application/xml")
        assert_error(response, 415, "unsupported_media_type")


class TestLogin:
    def test_returns_user_token_and_refresh_token(self, api, user):
        response = login(api, user.email.upper())
        assert response.status_code == 200
        body = response.json()
        assert body["user"]["id"] == user.public_id
        assert set(body) == {"user", "token", "refreshToken"}

    def test_access_token_lives_fifteen_minutes(self, api, user):
        token = AccessToken(login(api, user.email).json()["token"])
        assert abs(token["exp"] - token["iat"] - 15 * 60) <= 1  # iat and exp round separately
        assert token["sub"] == user.public_id

    def test_wrong_password_and_unknown_email_read_the_same(self, api, user):
        wrong = assert_error(login(api, user.email, "not the password"), 401, "invalid_credentials")
        unknown = assert_error(login(api, "nobody@example.com"), 401, "invalid_credentials")
        assert wrong["message"] == unknown["message"]

    def test_inactive_user_cannot_sign_in(self, api, user):
        user.is_active = False
        user.save()
        assert_error(login(api, user.email), 401, "invalid_credentials")

    def test_repeated_failures_on_one_account_lock_it_with_retry_after(self, api, user):
        for _ in range(5):
            assert_error(login(api, user.email, "guess"), 401, "invalid_credentials")
        locked = login(api, user.email)  # even the right password is refused now
        error = assert_error(locked, 429, "too_many_login_attempts")
        assert int(locked["Retry-After"]) > 0
        assert error["details"]["retryAfter"] == int(locked["Retry-After"])
        # Another account from the same address is not locked by these five failures.
        other = User.objects.create_user("other@example.com", "other", PASSWORD)
        assert login(api, other.email).status_code == 200

    def test_failures_over_many_accounts_from_one_ip_lock_the_ip(self, api, settings):
        settings.LOGIN_FAILURES_PER_IP = "8/15m"
        for n in range(8):
            assert_error(login(api, f"victim{n}@example.com", "guess"), 401)
        assert_error(login(api, "fresh@example.com", "guess"), 429, "too_many_login_attempts")


class TestRefreshAndLogout:
    def test_refresh_rotates_and_the_old_token_stops_working(self, api, user):
        first = login(api, user.email).json()
        refreshed = api.post("/api/auth/refresh", {"refreshToken": first["refreshToken"]}, format="json")
        assert refreshed.status_code == 200
        pair = refreshed.json()
        assert set(pair) == {"token", "refreshToken"}
        assert pair["refreshToken"] != first["refreshToken"]
        reused = api.post("/api/auth/refresh", {"refreshToken": first["refreshToken"]}, format="json")
        assert_error(reused, 401, "invalid_refresh_token")
        again = api.post("/api/auth/refresh", {"refreshToken": pair["refreshToken"]}, format="json")
        assert again.status_code == 200

    def test_logout_blacklists_the_refresh_token(self, api, user):
        session = login(api, user.email).json()
        bearer(api, session["token"])
        response = api.post("/api/auth/logout", {"refreshToken": session["refreshToken"]}, format="json")
        assert response.status_code == 204
        refresh = api.post("/api/auth/refresh", {"refreshToken": session["refreshToken"]}, format="json")
        assert_error(refresh, 401, "invalid_refresh_token")

    def test_logout_without_a_token_ends_every_session(self, api, user):
        one = login(api, user.email).json()
        two = login(api, user.email).json()
        assert bearer(api, one["token"]).post("/api/auth/logout", {}, format="json").status_code == 204
        for session in (one, two):
            response = api.post("/api/auth/refresh", {"refreshToken": session["refreshToken"]}, format="json")
            assert_error(response, 401, "invalid_refresh_token")

    def test_logout_is_idempotent(self, api, user):
        """Issue 13 (15): with no body and no token it answered 401; the spec says 204."""
        assert api.post("/api/auth/logout", {}, format="json").status_code == 204
        assert api.post("/api/auth/logout", format="json").status_code == 204
        session = login(api, user.email).json()
        for _ in range(2):  # the same session ended twice
            response = api.post("/api/auth/logout", {"refreshToken": session["refreshToken"]}, format="json")
            assert response.status_code == 204
        assert_error(api.post("/api/auth/logout", {"refreshToken": "not.a.token"}, format="json"), 401)
        access = session["token"]  # an access token is not a refresh token
        assert_error(api.post("/api/auth/logout", {"refreshToken": access}, format="json"), 401)

    def test_cannot_log_out_someone_elses_session(self, api, user, other_user):
        theirs = login(api, other_user.email).json()
        mine = login(api, user.email).json()
        bearer(api, mine["token"])
        response = api.post("/api/auth/logout", {"refreshToken": theirs["refreshToken"]}, format="json")
        assert_error(response, 401, "invalid_refresh_token")
        api.credentials()
        assert (
            api.post("/api/auth/refresh", {"refreshToken": theirs["refreshToken"]}, format="json").status_code
            == 200
        )

    @pytest.mark.parametrize("token", ["", "garbage", "a.b.c"])
    def test_malformed_refresh_tokens(self, api, token):
        response = api.post("/api/auth/refresh", {"refreshToken": token}, format="json")
        assert response.status_code in (400, 401)
        assert_error(response, response.status_code)

    def test_an_access_token_is_not_a_refresh_token(self, api, user):
        session = login(api, user.email).json()
        response = api.post("/api/auth/refresh", {"refreshToken": session["token"]}, format="json")
        assert_error(response, 401, "invalid_refresh_token")


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


class TestJwtTampering:
    def test_expired_access_token(self, api, user):
        token = AccessToken.for_user(user)
        token.set_exp(lifetime=-timedelta(seconds=1))
        assert_error(bearer(api, str(token)).get("/api/me"), 401, "invalid_token")

    def test_forged_signature(self, api, user):
        claims = AccessToken.for_user(user).payload
        forged = jwt.encode(claims, "not-our-secret-key-but-long-enough-0123456789", algorithm="HS256")
        assert_error(bearer(api, forged).get("/api/me"), 401, "invalid_token")

    def test_alg_none(self, api, user):
        claims = AccessToken.for_user(user).payload
        unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
        assert_error(bearer(api, unsigned).get("/api/me"), 401, "invalid_token")

    def test_claims_changed_after_signing(self, api, user, other_user):
        header, _, signature = str(AccessToken.for_user(user)).split(".")
        claims = AccessToken.for_user(user).payload
        claims["sub"] = other_user.public_id
        assert_error(bearer(api, f"{header}.{_b64(claims)}.{signature}").get("/api/me"), 401, "invalid_token")

    def test_signed_with_our_key_by_another_algorithm(self, api, user):
        claims = AccessToken.for_user(user).payload
        other_alg = jwt.encode(claims, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS512")
        assert_error(bearer(api, other_alg).get("/api/me"), 401, "invalid_token")

    def test_bearer_without_token_and_other_schemes(self, api):
        api.credentials(HTTP_AUTHORIZATION="Bearer")
        assert_error(api.get("/api/me"), 401)
        api.credentials(HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")
        assert_error(api.get("/api/me"), 401, "not_authenticated")


class TestMe:
    def test_anonymous_is_401(self, api):
        response = api.get("/api/me")
        assert_error(response, 401, "not_authenticated")
        assert response["WWW-Authenticate"].startswith("Bearer")

    def test_read_and_update_profile(self, user_api, user):
        response = user_api.patch(
            "/api/me",
            {"name": "Ada", "bio": "Engines", "avatarUrl": "https://example.com/a.png"},
            format="json",
        )
        assert response.status_code == 200
        assert response.json()["avatarUrl"] == "https://example.com/a.png"
        user.refresh_from_db()
        assert (user.name, user.bio, user.avatar_url) == ("Ada", "Engines", "https://example.com/a.png")

    @pytest.mark.parametrize(
        "body, field",
        [
            ({"avatarUrl": "javascript:alert(1)"}, "avatarUrl"),
            ({"bio": "x" * 501}, "bio"),
            ({"name": None}, "name"),
        ],
    )
    def test_bad_profile_updates(self, user_api, user, body, field):
        error = assert_error(user_api.patch("/api/me", body, format="json"), 400, "validation_error")
        assert field in error["details"]["fields"]

    def test_email_and_plan_cannot_be_changed_here(self, user_api, user):
        user_api.patch("/api/me", {"email": "x@example.com", "plan": "business"}, format="json")
        user.refresh_from_db()
        assert user.plan == "free" and user.email != "x@example.com"
