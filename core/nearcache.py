"""Process-local copies of Redis reads, kept coherent by Redis itself (issue 14: a signed /i/ hit
without a round trip).

Redis's client-side caching ("tracking", broadcast mode) sends a message naming every key written,
expired, evicted or deleted under the tracked prefixes, at the moment the write runs, to a connection
each process holds for it. Before a copy is used, that connection's pending messages are read (a
non-blocking ``recv``) and every copy that depends on a key they name is dropped; so a change that
has reached Redis takes effect here at the next read, as a round trip would have seen it. The
message leaves Redis with the reply to the write, before anyone told of the change can ask again.

A copy is stored only when no message was read while it was being fetched (one that arrives later
drops it), only for keys under the tracked prefixes, and for at most ``seconds``: that bounds the
one case a message cannot cover, this process cut off from Redis without its connection noticing.
A connection that fails or closes drops every copy, and reads go to Redis until a new connection is
tracking (tried again after a second, then less often while it keeps failing, up to a minute).
Copies are per process: a fork starts with none."""

from __future__ import annotations

import logging
import os
import socket
import ssl
import threading
import time
from collections.abc import Callable, Hashable, Iterable
from typing import Any

import hiredis

logger = logging.getLogger(__name__)
_CHANNEL = b"__redis__:invalidate"
_RETRY_SECONDS = 1.0
_MAX_RETRY_SECONDS = 60.0


class NearCache:
    """``lookup`` then, on a miss, the read through Redis and ``store`` with the epoch lookup gave."""

    def __init__(self, *, client: Callable[[], Any], prefixes: Callable[[], list[str]], seconds: float,
                 size: int = 4096):  # fmt: skip
        self._client = client  # the redis-py client whose server and credentials to use, or None
        self._prefixes = prefixes  # full key prefixes to track (must not overlap)
        self.seconds = seconds
        self.size = size
        self._lock = threading.Lock()
        self._pid = 0
        self._connection = None  # redis-py's, kept: dropping it would close the socket
        self.client_id: int | None = None  # the tracking connection's, as CLIENT LIST shows it
        self._sock: socket.socket | None = None
        self._reader: hiredis.Reader | None = None
        self._tracked: tuple[bytes, ...] = ()
        self._retry_at = 0.0
        self._failures = 0  # connection attempts failed in a row
        self._epoch = 0  # messages read so far: a fetch that saw it move is not stored
        self._copies: dict[Hashable, tuple[Any, tuple[bytes, ...], float]] = {}
        self._dependents: dict[bytes, set[Hashable]] = {}

    # --- the two calls around a read --------------------------------------------------------------

    def lookup(self, key: Hashable) -> tuple[Any | None, int | None]:
        """(the copy, None), or (None, the epoch to store the fetched value with), or (None, None)
        when nothing can be kept now (no tracking connection)."""
        if self.seconds <= 0:
            return None, None
        with self._lock:
            if not self._ready():
                return None, None
            copy = self._copies.get(key)
            if copy is not None:
                if copy[2] > time.monotonic():
                    return copy[0], None
                self._drop(key)
            return None, self._epoch

    def store(
        self, key: Hashable, value: Any, *, depends_on: Iterable[str | bytes], epoch: int | None
    ) -> None:
        """Keeps ``value`` (what a read of the keys ``depends_on`` returned) unless a message arrived
        since ``lookup`` gave ``epoch``, or a key is outside the tracked prefixes."""
        if epoch is None:
            return
        keys = tuple(k if isinstance(k, bytes) else k.encode() for k in depends_on)
        with self._lock:
            if not self._ready() or self._epoch != epoch:
                return
            if not all(k.startswith(self._tracked) for k in keys):
                return
            self._drop(key)
            while len(self._copies) >= self.size:
                self._drop(next(iter(self._copies)))
            self._copies[key] = (value, keys, time.monotonic() + self.seconds)
            for k in keys:
                self._dependents.setdefault(k, set()).add(key)

    def clear(self) -> None:
        with self._lock:
            self._copies.clear()
            self._dependents.clear()

    def __len__(self) -> int:
        return len(self._copies)

    # --- the tracking connection ----------------------------------------------------------------

    def _ready(self) -> bool:
        """Under the lock: a tracking connection, with every message that has arrived applied."""
        if self._pid != os.getpid():  # a fork: the parent's socket and copies are not ours
            self._pid, self._connection, self._sock, self._reader = os.getpid(), None, None, None
            self._retry_at = 0.0
            self._copies.clear()
            self._dependents.clear()
        if self._sock is None:
            if time.monotonic() < self._retry_at:
                return False
            self._retry_at = time.monotonic() + _RETRY_SECONDS
            try:
                self._connect()
            except Exception:
                # Tried again after 1, 2, 4 … 60 s: a Redis that refuses tracking (a managed service
                # without CLIENT, Sentinel) is asked rarely, and said once, not on every request.
                self._failures += 1
                delay = min(_MAX_RETRY_SECONDS, _RETRY_SECONDS * 2 ** (self._failures - 1))
                self._retry_at = time.monotonic() + delay
                log = logger.warning if self._failures == 1 else logger.debug
                log("near cache: no tracking connection; reading Redis (next try in %.0f s)", delay,
                    exc_info=self._failures == 1)  # fmt: skip
                self._close()
                return False
            self._failures = 0
        try:
            return self._drain()
        except Exception:  # a reply this parser cannot read: no message can be trusted to have arrived
            logger.warning("near cache: unreadable tracking message; reading Redis", exc_info=True)
            self._close()
            self._retry_at = time.monotonic() + _RETRY_SECONDS
            return False

    def _connect(self) -> None:
        client = self._client()
        if client is None:
            raise ConnectionError("no Redis client")
        pool = client.connection_pool
        # The pool's own connection class and settings (address, TLS, credentials, database), RESP2:
        # invalidations then arrive as Pub/Sub messages on this connection (REDIRECT to itself).
        connection = pool.connection_class(**{**pool.connection_kwargs, "protocol": 2})
        connection.connect()
        self._connection, sock = connection, connection._sock
        sock.settimeout(max(1.0, pool.connection_kwargs.get("socket_timeout") or 0))
        self._sock, self._reader = sock, hiredis.Reader()
        prefixes = [p.encode() for p in self._prefixes()]
        self.client_id = client_id = self._command("CLIENT", "ID")
        tracking = []
        for prefix in prefixes:
            tracking += ["PREFIX", prefix]
        if self._command("CLIENT", "TRACKING", "ON", "REDIRECT", client_id, "BCAST", *tracking) != b"OK":
            raise ConnectionError("CLIENT TRACKING refused")
        if self._command("SUBSCRIBE", _CHANNEL)[0] != b"subscribe":
            raise ConnectionError("SUBSCRIBE refused")
        sock.setblocking(False)
        self._tracked = tuple(prefixes)
        # Copies made before were not covered by this connection's messages
        self._copies.clear()
        self._dependents.clear()

    def _command(self, *args):
        self._sock.sendall(hiredis.pack_command(args))
        while True:
            reply = self._reader.gets()
            if reply is not False:
                if isinstance(reply, hiredis.ReplyError):
                    raise ConnectionError(str(reply))
                return reply
            data = self._sock.recv(65536)
            if not data:
                raise ConnectionError("closed")
            self._reader.feed(data)

    def _drain(self) -> bool:
        while True:
            try:
                data = self._sock.recv(65536)
            except (BlockingIOError, ssl.SSLWantReadError):
                break
            except OSError:
                data = b""
            if not data:
                logger.warning("near cache: the tracking connection closed; reading Redis")
                self._close()
                self._retry_at = time.monotonic() + _RETRY_SECONDS
                return False
            self._reader.feed(data)
        while (message := self._reader.gets()) is not False:
            self._epoch += 1
            if not (isinstance(message, list) and message[0] == b"message" and message[1] == _CHANNEL):
                continue
            if message[2] is None:  # FLUSHDB / FLUSHALL
                self._copies.clear()
                self._dependents.clear()
                continue
            for key in message[2]:
                for dependent in self._dependents.pop(key, ()):
                    self._drop(dependent)
        return True

    def _drop(self, key: Hashable) -> None:
        copy = self._copies.pop(key, None)
        if copy is None:
            return
        for k in copy[1]:
            dependents = self._dependents.get(k)
            if dependents is not None:
                dependents.discard(key)
                if not dependents:
                    del self._dependents[k]

    def _close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.disconnect()
            except Exception:  # closing a broken connection: nothing is lost
                logger.debug("near cache: closing the tracking connection failed", exc_info=True)
        self._connection, self._sock, self._reader, self._tracked = None, None, None, ()
        self._copies.clear()
        self._dependents.clear()
