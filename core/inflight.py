"""Work in flight per account, across every process: a counting semaphore in Redis (a sorted set of
holders, each with an expiry, so a process that dies mid-render frees its slot by itself), or in this
process when there is no Redis (the one-machine default). Over the limit is a 429 at once, with
Retry-After: a request never waits holding a web worker for another render of the same account."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections import defaultdict

from django.conf import settings
from redis.exceptions import ResponseError

from core import afterresponse
from core.errors import TooManyRequests

logger = logging.getLogger(__name__)

# KEYS[1]: the holders; ARGV: now (ms), this holder's expiry (ms), its token, the limit, key TTL (ms).
# KEYS[2], when given: a key whose value, when it has one, is returned instead of taking a slot (the
# render cache's entry: a render that is cached needs no slot, and asking both is one round trip).
_ACQUIRE = """
if KEYS[2] then
  local value = redis.call('GET', KEYS[2])
  if value then return value end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[4]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return 1
end
return 0
"""


class TooManyInFlight(TooManyRequests):
    code = "renders_in_flight"


_local: dict[str, int] = defaultdict(int)
_local_lock = threading.Lock()


_scripts: dict[int, object] = {}


def _acquire_script(client):
    """_ACQUIRE registered on ``client``: sent by its SHA (EVALSHA), whole only when the server lacks it."""
    script = _scripts.get(id(client))
    if script is None:
        script = _scripts[id(client)] = client.register_script(_ACQUIRE)
    return script


def _redis():
    if "redis" not in settings.CACHES["default"]["BACKEND"].lower():
        return None
    from django_redis import get_redis_connection

    return get_redis_connection("default")


NOT_READ = object()  # what in_flight's block gets when it did not read ``unless_present``
NOT_SENT = object()  # a ReleaseBatch reply when its slot was not held in Redis


class ReleaseBatch:
    """Redis commands that go with a slot's release, in its round trip (the block's last writes, e.g.
    indexing what it made). ``client`` is the Redis the slot is held in, or None (no Redis, or it
    failed): then nothing can go with the release and the caller writes the usual way. A command's
    ``on_error`` is called with the exception when it fails (alone or with the whole round trip);
    once the replies are read, ``replies[i]`` is the ``i``-th command's reply, its exception, or NOT_SENT.

    ``read_later``: inside a request, the release is sent (one write) and its replies are read after
    the response has gone out (core.afterresponse), so the caller does not wait for them. What was
    written is Redis's to run even if this process dies next: a dead process's socket still delivers
    what it wrote (it is reset instead only when unread replies are waiting, and a reply means the
    commands ran)."""

    def __init__(self, *, read_later: bool = False):
        self.client = None
        self.commands: list[tuple] = []
        self.on_errors: list = []
        self.replies: list = []
        self.read_later = read_later
        self._sent: tuple | None = None  # (connection, command names) between sending and reading

    def add(self, *command, on_error=None) -> int:
        self.commands.append(command)
        self.on_errors.append(on_error)
        self.replies.append(NOT_SENT)
        return len(self.commands) - 1

    def release(self, name: str, token: str) -> None:
        commands = [("ZREM", name, token), *self.commands]
        pool = self.client.connection_pool
        try:
            connection = pool.get_connection()
        except Exception as exc:
            self._read([exc] * len(commands))
            return
        try:
            # one write: the commands joined (redis-py would send a large argument on its own)
            connection.send_packed_command([b"".join(connection.pack_commands(commands))])
        except Exception as exc:
            connection.disconnect()
            pool.release(connection)
            self._read([exc] * len(commands))
            return
        self._sent = (connection, [command[0] for command in commands])
        if self.read_later:
            afterresponse.after_response(self.finish)
        else:
            self.finish()

    def finish(self) -> None:
        """Reads the release's replies (once; nothing when nothing was sent)."""
        if self._sent is None:
            return
        (connection, names), self._sent = self._sent, None
        replies: list = []
        try:
            for command_name in names:
                try:
                    replies.append(self.client.parse_response(connection, command_name))
                except ResponseError as exc:  # this command's error; the rest of the replies follow
                    replies.append(exc)
        except Exception as exc:  # the connection failed: what was not read failed with it
            connection.disconnect()
            replies += [exc] * (len(names) - len(replies))
        finally:
            self.client.connection_pool.release(connection)
        self._read(replies)

    def _read(self, replies: list) -> None:
        self.replies = replies[1:]
        if isinstance(replies[0], Exception):
            logger.warning("could not free an in-flight slot; it expires by itself", exc_info=replies[0])
        for reply, on_error in zip(self.replies, self.on_errors, strict=True):
            if on_error is not None and isinstance(reply, Exception):
                on_error(reply)


@contextlib.contextmanager
def in_flight(
    key: str,
    *,
    limit: int,
    seconds: float,
    what: str = "renders",
    unless_present: str | None = None,
    release_with: ReleaseBatch | None = None,
):
    """Holds one of ``limit`` slots of ``key`` for the block (at most ``seconds``: the work's own time
    limit plus a margin), or raises 429 ``renders_in_flight``. A store that is down lets the work
    through: the render children's own limits still hold, and refusing every render would be worse.

    ``unless_present`` (a full key in the same Redis): when it holds a value, no slot is taken and the
    block gets the value (bytes); else the slot is held and the block gets None, or ``NOT_READ`` when
    the key could not be read with it (no Redis: the caller reads it, holding the slot).

    ``release_with``: the block's commands for the slot's Redis, sent with the release (ReleaseBatch)."""
    token = uuid.uuid4().hex
    name = f"inflight:{key}"
    batch = release_with if release_with is not None else ReleaseBatch()
    client = _redis()
    present = NOT_READ if unless_present is not None else None
    if client is None:
        with _local_lock:
            acquired = _local[name] < limit
            if acquired:
                _local[name] += 1
    else:
        now = int(time.time() * 1000)
        try:
            ttl = int(seconds * 1000)
            keys = [name] if unless_present is None else [name, unless_present]
            answer = _acquire_script(client)(keys=keys, args=[now, now + ttl, token, limit, ttl])
        except Exception:
            logger.warning("in-flight limits unavailable; rendering without them", exc_info=True)
            client, acquired = None, None
        else:
            if isinstance(answer, bytes):
                yield answer  # cached: no slot was taken, none to free
                return
            acquired, present = bool(answer), None
            if acquired:
                batch.client = client
    if acquired is False:
        raise TooManyInFlight(
            f"Your plan renders {limit} at a time and that many are running; retry when one is done.",
            retry_after=1,
            details={"limit": limit, "what": what},
        )
    try:
        yield present
    finally:
        if acquired is None:
            pass
        elif client is None:
            with _local_lock:
                _local[name] -= 1
        else:
            batch.release(name, token)
