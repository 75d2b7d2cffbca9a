"""The plan's rate limit: requests per minute from the plan, per API key, per user, or per IP
when anonymous (the counting itself is core.ratelimit). Every /api/ response carries
X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset."""

from __future__ import annotations

from django.conf import settings
from django.db import DatabaseError
from rest_framework.throttling import BaseThrottle

from billing.plans import plan_limits
from core.errors import ApiError, error_response
from core.ratelimit import client_ip, rate_limit_hit


def identity_and_limit(request) -> tuple[str, int]:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        # One bucket per account, whatever the credentials: keys share their owner's plan limit
        # (16 keys were 16 buckets, 97 renders in 7.6 s on a 10-a-minute plan).
        return f"user:{user.pk}", plan_limits(user).requests_per_minute
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
