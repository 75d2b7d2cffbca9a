"""core.inflight: the renders-in-flight semaphore across processes. Its script goes by SHA
(EVALSHA), the whole text only when the server lacks it (issue 14); the limit holds either way."""

import pytest
from redis.client import Redis

from core import inflight
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
