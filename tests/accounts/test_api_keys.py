"""API keys: created with scopes and shown once, listed without the secret, revoked; the
Bearer class accepts them; scopes are enforced."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from accounts import keyformat
from accounts.models import ApiKey
from core import hotcache
from tests.conftest import assert_error, bearer

pytestmark = pytest.mark.django_db


def create_key(client, name="Production App", scopes=None):
    body = {"name": name} if scopes is None else {"name": name, "scopes": scopes}
    return client.post("/api/keys", body, format="json")


class TestCreateAndList:
    def test_create_shows_the_whole_key_once(self, user_api, user):
        response = create_key(user_api, scopes=["render:read", "render:write", "templates:read"])
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["id"].startswith("key_")
        assert body["key"].startswith("lw_live_") and keyformat.is_well_formed(body["key"])
        assert len(body["key"]) >= len("lw_live_") + 32
        assert body["scopes"] == ["render:read", "render:write", "templates:read"]
        assert body["prefix"] == body["key"][:12]
        row = ApiKey.objects.get(public_id=body["id"])
        assert row.user == user and row.key_hash == keyformat.hash_key(body["key"])

        listed = user_api.get("/api/keys").json()
        assert len(listed) == 1
        assert set(listed[0]) == {"id", "name", "prefix", "scopes", "lastUsed", "createdAt"}
        assert body["key"] not in str(listed)

    def test_default_scopes(self, user_api):
        assert create_key(user_api).json()["scopes"] == ["render:read", "render:write", "templates:read"]

    def test_keys_are_random(self, user_api, user):
        user.plan = "pro"  # free holds 3 keys
        user.save(update_fields=["plan"])
        keys = {create_key(user_api).json()["key"] for _ in range(5)}
        assert len(keys) == 5

    @pytest.mark.parametrize("scopes", [["render:read", "admin:all"], ["*"], []])
    def test_unknown_or_no_scope_is_400(self, user_api, scopes):
        error = assert_error(create_key(user_api, scopes=scopes), 400, "unknown_scope")
        assert "render:read" in error["details"]["allowed"]
        assert not ApiKey.objects.exists()

    @pytest.mark.parametrize(
        "body",
        [{}, {"name": ""}, {"name": "x" * 101}, {"name": "k", "scopes": "render:read"}, {"name": ["a"]}],
    )
    def test_bad_bodies(self, user_api, body):
        assert_error(user_api.post("/api/keys", body, format="json"), 400, "validation_error")

    def test_list_shows_only_my_keys(self, user_api, other_user):
        from accounts.services import api_key_create

        api_key_create(user=other_user, name="theirs")
        create_key(user_api, name="mine")
        assert [k["name"] for k in user_api.get("/api/keys").json()] == ["mine"]

    def test_anonymous_cannot_manage_keys(self, api):
        assert_error(api.get("/api/keys"), 401)
        assert_error(create_key(api), 401)


class TestUsingKeys:
    def test_a_key_authenticates_and_records_last_use_at_most_once_a_minute(self, user_api, api, user):
        raw = create_key(user_api).json()["key"]
        response = bearer(api, raw).get("/api/me")
        assert response.status_code == 200 and response.json()["id"] == user.public_id
        first_use = ApiKey.objects.get().last_used_at
        assert first_use is not None
        api.get("/api/me")
        assert ApiKey.objects.get().last_used_at == first_use  # no write within the minute
        ApiKey.objects.update(last_used_at=timezone.now() - timedelta(minutes=2))
        cache.delete(f"key-used:{ApiKey.objects.get().pk}")  # the shared once-a-minute marker expires
        hotcache.forget(user.pk)  # and the cached key's copy of last use ages with it (read it again)
        api.get("/api/me")
        assert ApiKey.objects.get().last_used_at > first_use

    def test_revoked_key_is_401(self, user_api, api):
        created = create_key(user_api).json()
        assert bearer(api, created["key"]).get("/api/me").status_code == 200
        assert user_api.delete(f"/api/keys/{created['id']}").status_code == 204
        assert_error(api.get("/api/me"), 401, "api_key_revoked")
        assert user_api.get("/api/keys").json() == []
        assert_error(user_api.delete(f"/api/keys/{created['id']}"), 404)

    def test_cannot_revoke_another_users_key(self, user_api, other_user):
        from accounts.services import api_key_create

        theirs, _ = api_key_create(user=other_user, name="theirs")
        assert_error(user_api.delete(f"/api/keys/{theirs.public_id}"), 404, "not_found")
        assert ApiKey.objects.get(pk=theirs.pk).revoked_at is None

    @pytest.mark.parametrize(
        "raw",
        [
            "lw_live_",
            "lw_live_" + "A" * 38,  # right length, wrong checksum
            "lw_live_" + "é" * 38,
            "lw_live_abc def",
        ],
    )
    def test_malformed_keys_are_401(self, api, raw):
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        assert_error(api.get("/api/me"), 401)

    def test_well_formed_unknown_key_is_401(self, api):
        assert_error(bearer(api, keyformat.generate_key()).get("/api/me"), 401, "invalid_api_key")

    def test_key_of_suspended_user_is_401(self, user_api, api, user):
        raw = create_key(user_api).json()["key"]
        user.is_active = False
        user.save()
        assert_error(bearer(api, raw).get("/api/me"), 401, "account_suspended")


class TestScopes:
    def test_key_without_keys_manage_cannot_manage_keys(self, user_api, api):
        raw = create_key(user_api, scopes=["render:read"]).json()["key"]
        error = assert_error(bearer(api, raw).get("/api/keys"), 403, "insufficient_scope")
        assert error["details"]["requiredScope"] == "keys:manage"
        assert_error(create_key(api), 403, "insufficient_scope")
        assert ApiKey.objects.count() == 1

    def test_key_with_keys_manage_can(self, user_api, api):
        raw = create_key(user_api, scopes=["keys:manage"]).json()["key"]
        assert bearer(api, raw).get("/api/keys").status_code == 200
        assert create_key(api, name="made by a key").status_code == 201

    def test_a_jwt_carries_every_scope(self, user_api):
        assert user_api.get("/api/keys").status_code == 200
