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
