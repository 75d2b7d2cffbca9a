"""core.nearcache: process-local copies of Redis reads, dropped by Redis's own tracking messages the
moment a key they depend on changes (issue 14). Against the real Redis of REDIS_URL; each test has a
NearCache of its own, tracking a prefix of its own, and writes through a separate client, as another
process would."""

import select
import time
import uuid

import pytest
from django.core.cache import cache

from core import hotcache
from core.nearcache import NearCache

pytestmark = pytest.mark.skipif(hotcache._client() is None, reason="needs REDIS_URL")


@pytest.fixture
def prefix():
    name = f"test-near-{uuid.uuid4().hex[:8]}:"
    yield cache.make_key(name)
    redis = hotcache._client()
    keys = list(redis.scan_iter(f"{cache.make_key(name)}*"))
    if keys:
        redis.delete(*keys)


@pytest.fixture
def near(prefix):
    near = NearCache(client=hotcache._client, prefixes=lambda: [prefix], seconds=60)
    yield near
    near._close()


@pytest.fixture
def writer():
    """Another connection, as another process would write."""
    return hotcache._client()


def wait_for_message(near):
    """Until the tracking connection has something to read (the write's message is on its way)."""
    assert select.select([near._sock], [], [], 5)[0], "no tracking message within 5 s"


def fetch(near, writer, copy_key, keys):
    """What a caller does: lookup, on a miss read Redis and store; returns (value, from_copy)."""
    copy, epoch = near.lookup(copy_key)
    if copy is not None:
        return copy, True
    value = [writer.get(key) for key in keys]
    near.store(copy_key, value, depends_on=keys, epoch=epoch)
    return value, False


def test_a_copy_is_served_until_a_key_it_read_is_written(near, writer, prefix):
    a, b = f"{prefix}a", f"{prefix}b"
    writer.set(a, "1")
    writer.set(b, "1")
    assert fetch(near, writer, "ab", [a, b]) == ([b"1", b"1"], False)
    assert fetch(near, writer, "ab", [a, b]) == ([b"1", b"1"], True)
    writer.set(f"{prefix}unrelated", "x")
    wait_for_message(near)
    assert fetch(near, writer, "ab", [a, b]) == ([b"1", b"1"], True)  # another key: kept
    writer.set(b, "2")  # Redis sends the message in the same step as this write's reply
    wait_for_message(near)  # (here, rather than hoping no scheduler ran between the two sends)
    assert fetch(near, writer, "ab", [a, b]) == ([b"1", b"2"], False)


@pytest.mark.parametrize(
    "change",
    [
        lambda redis, key: redis.delete(key),
        lambda redis, key: redis.incr(key),
        lambda redis, key: redis.expire(key, 0),
        lambda redis, key: redis.hset(key + "h", "f", 1) and redis.rename(key + "h", key),
    ],
    ids=["delete", "incr", "expire", "rename-over"],
)
def test_every_kind_of_change_drops_the_copy(near, writer, prefix, change):
    key = f"{prefix}k"
    writer.set(key, "1")
    fetch(near, writer, "k", [key])
    assert fetch(near, writer, "k", [key])[1] is True
    change(writer, key)
    wait_for_message(near)
    assert near.lookup("k")[0] is None


def test_a_flush_drops_every_copy(near, writer, prefix):
    key = f"{prefix}k"
    writer.set(key, "1")
    fetch(near, writer, "k", [key])
    # FLUSHDB's message names no key: dropping everything is the only safe answer. Sent here by hand
    # rather than flushing the database other tests share.
    near._reader.feed(b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n$-1\r\n")
    assert near.lookup("k")[0] is None and len(near) == 0


def test_a_change_during_the_fetch_is_not_stored(near, writer, prefix):
    """The message for a write between the read and the store arrives before the store: storing the
    value read before it would keep a stale copy that no later message drops."""
    key = f"{prefix}k"
    writer.set(key, "old")
    copy, epoch = near.lookup("k")
    value = writer.get(key)
    writer.set(key, "new")
    wait_for_message(near)
    near.store("k", value, depends_on=[key], epoch=epoch)
    assert len(near) == 0
    assert fetch(near, writer, "k", [key]) == ([b"new"], False)


def test_keys_outside_the_tracked_prefixes_are_never_kept(near, writer, prefix):
    outside = cache.make_key(f"test-near-untracked-{uuid.uuid4().hex[:8]}")
    writer.set(outside, "1")
    try:
        fetch(near, writer, "o", [outside])
        assert near.lookup("o")[0] is None
    finally:
        writer.delete(outside)


def test_copies_last_at_most_their_seconds(near, writer, prefix, monkeypatch):
    key = f"{prefix}k"
    writer.set(key, "1")
    fetch(near, writer, "k", [key])
    clock = time.monotonic() + 61
    monkeypatch.setattr("core.nearcache.time.monotonic", lambda: clock)
    assert near.lookup("k")[0] is None


def test_a_lost_tracking_connection_drops_everything_and_reads_go_to_redis(near, writer, prefix, monkeypatch):
    """Killed by the server (a restart, a failover, CLIENT KILL): messages may have been missed, so no
    copy is trusted, and none is kept until a new connection tracks again."""
    key = f"{prefix}k"
    writer.set(key, "1")
    fetch(near, writer, "k", [key])
    writer.execute_command("CLIENT", "KILL", "ID", near.client_id)
    wait_for_message(near)  # the close
    assert near.lookup("k") == (None, None) and len(near) == 0
    assert fetch(near, writer, "k", [key]) == ([b"1"], False)
    assert near.lookup("k") == (None, None)  # not yet: the retry waits a second
    clock = time.monotonic() + 2
    monkeypatch.setattr("core.nearcache.time.monotonic", lambda: clock)
    assert fetch(near, writer, "k", [key]) == ([b"1"], False)
    assert fetch(near, writer, "k", [key]) == ([b"1"], True)  # tracking again


def test_a_forked_process_starts_without_the_parents_copies(near, writer, prefix, monkeypatch):
    key = f"{prefix}k"
    writer.set(key, "1")
    fetch(near, writer, "k", [key])
    parent_socket = near._sock
    monkeypatch.setattr("core.nearcache.os.getpid", lambda: near._pid + 1)
    assert fetch(near, writer, "k", [key]) == ([b"1"], False)
    assert near._sock is not parent_socket
    parent_socket.close()


def test_without_redis_nothing_is_kept(prefix):
    near = NearCache(client=lambda: None, prefixes=lambda: [prefix], seconds=60)
    assert near.lookup("k") == (None, None)
    near.store("k", "v", depends_on=[f"{prefix}k"], epoch=None)
    assert len(near) == 0


def test_seconds_zero_turns_it_off(writer, prefix):
    near = NearCache(client=hotcache._client, prefixes=lambda: [prefix], seconds=0)
    assert near.lookup("k") == (None, None) and near._sock is None


def test_a_redis_that_refuses_tracking_is_asked_less_and_less_often(prefix, monkeypatch, caplog):
    """A managed Redis without CLIENT (or Sentinel): reads go to Redis, the refusal is logged once as
    a warning, and the connection is tried after 1, 2, 4 … s, up to a minute, not on every request."""
    attempts = []

    def refusing():
        attempts.append(now[0])
        raise ConnectionError("CLIENT is disabled")

    now = [1000.0]
    monkeypatch.setattr("core.nearcache.time.monotonic", lambda: now[0])
    near = NearCache(client=refusing, prefixes=lambda: [prefix], seconds=60)
    for _ in range(300):  # ten minutes of requests, one every two seconds
        assert near.lookup("k") == (None, None)
        now[0] += 2
    gaps = [b - a for a, b in zip(attempts, attempts[1:], strict=False)]
    assert gaps[:6] == [2, 2, 4, 8, 16, 32] and set(gaps[6:]) == {60}, gaps
    assert [r.levelname for r in caplog.records if "near cache" in r.message] == ["WARNING"]


def test_an_unreadable_message_drops_everything(near, writer, prefix):
    key = f"{prefix}k"
    writer.set(key, "1")
    fetch(near, writer, "k", [key])
    near._reader.feed(b"?not resp\r\n")
    assert near.lookup("k") == (None, None) and len(near) == 0 and near._sock is None
