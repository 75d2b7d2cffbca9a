"""Issue 16, API analytics: a scripted mix of renders, cache hits, errors and image-URL loads is
counted exactly, per group, by /api/analytics once the process has flushed (analytics.collector)
and the worker applied the flush (analytics.services) — through the real Redis durable log."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from accounts.services import api_key_create
from analytics.collector import collector
from analytics.models import AppliedBatch, ErrorEvent, TrafficBucket
from analytics.services import analytics_flush
from billing.services import plan_set
from templates_registry.services import template_publish
from tests.conftest import assert_error, bearer
from tests.factories import UserFactory
from tests.rendering.test_signed_urls import local, sign
from tests.templates_registry.helpers import example_files

pytestmark = pytest.mark.django_db


def flushed():
    """What a web process and then the worker do on their own every few seconds."""
    collector.flush()
    analytics_flush()


@pytest.fixture
def business(db):
    account = UserFactory()
    plan_set(user=account, code="business")
    account.refresh_from_db()
    template_publish(user=account, files=example_files("og-card"))
    return account


def keyed(account, name="server"):
    key, raw = api_key_create(user=account, name=name)
    return key, bearer(APIClient(), raw)


def scripted_mix(account):
    """3 renders, 2 cache hits, 1 bad-props 400 and 1 unknown-template 404 on POST /api/render with
    the server key; one signed URL (signed with the CI key) loaded twice (a render, then a hit)."""
    server_key, server = keyed(account, "server")
    ci_key, ci = keyed(account, "ci")
    slug = f"{account.username}/og-card"
    for title in ("One", "Two", "Three", "One", "Two"):
        assert (
            server.post(
                "/api/render", {"template": slug, "props": {"title": title}}, format="json"
            ).status_code
            == 200
        )
    assert_error(server.post("/api/render", {"template": slug, "props": {"nope": 1}}, format="json"), 400)
    assert_error(server.post("/api/render", {"template": f"{account.username}/missing"}, format="json"), 404)
    url = local(sign(ci, slug, props={"title": "Signed"}, format="webp"))
    anonymous = APIClient()
    assert anonymous.get(url).status_code == 200
    assert anonymous.get(url).status_code == 200
    # Not the account's traffic: an unknown key is nobody's, another account's renders are theirs
    assert_error(
        bearer(APIClient(), "lw_live_" + "x" * 40).post("/api/render", {"template": slug}, format="json"), 401
    )
    return server_key, ci_key


def get(client, **params):
    response = client.get("/api/analytics", params)
    assert response.status_code == 200, response.content
    return response.json()


def by_group(body):
    return {series["group"]: series["totals"] for series in body["series"]}


def test_a_scripted_mix_is_counted_exactly_per_group(business):
    server_key, ci_key = scripted_mix(business)
    stranger = UserFactory(plan="business")
    template_publish(user=stranger, files=example_files("og-card"))
    _, theirs = keyed(stranger)
    assert theirs.post("/api/render", {"template": f"{stranger.username}/og-card", "props": {"title": "x"}},
                       format="json").status_code == 200  # fmt: skip
    flushed()
    _, reader = keyed(business, "reader")

    routes = by_group(get(reader, interval="minute", groupBy="route"))
    assert routes["POST /api/render"] == {
        **routes["POST /api/render"],
        "requests": 7,
        "errors": 2,
        "renders": 3,
    }
    assert routes["GET /i/{username}/{filename}"]["requests"] == 2
    assert routes["GET /i/{username}/{filename}"]["renders"] == 1
    assert routes["POST /api/render/sign"]["requests"] == 1
    assert set(routes) == {"POST /api/render", "GET /i/{username}/{filename}", "POST /api/render/sign"}

    cache = by_group(get(reader, interval="minute", groupBy="cache"))
    assert {group: totals["requests"] for group, totals in cache.items()} == {"hit": 3, "miss": 4, "": 3}
    statuses = by_group(get(reader, interval="hour", groupBy="status"))
    assert {group: totals["requests"] for group, totals in statuses.items()} == {"2xx": 8, "4xx": 2}
    formats = by_group(get(reader, interval="day", groupBy="format"))
    assert {group: totals["requests"] for group, totals in formats.items()} == {"png": 5, "webp": 2, "": 3}
    templates = by_group(get(reader, interval="minute", groupBy="template"))
    assert templates[f"{business.username}/og-card"]["requests"] == 8  # 5 renders, 1 bad props, 2 URL loads
    keys = get(reader, interval="minute", groupBy="key")
    per_key = {series["group"]: (series["label"], series["totals"]["requests"]) for series in keys["series"]}
    assert per_key[server_key.public_id] == (f"server ({server_key.prefix}…)", 7)
    assert per_key[ci_key.public_id] == (f"ci ({ci_key.prefix}…)", 1)
    assert per_key[""] == ("(no API key)", 2)  # the image URL's loads carry no key

    whole = get(reader, interval="minute")
    assert (
        whole["totals"]["requests"] == 10
        and whole["totals"]["errors"] == 2
        and whole["totals"]["renders"] == 4
    )
    assert whole["totals"]["p50Ms"] > 0 and whole["totals"]["p95Ms"] >= whole["totals"]["p50Ms"]
    points = whole["series"][0]["points"]
    # the last hour by minute, the partial minutes at both ends included
    assert len(points) in (60, 61) and sum(point["requests"] for point in points) == 10

    errors = reader.get("/api/analytics/errors").json()["errors"]
    assert [(e["status"], e["code"]) for e in errors] == [(404, "not_found"), (400, "invalid_props")] or {
        (e["status"], e["route"]) for e in errors
    } == {(404, "POST /api/render"), (400, "POST /api/render")}
    assert {e["keyPrefix"] for e in errors} == {server_key.prefix}
    assert all(len(e["requestId"]) >= 8 for e in errors)

    # the stranger's render is theirs alone
    assert get(theirs, interval="day")["totals"]["requests"] == 1


def test_a_flush_applied_twice_counts_once(business):
    _, client = keyed(business)
    client.get("/api/me/usage")
    record = collector.take()
    from analytics.services import analytics_apply

    assert analytics_apply([record]) == 1
    assert analytics_apply([record]) == 0  # a worker that died after its commit and ran again
    assert TrafficBucket.objects.filter(account=business, interval="minute").get().requests == 1
    assert AppliedBatch.objects.filter(batch_id=record["id"]).exists()


def test_counts_survive_in_redis_until_the_worker_applies_them(business):
    _, client = keyed(business)
    client.get("/api/me/usage")
    collector.flush()  # handed over: the process could die now
    assert collector.take() is None
    assert not TrafficBucket.objects.exists()
    analytics_flush()
    assert TrafficBucket.objects.filter(interval="day").get().requests == 1
    analytics_flush()  # nothing left, nothing twice
    assert TrafficBucket.objects.filter(interval="day").get().requests == 1


def test_csv_export(business):
    scripted_mix(business)
    flushed()
    _, reader = keyed(business, "reader")
    response = reader.get("/api/analytics", {"interval": "hour", "groupBy": "status"}, HTTP_ACCEPT="text/csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {row["group"] for row in rows} == {"2xx", "4xx"}
    assert sum(int(row["requests"]) for row in rows if row["group"] == "4xx") == 2
    errors = reader.get("/api/analytics/errors", HTTP_ACCEPT="text/csv")
    assert errors.status_code == 200 and errors.content.decode().startswith("at,status,code")
    # an error asked for as CSV is still the error JSON
    assert_error(reader.get("/api/analytics", {"interval": "week"}, HTTP_ACCEPT="text/csv"), 400)


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"interval": "week"}, 400, "validation_error"),
        ({"groupBy": "country"}, 400, "validation_error"),
        ({"from": "yesterday"}, 400, "validation_error"),
        ({"from": "2026-13-01"}, 400, "validation_error"),
        ({"from": "0001-01-01", "to": "0001-01-02"}, 400, "validation_error"),
        ({"to": "9999-12-31T23:59:59"}, 400, "validation_error"),
        ({"from": "2026-12-01" * 20}, 400, "validation_error"),
        ({"from": "2026-12-01\x00"}, 400, None),
        ({"to": ""}, 400, "validation_error"),
        ({"interval": ""}, 400, "validation_error"),
        ({"groupBy": ""}, 400, "validation_error"),
        ({"groupby": "route"}, 400, "validation_error"),
        ({"": "null"}, 400, "validation_error"),
        ({"format": "json"}, 400, "validation_error"),
        ({"from": "2026-12-02T10:00:00Z", "to": "2026-12-02T09:00:00Z"}, 400, "invalid_range"),
        ({"interval": "minute", "from": "2026-11-01", "to": "2026-11-30"}, 400, "range_too_large"),
        ({"from": "2020-01-01"}, 403, "plan_limit"),
    ],
)
def test_bad_queries_are_clear_errors(business, params, status, code):
    _, reader = keyed(business)
    if "from" in params and params["from"] == "2020-01-01":
        params = {**params, "to": "2020-01-05"}
    error = assert_error(reader.get("/api/analytics", params), status)
    if code not in ("validation_error", None):
        assert error["code"] == code


def test_free_and_pro_see_a_week_by_day_and_coarse_groups(db):
    account = UserFactory(plan="pro")
    _, client = keyed(account)
    assert get(client)["interval"] == "day"
    assert get(client, groupBy="route")["groupBy"] == "route"
    assert_error(client.get("/api/analytics", {"interval": "hour"}), 403, "plan_limit")
    assert_error(client.get("/api/analytics", {"groupBy": "template"}), 403, "plan_limit")
    old = (datetime.now(UTC) - timedelta(days=10)).date().isoformat()
    assert_error(client.get("/api/analytics", {"from": old}), 403, "plan_limit")


def test_analytics_need_an_account_and_the_read_scope(business):
    assert_error(APIClient().get("/api/analytics"), 401)
    _, raw = api_key_create(user=business, name="writer", scopes=["templates:write"])
    assert_error(bearer(APIClient(), raw).get("/api/analytics"), 403)


def test_error_log_is_capped_and_sampled(business, monkeypatch):
    from analytics import collector as collector_module

    monkeypatch.setattr(collector_module, "ERRORS_PER_ACCOUNT_MINUTE", 3)
    _, client = keyed(business)
    for _ in range(5):
        assert_error(client.post("/api/render", {"template": "nobody/nothing"}, format="json"), 404)
    flushed()
    assert ErrorEvent.objects.filter(account=business).count() == 3  # sampled
    assert TrafficBucket.objects.get(account=business, interval="day").errors == 5  # counted exactly


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 201}, {"limit": "ten"}, {"before": "soon"}, {"before": ""}, {"limit": ""}],
)
def test_bad_error_log_queries_are_clear_errors(business, params):
    _, reader = keyed(business)
    assert_error(reader.get("/api/analytics/errors", params), 400)
