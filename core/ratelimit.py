"""Rate limiting, the mechanism: count a request against an identity, refuse it past the limit.

Counters live in the cache (Redis in production), so every web process shares them. Who is
counted and how many requests they get is the caller's policy (billing.ratelimit: the plan's
number per key, user or IP). Over the limit the answer is 429 with Retry-After.

On Redis a hit is one round trip: a Lua script increments the window's counter and sets its
expiry when it creates it (django-ratelimit's add-then-incr took two). The windows, their
per-identity stagger and the counters' keys are django-ratelimit's, so its own callers
(``get_usage``) and this one count into the same buckets. Without Redis (the embedded
local-memory cache) django-ratelimit does the counting."""

from __future__ import annotations

import logging
import time
from typing import NamedTuple

from django.conf import settings
from django.core.cache import caches
from django_ratelimit import ALL
from django_ratelimit.core import _get_window, _make_cache_key, _split_rate, get_usage

from core.errors import TooManyRequests
from core.memo import Memo

# django-ratelimit keeps a counter a little past its window (EXPIRATION_FUDGE); so do we.
_EXPIRATION_FUDGE = 5
_GROUP = "api"

# INCR, and EXPIRE only when this INCR created the key: the window's expiry is set once, by its
# first hit, exactly as cache.add(key, 1, period) did.
_INCR_WITH_EXPIRY = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""
_scripts: dict[int, object] = {}
logger = logging.getLogger(__name__)


class RateLimited(TooManyRequests):
    code = "rate_limited"


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _redis_script(cache):
    """The registered Lua script on the cache's Redis client, or None when the cache is not Redis."""
    client = getattr(cache, "client", None)
    if client is None or not hasattr(client, "get_client"):
        return None
    redis = client.get_client(write=True)
    script = _scripts.get(id(redis))
    if script is None:
        script = _scripts[id(redis)] = redis.register_script(_INCR_WITH_EXPIRY)
    return script


class Counter(NamedTuple):
    """Where a request for ``identity`` at ``rate`` counts on Redis, this second."""

    key: str  # the full Redis key
    expiry: int  # seconds, set when the window's first hit creates the key
    limit: int
    window: int  # when the window ends (unix seconds)


# What counter_for derives from its arguments, which are all in the memos' keys: pure functions,
# kept per process (a window's key is asked for on every request of that identity for a minute).
_rates = Memo(256)  # rate -> (limit, period)
# (the cache's key settings, the ratelimit settings, identity, rate, window) -> the counter's key
_counter_keys = Memo(4096)


def counter_for(identity: str, rate: str) -> Counter | None:
    """The counter a hit would INCR, for callers that count in a round trip of their own (the
    render hit path, core.hotcache.read); None when the cache is not Redis."""
    cache = caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]
    if _redis_script(cache) is None:
        return None
    limit, period = _rates.computed(rate, lambda: _split_rate(rate))
    window = _get_window(identity, period)
    memo_key = (
        cache.key_prefix, cache.version, cache.key_func,
        getattr(settings, "RATELIMIT_CACHE_PREFIX", None), getattr(settings, "RATELIMIT_HASH_ALGORITHM", None),
        identity, rate, window,
    )  # fmt: skip
    key = _counter_keys.computed(
        memo_key, lambda: cache.make_key(_make_cache_key(_GROUP, window, rate, identity, ALL))
    )
    return Counter(key, period + _EXPIRATION_FUDGE, limit, window)


def _count(django_request, identity: str, rate: str) -> tuple[int, int, int] | None:
    """(count, limit, seconds left in the window) after counting this request."""
    cache = caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]
    script = _redis_script(cache)
    if script is None:
        usage = get_usage(
            django_request,
            group=_GROUP,
            key=lambda group, req: identity,
            rate=rate,
            method=ALL,
            increment=True,
        )
        return None if usage is None else (usage["count"], usage["limit"], usage["time_left"])
    counter = counter_for(identity, rate)
    count = int(script(keys=[counter.key], args=[counter.expiry]))
    return count, counter.limit, counter.window - int(time.time())


def rate_limit_hit(request, *, identity: str, per_minute: int | None = None, rate: str | None = None,
                   headers: bool = True) -> None:  # fmt: skip
    """Counts one request for ``identity``; raises 429 past the limit (``per_minute``, or a
    django-ratelimit ``rate`` like ``20/h``). With ``headers``, the state is kept on the request
    for the X-RateLimit-* response headers."""
    django_request = getattr(request, "_request", request)
    if not settings.RATE_LIMITS_ENABLED:
        return
    try:
        usage = _count(django_request, identity, rate or f"{per_minute}/m")
    except Exception:  # the cache is down: serve rather than fail closed on every request
        return
    if usage is None:
        return
    rate_limit_counted(django_request, *usage, headers=headers)


def rate_limit_counted(request, count: int, limit: int, time_left: int, *, headers: bool = True) -> None:
    """After a hit was counted (by rate_limit_hit, or in a caller's own round trip): the
    X-RateLimit-* state on the request, and 429 past the limit."""
    remaining = max(0, limit - count)
    # django-ratelimit's window still counts during its end second (time_left 0): the next one starts
    # a second later, so a client retrying after time_left seconds would be refused once more.
    seconds = max(0, int(time_left)) + 1
    reset = int(time.time()) + seconds
    if headers:
        request.rate_limit_state = (limit, remaining, reset)
    if count > limit:
        raise RateLimited(
            f"Rate limit of {limit} requests exceeded. Retry in {seconds} seconds.",
            retry_after=seconds,
            details={"limit": limit},
        )


def rate_limit_uncount(counter: Counter) -> None:
    """Takes back a hit counted on a guess that turned out wrong (the render hit path counts
    before it has read who the caller is; a revoked key or a changed plan means another bucket)."""
    cache = caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]
    try:
        cache.client.get_client(write=True).decr(counter.key)
    except Exception:  # the window expires in a minute in any case
        logger.warning("rate limit: a guessed count could not be taken back", exc_info=True)
