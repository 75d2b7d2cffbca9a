"""Requests a minute from the plan, shared through Redis by every server process."""

import os
import threading
import time

import pytest
import requests
from django.conf import settings as django_settings

from accounts.models import User
from accounts.services import api_key_create
from bench.common import wait_for_fresh_window
from tests.conftest import assert_error, bearer
from tests.rendering.worker import live_database_url
from tests.servers import WebServer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _limits_on(settings):
    settings.RATE_LIMITS_ENABLED = True


def test_headers_on_every_api_response(api, user_api):
    for client, path in (
        (user_api, "/api/me"),
        (api, "/api/templates"),
        (api, "/api/nope"),
        (api, "/api/me"),
    ):
        response = client.get(path)
        assert response["X-RateLimit-Limit"] and response["X-RateLimit-Remaining"], (
            path,
            response.status_code,
        )
        assert int(response["X-RateLimit-Reset"]) > time.time()


def test_free_plan_gets_ten_a_minute_then_429_with_retry_after(user_api, user):
    wait_for_fresh_window(f"user:{user.pk}", need=5)
    remaining = [int(user_api.get("/api/me")["X-RateLimit-Remaining"]) for _ in range(10)]
    assert remaining == list(range(9, -1, -1))
    response = user_api.get("/api/me")
    error = assert_error(response, 429, "rate_limited")
    assert int(response["Retry-After"]) >= 1 and error["details"]["limit"] == 10
    assert response["X-RateLimit-Remaining"] == "0"


def test_keys_share_their_accounts_limit_and_are_capped_by_the_plan(api, user, user_api):
    """Issue 22 (4): each key had its own counter, so 16 keys made 97 renders in 7.6 s on a
    10-a-minute plan. The plan's limit is the account's, whatever the credentials; and the plan
    caps the keys (free: 3)."""
    keys = [api_key_create(user=user, name=f"k{n}")[1] for n in range(3)]
    wait_for_fresh_window(f"user:{user.pk}", need=15)
    error = assert_error(user_api.post("/api/keys", {"name": "fourth"}, format="json"), 403, "plan_limit")
    assert error["details"] == {"limit": 3, "active": 3}  # request 1 of the account's 10
    statuses = [bearer(api, keys[n % 3]).get("/api/me").status_code for n in range(8)]
    statuses.append(user_api.get("/api/me").status_code)  # the JWT is the same account
    assert statuses == [200] * 9
    for key in keys:
        assert_error(bearer(api, key).get("/api/me"), 429, "rate_limited")
    assert_error(user_api.get("/api/me"), 429, "rate_limited")
    user.plan = "pro"  # a bigger plan, more keys
    user.save(update_fields=["plan"])
    assert api_key_create(user=user, name="fourth")[0].name == "fourth"


def test_pro_plan_gets_a_hundred(user_api, user):
    user.plan = "pro"
    user.save()
    assert user_api.get("/api/me")["X-RateLimit-Limit"] == "100"


def test_anonymous_limit_is_per_ip(api, settings):
    settings.ANON_REQUESTS_PER_MINUTE = 3
    wait_for_fresh_window("ip:10.1.1.1", "ip:10.1.1.3", need=5)
    for _ in range(3):
        assert api.get("/api/templates", REMOTE_ADDR="10.1.1.1").status_code == 200
    assert_error(api.get("/api/templates", REMOTE_ADDR="10.1.1.1"), 429, "rate_limited")
    assert api.get("/api/templates", REMOTE_ADDR="10.1.1.2").status_code == 200
    # failed authentication counts against the IP too
    for _ in range(4):
        response = api.get("/api/me", REMOTE_ADDR="10.1.1.3", HTTP_AUTHORIZATION="Bearer nonsense")
    assert_error(response, 429, "rate_limited")


def test_registrations_per_ip(api, settings):
    settings.REGISTRATIONS_PER_IP = "2/h"
    for n in range(2):
        body = {"email": f"new{n}@example.com", "password": "a long passphrase nobody guesses 7"}
        assert api.post("/api/auth/register", body, format="json").status_code == 201
    body = {"email": "new9@example.com", "password": "a long passphrase nobody guesses 7"}
    assert_error(api.post("/api/auth/register", body, format="json"), 429, "rate_limited")


def test_the_signup_page_and_the_api_share_one_registration_limit(api, client, settings):
    """One service (accounts.services.user_register) limits both ways in, by the same IP count."""
    settings.REGISTRATIONS_PER_IP = "2/h"
    password = "a long passphrase nobody guesses 7"
    assert (
        api.post(
            "/api/auth/register", {"email": "a@example.com", "password": password}, format="json"
        ).status_code
        == 201
    )
    page = client.post(
        "/signup", {"email": "b@example.com", "password": password, "name": "", "username": ""}
    )
    assert page.status_code == 302 and User.objects.filter(email="b@example.com").exists()
    client.logout()
    page = client.post(
        "/signup", {"email": "c@example.com", "password": password, "name": "", "username": ""}
    )
    assert page.status_code == 400 and "Rate limit" in page.content.decode()
    assert_error(api.post("/api/auth/register", {"email": "d@example.com", "password": password}, format="json"),
                 429, "rate_limited")  # fmt: skip
    assert not User.objects.filter(email__in=["c@example.com", "d@example.com"]).exists()


@pytest.mark.django_db(transaction=True)
def test_limit_is_shared_by_two_server_processes(live_server, user, tmp_path):
    """2 × the limit of concurrent requests from one key, spread over two processes: exactly the
    limit succeed, because both count in the same Redis."""
    env = {
        **os.environ,
        "DATABASE_URL": live_database_url(),
        "REDIS_URL": django_settings.REDIS_URL,
        "CACHE_KEY_PREFIX": django_settings.CACHES["default"].get("KEY_PREFIX", "lw"),
        "SECRET_KEY": django_settings.SECRET_KEY,
        "RATE_LIMITS_ENABLED": "1",
    }
    server = WebServer(tmp_path, env)
    server.start()
    try:
        shared, key = api_key_create(user=user, name="shared")
        wait_for_fresh_window(f"user:{user.pk}", need=15)
        from django.core.cache import cache

        cache.clear()
        statuses = []

        def fire(base):
            statuses.append(
                requests.get(
                    base + "/api/me", headers={"Authorization": f"Bearer {key}"}, timeout=30
                ).status_code
            )

        threads = [threading.Thread(target=fire, args=(base,)) for base in [live_server.url, server.url] * 10]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert statuses.count(200) == 10 and statuses.count(429) == 10, statuses
    finally:
        server.stop()


def test_strangers_loading_signed_urls_do_not_spend_the_signers_api_limit(user_api, client, user, request):
    """Issue 22 (3): anonymous fetches of a user's signed /i/ URLs counted in the same bucket as the
    user's API calls, so any og:image in a public page let anyone lock its owner out of the API. Now
    uncached renders of signed URLs have a bucket of their own (the plan's, per signer) and cache
    hits are free."""
    from billing.models import Plan
    from billing.plans import plans_reload
    from rendering.services import image_url_sign
    from templates_registry.services import template_publish
    from tests.templates_registry.helpers import example_files

    Plan.objects.filter(code="free").update(image_url_renders_per_minute=5)
    plans_reload()
    request.addfinalizer(plans_reload)  # the row is rolled back after the test: forget the cached one
    template = template_publish(user=user, files=example_files("og-card")).template
    wait_for_fresh_window(f"user:{user.pk}", f"imgurl:{user.pk}", need=20)
    urls = [image_url_sign(signer=user, template=template, version="1.0.0", props={"title": f"t{n}"}, fmt="png")
            for n in range(6)]  # fmt: skip
    paths = [url.split("8000", 1)[1] for url in urls]
    assert [client.get(path).status_code for path in paths[:5]] == [200] * 5
    refused = client.get(paths[5])  # a sixth new render in the minute
    assert_error(refused, 429, "rate_limited")
    assert int(refused["Retry-After"]) >= 1
    assert [client.get(path).status_code for path in paths[:5] * 3] == [200] * 15  # hits are free
    # the owner's API limit was never touched: 10 calls left this minute
    assert user_api.get("/api/me")["X-RateLimit-Remaining"] == "9"


def test_a_key_refused_for_its_scopes_counts_against_its_account_not_the_ip(api, user):
    """403 for a missing scope happens before DRF's throttle; it still counts for the key's account."""
    read_only, key = api_key_create(user=user, name="read-only", scopes=["templates:read"])
    wait_for_fresh_window(f"user:{user.pk}", need=5)
    response = bearer(api, key).post("/api/render", {"template": "x/y"}, format="json")
    assert_error(response, 403)
    assert response["X-RateLimit-Limit"] == "10" and response["X-RateLimit-Remaining"] == "9"
    assert bearer(api, key).get("/api/me")["X-RateLimit-Remaining"] == "8"


def test_a_hit_is_one_redis_round_trip(rf, monkeypatch):
    """The window's counter is incremented and given its expiry by one script call (issue 14);
    the count, the limit and the window are still django-ratelimit's."""
    from redis.client import Redis

    from core.ratelimit import RateLimited, rate_limit_hit

    calls = []
    real = Redis.execute_command

    def counting(self, *args, **options):
        calls.append(args[0])
        return real(self, *args, **options)

    monkeypatch.setattr(Redis, "execute_command", counting)
    request = rf.get("/api/me")
    wait_for_fresh_window("one-trip", need=5)
    for _ in range(3):
        rate_limit_hit(request, identity="one-trip", per_minute=3)
    assert len(calls) <= 4  # 3 EVALSHA, plus one SCRIPT LOAD / EVAL the first time
    assert calls.count("EVALSHA") + calls.count("EVAL") == 3, calls
    limit, remaining, reset = request.rate_limit_state
    assert (limit, remaining) == (3, 0) and 0 < reset - time.time() <= 61
    with pytest.raises(RateLimited):
        rate_limit_hit(request, identity="one-trip", per_minute=3)
