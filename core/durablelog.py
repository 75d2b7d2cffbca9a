"""Durable logs: records a request hands to the worker through Redis instead of writing them to the
database itself (the render log, the API analytics).

A log lives in the job queue's Redis (run with ``appendonly yes``, never with an evicting
``maxmemory-policy``; the cache's Redis may evict), so a web process killed after its push has
already handed its record over. The worker claims a batch by moving it, atomically, to a claim
list of its own and releases that list only after what it made of the batch has committed; a
flush that dies leaves its claim for the next one, so each consumer makes applying a record twice
harmless (a unique id per record). Without a Redis broker (the embedded setup) ``push`` answers
False and the caller writes at once."""

from __future__ import annotations

import logging
import uuid

import dramatiq
from django.conf import settings
from dramatiq.brokers.redis import RedisBroker

logger = logging.getLogger(__name__)
BATCH = 1000  # records claimed at a time (Lua's unpack stays far below its stack limit)

# Moves up to ARGV[1] records from the log to a claim list and registers the claim, in one step: a
# record is always in exactly one of the log and a claim list.
_CLAIM = """
local items = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #items > 0 then
  redis.call('LTRIM', KEYS[1], #items, -1)
  redis.call('RPUSH', KEYS[2], unpack(items))
  redis.call('SADD', KEYS[3], KEYS[2])
end
return #items
"""


def client():
    """The job queue's Redis client, or None when the queue is not on Redis."""
    broker = dramatiq.get_broker()
    return broker.client if isinstance(broker, RedisBroker) else None


def _address(redis) -> tuple:
    kwargs = redis.connection_pool.connection_kwargs
    return tuple(kwargs.get(name) for name in ("host", "port", "path", "db", "username"))


class DurableLog:
    def __init__(self, name: str):
        self.name = name

    def key(self, part: str) -> str:
        prefix = settings.CACHES["default"].get("KEY_PREFIX", "lw")
        return f"{prefix}:{self.name}:{part}"

    def push(self, *records: str) -> bool:
        """Hands the records over (one RPUSH); False when there is no Redis broker or it does not
        answer: the caller then writes them itself."""
        redis = client()
        if redis is None or not records:
            return False
        try:
            redis.rpush(self.key("pending"), *records)
            return True
        except Exception:
            logger.warning("%s unavailable; the caller writes at once", self.name, exc_info=True)
            return False

    def push_command(self, redis, *records: str) -> tuple | None:
        """The RPUSH of ``push`` as a command for ``redis`` to send with its own (one round trip for
        both), when ``redis`` is this log's Redis (the same server and database, as with one REDIS_URL
        for the cache and the queue); else None, and the caller pushes."""
        log = client()
        if log is None or redis is None or _address(log) != _address(redis):
            return None
        return ("RPUSH", self.key("pending"), *records)

    def claim(self) -> list[str]:
        """Claims what is queued, a batch per claim list, and returns every claim list to apply:
        this flush's and those left by a flush that died (or is still running)."""
        redis = client()
        if redis is None:
            return []
        claim_script = redis.register_script(_CLAIM)
        claims = self.key("claims")
        pending = self.key("pending")
        while (
            claim_script(keys=[pending, self.key(f"claim:{uuid.uuid4().hex}"), claims], args=[BATCH]) == BATCH
        ):
            pass
        return sorted(name.decode() for name in redis.smembers(claims))

    def records(self, claim: str) -> list[bytes]:
        return client().lrange(claim, 0, -1)

    def release(self, claims: list[str]) -> None:
        """After what was made of the claims has committed: they are done."""
        if claims:
            pipe = client().pipeline()
            pipe.delete(*claims)
            pipe.srem(self.key("claims"), *claims)
            pipe.execute()
