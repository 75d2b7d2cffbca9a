"""Requests per minute from the plan, per API key, per user, or per IP when anonymous.

Counters live in the cache (Redis in production), so every web process shares them. Every
/api/ response carries X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset; over
the limit the answer is 429 with Retry-After."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import DatabaseError
from django_ratelimit import ALL
from django_ratelimit.core import get_usage
from rest_framework.throttling import BaseThrottle

from accounts.models import ApiKey
from billing.errors import RateLimited
from billing.plans import plan_limits


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def rate_limit_hit(request, *, identity: str, per_minute: int | None = None, rate: str | None = None,
                   headers: bool = True) -> None:  # fmt: skip
    """Counts one request for ``identity``; raises 429 past the limit (``per_minute``, or a
    django-ratelimit ``rate`` like ``20/h``). With ``headers``, the state is kept on the request
    for the X-RateLimit-* response headers."""
    django_request = getattr(request, "_request", request)
    if not settings.RATE_LIMITS_ENABLED:
        return
    try:
        usage = get_usage(
            django_request,
            group="api",
            key=lambda group, req: identity,
            rate=rate or f"{per_minute}/m",
            method=ALL,
            increment=True,
        )
    except Exception:  # the cache is down: serve rather than fail closed on every request
        return
    if usage is None:
        return
    remaining = max(0, usage["limit"] - usage["count"])
    # django-ratelimit's window still counts during its end second (time_left 0): the next one starts
    # a second later, so a client retrying after time_left seconds would be refused once more.
    seconds = max(0, int(usage["time_left"])) + 1
    reset = int(time.time()) + seconds
    if headers:
        django_request.rate_limit_state = (usage["limit"], remaining, reset)
    if usage["count"] > usage["limit"]:
        raise RateLimited(
            f"Rate limit of {usage['limit']} requests exceeded. Retry in {seconds} seconds.",
            retry_after=seconds,
            details={"limit": usage["limit"]},
        )


def identity_and_limit(request) -> tuple[str, int]:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        per_minute = plan_limits(user).requests_per_minute
        auth = getattr(request, "auth", None)
        if isinstance(auth, ApiKey):
            return f"key:{auth.pk}", per_minute
        return f"user:{user.pk}", per_minute
    return f"ip:{client_ip(request)}", settings.ANON_REQUESTS_PER_MINUTE


class PlanRateThrottle(BaseThrottle):
    """DRF's hook after authentication: limits by key, user or IP."""

    def allow_request(self, request, view):
        identity, per_minute = identity_and_limit(request)
        rate_limit_hit(request, identity=identity, per_minute=per_minute)
        return True


class RateLimitHeadersMiddleware:
    """Puts the rate-limit headers on every /api/ response. A request that failed before the
    throttle ran is counted too: against its key or user when it was authenticated (a key
    lacking a scope), else against its IP (bad credentials, unknown path)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith("/api/") or not settings.RATE_LIMITS_ENABLED:
            return response
        if getattr(request, "rate_limit_state", None) is None:
            from loopwind_site.errors import ApiError, error_response

            try:
                identity, per_minute = identity_and_limit(request)  # DRF copies user and auth here
            except DatabaseError:  # the session's user or the plan could not be read: the IP it is
                identity, per_minute = f"ip:{client_ip(request)}", settings.ANON_REQUESTS_PER_MINUTE
            try:
                rate_limit_hit(request, identity=identity, per_minute=per_minute)
            except ApiError as exc:
                response = error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)
        state = getattr(request, "rate_limit_state", None)
        if state is not None:
            limit, remaining, reset = state
            response["X-RateLimit-Limit"] = str(limit)
            response["X-RateLimit-Remaining"] = str(remaining)
            response["X-RateLimit-Reset"] = str(reset)
        return response
