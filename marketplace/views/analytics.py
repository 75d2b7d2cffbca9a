"""The dashboard's API analytics (/dashboard/analytics) and its CSV downloads: the current account's
API and image-URL traffic over a period its plan keeps, read with the same selectors as
``GET /api/analytics`` and ``GET /api/analytics/errors`` and charted as server-drawn SVG
(marketplace.charts). Any member sees the account's analytics, as on the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from analytics import export
from analytics import selectors as analytics
from billing.plans import plan_limits
from marketplace import charts
from marketplace.views.accounts_context import current_account

ERRORS_SHOWN = 20
TOP_ROWS = 10


@dataclass(frozen=True)
class Period:
    key: str
    label: str
    interval: str
    span: timedelta


PERIODS = [
    Period("1h", "Last hour", "minute", timedelta(hours=1)),
    Period("24h", "Last 24 hours", "hour", timedelta(hours=24)),
    Period("7d", "Last 7 days", "day", timedelta(days=7)),
    Period("30d", "Last 30 days", "day", timedelta(days=30)),
    Period("90d", "Last 90 days", "day", timedelta(days=90)),
]
PREFERRED = ("24h", "7d")  # the first period a plan allows opens the page
# The tables under the charts: templates and keys where the plan groups by them, else routes.
TOP_TABLES = [("template", "Top templates", "Template"), ("key", "Top API keys", "API key")]
FALLBACK_TABLE = ("route", "Top routes", "Route")
EMPTY_GROUP = {"template": "(no template)", "route": "(no route)"}


def plan_periods(plan) -> tuple[list[Period], list[Period]]:
    """The periods the plan shows (its interval and how many days it keeps), and the rest."""
    allowed = [p for p in PERIODS
               if p.interval in plan.analytics_interval_list and p.span <= timedelta(days=plan.analytics_days)]  # fmt: skip
    return allowed, [p for p in PERIODS if p not in allowed]


def chosen_period(requested: str, allowed: list[Period]) -> tuple[Period | None, Period | None]:
    """The period to show, and the one asked for when the plan does not allow it (for a note).
    Anything else in ``?period=`` is ignored: the page opens on its default."""
    by_key = {p.key: p for p in allowed}
    if requested in by_key:
        return by_key[requested], None
    default = next((by_key[k] for k in PREFERRED if k in by_key), allowed[0] if allowed else None)
    refused = next((p for p in PERIODS if p.key == requested), None)
    return default, refused


def window(period: Period, now: datetime) -> tuple[datetime, datetime]:
    """Whole periods up to and including the current one, as the API's default range."""
    end = analytics.period_start(now, period.interval) + analytics.PERIOD[period.interval]
    return end - period.span, end


def _traffic_chart(series: dict, period: Period, start: datetime, end: datetime) -> charts.Chart:
    points = series["points"]
    starts = [p["start"] for p in points]
    busiest = max(points, key=lambda p: p["requests"])
    full = charts.FULL_TIME_FORMATS[period.interval]
    totals = series["totals"]
    desc = (
        f"Requests and errors per {period.interval}, {start:{full}} to {end:{full}} UTC: "
        f"{totals['requests']:,} requests and {totals['errors']:,} errors in all; the busiest "
        f"{period.interval} began {busiest['start']:{full}} with {busiest['requests']:,} requests."
    )
    return charts.chart(
        id="chart-traffic", title=f"Requests and errors, {period.label.lower()}", desc=desc, starts=starts,
        interval=period.interval, whole=True,
        series=[charts.Series("Requests", "series-requests", [p["requests"] for p in points]),
                charts.Series("Errors", "series-errors", [p["errors"] for p in points])],
    )  # fmt: skip


def _latency_chart(series: dict, period: Period, start: datetime, end: datetime) -> charts.Chart:
    points = series["points"]
    p50 = [p["p50Ms"] for p in points]
    p95 = [p["p95Ms"] for p in points]
    full = charts.FULL_TIME_FORMATS[period.interval]
    known50 = [v for v in p50 if v is not None]
    known95 = [v for v in p95 if v is not None]
    desc = f"Median (p50) and 95th percentile (p95) latency per {period.interval}, {start:{full}} to {end:{full}} UTC"
    if known50:
        desc += (f": p50 between {charts.exact(min(known50), ' ms')} and {charts.exact(max(known50), ' ms')}, "
                 f"p95 up to {charts.exact(max(known95), ' ms')}.")  # fmt: skip
    else:
        desc += ": no requests."
    return charts.chart(
        id="chart-latency", title=f"Latency, {period.label.lower()}", desc=desc, starts=[p["start"] for p in points],
        interval=period.interval, unit=" ms",
        series=[charts.Series("p50", "series-p50", p50, kind="steps"),
                charts.Series("p95", "series-p95", p95, kind="steps")],
    )  # fmt: skip


def _top_table(account, period: Period, start, end, group_by: str, title: str, column: str) -> dict:
    result = analytics.analytics_series(account=account, start=start, end=end, interval=period.interval,
                                        group_by=group_by)  # fmt: skip
    rows = result["series"][:TOP_ROWS]
    largest = max((s["totals"]["requests"] for s in rows), default=0)
    return {
        "group_by": group_by,
        "title": title,
        "column": column,
        "rows": [
            {
                "label": s["label"] or EMPTY_GROUP.get(group_by, s["label"]),
                "totals": s["totals"],
                "share": charts.share(s["totals"]["requests"], largest),
            }
            for s in rows
        ],  # fmt: skip
    }


def _more(locked: list[Period], groupings: list[str]) -> str:
    """What a bigger plan adds, as a phrase: "last hour by minute, … and top API keys"."""
    parts = [f"{p.label[0].lower()}{p.label[1:]} by {p.interval}" for p in locked]
    parts += [title[0].lower() + title[1:] for group, title, _ in TOP_TABLES if group not in groupings]
    return ", ".join(parts[:-1]) + f" and {parts[-1]}" if len(parts) > 1 else "".join(parts)


def _rate(totals: dict) -> float | None:
    return round(100 * totals["errors"] / totals["requests"], 1) if totals["requests"] else None


@login_required
@require_GET
def analytics_page(request):
    account, _role = current_account(request)
    plan = plan_limits(account)
    allowed, locked = plan_periods(plan)
    period, refused = chosen_period(request.GET.get("period", ""), allowed)
    groupings = plan.analytics_grouping_list
    context = {"account": account, "plan": plan, "periods": allowed, "locked": locked, "period": period,
               "refused": refused, "more": _more(locked, groupings),
               "site_url": settings.SITE_URL, "section": "analytics"}  # fmt: skip
    if period is None:  # a plan without analytics (none of the defaults): the upgrade note only
        return render(request, "marketplace/dashboard/analytics.html", context)
    start, end = window(period, timezone.now())
    overall = analytics.analytics_series(account=account, start=start, end=end, interval=period.interval,
                                         group_by=None)  # fmt: skip
    totals = overall["totals"]
    tables = [t for t in TOP_TABLES if t[0] in groupings] or [FALLBACK_TABLE]
    context.update(
        start=start,
        end=end,
        totals=totals,
        error_rate=_rate(totals),
        errors=analytics.analytics_errors(account=account, limit=ERRORS_SHOWN),
        longer=[p for p in allowed if p.span > period.span],
    )
    if totals["requests"]:
        context.update(
            traffic=_traffic_chart(overall["series"][0], period, start, end),
            latency=_latency_chart(overall["series"][0], period, start, end),
            tables=[_top_table(account, period, start, end, *table) for table in tables],
        )
    return render(request, "marketplace/dashboard/analytics.html", context)


@login_required
@require_GET
def analytics_csv(request):
    """The page's period as CSV, in the columns of ``GET /api/analytics`` with ``Accept: text/csv``;
    ``?group=`` one of the plan's groupings gives one row per group and period."""
    account, _role = current_account(request)
    plan = plan_limits(account)
    allowed, _locked = plan_periods(plan)
    period, _refused = chosen_period(request.GET.get("period", ""), allowed)
    if period is None:
        return HttpResponse("Your plan has no analytics.", status=403, content_type="text/plain")
    group = request.GET.get("group", "")
    group_by = group if group in plan.analytics_grouping_list and group in analytics.GROUPINGS else None
    start, end = window(period, timezone.now())
    result = analytics.analytics_series(account=account, start=start, end=end, interval=period.interval,
                                        group_by=group_by)  # fmt: skip
    return export.series_csv(result, f"analytics-{period.key}{'-' + group_by if group_by else ''}.csv")


@login_required
@require_GET
def analytics_errors_csv(request):
    """The recent error log as CSV, in the columns of ``GET /api/analytics/errors``."""
    account, _role = current_account(request)
    errors = analytics.analytics_errors(account=account, limit=200)
    return export.errors_csv(errors)
