"""The worker's writes of the API analytics: the web processes' flushed counts into the minute,
hour and day rollups (exactly once per flush), the sampled errors into the error log, and what is
past its plan's retention out."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import User
from analytics.models import LATENCY_BOUNDS_MS, AppliedBatch, ErrorEvent, Interval, TrafficBucket
from analytics.schedule import LOG
from analytics.selectors import period_start
from billing.plans import plans_by_code

logger = logging.getLogger(__name__)
ERRORS_KEPT = 1000  # the newest error records kept per account
APPLIED_KEPT = timedelta(days=2)  # how long a flush's id is remembered (a claim never waits that long)
PRUNE_EVERY = 3600  # seconds between retention passes
_LOCK_ID = 0x10097  # the advisory lock that keeps two appliers apart
_GROUP = ("key_id", "route", "template", "format", "status", "cache")


def analytics_flush() -> int:
    """Applies what the web processes handed over (core.durablelog: claimed, applied, released
    after the commit) and prunes once an hour; returns the flushes applied."""
    claims = LOG.claim()
    records = [json.loads(raw) for claim in claims for raw in LOG.records(claim)]
    applied = analytics_apply(records)
    LOG.release(claims)
    if cache.add("analytics:pruned", 1, timeout=PRUNE_EVERY):
        analytics_prune()
    return applied


@transaction.atomic
def analytics_apply(records: list[dict]) -> int:
    """Adds flush records (analytics.collector.Collector.take) to the rollups. A record whose id
    was applied before is skipped, so a flush that died after its commit counts nothing twice."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_ID])
    ids = {record["id"] for record in records}
    done = set(AppliedBatch.objects.filter(batch_id__in=ids).values_list("batch_id", flat=True))
    fresh = {record["id"]: record for record in records if record["id"] not in done}
    if not fresh:
        return 0
    AppliedBatch.objects.bulk_create([AppliedBatch(batch_id=batch_id) for batch_id in fresh])

    deltas: dict[tuple, list] = {}
    for record in fresh.values():
        for minute, account, key, route, template, fmt, status, cache_outcome, *values in record["buckets"]:
            at = datetime.fromtimestamp(minute, UTC)
            for interval in Interval.values:
                group = (account, interval, period_start(at, interval), key, route, template, fmt, status,
                         cache_outcome)  # fmt: skip
                _add(deltas.setdefault(group, [0, 0, 0, 0.0, [0] * len(LATENCY_BOUNDS_MS)]), values)
    _buckets_merge(deltas)
    ErrorEvent.objects.bulk_create(
        [
            ErrorEvent(
                at=datetime.fromisoformat(at),
                account_id=account,
                status=status,
                code=code[:64],
                message=message[:300],
                route=route[:120],
                path=path[:300],
                key_prefix=key_prefix[:16],
                request_id=request_id[:64],
                template=template[:200],
            )  # fmt: skip
            for record in fresh.values()
            for at, account, status, code, message, route, path, key_prefix, request_id, template in record[
                "errors"
            ]
        ]
    )
    return len(fresh)


def _add(into: list, values: list) -> None:
    requests, errors, renders, latency, histogram = values
    into[0] += requests
    into[1] += errors
    into[2] += renders
    into[3] += latency
    for bucket, count in histogram.items() if isinstance(histogram, dict) else enumerate(histogram):
        into[4][int(bucket)] += count


def _buckets_merge(deltas: dict[tuple, list]) -> None:
    """Adds each delta to its bucket row, creating the rows not there yet (under the apply lock,
    so "not there" stays true until the INSERT)."""
    periods: dict[tuple[str, datetime], set[int]] = {}
    for account, interval, start, *_ in deltas:
        periods.setdefault((interval, start), set()).add(account)
    existing: dict[tuple, TrafficBucket] = {}
    for (interval, start), accounts in periods.items():
        for row in TrafficBucket.objects.filter(interval=interval, start=start, account_id__in=accounts):
            existing[(row.account_id, row.interval, row.start, *(getattr(row, f) for f in _GROUP))] = row
    to_update, to_create = [], []
    for group, (requests, errors, renders, latency, histogram) in deltas.items():
        row = existing.get(group)
        if row is None:
            account, interval, start, *rest = group
            to_create.append(TrafficBucket(account_id=account, interval=interval, start=start,
                                           **dict(zip(_GROUP, rest, strict=True)), requests=requests,
                                           errors=errors, renders=renders, latency_ms_total=latency,
                                           latency_histogram=histogram))  # fmt: skip
            continue
        row.requests += requests
        row.errors += errors
        row.renders += renders
        row.latency_ms_total += latency
        old = list(row.latency_histogram) + [0] * (len(histogram) - len(row.latency_histogram))
        row.latency_histogram = [a + b for a, b in zip(old, histogram, strict=False)]
        to_update.append(row)
    TrafficBucket.objects.bulk_create(to_create, batch_size=1000)
    TrafficBucket.objects.bulk_update(
        to_update, ["requests", "errors", "renders", "latency_ms_total", "latency_histogram"], batch_size=1000
    )


def analytics_prune(*, now: datetime | None = None) -> dict[str, int]:
    """Drops rollups older than their account's plan keeps (``analytics_days``), the finer
    intervals a plan does not show after a day, error records past the retention or beyond the
    newest ERRORS_KEPT per account, and remembered flush ids."""
    now = now or timezone.now()
    deleted = {"buckets": 0, "errors": 0}
    plans = plans_by_code()
    longest = max(plan.analytics_days for plan in plans.values())
    for plan in plans.values():
        accounts = User.objects.filter(plan=plan.code).values("pk")
        cutoff = now - timedelta(days=plan.analytics_days + 1)
        deleted["buckets"] += TrafficBucket.objects.filter(account__in=accounts, start__lt=cutoff).delete()[0]
        hidden = [i for i in Interval.values if i not in plan.analytics_interval_list]
        if hidden:
            deleted["buckets"] += TrafficBucket.objects.filter(
                account__in=accounts, interval__in=hidden, start__lt=now - timedelta(days=2)
            ).delete()[0]
        deleted["errors"] += ErrorEvent.objects.filter(account__in=accounts, at__lt=cutoff).delete()[0]
    far = now - timedelta(days=longest + 1)  # accounts whose plan code names no plan
    deleted["buckets"] += TrafficBucket.objects.filter(start__lt=far).delete()[0]
    deleted["errors"] += ErrorEvent.objects.filter(at__lt=far).delete()[0]
    crowded = ErrorEvent.objects.values("account").annotate(n=Count("id")).filter(n__gt=ERRORS_KEPT)
    for row in crowded:
        newest = ErrorEvent.objects.filter(account_id=row["account"]).order_by("-at", "-id")
        oldest_kept = newest.values_list("at", "id")[ERRORS_KEPT - 1]
        deleted["errors"] += (
            ErrorEvent.objects.filter(account_id=row["account"], at__lte=oldest_kept[0])
            .exclude(at=oldest_kept[0], id__gte=oldest_kept[1])
            .delete()[0]
        )
    AppliedBatch.objects.filter(applied_at__lt=now - APPLIED_KEPT).delete()
    return deleted
