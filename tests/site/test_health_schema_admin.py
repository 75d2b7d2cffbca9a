import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_healthz_reports_every_dependency(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok", body
    assert set(body["checks"]) == {"database", "cache", "queue", "storage"}
    assert body["checks"]["database"]["ok"]
    assert body["checks"]["cache"]["backend"] == "RedisCache"  # make test runs on real Redis
    assert body["checks"]["queue"]["backend"] == "RedisBroker"


def test_healthz_degraded_when_the_cache_is_down(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }
    response = client.get("/healthz?storage=0")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert not response.json()["checks"]["cache"]["ok"]


def test_openapi_schema_lists_the_spec_paths(client):
    response = client.get("/api/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for path in [
        "/api/auth/register",
        "/api/auth/login",
        "/api/auth/refresh",
        "/api/auth/logout",
        "/api/keys",
        "/api/me",
    ]:
        assert path in schema["paths"], path
    register = schema["paths"]["/api/auth/register"]["post"]
    assert "201" in register["responses"]
    user_props = schema["components"]["schemas"]["UserOutput"]["properties"]
    assert "avatarUrl" in user_props and "createdAt" in user_props
    # rate-limit headers are documented on every response, Retry-After where it is sent
    me = schema["paths"]["/api/me"]["get"]["responses"]
    for status in ("200", "401", "429"):
        assert set(me[status]["headers"]) >= {
            "X-RateLimit-Limit",
            "X-RateLimit-Remaining",
            "X-RateLimit-Reset",
        }
    assert "Retry-After" in me["429"]["headers"] and "Retry-After" not in me["200"]["headers"]


def test_api_docs_served_without_a_cdn(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger" in html.lower()
    assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html


def test_admin_shows_users_and_keys_with_hashes_read_only(client):
    from accounts.models import User
    from accounts.services import api_key_create

    staff = User.objects.create_superuser("staff@example.com", "staff", "pw-123-abc-XYZ")
    key, raw = api_key_create(user=staff, name="k")
    client.force_login(staff)
    assert client.get("/admin/accounts/user/").status_code == 200
    page = client.get(f"/admin/accounts/apikey/{key.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert raw not in html
    assert 'name="key_hash"' not in html  # shown, not editable
    assert client.get("/admin/accounts/apikey/add/").status_code == 403


@override_settings(CORS_ALLOWED_ORIGINS=["https://app.example.com"])
def test_cors_allows_configured_origins_on_the_api(client):
    preflight = client.options(
        "/api/me",
        HTTP_ORIGIN="https://app.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization",
    )
    assert preflight["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "authorization" in preflight["Access-Control-Allow-Headers"].lower()
    other = client.get("/api/me", HTTP_ORIGIN="https://evil.example.com")
    assert "Access-Control-Allow-Origin" not in other
    # a browser's script may read what the SDKs use: retries, render metadata, the request id on errors
    allowed = client.get("/api/me", HTTP_ORIGIN="https://app.example.com")
    exposed = {h.strip().lower() for h in allowed["Access-Control-Expose-Headers"].split(",")}
    assert {"retry-after", "x-render-id", "x-request-id"} <= exposed
