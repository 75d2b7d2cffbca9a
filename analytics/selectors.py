"""Reads of the API analytics: time series by interval and grouping, and the recent errors."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from accounts.models import ApiKey
from analytics.models import LATENCY_BOUNDS_MS, ErrorEvent, Interval, TrafficBucket

# groupBy values and the bucket field each reads
GROUPINGS = {"route": "route", "template": "template", "key": "key_id", "status": "status", "format": "format",
             "cache": "cache"}  # fmt: skip
PERIOD = {
    Interval.MINUTE: timedelta(minutes=1),
    Interval.HOUR: timedelta(hours=1),
    Interval.DAY: timedelta(days=1),
}
MAX_POINTS = 1500  # periods one series may hold (a day by minute, two months by hour)
TOP_GROUPS = 20  # series returned; the rest are summed into one "(other)" series
OTHER = "(other)"
NO_KEY = "(no API key)"


def percentile(histogram: list[int], fraction: float) -> float | None:
    """The latency below which ``fraction`` of the requests fell, from a histogram over
    LATENCY_BOUNDS_MS (interpolated inside the bucket it lands in), or None without requests."""
    total = sum(histogram)
    if not total:
        return None
    rank = fraction * total
    seen = 0
    for index, count in enumerate(histogram):
        if count and seen + count >= rank:
            low = LATENCY_BOUNDS_MS[index - 1] if index else 0.0
            high = LATENCY_BOUNDS_MS[index]
            if high == float("inf"):
                return low
            return round(low + (high - low) * (rank - seen) / count, 2)
        seen += count
    return LATENCY_BOUNDS_MS[-2]


class _Sum:
    __slots__ = ("requests", "errors", "renders", "latency", "histogram")

    def __init__(self):
        self.requests = self.errors = self.renders = 0
        self.latency = 0.0
        self.histogram = [0] * len(LATENCY_BOUNDS_MS)

    def add(self, row) -> None:
        self.requests += row["requests"]
        self.errors += row["errors"]
        self.renders += row["renders"]
        self.latency += row["latency_ms_total"]
        for index, count in enumerate(row["latency_histogram"][: len(self.histogram)]):
            self.histogram[index] += count

    def merge(self, other: _Sum) -> None:
        self.requests += other.requests
        self.errors += other.errors
        self.renders += other.renders
        self.latency += other.latency
        self.histogram = [a + b for a, b in zip(self.histogram, other.histogram, strict=True)]

    def out(self) -> dict:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "renders": self.renders,
            "avgMs": round(self.latency / self.requests, 2) if self.requests else None,
            "p50Ms": percentile(self.histogram, 0.5),
            "p95Ms": percentile(self.histogram, 0.95),
        }


def period_start(moment: datetime, interval: str) -> datetime:
    """The start (UTC) of the minute, hour or day ``moment`` falls in: the rollups' ``start``."""
    seconds = int(PERIOD[interval].total_seconds())
    return datetime.fromtimestamp(int(moment.timestamp()) // seconds * seconds, UTC)


def periods(start: datetime, end: datetime, interval: str) -> list[datetime]:
    step, at, out = PERIOD[interval], start, []
    while at < end:
        out.append(at)
        at += step
    return out


def analytics_series(*, account, start: datetime, end: datetime, interval: str, group_by: str | None) -> dict:
    """Requests, errors, renders and latency of ``account`` per period in [start, end) (both on
    the interval's boundaries), one series per group (the TOP_GROUPS busiest, then the rest as one),
    every period present (zeros where nothing happened)."""
    field = GROUPINGS[group_by] if group_by else None
    columns = ["start", "requests", "errors", "renders", "latency_ms_total", "latency_histogram"]
    rows = TrafficBucket.objects.filter(account=account, interval=interval, start__gte=start, start__lt=end)
    per_group: dict[str, dict[datetime, _Sum]] = defaultdict(lambda: defaultdict(_Sum))
    for row in rows.values(*columns, *([field] if field else [])).iterator(chunk_size=2000):
        per_group[row[field] if field else ""][row["start"]].add(row)

    def total_of(points: dict[datetime, _Sum]) -> _Sum:
        total = _Sum()
        for value in points.values():
            total.merge(value)
        return total

    totals = {group: total_of(points) for group, points in per_group.items()}
    ranked = sorted(per_group, key=lambda group: (-totals[group].requests, group))
    if len(ranked) > TOP_GROUPS:
        other: dict[datetime, _Sum] = defaultdict(_Sum)
        for group in ranked[TOP_GROUPS:]:
            for at, value in per_group.pop(group).items():
                other[at].merge(value)
            totals.pop(group)
        per_group[OTHER], totals[OTHER] = other, total_of(other)
        ranked = [*ranked[:TOP_GROUPS], OTHER]
    labels = _key_labels(account, ranked) if group_by == "key" else {}
    every = periods(start, end, interval)
    empty = _Sum().out()
    series = [
        {
            "group": group if group_by else None,
            "label": labels.get(group, group) if group_by else None,
            "totals": totals[group].out(),
            "points": [
                {"start": at, **(per_group[group][at].out() if at in per_group[group] else empty)}
                for at in every
            ],  # fmt: skip
        }
        for group in ranked
    ]
    overall = _Sum()
    for total in totals.values():
        overall.merge(total)
    if not series and not group_by:  # nothing yet: one series of zeros to chart
        series = [
            {
                "group": None,
                "label": None,
                "totals": empty,
                "points": [{"start": at, **empty} for at in every],
            }
        ]
    return {"totals": overall.out(), "series": series}


def _key_labels(account, key_ids: list[str]) -> dict[str, str]:
    keys = ApiKey.objects.filter(user=account, public_id__in=[k for k in key_ids if k.startswith("key_")])
    labels = {
        key.public_id: f"{key.name} ({key.prefix}…)" for key in keys.only("public_id", "name", "prefix")
    }
    labels[""] = NO_KEY
    return labels


def analytics_errors(*, account, limit: int = 50, before: datetime | None = None) -> list[ErrorEvent]:
    """The account's most recent error responses, newest first."""
    errors = ErrorEvent.objects.filter(account=account)
    if before is not None:
        errors = errors.filter(at__lt=before)
    return list(errors.order_by("-at", "-id")[:limit])
