"""Issue 16: rollups are kept as long as the account's plan shows them (Free and Pro 7 days,
Business 90), the finer intervals a plan does not show go after two days, and the error log
keeps the newest ERRORS_KEPT per account."""

from datetime import UTC, datetime, timedelta

import pytest

from analytics import selectors, services
from analytics.models import ErrorEvent, TrafficBucket
from analytics.services import analytics_prune
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def bucket(account, interval, days_ago, **fields):
    start = selectors.period_start(NOW - timedelta(days=days_ago), interval)
    return TrafficBucket.objects.create(account=account, interval=interval, start=start, route="GET /api/x",
                                        status="2xx", requests=1, latency_histogram=[1], **fields)  # fmt: skip


def kept(account) -> set[tuple[str, int]]:
    return {(row.interval, (NOW - row.start).days) for row in TrafficBucket.objects.filter(account=account)}


def test_each_plan_keeps_what_it_shows():
    pro, business = UserFactory(plan="pro"), UserFactory(plan="business")
    for account in (pro, business):
        for interval in ("minute", "hour", "day"):
            for days_ago in (0, 3, 9, 60, 120):
                bucket(account, interval, days_ago)
    analytics_prune(now=NOW)
    # Pro shows days only, for 7 days; its minutes and hours are kept two days (a day's rollup in the making)
    assert kept(pro) == {("minute", 0), ("hour", 0), ("day", 0), ("day", 3)}
    # Business: 90 days of every interval
    assert kept(business) == {(i, d) for i in ("minute", "hour", "day") for d in (0, 3, 9, 60)}


def test_the_error_log_keeps_the_newest(monkeypatch):
    monkeypatch.setattr(services, "ERRORS_KEPT", 3)
    account, other = UserFactory(plan="business"), UserFactory(plan="business")
    for minutes in range(5):
        ErrorEvent.objects.create(
            account=account, at=NOW - timedelta(minutes=minutes), status=404, route="GET /x"
        )
    ErrorEvent.objects.create(account=other, at=NOW - timedelta(days=1), status=400, route="GET /x")
    ErrorEvent.objects.create(account=other, at=NOW - timedelta(days=100), status=400, route="GET /x")
    analytics_prune(now=NOW)
    assert sorted((NOW - e.at).seconds // 60 for e in ErrorEvent.objects.filter(account=account)) == [0, 1, 2]
    assert [(NOW - e.at).days for e in ErrorEvent.objects.filter(account=other)] == [1]
