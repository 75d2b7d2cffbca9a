"""Renders run in child processes, never in a web or queue worker itself.

A template is untrusted code, and the engine is native code: a runaway template must not
hang or kill the process that serves requests. Each render goes to a long-lived child
(started with ``spawn``, so it shares no threads, sockets or database connections with its
parent) under an address-space limit, a per-task CPU limit and a wall-clock deadline. A child
that overruns is killed and replaced; the caller gets ``render_timeout`` or
``render_too_large`` as a RenderError, and the process serving requests carries on.

Children keep parsed bundles by checksum, so a template's files cross the pipe once per child.
This module imports nothing from Django: the children import only the engine."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from loopwind.engine import BundleError, PropsError, RenderError, TemplateError

_ERRORS = {cls.__name__: cls for cls in (BundleError, PropsError, TemplateError, RenderError)}
_BUNDLES_PER_CHILD = 32


@dataclass
class RenderTask:
    checksum: str
    files: Mapping[str, bytes] | None  # None until the child asks for them
    props: dict[str, Any]
    kind: str = (
        "image"  # image | video | lint | check (loopwind.engine.preflight, see core.renderpool.preflight)
    )
    format: str = "png"
    scale: int = 1
    quality: int | None = None
    time: float | None = None
    images: dict[str, bytes] = field(default_factory=dict)
    image_errors: dict[str, str] = field(default_factory=dict)  # preflight: URLs the parent could not fetch
    output_path: str | None = None  # video: where the child writes the file
    # Set by RenderPool.run, success or failure: the CPU the render used, measured by the child over
    # itself and its helper processes (a render killed at its deadline is charged its whole budget).
    cpu_ms: int | None = None


@dataclass(frozen=True)
class Limits:
    wall_seconds: float
    cpu_seconds: int
    memory_mb: int


# --- the child -------------------------------------------------------------------------------


def _set_memory_limit(memory_mb: int) -> None:
    import resource

    if memory_mb > 0:
        # The soft limit only: the engine starts helper processes (the SVG rasterizer) that set
        # tighter limits of their own, and inheriting a hard limit would forbid that.
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 1024 * 1024, hard))


def _set_cpu_budget(seconds: int) -> None:
    """RLIMIT_CPU counts the process's whole life, so each task's budget starts from what the
    child has used so far. Past it the kernel sends SIGXCPU, which ends the child."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = int(usage.ru_utime + usage.ru_stime) + 1
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = used + seconds
    resource.setrlimit(
        resource.RLIMIT_CPU, (soft, hard if hard == resource.RLIM_INFINITY else max(hard, soft))
    )


def _as_batch_work() -> None:
    """A render child is CPU-bound batch work: under SCHED_BATCH its wakeups do not preempt the process
    that hands it a task (measured in a web process: handing over a task took 0.4 ms, not 0.1, when the
    woken child took the sender's CPU first). Its helpers inherit the policy. Linux; elsewhere nothing."""
    try:
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
    except (AttributeError, OSError):
        pass


def _preflight(bundle, task: RenderTask) -> list[dict]:  # pragma: no cover - runs in the child
    """A lint or check, with the image URLs the parent fetched (the child opens no connection)."""
    from loopwind.engine import preflight

    def fetch(url: str) -> bytes:
        if url in task.images:
            return task.images[url]
        raise RuntimeError(task.image_errors.get(url, "not fetched"))

    if task.kind == "lint":
        return preflight.lint(bundle, fetch=fetch)
    return preflight.check(bundle, task.props, fetch=fetch)


def _child_main(conn, memory_mb: int) -> None:  # pragma: no cover - runs in the child
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # ctrl-c goes to the parent, which decides
    from loopwind import engine
    from loopwind.engine.isolate import helpers_cpu_seconds

    _set_memory_limit(memory_mb)
    _as_batch_work()
    bundles: OrderedDict[str, Any] = OrderedDict()

    def cpu_used() -> float:
        return time.process_time() + helpers_cpu_seconds()

    def cost(started: float) -> int:
        return int((cpu_used() - started) * 1000)

    while True:
        try:
            task, cpu_seconds = conn.recv()
        except (EOFError, OSError):
            return
        _set_cpu_budget(cpu_seconds)
        started = cpu_used()
        try:
            bundle = bundles.get(task.checksum)
            if bundle is None:
                files = task.files
                if files is None:
                    conn.send(("need_files",))
                    files = conn.recv()
                bundle = engine.load_bundle(files)
                bundles[task.checksum] = bundle
                if len(bundles) > _BUNDLES_PER_CHILD:
                    bundles.popitem(last=False)
            bundles.move_to_end(task.checksum)
            if task.kind == "video":

                def progress(frame: int, total: int) -> None:
                    conn.send(("progress", frame, total))

                result = engine.render_video(
                    bundle,
                    task.props,
                    format=task.format,
                    images=task.images,
                    output_path=task.output_path,
                    on_progress=progress,
                )
                conn.send(("ok", str(result), cost(started)))
            elif task.kind in ("lint", "check"):
                conn.send(("ok", _preflight(bundle, task), cost(started)))
            else:
                output = engine.render(
                    bundle,
                    task.props,
                    format=task.format,
                    scale=task.scale,
                    quality=task.quality,
                    images=task.images,
                    time=task.time,
                )
                conn.send(("ok", output, cost(started)))
        except engine.EngineError as exc:
            conn.send(("error", type(exc).__name__, exc.code, exc.message, exc.details, cost(started)))
        except MemoryError:
            bundles.clear()
            conn.send(
                (
                    "error",
                    "RenderError",
                    "render_too_large",
                    "The render ran out of memory.",
                    {},
                    cost(started),
                )
            )
        except Exception as exc:  # an engine bug must not end the child silently
            conn.send(
                (
                    "error",
                    "RenderError",
                    "render_failed",
                    f"The render failed: {type(exc).__name__}",
                    {},
                    cost(started),
                )
            )


# --- the parent ------------------------------------------------------------------------------


class _Child:
    def __init__(self, context, memory_mb: int):
        self.conn, child_conn = context.Pipe()
        self.process = context.Process(target=_child_main, args=(child_conn, memory_mb), daemon=True)
        self.process.start()
        child_conn.close()

    def alive(self) -> bool:
        return self.process.is_alive()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


class _Waiter:
    def __init__(self):
        self.ready = threading.Event()
        self.child: _Child | None = None
        self.start_one = False  # handed the right to start a child instead of an idle one


class RenderPool:
    """A fixed number of render children shared by the threads of one process.

    Waiting is fair between accounts: when a child comes free it goes to the next account in turn
    (each account's requests in order), not to whoever asked first, so one account flooding the
    process with slow renders delays another account's render by at most one render per busy
    child, never by its whole backlog (issue 22)."""

    def __init__(self, size: int, limits: Limits):
        self.size = max(1, size)
        self.limits = limits
        self._context = multiprocessing.get_context("spawn")
        self._idle: list[_Child] = []
        self._started = 0
        self._waiting: OrderedDict[str, deque[_Waiter]] = OrderedDict()  # account → its waiters, in turn
        self._lock = threading.Lock()

    def _acquire(self, deadline: float, account: str) -> _Child:
        with self._lock:
            while self._idle:
                child = self._idle.pop()
                if child.alive():
                    return child
                # died while idle (the OOM killer, an operator): its slot goes to a new child, and
                # no render is failed for it
                child.kill()
                self._started -= 1
            if self._started < self.size:
                self._started += 1
                start_one = True
            else:
                start_one = False
                waiter = _Waiter()
                self._waiting.setdefault(account, deque()).append(waiter)
        if start_one:
            return self._start()
        waiter.ready.wait(max(0.0, deadline - time.monotonic()))
        with self._lock:
            if not waiter.ready.is_set():  # gave up: leave the line
                line = self._waiting.get(account)
                if line is not None and waiter in line:
                    line.remove(waiter)
                    if not line:
                        del self._waiting[account]
                raise RenderError(
                    "All renderers are busy; try again shortly.", code="render_busy", details={}
                )
        return waiter.child if waiter.child is not None else self._start()

    def _start(self) -> _Child:
        try:
            return _Child(self._context, self.limits.memory_mb)
        except BaseException:
            with self._lock:
                self._started -= 1
            raise

    def _release(self, child: _Child | None, account: str) -> None:
        """A free child (or, when it died, the right to start one) goes to the next account in turn;
        the account that just used it goes to the back of the line."""
        with self._lock:
            alive = child is not None and child.alive()
            if account in self._waiting:
                self._waiting.move_to_end(account)
            if self._waiting:
                account, line = next(iter(self._waiting.items()))
                waiter = line.popleft()
                if line:
                    self._waiting.move_to_end(account)  # its next request waits for the others' turns
                else:
                    del self._waiting[account]
                waiter.child = child if alive else None  # None: start a new one (the slot is kept)
                waiter.ready.set()
                return
            if alive:
                self._idle.append(child)
            else:
                self._started -= 1

    def run(
        self,
        task: RenderTask,
        *,
        files_loader: Callable[[], Mapping[str, bytes]],
        wall_seconds: float | None = None,
        on_progress: Callable[[int, int], None] | None = None,
        should_cancel: Callable[[], bool] | None = None,
        account: str = "",
        while_rendering: Callable[[], None] | None = None,
    ) -> Any:
        """Runs ``task`` in a child and returns its result (bytes, or the video path). ``account``
        names who the render is for, so waiting for a child takes turns between accounts.
        ``while_rendering`` runs here once the child has the task (work the caller would otherwise
        do before it, overlapped with the render); if it raises, the child finishes its render, the
        result is dropped and that exception is raised (the child stays warm)."""
        wall = wall_seconds or self.limits.wall_seconds
        deadline = time.monotonic() + wall
        failed: list[Exception] = []

        def overlapped() -> None:
            try:
                while_rendering()
            except Exception as exc:  # raised once the child is done with the task
                failed.append(exc)

        child = self._acquire(deadline, account)
        try:
            result = self._exchange(child, task, files_loader, deadline, wall, on_progress, should_cancel,
                                    overlapped if while_rendering is not None else None)  # fmt: skip
        except BaseException:
            child.kill()  # whatever happened mid-exchange, this child's state is unknown
            child = None
            if failed:
                raise failed[0] from None
            raise
        finally:
            self._release(child, account)
        if failed:
            raise failed[0]
        return result

    def _exchange(
        self, child, task, files_loader, deadline, wall, on_progress, should_cancel, overlapped=None
    ):
        cpu_budget = int(min(self.limits.cpu_seconds, wall) + 1)
        try:
            child.conn.send((task, cpu_budget))
        except OSError:  # BrokenPipeError: it died between being handed out and the task
            raise self._died(child, task, wall) from None
        if overlapped is not None:
            overlapped()
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                task.cpu_ms = int(wall * 1000)  # the child is killed before it can say: its budget
                raise RenderError(
                    f"The render took longer than {wall:g} seconds.",
                    code="render_timeout",
                    details={"limit": wall},
                )
            if should_cancel is not None and should_cancel():
                raise RenderError("The render was cancelled.", code="render_cancelled", details={})
            if not child.conn.poll(min(remaining, 0.25)):
                continue
            try:
                message = child.conn.recv()
            except (EOFError, OSError):
                raise self._died(child, task, wall) from None
            kind = message[0]
            if kind == "ok":
                task.cpu_ms = message[2]
                return message[1]
            if kind == "progress" and on_progress is not None:
                on_progress(message[1], message[2])
            elif kind == "need_files":
                child.conn.send(dict(files_loader()))
            elif kind == "error":
                _, name, code, text, details, task.cpu_ms = message
                raise _ERRORS.get(name, RenderError)(text, code=code, details=details)

    def _died(self, child: _Child, task: RenderTask, wall: float) -> RenderError:
        child.process.join(timeout=2)
        code = child.process.exitcode
        task.cpu_ms = int(wall * 1000)  # it died before it could say: charged its budget
        if code == -signal.SIGXCPU:
            return RenderError(
                "The render used more CPU time than allowed.", code="render_timeout", details={}
            )
        if code == -signal.SIGKILL:
            return RenderError(
                "The render was stopped for using too much memory.", code="render_too_large", details={}
            )
        return RenderError("The renderer crashed.", code="render_failed", details={"exitCode": code})

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for child in idle:
            child.kill()


_pools: dict[str, RenderPool] = {}
_pools_lock = threading.Lock()
_pid = os.getpid()


def get_pool(name: str, *, size: int, limits: Limits) -> RenderPool:
    """One pool per name and process (gunicorn forks workers after import: each gets its own)."""
    global _pid
    with _pools_lock:
        if _pid != os.getpid():
            _pools.clear()
            _pid = os.getpid()
        pool = _pools.get(name)
        if pool is None:
            pool = _pools[name] = RenderPool(size, limits)
        return pool
