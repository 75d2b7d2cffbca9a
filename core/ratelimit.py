"""Rate limiting, the mechanism: count a request against an identity, refuse it past the limit.

Counters live in the cache (Redis in production), so every web process shares them. Who is
counted and how many requests they get is the caller's policy (billing.ratelimit: the plan's
number per key, user or IP). Over the limit the answer is 429 with Retry-After."""

from __future__ import annotations

import time

from django.conf import settings
from django_ratelimit import ALL
from django_ratelimit.core import get_usage

from core.errors import TooManyRequests


class RateLimited(TooManyRequests):
    code = "rate_limited"


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
