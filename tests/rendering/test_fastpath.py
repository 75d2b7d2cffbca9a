"""Issue 14: a cache hit of POST /api/render with an API key, and of a signed /i/ URL, is one Redis
round trip and no query (rendering.fastpath). Its guesses (the rate-limit bucket, the render key)
are checked against the coherent entries read in that trip: a wrong guess costs a round trip,
never a wrong answer. The lean API path answers like RenderApi through DRF."""

import json
import select

import pytest
from django.core.cache import cache
from redis.connection import AbstractConnection
from rest_framework.test import APIClient

from accounts.services import api_key_create, api_key_revoke
from analytics.collector import collector
from billing.services import plan_set
from core import afterresponse, durablelog, hotcache
from core import files as stored_files
from core.ratelimit import counter_for
from rendering import fastpath, renderlog, services, views
from templates_registry.services import template_publish
from tests.conftest import assert_error, bearer
from tests.rendering.test_signed_urls import local, sign
from tests.templates_registry.helpers import example_files

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_memos():
    for memo in (fastpath._bodies, fastpath._accounts, fastpath.urls):
        memo.clear()


@pytest.fixture
def round_trips(monkeypatch):
    """Every command sent to Redis, whether through redis-py's client or on a pooled connection."""
    calls = []
    real = AbstractConnection.send_command

    def counting(self, *args, **options):
        calls.append(args[0])
        return real(self, *args, **options)

    monkeypatch.setattr(AbstractConnection, "send_command", counting)
    return calls


@pytest.fixture
def packets(monkeypatch):
    """Every write to a Redis connection, as the commands it carries: a pipeline is one packet."""
    calls = []
    real = AbstractConnection.send_packed_command

    def counting(self, command, *args, **options):
        parts = [command] if isinstance(command, bytes | str) else list(command)
        calls.append(b"".join(p if isinstance(p, bytes) else p.encode() for p in parts))
        return real(self, command, *args, **options)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counting)
    return calls


def body_for(user, title="Fast"):
    return {"template": f"{user.username}/og-card", "props": {"title": title}}


def keyed(user, scopes=None):
    kwargs = {"scopes": scopes} if scopes else {}
    return bearer(APIClient(), api_key_create(user=user, name="fast", **kwargs)[1])


def test_an_api_key_hit_is_one_round_trip_and_no_query(user, published, round_trips, settings,
                                                      django_assert_num_queries):  # fmt: skip
    settings.RATE_LIMITS_ENABLED = True
    client = keyed(user)
    for _ in range(2):  # renders, then learns the key's account and the render key
        assert client.post("/api/render", body_for(user), format="json").status_code == 200
    round_trips.clear()
    with django_assert_num_queries(0):
        response = client.post("/api/render", body_for(user), format="json")
    assert response.status_code == 200 and response["X-Render-Cache"] == "HIT"
    assert round_trips == ["EVALSHA"], round_trips  # key, template, rate limit and render cache at once
    assert response["X-RateLimit-Limit"] == "10" and response["X-RateLimit-Remaining"] == "7"


def test_a_signed_url_hit_is_one_round_trip_and_no_query(user_api, client, user, published, round_trips,
                                                        django_assert_num_queries, monkeypatch):  # fmt: skip
    monkeypatch.setattr(hotcache.NEAR, "seconds", 0)  # no near copies (below): every hit reads Redis
    url = local(sign(user_api, f"{user.username}/og-card", props={"title": "Fast"}))
    for _ in range(2):
        assert client.get(url).status_code == 200
    round_trips.clear()
    with django_assert_num_queries(0):
        response = client.get(url)
    assert response.status_code == 200 and response["X-Render-Cache"] == "HIT"
    assert round_trips == ["EVALSHA"], round_trips


def test_a_repeated_signed_url_hit_is_no_round_trip_until_something_it_read_changes(
    user_api, client, user, published, round_trips, django_assert_num_queries
):
    """The process keeps its copy of the hit's read (core.nearcache) while Redis's tracking messages
    name nothing it read: a bump of the signer's generation (any change to the signer, its secrets or
    its templates) drops it at once, so the next hit reads Redis again, and is then kept again."""
    url = local(sign(user_api, f"{user.username}/og-card", props={"title": "Near"}))
    for _ in range(2):  # renders; then the hit whose read is complete is kept
        assert client.get(url).status_code == 200
    round_trips.clear()
    with django_assert_num_queries(0):
        response = client.get(url)
    assert response.status_code == 200 and response["X-Render-Cache"] == "HIT"
    assert round_trips == [], round_trips
    hotcache.forget(user.pk)  # through the pooled client, as another process would
    select.select([hotcache.NEAR._sock], [], [], 5)
    round_trips.clear()
    assert client.get(url).status_code == 200
    assert round_trips[0] == "EVALSHA", round_trips  # read again (and the entries refilled)
    round_trips.clear()
    assert client.get(url).status_code == 200 and round_trips == ["EVALSHA"]  # the refilled read, kept
    round_trips.clear()
    assert client.get(url).status_code == 200 and round_trips == [], round_trips


def test_a_repeated_signed_url_hit_replays_its_answer_while_its_read_is_the_same(
    user_api, client, user, published, monkeypatch
):
    """While the process's copy of the read stands, the same URL's answer is the same: replayed
    without rebuilding the signer or checking the signature again; analytics still count it; a 304
    to If-None-Match still comes first; a change to the signer rebuilds it."""
    url = local(sign(user_api, f"{user.username}/og-card", props={"title": "Replay"}))
    built = [client.get(url) for _ in range(3)]  # renders; hits; the hit kept with its read
    real_signer_get = services.signer_get
    rebuilt = []
    monkeypatch.setattr(services, "signer_get", lambda **kw: rebuilt.append(1) or real_signer_get(**kw))
    counted = []
    monkeypatch.setattr(collector, "record", lambda **kw: counted.append(kw))
    replayed = client.get(url)
    assert rebuilt == [] and replayed.status_code == 200
    per_request = {"X-Request-Id", "X-Render-Duration"}
    assert replayed.content == built[-1].content
    assert {k: v for k, v in replayed.items() if k not in per_request} == {
        k: v for k, v in built[-1].items() if k not in per_request
    }
    assert {"account_id": user.pk, "template": f"{user.username}/og-card", "fmt": "png", "cache": "hit",
            "status": 200}.items() <= counted[-1].items()  # fmt: skip
    etag = replayed["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304 and rebuilt == [1]  # not replayed
    assert client.get(url).status_code == 200 and rebuilt == [1]  # replayed again
    # The answer keeps the output's name, not its bytes (memory stays bounded by RENDER_MEMORY_CACHE_MB):
    # an output that is gone is rendered again, not replayed
    name = url_answer(url).output_name
    stored_files.file_delete(name)
    services._outputs.clear()
    again = client.get(url)
    assert (
        again.status_code == 200 and again["X-Render-Cache"] == "MISS" and again.content == replayed.content
    )
    assert stored_files.file_read(name) == replayed.content
    rebuilt.clear()
    hotcache.forget(user.pk)
    select.select([hotcache.NEAR._sock], [], [], 5)
    assert client.get(url).status_code == 200 and rebuilt == [1]


def url_answer(url):
    """The answer this process keeps for the signed URL (rendering.views._Url, memoized by fastpath)."""
    path, _, query = url.partition("?")
    _, _, username, filename = path.split("/", 3)
    return fastpath.urls.get((username, filename, query)).answer


def test_the_lean_answer_is_drfs(user, published):
    """The same hit through the lean path and through DRF (a query string sends it there: DRF
    reads ?format=): the same status, bytes and headers, and the same error JSON."""
    client = keyed(user)
    body = body_for(user)
    first = client.post("/api/render", body, format="json")
    lean = client.post("/api/render", body, format="json")
    drf = client.post("/api/render?via=drf", body, format="json")
    assert lean.status_code == drf.status_code == 200
    assert lean.content == drf.content == first.content
    per_request = {"X-Request-Id", "X-Render-Duration"}
    assert {k: v for k, v in lean.items() if k not in per_request} == {
        k: v for k, v in drf.items() if k not in per_request
    }
    missing = {"template": f"{user.username}/nothing-here", "props": {}}
    lean_error = client.post("/api/render", missing, format="json")
    drf_error = client.post("/api/render?via=drf", missing, format="json")
    assert_error(lean_error, 404, "not_found")
    assert lean_error.content == drf_error.content
    assert {k: v for k, v in lean_error.items() if k != "X-Request-Id"} == {
        k: v for k, v in drf_error.items() if k != "X-Request-Id"
    }


@pytest.mark.parametrize(
    "body",
    [
        {"template": 42},
        {"template": "a/b", "scale": "2"},
        {"template": "a/b", "scale": True},
        {"template": "a/b", "format": "mp4"},
        {"template": "a/b", "props": None},
        {"template": " "},
        {"template": "a/b", "quality": 80.5},
    ],
)
def test_bodies_drf_would_refuse_go_to_drf(user, body):
    """Anything but a plainly valid body is DRF's to answer (its 400 names the field)."""
    response = keyed(user).post("/api/render", body, format="json")
    assert_error(response, 400, "validation_error")


def test_a_new_version_is_never_answered_with_the_old_render(user, published):
    client = keyed(user)
    first = client.post("/api/render", body_for(user), format="json")
    assert client.post("/api/render", body_for(user), format="json")["X-Render-Cache"] == "HIT"
    files = example_files("og-card")
    manifest = json.loads(files["loopwind.json"])
    manifest["props"]["site"]["default"] = "example.com"  # another bundle: another checksum
    files["loopwind.json"] = json.dumps(manifest).encode()
    template_publish(user=user, files=files)
    again = client.post("/api/render", body_for(user), format="json")
    assert again.status_code == 200 and again["X-Render-Cache"] == "MISS"
    assert again["ETag"] != first["ETag"] and again.content != first.content


def test_a_plan_change_counts_in_the_new_bucket_only(user, published, settings):
    settings.RATE_LIMITS_ENABLED = True
    client = keyed(user)
    for _ in range(2):
        assert client.post("/api/render", body_for(user), format="json").status_code == 200
    free = counter_for(f"user:{user.pk}", "10/m")
    before = int(cache.client.get_client().get(free.key))
    plan_set(user=user, code="pro")  # the process still guesses the free plan's bucket
    response = client.post("/api/render", body_for(user), format="json")
    assert response.status_code == 200 and response["X-RateLimit-Limit"] == "100"
    assert response["X-RateLimit-Remaining"] == "99"
    assert int(cache.client.get_client().get(free.key)) == before  # the guessed count was taken back


def test_a_revoked_key_is_refused_at_once_and_not_counted_for_its_account(user, published, settings):
    settings.RATE_LIMITS_ENABLED = True
    created, key = api_key_create(user=user, name="soon revoked")
    client = bearer(APIClient(), key)
    for _ in range(2):
        assert client.post("/api/render", body_for(user), format="json").status_code == 200
    bucket = counter_for(f"user:{user.pk}", "10/m")
    before = int(cache.client.get_client().get(bucket.key))
    api_key_revoke(user=user, key_id=created.public_id)
    assert_error(client.post("/api/render", body_for(user), format="json"), 401, "api_key_revoked")
    assert int(cache.client.get_client().get(bucket.key)) == before


def test_a_key_without_the_scope_gets_drfs_403_counted_once(user, published, settings):
    settings.RATE_LIMITS_ENABLED = True
    client = keyed(user, scopes=["templates:read"])
    first = client.post("/api/render", body_for(user), format="json")
    second = client.post("/api/render", body_for(user), format="json")  # the account is known now
    for response in (first, second):
        assert_error(response, 403, "insufficient_scope")
    assert int(first["X-RateLimit-Remaining"]) - int(second["X-RateLimit-Remaining"]) == 1


def test_over_the_limit_is_429_on_the_lean_path(user, published, settings):
    settings.RATE_LIMITS_ENABLED = True
    client = keyed(user)
    codes = [client.post("/api/render", body_for(user), format="json").status_code for _ in range(11)]
    assert codes[:10] == [200] * 10 and codes[10] == 429


def test_signed_urls_parse_once_and_check_the_signature_every_time(user_api, client, user, published):
    url = local(sign(user_api, f"{user.username}/og-card", props={"title": "Sig"}))
    assert client.get(url).status_code == 200
    assert any(isinstance(value, views._Url) for value in fastpath.urls._items.values())
    tampered = url.replace("Sig", "Sag")
    assert_error(client.get(tampered), 403)
    assert client.get(url)["X-Render-Cache"] == "HIT"


def test_a_hit_after_redis_forgot_its_scripts(user, published, settings):
    """The hit's script is sent on the thread's own connection (core.hotcache._evalsha): a server
    that lost it (a restart, SCRIPT FLUSH) gets it whole once."""
    settings.RATE_LIMITS_ENABLED = True
    client = keyed(user)
    for _ in range(2):
        assert client.post("/api/render", body_for(user), format="json").status_code == 200
    cache.client.get_client().script_flush()
    response = client.post("/api/render", body_for(user), format="json")
    assert response.status_code == 200 and response["X-Render-Cache"] == "HIT"
    assert response["X-RateLimit-Remaining"] == "7"


def test_an_uncached_render_is_three_round_trips_before_its_response(user, published, packets, settings,
                                                                      monkeypatch):  # fmt: skip
    """The hit read, the render cache's entry-or-slot script, and the slot's release carrying the
    render log's record and the new cache entry (core.inflight.ReleaseBatch), which holds the output
    itself. After the response: the output stored, and one SET of the entry that names it."""
    settings.RATE_LIMITS_ENABLED = True
    client = keyed(user)
    for title in ("warm 1", "warm 2"):  # learns the key's account; the upkeep's marker is set
        assert client.post("/api/render", body_for(user, title), format="json").status_code == 200
    at_response = []
    real_run = afterresponse.run
    monkeypatch.setattr(
        afterresponse, "run", lambda works: (at_response.append(len(packets)), real_run(works))
    )
    packets.clear()
    response = client.post("/api/render", body_for(user, "uncached"), format="json")
    assert response.status_code == 200 and response["X-Render-Cache"] == "MISS"
    assert at_response == [3], packets
    release = packets[2]
    assert b"ZREM" in release and b"RPUSH" in release and b"SET" in release, release
    assert len(release) > len(response.content)  # the entry carries the output until it is stored
    assert len(packets) == 4 and b"SET" in packets[3] and len(packets[3]) < 1024, packets[3:]
    # and what it wrote is read back: the render is a hit, its log record queued for the upkeep
    again = client.post("/api/render", body_for(user, "uncached"), format="json")
    assert again["X-Render-Cache"] == "HIT" and again["X-Render-Id"] == response["X-Render-Id"]
    queued = durablelog.client().lrange(renderlog.LOG.key("pending"), 0, -1)
    assert [json.loads(record)["public_id"] for record in queued][-1] == response["X-Render-Id"]
