"""core.ratelimit.counter_for: the counter's key, kept per process for the window, is the one
django-ratelimit's own key function gives (the same buckets as get_usage), for every identity,
rate, window and cache key setting."""

import pytest
from django.core.cache import caches
from django_ratelimit import ALL
from django_ratelimit.core import _get_window, _make_cache_key

from core import ratelimit
from core.ratelimit import counter_for

pytestmark = pytest.mark.skipif(counter_for("x", "1/m") is None, reason="needs REDIS_URL")


def expected(identity, rate, period):
    window = _get_window(identity, period)
    return caches["default"].make_key(_make_cache_key("api", window, rate, identity, ALL)), window


def test_the_key_is_django_ratelimits_for_each_identity_and_rate():
    for identity, rate, period in [("user:1", "10/m", 60), ("user:2", "10/m", 60), ("user:1", "100/m", 60),
                                   ("ip:127.0.0.1", "20/h", 3600)]:  # fmt: skip
        for _ in range(2):  # computed, then remembered
            counter = counter_for(identity, rate)
            key, window = expected(identity, rate, period)
            assert (counter.key, counter.window, counter.limit) == (key, window, int(rate.split("/")[0]))
            assert counter.expiry == period + 5


def test_a_new_window_is_a_new_key(monkeypatch):
    first = counter_for("user:1", "10/m")
    monkeypatch.setattr("django_ratelimit.core.time.time", lambda: first.window + 61)
    later = counter_for("user:1", "10/m")
    assert later.window > first.window and later.key != first.key
    assert later.key == expected("user:1", "10/m", 60)[0]


def test_the_caches_key_settings_are_part_of_the_key(settings):
    before = counter_for("user:1", "10/m").key
    settings.RATELIMIT_CACHE_PREFIX = "other:"
    assert counter_for("user:1", "10/m").key != before
    cache = caches["default"]
    old_prefix = cache.key_prefix
    cache.key_prefix = "elsewhere"
    try:
        assert counter_for("user:1", "10/m").key.startswith("elsewhere:")
    finally:
        cache.key_prefix = old_prefix
    assert len(ratelimit._counter_keys._items) >= 3
