"""How requests reach the analytics: whose traffic a request is (a person acting for an
organization, an organization's key), the middleware never costing a response, and real gunicorn
workers handing their counts over on their own (the background flush) and when they stop."""

import signal
import time

import pytest
import requests
from rest_framework.test import APIClient

from accounts.services import api_key_create, tokens_for_user
from analytics import collector as collector_module
from analytics.collector import collector
from analytics.models import TrafficBucket
from analytics.selectors import percentile
from analytics.services import analytics_flush
from billing.services import plan_set
from orgs.services import org_create
from tests.conftest import bearer
from tests.factories import UserFactory
from tests.servers import WebServer, site_env


def day_requests(account) -> int:
    return sum(
        TrafficBucket.objects.filter(account=account, interval="day").values_list("requests", flat=True)
    )


@pytest.mark.django_db
def test_a_person_acting_for_an_org_and_an_org_key_count_for_the_org():
    person = UserFactory()
    org = org_create(creator=person, username="acme-analytics", name="Acme")
    plan_set(user=org, code="business")
    as_org = APIClient()
    as_org.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for_user(person)['token']}",
                       HTTP_X_LOOPWIND_ACCOUNT=org.username)  # fmt: skip
    assert as_org.get("/api/me/usage").status_code == 200
    _, org_key = api_key_create(user=org, name="org key")
    assert bearer(APIClient(), org_key).get("/api/me/usage").status_code == 200
    as_person = bearer(APIClient(), tokens_for_user(person)["token"])
    assert as_person.get("/api/me/usage").status_code == 200
    collector.flush()
    analytics_flush()
    assert day_requests(org) == 2
    assert day_requests(person) == 1


@pytest.mark.django_db
def test_a_failing_count_never_costs_the_response(monkeypatch):
    account = UserFactory()

    def broken(**_):
        raise RuntimeError("counting broke")

    monkeypatch.setattr(collector, "record", broken)
    client = bearer(APIClient(), tokens_for_user(account)["token"])
    assert client.get("/api/me/usage").status_code == 200


@pytest.mark.django_db
def test_anonymous_and_website_requests_are_not_counted():
    assert APIClient().get("/api/templates").status_code == 200  # nobody's traffic
    assert APIClient().get("/").status_code == 200  # not the API
    assert collector.take() is None


def test_percentiles_come_from_the_histogram():
    histogram = [0] * 26
    histogram[0] = 50  # <= 1 ms
    histogram[5] = 50  # 7-10 ms
    assert percentile(histogram, 0.5) == 1.0
    assert 7 < percentile(histogram, 0.95) <= 10
    assert percentile([0] * 26, 0.5) is None
    histogram[-1] = 1000  # slower than a minute: the last finite bound
    assert percentile(histogram, 0.99) == 60000


def flushed_until(account, expected: int, timeout: float = 60) -> int:
    """The worker's flush, again until the web processes' counts have all arrived (or the time is up)."""
    deadline = time.monotonic() + timeout
    while True:
        analytics_flush()
        seen = day_requests(account)
        if seen >= expected or time.monotonic() > deadline:
            return seen
        time.sleep(0.2)


@pytest.mark.django_db(transaction=True)
def test_gunicorn_workers_hand_their_counts_over_on_their_own(tmp_path, _media):
    account = UserFactory()
    key = api_key_create(user=account, name="live")[1]
    server = WebServer(tmp_path, site_env(_media, ANALYTICS_FLUSH_SECONDS="0.2"), workers=2)
    server.start()
    try:
        with requests.Session() as session:
            for _ in range(30):
                response = session.get(f"{server.url}/api/me/usage", headers={"Authorization": f"Bearer {key}"},
                                       timeout=30)  # fmt: skip
                assert response.status_code == 200
        assert flushed_until(account, 30) == 30  # the background flush, both workers
    finally:
        server.stop()
    assert flushed_until(account, 31, timeout=1) == 30  # nothing twice


@pytest.mark.django_db(transaction=True)
def test_a_worker_that_stops_hands_over_what_it_counted(tmp_path, _media):
    account = UserFactory()
    key = api_key_create(user=account, name="live")[1]
    server = WebServer(
        tmp_path, site_env(_media, ANALYTICS_FLUSH_SECONDS="3600"), workers=1
    )  # no periodic flush in this test
    server.start()
    try:
        for _ in range(5):
            response = requests.get(f"{server.url}/api/me/usage", headers={"Authorization": f"Bearer {key}"},
                                    timeout=30)  # fmt: skip
            assert response.status_code == 200
        analytics_flush()
        assert day_requests(account) == 0  # still in the worker's memory
    finally:
        server.stop(signal.SIGTERM)  # a deploy's graceful restart
    assert flushed_until(account, 5, timeout=30) == 5


@pytest.mark.django_db
def test_the_flush_samples_at_most_so_many_errors(monkeypatch):
    monkeypatch.setattr(collector_module, "ERRORS_PER_ACCOUNT_MINUTE", 1)
    account = UserFactory()
    client = bearer(APIClient(), tokens_for_user(account)["token"])
    for _ in range(3):
        assert client.get("/api/templates/nobody/nothing").status_code == 404
    record = collector.take()
    assert len(record["errors"]) == 1 and sum(bucket[8] for bucket in record["buckets"]) == 3


@pytest.mark.django_db
def test_routes_are_patterns_and_made_up_methods_one_name():
    account = UserFactory()
    client = bearer(APIClient(), tokens_for_user(account)["token"])
    for name in ("a", "b", "c"):
        client.get(f"/api/templates/{account.username}/{name}")
    client.generic("BREW", "/api/me/usage")
    client.generic("BREW2", "/api/me/usage")
    routes = {bucket[3] for bucket in collector.take()["buckets"]}
    assert routes == {"GET /api/templates/{username}/{name}", "OTHER /api/me/usage"}


@pytest.mark.django_db(transaction=True)
def test_the_worker_applies_what_a_process_flushed(tmp_path, _media, monkeypatch):
    """The whole way: a flush pushes the counts and sends the apply actor (analytics.schedule), and a
    real `rundramatiq` worker applies them (analytics.tasks)."""
    import redis
    from django.conf import settings as django_settings

    from analytics import schedule
    from tests.cli.helpers import end_other_db_sessions
    from tests.rendering.worker import Worker

    broker = redis.Redis.from_url(django_settings.DRAMATIQ_REDIS_URL)
    for key in broker.scan_iter("dramatiq:*"):
        broker.delete(key)
    monkeypatch.setattr(schedule, "FLUSH_DELAY_MS", 0)
    account = UserFactory()
    client = bearer(APIClient(), tokens_for_user(account)["token"])
    for _ in range(3):
        assert client.get("/api/me/usage").status_code == 200
    prefix = django_settings.CACHES["default"].get("KEY_PREFIX", "lw")
    worker = Worker(media_root=str(_media), site_url="http://testserver", log=tmp_path / "worker.log",
                    extra_env={"CACHE_KEY_PREFIX": prefix})  # fmt: skip
    try:
        assert collector.flush()
        deadline = time.monotonic() + 60
        while day_requests(account) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert day_requests(account) == 3, (tmp_path / "worker.log").read_text()[-2000:]
    finally:
        worker.stop()
        end_other_db_sessions()
