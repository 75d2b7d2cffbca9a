"""Time and memory limits around the native renderers.

- resvg-py holds the GIL for the whole rasterization and cannot be interrupted, so it runs in helper
  processes (``_rasterd.py``), reused between renders, killed on timeout, with an address-space limit.
- Takumi releases the GIL: it runs in a thread the caller waits on with a timeout. On timeout the
  caller gets ``RenderError(render_timeout)`` at once; the abandoned render finishes in the background
  (its inputs are bounded by the markup, nesting and size limits).
"""

from __future__ import annotations

import json
import os
import queue
import struct
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any, TypeVar

from . import limits as L
from .errors import RenderError

T = TypeVar("T")
_WORKER = str(Path(__file__).with_name("_rasterd.py"))
_idle: list[_Rasterizer] = []
_idle_lock = threading.Lock()


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


def _read_exact(stream, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = stream.read(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return bytes(buf)


class _Rasterizer:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(  # noqa: S603 - our own helper script, no shell
            [sys.executable, _WORKER, str(L.NATIVE_MEMORY_LIMIT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={
                k: v
                for k, v in os.environ.items()
                if k in ("PATH", "LANG", "LC_ALL", "PYTHONPATH", "VIRTUAL_ENV")
            },
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        if self.alive():
            self.proc.kill()
        self.proc.wait()
        for s in (self.proc.stdin, self.proc.stdout):
            if s:
                s.close()

    def call(self, svg: str, options: dict[str, Any], limit: float) -> bytes:
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            self.proc.kill()

        timer = threading.Timer(limit, kill)
        timer.daemon = True
        timer.start()
        try:
            header = json.dumps(options).encode()
            body = svg.encode("utf-8")
            self.proc.stdin.write(struct.pack(">II", len(header), len(body)) + header + body)
            self.proc.stdin.flush()
            hl, pl = struct.unpack(">II", _read_exact(self.proc.stdout, 8))
            reply = json.loads(_read_exact(self.proc.stdout, hl))
            payload = _read_exact(self.proc.stdout, pl)
        except (EOFError, OSError, ValueError):
            self.close()
            if timed_out.is_set():
                raise _timeout_error(limit) from None
            raise RenderError(
                "The SVG rasterizer stopped (most likely out of memory).", code="render_memory", details={}
            ) from None
        finally:
            timer.cancel()
        if not reply.get("ok"):
            raise RenderError(
                f"The SVG could not be rasterized: {reply.get('error')}",
                code=reply.get("code", "render_failed"),
            )
        return payload


def rasterize_svg(svg: str, options: dict[str, Any], *, limit: float | None = None) -> bytes:
    """PNG bytes from resvg-py's ``svg_to_bytes(svg_string=svg, **options)`` in a helper process."""
    limit = L.NATIVE_TIME_LIMIT if limit is None else limit
    with _idle_lock:
        worker = _idle.pop() if _idle else None
    if worker is None or not worker.alive():
        worker = _Rasterizer()
    try:
        out = worker.call(svg, options, limit)
    except RenderError:
        if worker.alive():  # a clean error reply: the worker is fine
            _release(worker)
        raise
    _release(worker)
    return out


def _release(worker: _Rasterizer) -> None:
    with _idle_lock:
        if len(_idle) < (os.cpu_count() or 2):
            _idle.append(worker)
            return
    worker.close()


def shutdown() -> None:
    """Stop the idle rasterizer helper processes (tests; a server's shutdown hook)."""
    with _idle_lock:
        workers = list(_idle)
        _idle.clear()
    for w in workers:
        w.close()


def _after_fork_in_child() -> None:
    """A forked child (gunicorn --preload, multiprocessing) must not share the parent's helpers and
    threads: forget them (the parent still owns them) and start afresh on first use."""
    global _tasks, _idle_threads, _idle_lock, _threads_lock
    _idle.clear()
    _idle_lock = threading.Lock()
    _threads_lock = threading.Lock()
    _tasks = queue.SimpleQueue()
    _idle_threads = 0


os.register_at_fork(after_in_child=_after_fork_in_child)
