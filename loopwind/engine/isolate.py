"""Time and memory limits around the native renderers.

- resvg-py holds the GIL for the whole rasterization and cannot be interrupted, so it runs in helper
  processes (``_rasterd.py``), reused between renders, killed on timeout, with an address-space limit.
  ``Helper``/``HelperPool`` are that mechanism; the jsx engine's V8 helper (``jsx/_jsxd.py``) uses them too.
- Takumi releases the GIL: it runs in a thread the caller waits on with a timeout. On timeout the
  caller gets ``RenderError(render_timeout)`` at once; the abandoned render finishes in the background
  (its inputs are bounded by the markup, nesting and size limits).
"""

from __future__ import annotations

import json
import os
import queue
import select
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any, TypeVar

from . import limits as L
from .errors import RenderError

T = TypeVar("T")
_WORKER = str(Path(__file__).with_name("_rasterd.py"))
STARTUP_LIMIT = 30.0  # seconds for a helper process to import its renderer and say it is ready


def _timeout_error(limit: float) -> RenderError:
    return RenderError(
        f"Rendering took longer than {limit:g} s.", code="render_timeout", details={"limit": limit}
    )


_tasks: queue.SimpleQueue = queue.SimpleQueue()
_idle_threads = 0
_threads_lock = threading.Lock()


def _native_loop() -> None:
    global _idle_threads
    while True:
        fn, future = _tasks.get()
        try:
            future.set_result(fn())
        except BaseException as exc:  # handed to the caller through the future
            future.set_exception(exc)
        with _threads_lock:
            _idle_threads += 1


def run_native(fn: Callable[[], T], *, limit: float | None = None) -> T:
    """Run ``fn`` (a GIL-releasing native call) off-thread; RenderError(render_timeout) after ``limit``.

    Daemon threads are reused; a new one starts only when none is idle, so abandoned renders never
    make later calls queue, and never hold up interpreter exit.
    """
    global _idle_threads
    limit = L.NATIVE_TIME_LIMIT if limit is None else limit
    future: Future = Future()
    with _threads_lock:
        if _idle_threads:
            _idle_threads -= 1
        else:
            threading.Thread(target=_native_loop, name="loopwind-native", daemon=True).start()
    _tasks.put((fn, future))
    try:
        return future.result(timeout=limit)
    except FutureTimeout:
        raise _timeout_error(limit) from None


class HelperStopped(Exception):
    """The helper process died or was killed (``timed_out``: by our deadline) before it answered."""

    def __init__(self, timed_out: bool):
        super().__init__("timed out" if timed_out else "stopped")
        self.timed_out = timed_out


class Helper:
    """A long-lived helper process (one of our own scripts under ``sys.executable``) answering frames of
    ``>II`` (header length, payload length), a JSON header and payload bytes, one request at a time.

    It gets a minimal environment (no secrets, no settings) and is killed when a request overruns its
    deadline; the caller then replaces it.
    """

    def __init__(self, script: str, args: list[str], env: dict[str, str] | None = None) -> None:
        base = {
            k: v
            for k, v in os.environ.items()
            if k in ("PATH", "LANG", "LC_ALL", "PYTHONPATH", "VIRTUAL_ENV")
        }
        self.proc = subprocess.Popen(  # noqa: S603 - our own helper script, no shell
            [sys.executable, script, *args],
            bufsize=0,  # replies are read from the raw pipe (see _read)
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**base, **(env or {})},
        )
        self.state: dict[str, Any] = {}  # what the caller loaded into this helper
        self.ready = False  # the helper writes an empty frame once its imports are done

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        if self.alive():
            _count_ended(self.pid)  # its CPU time, before it is gone
            self.proc.kill()
        self.proc.wait()
        for s in (self.proc.stdin, self.proc.stdout):
            if s:
                s.close()

    def request(self, header: dict[str, Any], payload: bytes, limit: float) -> tuple[dict[str, Any], bytes]:
        """Send one request and wait for its reply; HelperStopped (and the helper closed) when it dies or
        does not answer within ``limit`` seconds."""
        try:
            if not self.ready:  # a request's deadline counts its work, not the interpreter starting
                if self._read(8, time.monotonic() + STARTUP_LIMIT) != bytes(8):
                    raise ValueError("bad ready frame")
                self.ready = True
            deadline = time.monotonic() + limit
            head = json.dumps(header).encode()
            # The helper is idle in its read loop whenever a request is sent, so this write drains.
            data = memoryview(struct.pack(">II", len(head), len(payload)) + head + payload)
            while data:
                data = data[self.proc.stdin.write(data) :]
            hl, pl = struct.unpack(">II", self._read(8, deadline))
            reply = json.loads(self._read(hl, deadline))
            body = self._read(pl, deadline)
        except TimeoutError:  # before OSError, its base class
            self.close()
            raise HelperStopped(True) from None
        except (EOFError, OSError, ValueError):
            self.close()
            raise HelperStopped(False) from None
        return reply, body

    def _read(self, n: int, deadline: float) -> bytes:
        # poll() on the pipe bounds the wait without a timer thread per request
        fd = self.proc.stdout.fileno()
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        buf = bytearray()
        while len(buf) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not poller.poll(remaining * 1000):
                raise TimeoutError
            chunk = os.read(fd, n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return bytes(buf)


class HelperPool:
    """Idle helpers kept for reuse (at most one per core); a busy or dead one is never handed out twice."""

    def __init__(self, factory: Callable[[], Helper]) -> None:
        self.factory = factory
        self._idle: list[Helper] = []
        self._busy: set[Helper] = set()
        self._lock = threading.Lock()
        _pools.append(self)

    def acquire(self) -> Helper:
        with self._lock:
            while self._idle:
                helper = self._idle.pop()
                if helper.alive():
                    self._busy.add(helper)
                    return helper
        helper = self.factory()
        with self._lock:
            self._busy.add(helper)
        return helper

    def release(self, helper: Helper, *, keep: bool = True) -> None:
        with self._lock:
            self._busy.discard(helper)
            if keep and helper.alive() and len(self._idle) < (os.cpu_count() or 2):
                self._idle.append(helper)
                return
        helper.close()

    def pids(self) -> list[int]:
        """Process ids of the live helpers, idle and busy (tests, health checks)."""
        with self._lock:
            return [h.pid for h in [*self._idle, *self._busy] if h.alive()]

    def shutdown(self) -> None:
        with self._lock:
            helpers = list(self._idle)
            self._idle.clear()
        for h in helpers:
            h.close()

    def forget(self) -> None:
        """After fork: the parent owns these processes; the child starts its own on first use."""
        self._idle = []
        self._busy = set()
        self._lock = threading.Lock()


_pools: list[HelperPool] = []
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_ended_cpu = 0.0
_ended_lock = threading.Lock()


def _process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a live process has used, from /proc (Linux); 0 when unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime, stime
    except (OSError, ValueError, IndexError):
        return 0.0


def _count_ended(pid: int) -> None:
    global _ended_cpu
    used = _process_cpu(pid)
    with _ended_lock:
        _ended_cpu += used


def helpers_cpu_seconds() -> float:
    """CPU seconds used by this process's helper processes (rasterizers, V8), live and ended: a
    render's cost is what its process and its helpers used (see core/renderpool/isolation.py)."""
    with _ended_lock:
        ended = _ended_cpu
    return ended + sum(_process_cpu(pid) for pool in _pools for pid in pool.pids())


_raster_pool = HelperPool(lambda: Helper(_WORKER, [str(L.NATIVE_MEMORY_LIMIT)]))


def rasterize_svg(svg: str, options: dict[str, Any], *, limit: float | None = None) -> bytes:
    """PNG bytes from resvg-py's ``svg_to_bytes(svg_string=svg, **options)`` in a helper process."""
    limit = L.NATIVE_TIME_LIMIT if limit is None else limit
    worker = _raster_pool.acquire()
    try:
        reply, payload = worker.request(options, svg.encode("utf-8"), limit)
    except HelperStopped as exc:
        _raster_pool.release(worker, keep=False)
        if exc.timed_out:
            raise _timeout_error(limit) from None
        raise RenderError(
            "The SVG rasterizer stopped (most likely out of memory).", code="render_memory", details={}
        ) from None
    _raster_pool.release(worker)
    if not reply.get("ok"):
        raise RenderError(
            f"The SVG could not be rasterized: {reply.get('error')}",
            code=reply.get("code", "render_failed"),
        )
    return payload


def shutdown() -> None:
    """Stop the idle helper processes (tests; a server's shutdown hook)."""
    for pool in _pools:
        pool.shutdown()


def _after_fork_in_child() -> None:
    """A forked child (gunicorn --preload, multiprocessing) must not share the parent's helpers and
    threads: forget them (the parent still owns them) and start afresh on first use."""
    global _tasks, _idle_threads, _threads_lock
    for pool in _pools:
        pool.forget()
    _threads_lock = threading.Lock()
    _tasks = queue.SimpleQueue()
    _idle_threads = 0


os.register_at_fork(after_in_child=_after_fork_in_child)
