"""core.inflight: the renders-in-flight semaphore across processes. Its script goes by SHA
(EVALSHA), the whole text only when the server lacks it (issue 14); the limit holds either way."""

import pytest
from redis.client import Redis

from core import afterresponse, inflight
from core.inflight import TooManyInFlight, in_flight

pytestmark = pytest.mark.skipif(inflight._redis() is None, reason="needs REDIS_URL")


@pytest.fixture
def commands(monkeypatch):
    calls = []
    real = Redis.execute_command

    def counting(self, *args, **options):
        calls.append(args[0])
        return real(self, *args, **options)

    monkeypatch.setattr(Redis, "execute_command", counting)
    return calls


def test_the_limit_holds_and_a_slot_is_freed_on_leaving(commands):
    with in_flight("test:a", limit=2, seconds=30), in_flight("test:a", limit=2, seconds=30):
        with pytest.raises(TooManyInFlight), in_flight("test:a", limit=2, seconds=30):
            pass
    with in_flight("test:a", limit=1, seconds=30):
        pass
    assert "EVAL" not in commands and commands.count("EVALSHA") >= 4  # by SHA: the text never resent


def test_a_server_that_lost_the_script_gets_it_again():
    inflight._redis().script_flush()
    with in_flight("test:b", limit=1, seconds=30):
        with pytest.raises(TooManyInFlight), in_flight("test:b", limit=1, seconds=30):
            pass


def test_a_present_value_is_answered_instead_of_a_slot_in_the_same_round_trip(commands):
    """unless_present: the render cache's entry and the slot in one script. A value there: the block
    gets it and no slot is taken (a cached render needs none, even with every slot busy); none: the
    slot is held as usual and the block gets None."""
    redis = inflight._redis()
    redis.set("test:present", b"entry")
    redis.delete("test:absent")
    try:
        with in_flight("test:c", limit=1, seconds=30):  # every slot busy
            commands.clear()
            with in_flight("test:c", limit=1, seconds=30, unless_present="test:present") as value:
                assert value == b"entry"
            assert commands == ["EVALSHA"]
            with (
                pytest.raises(TooManyInFlight),
                in_flight("test:c", limit=1, seconds=30, unless_present="test:absent"),
            ):
                pass
        with in_flight("test:c", limit=1, seconds=30, unless_present="test:absent") as value:
            assert value is None
            with pytest.raises(TooManyInFlight), in_flight("test:c", limit=1, seconds=30):
                pass  # the slot is held
    finally:
        redis.delete("test:present")


def test_without_redis_the_caller_reads_the_value_itself(monkeypatch):
    monkeypatch.setattr(inflight, "_redis", lambda: None)
    with in_flight("test:d", limit=1, seconds=30, unless_present="test:present") as value:
        assert value is inflight.NOT_READ
        with pytest.raises(TooManyInFlight), in_flight("test:d", limit=1, seconds=30):
            pass  # the slot (this process's) is held


def test_commands_go_with_the_release_in_its_round_trip(commands):
    """ReleaseBatch: the block's last writes are sent with the slot's ZREM, one pipeline; each gets
    its reply (or its error) and the slot is free either way."""
    redis = inflight._redis()
    batch = inflight.ReleaseBatch()
    with in_flight("test:e", limit=1, seconds=30, release_with=batch):
        assert batch.client is redis
        written = batch.add("SET", "test:written", b"v")
        broken = batch.add("INCR", "test:written")  # not an integer: an error for this command only
        commands.clear()
    assert commands == []  # a pipeline: not one command at a time
    assert batch.replies[written] is True and isinstance(batch.replies[broken], Exception)
    assert redis.get("test:written") == b"v"
    with in_flight("test:e", limit=1, seconds=30):
        pass  # freed
    redis.delete("test:written")


def test_without_a_redis_slot_nothing_goes_with_the_release(monkeypatch):
    monkeypatch.setattr(inflight, "_redis", lambda: None)
    batch = inflight.ReleaseBatch()
    with in_flight("test:f", limit=1, seconds=30, release_with=batch):
        assert batch.client is None  # the caller writes the usual way


def test_read_later_sends_the_release_now_and_reads_its_replies_after_the_response():
    """Inside a request the release is one write; its replies are read when the response has gone
    out (core.afterresponse), and the connection goes back to the pool then."""
    redis = inflight._redis()
    pool = redis.connection_pool
    failed = []
    with afterresponse.deferred() as pending:
        batch = inflight.ReleaseBatch(read_later=True)
        with in_flight("test:g", limit=1, seconds=30, release_with=batch):
            written = batch.add("SET", "test:later", b"v")
            broken = batch.add("INCR", "test:later", on_error=failed.append)
        in_use = len(pool._in_use_connections)
        assert batch.replies == [inflight.NOT_SENT, inflight.NOT_SENT] and in_use >= 1 and len(pending) == 1
    afterresponse.run(pending)
    assert batch.replies[written] is True and isinstance(batch.replies[broken], Exception)
    assert len(failed) == 1 and len(pool._in_use_connections) == in_use - 1
    assert redis.get("test:later") == b"v"
    with in_flight("test:g", limit=1, seconds=30):
        pass  # freed
    redis.delete("test:later")


def test_a_connection_lost_before_the_replies_are_read_fails_each_command():
    """The write went out, the connection broke before the replies came: every command's on_error is
    told (the render log then writes its row itself); the slot expires by itself if it was not freed."""
    failed = []
    with afterresponse.deferred() as pending:
        batch = inflight.ReleaseBatch(read_later=True)
        with in_flight("test:h", limit=1, seconds=30, release_with=batch):
            batch.add("SET", "test:lost", b"v", on_error=failed.append)
        connection = batch._sent[0]
        connection.disconnect()
    afterresponse.run(pending)
    assert len(failed) == 1 and isinstance(batch.replies[0], Exception)
    inflight._redis().delete("test:lost", "inflight:test:h")
