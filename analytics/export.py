"""The analytics as CSV, one layout for the API (``Accept: text/csv``) and the dashboard's downloads."""

from __future__ import annotations

import csv
import io

from django.http import HttpResponse

from analytics.models import ErrorEvent

SERIES_COLUMNS = ["start", "group", "requests", "errors", "renders", "avg_ms", "p50_ms", "p95_ms"]
ERROR_COLUMNS = ["at", "status", "code", "message", "route", "path", "keyPrefix", "requestId", "template"]


def error_record(error: ErrorEvent) -> dict:
    """An error log entry as ``GET /api/analytics/errors`` shows it."""
    return {"at": error.at, "status": error.status, "code": error.code, "message": error.message,
            "route": error.route, "path": error.path, "keyPrefix": error.key_prefix,
            "requestId": error.request_id, "template": error.template}  # fmt: skip


def _blank(value):
    return "" if value is None else value


def _response(filename: str, header: list[str], rows) -> HttpResponse:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def series_csv(result: dict, filename: str) -> HttpResponse:
    """analytics.selectors.analytics_series's result, a row per group and period."""
    return _response(
        filename,
        SERIES_COLUMNS,
        (
            [point["start"].isoformat(), series["label"] or "", point["requests"], point["errors"],
             point["renders"], _blank(point["avgMs"]), _blank(point["p50Ms"]), _blank(point["p95Ms"])]
            for series in result["series"]
            for point in series["points"]
        ),
    )  # fmt: skip


def errors_csv(errors: list[ErrorEvent], filename: str = "analytics-errors.csv") -> HttpResponse:
    return _response(
        filename,
        ERROR_COLUMNS,
        ([record["at"].isoformat(), *list(record.values())[1:]] for record in map(error_record, errors)),
    )
