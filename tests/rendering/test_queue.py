"""rendering.queue.enqueue_once: at most one upkeep message pending, and (issue 14) a process that
has seen the marker does not ask Redis again while it stands: one round trip less per render."""

import pytest
from django.core.cache import cache

from rendering import queue

ACTOR = queue.FLUSH_RENDER_COUNTS
MARKER = f"rendering:{ACTOR}-scheduled"
pytestmark = pytest.mark.skipif(not hasattr(cache, "ttl"), reason="needs REDIS_URL (django-redis)")


@pytest.fixture
def sent(monkeypatch):
    queue._marked_until.clear()
    calls = []
    monkeypatch.setattr(queue, "enqueue", lambda name, delay_ms=None: calls.append((name, delay_ms)))
    yield calls
    queue._marked_until.clear()


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(queue.time, "monotonic", lambda: now[0])
    return now


@pytest.fixture
def cache_calls(monkeypatch):
    calls = []
    for name in ("add", "ttl"):
        real = getattr(cache, name)
        monkeypatch.setattr(
            cache, name, lambda *a, _real=real, _name=name, **k: calls.append(_name) or _real(*a, **k)
        )
    return calls


def test_schedules_once_then_skips_redis_while_its_marker_stands(sent, clock, cache_calls):
    queue.enqueue_once(ACTOR)
    assert sent == [(ACTOR, 60_000)] and cache_calls == ["add"] and cache.get(MARKER) == 1
    clock[0] += 54
    queue.enqueue_once(ACTOR)
    assert sent == [(ACTOR, 60_000)] and cache_calls == ["add"]  # no round trip, nothing sent
    clock[0] += 2  # within MARKER_MARGIN_S of the marker's end: asks again
    queue.enqueue_once(ACTOR)
    assert cache_calls == ["add", "add", "ttl"] and sent == [(ACTOR, 60_000)]  # still there: not sent


def test_another_processs_marker_is_skipped_until_shortly_before_it_ends(sent, clock, cache_calls):
    cache.set(MARKER, 1, timeout=30)  # another process scheduled the message 30 s ago
    queue.enqueue_once(ACTOR)
    assert sent == [] and cache_calls == ["add", "ttl"]
    clock[0] += 24
    queue.enqueue_once(ACTOR)
    assert cache_calls == ["add", "ttl"]
    clock[0] += 2
    cache.delete(MARKER)  # it ended: the next call schedules the next message
    queue.enqueue_once(ACTOR)
    assert sent == [(ACTOR, 60_000)]


def test_a_marker_about_to_end_is_not_relied_on(sent, clock, cache_calls):
    cache.set(MARKER, 1, timeout=3)
    queue.enqueue_once(ACTOR)
    queue.enqueue_once(ACTOR)
    assert cache_calls == ["add", "ttl", "add", "ttl"] and sent == []


def test_a_broker_that_is_down_postpones_and_is_not_remembered(sent, clock, monkeypatch):
    def down(name, delay_ms=None):
        raise ConnectionError("broker down")

    monkeypatch.setattr(queue, "enqueue", down)
    queue.enqueue_once(ACTOR)  # logged, not raised
    assert ACTOR not in queue._marked_until
