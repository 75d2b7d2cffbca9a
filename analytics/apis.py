"""``GET /api/analytics`` (time series of the account's API traffic) and ``GET
/api/analytics/errors`` (its recent error responses); both answer CSV to ``Accept: text/csv``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import export, selectors
from analytics.models import Interval
from billing.errors import PlanLimit
from billing.plans import plan_limits
from core.api import validated_query
from core.errors import ApiError

DEFAULT_SPAN = {
    Interval.MINUTE: timedelta(hours=1),
    Interval.HOUR: timedelta(hours=24),
    Interval.DAY: timedelta(days=7),
}


class CsvRenderer(BaseRenderer):
    """Lets ``Accept: text/csv`` through content negotiation; the views write the CSV themselves."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


# CSV is asked for with the Accept header; DRF's ?format= override stays out of the contract.
NO_FORMAT_PARAMETER = OpenApiParameter("format", exclude=True)


class _Negotiated(APIView):
    renderer_classes = [JSONRenderer, CsvRenderer]
    required_scopes = "render:read"

    def wants_csv(self, request) -> bool:
        return getattr(request.accepted_renderer, "format", "") == "csv"

    def finalize_response(self, request, response, *args, **kwargs):
        if response.status_code >= 400:  # errors are the error JSON, whatever was asked for
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), "application/json"
        return super().finalize_response(request, response, *args, **kwargs)


class InvalidRange(ApiError):
    code = "invalid_range"


class _Moment(serializers.CharField):
    """An ISO 8601 date or date-time; without a zone, UTC."""

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        if len(text) > 40:
            raise serializers.ValidationError(
                "Must be an ISO 8601 date or date-time, e.g. 2026-12-01T10:00:00Z."
            )
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise serializers.ValidationError(  # noqa: B904 (the message says all there is)
                "Must be an ISO 8601 date or date-time, e.g. 2026-12-01T10:00:00Z."
            )
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        if not 2000 <= moment.astimezone(UTC).year <= 2100:  # also keeps period arithmetic in range
            raise serializers.ValidationError("Must be a time between the years 2000 and 2100.")
        return moment


class AnalyticsQuery(serializers.Serializer):
    start = _Moment(required=False, help_text="ISO 8601; default: an hour, a day or a week before `to`")
    to = _Moment(required=False, help_text="ISO 8601, exclusive; default: now")
    interval = serializers.ChoiceField(choices=Interval.values, default=Interval.DAY)
    groupBy = serializers.ChoiceField(choices=list(selectors.GROUPINGS), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # `from` is a Python keyword, so the field is declared as `start`: it reads the `from` parameter
        # and its value stays under "start" in validated_data
        self.fields["from"] = self.fields.pop("start")


def _range(data: dict, interval: str, plan) -> tuple[datetime, datetime]:
    """[from, to) widened to whole periods, checked against the plan's retention and MAX_POINTS."""
    now = timezone.now()
    end = data.get("to") or now
    start = data.get("start") or end - DEFAULT_SPAN[interval]  # the `from` parameter (AnalyticsQuery)
    if start >= end:
        raise InvalidRange("`from` must be before `to`.", details={"from": start, "to": end})
    step = selectors.PERIOD[interval]
    first = selectors.period_start(start, interval)
    last = selectors.period_start(end - timedelta(microseconds=1), interval) + step
    count = round((last - first) / step)
    if count > selectors.MAX_POINTS:
        raise InvalidRange(
            f"That range holds {count} {interval}s; one request may ask for {selectors.MAX_POINTS}. "
            "Use a coarser interval or a shorter range.",
            code="range_too_large", details={"points": count, "maxPoints": selectors.MAX_POINTS},
        )  # fmt: skip
    kept_from = selectors.period_start(now - timedelta(days=plan.analytics_days), Interval.DAY)
    if first < kept_from:
        raise PlanLimit(
            f"Your plan ({plan.name}) keeps {plan.analytics_days} days of analytics: ask from "
            f"{kept_from:%Y-%m-%d} on.",
            details={"analyticsDays": plan.analytics_days, "earliest": kept_from},
        )
    return first, last


class AnalyticsApi(_Negotiated):
    @extend_schema(
        summary="Get API analytics",
        description=(
            "Your account's API and image-URL traffic per minute, hour or day: requests, errors (4xx and 5xx "
            "answers), renders (images rendered, not served from the cache) and p50/p95 latency, optionally one "
            "series per route, template, API key, status class, format or cache outcome (the 20 busiest, the rest "
            "summed as `(other)`). Counts arrive within about 15 seconds. Free and Pro keep 7 days, by day, "
            "grouped by route or status; Business keeps 90 days at every interval and grouping. "
            "`Accept: text/csv` answers one CSV row per series and period."
        ),
        parameters=[
            OpenApiParameter(
                "from", OpenApiTypes.DATETIME, description="ISO 8601 date or date-time (inclusive)"
            ),
            OpenApiParameter(
                "to", OpenApiTypes.DATETIME, description="ISO 8601 date or date-time (exclusive)"
            ),
            OpenApiParameter("interval", str, enum=Interval.values, description="default: day"),
            OpenApiParameter("groupBy", str, enum=list(selectors.GROUPINGS)),
            NO_FORMAT_PARAMETER,
        ],
        responses={200: OpenApiTypes.OBJECT},
        tags=["analytics"],
        operation_id="analytics_get",
    )
    def get(self, request):
        query = validated_query(AnalyticsQuery, request)
        plan = plan_limits(request.user)
        interval, group_by = query["interval"], query.get("groupBy")
        if interval not in plan.analytics_interval_list:
            raise PlanLimit(f"Your plan ({plan.name}) shows analytics by {', '.join(plan.analytics_interval_list)}.",
                            details={"intervals": plan.analytics_interval_list})  # fmt: skip
        if group_by and group_by not in plan.analytics_grouping_list:
            raise PlanLimit(f"Your plan ({plan.name}) groups analytics by {', '.join(plan.analytics_grouping_list)}.",
                            details={"groupings": plan.analytics_grouping_list})  # fmt: skip
        start, end = _range(query, interval, plan)
        result = selectors.analytics_series(account=request.user, start=start, end=end, interval=interval,
                                            group_by=group_by)  # fmt: skip
        if self.wants_csv(request):
            return export.series_csv(result, f"analytics-{interval}.csv")
        return Response({"from": start, "to": end, "interval": interval, "groupBy": group_by, **result})


class ErrorsQuery(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=200, default=50)
    before = _Moment(required=False, help_text="only errors before this time (the next page)")


class AnalyticsErrorsApi(_Negotiated):
    @extend_schema(
        summary="List recent API errors",
        description=(
            "Your account's most recent error answers (4xx and 5xx), newest first: when, the status and error code, "
            "the route and path, the API key's prefix, the request id (`X-Request-Id`, for support) and the "
            "template. A sample for debugging: up to 20 a minute are kept, the newest 1,000 per account. "
            "`Accept: text/csv` answers CSV."
        ),
        parameters=[
            OpenApiParameter("limit", int, description="1-200, default 50"),
            NO_FORMAT_PARAMETER,
            OpenApiParameter(
                "before", OpenApiTypes.DATETIME, description="the next page: errors before this time"
            ),
        ],
        responses={200: OpenApiTypes.OBJECT},
        tags=["analytics"],
        operation_id="analytics_errors",
    )
    def get(self, request):
        query = validated_query(ErrorsQuery, request)
        errors = selectors.analytics_errors(account=request.user, limit=query["limit"],
                                            before=query.get("before"))  # fmt: skip
        if self.wants_csv(request):
            return export.errors_csv(errors)
        return Response({"errors": [export.error_record(error) for error in errors]})
