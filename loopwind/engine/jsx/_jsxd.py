"""Helper process that runs JSX templates in V8 (mini-racer). Standalone: stdlib + py_mini_racer.

V8 never runs in the caller's process (web server, queue worker, CLI): its out-of-memory handling can abort
the whole process, so it runs here, where the parent (``host.py``) kills and replaces it on a deadline or a
crash. The environment is minimal (no secrets, no settings), the data segment is capped (``RLIMIT_DATA``:
V8 reserves terabytes of address space, so ``RLIMIT_AS`` cannot be used), and no Python function is
exposed to JavaScript: requests and answers are JSON strings.

It holds one warm transpiler context (the vendored Sucrase) and one context per loaded bundle (at most
``MAX_CONTEXTS``, least recently used dropped). A bundle context runs ``runtime.js`` (React runtime, module
loader, lockdown), then each module's factory, then answers renders. A context that timed out or ran out
of memory is dropped. Protocol as ``_rasterd.py``: frames of ``>II`` (header length, payload length), a
JSON header, then the payload (JSON text); an empty frame first, once V8 is up.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import struct
import sys
from collections import OrderedDict
from pathlib import Path

HERE = Path(__file__).resolve().parent
MAX_CONTEXTS = 16
RETIRE_RSS = 1024 * 1024 * 1024  # past this resident size the helper asks to be replaced


def _read_exact(stream, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = stream.read(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return bytes(buf)


def _rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def main() -> None:
    # A caller that runs under an address-space or CPU-time soft limit (the server's render children do)
    # passes it on; V8 cannot start under RLIMIT_AS (it reserves terabytes of address space), and a
    # long-lived helper would outlive a per-task CPU budget. Memory is bounded by RLIMIT_DATA below and
    # time by the parent's deadline instead.
    for which in (resource.RLIMIT_AS, resource.RLIMIT_CPU):
        soft, hard = resource.getrlimit(which)
        if soft != hard:
            try:
                resource.setrlimit(which, (hard, hard))
            except (ValueError, OSError):
                pass
    data_limit = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    if data_limit:
        _, hard = resource.getrlimit(resource.RLIMIT_DATA)
        if hard != resource.RLIM_INFINITY:
            data_limit = min(data_limit, hard)
        try:
            resource.setrlimit(resource.RLIMIT_DATA, (data_limit, data_limit))
        except (ValueError, OSError):  # an inherited limit we may not change: keep it
            pass
    from py_mini_racer import init_mini_racer

    init_mini_racer(flags=("--single-threaded", "--disallow-code-generation-from-strings"))
    # mini-racer's eval(timeout_sec=…) from a plain thread hops to its event-loop thread and back (about
    # 0.4 ms a call); serving from inside that loop awaits V8 directly.
    asyncio.run(serve())


async def serve() -> None:
    from py_mini_racer import JSOOMException, JSTimeoutException, MiniRacer
    from py_mini_racer._exc import MiniRacerBaseException

    async def run(ctx: MiniRacer, code: str, timeout: float):
        try:
            return await asyncio.wait_for(ctx.eval_cancelable(code), timeout=timeout)
        except TimeoutError:
            raise JSTimeoutException from None

    runtime_js = (HERE / "runtime.js").read_text()
    transpiler_js = (
        (HERE.parent / "vendor" / "sucrase.min.js").read_text() + "\n" + (HERE / "transpile.js").read_text()
    )
    transpiler = None
    contexts: OrderedDict[str, MiniRacer] = OrderedDict()

    def limit_error(exc: Exception, phase: str) -> dict:
        if isinstance(exc, JSTimeoutException):
            return {
                "ok": False,
                "code": "template_timeout",
                "message": f"The template took too long ({phase}).",
            }
        if isinstance(exc, JSOOMException):
            return {
                "ok": False,
                "code": "template_memory",
                "message": f"The template used too much memory ({phase}).",
            }
        return {"ok": False, "code": "template_runtime_error", "message": str(exc).splitlines()[0][:500]}

    def drop(key: str) -> None:
        ctx = contexts.pop(key, None)
        if ctx is not None:
            ctx.close()

    async def handle(header: dict, payload: bytes) -> tuple[dict, bytes]:
        nonlocal transpiler
        op = header["op"]
        timeout, heap = header["timeout"], header["heap"]
        if op == "transpile":
            if transpiler is None:
                transpiler = MiniRacer()
                await run(transpiler, transpiler_js, 30.0)
            transpiler.set_hard_memory_limit(heap)
            try:
                out = await run(
                    transpiler, "__lw_transpile(" + json.dumps(payload.decode("utf-8")) + ")", timeout
                )
            except MiniRacerBaseException as exc:
                transpiler.close()
                transpiler = None
                return limit_error(exc, "while transpiling"), b""
            return {"ok": True}, out.encode("utf-8")
        key = header["key"]
        if op == "load":
            drop(key)
            spec = json.loads(payload)
            ctx = MiniRacer()
            # Set once per context: mini-racer's per-call max_memory costs a millisecond per call.
            ctx.set_hard_memory_limit(heap)
            try:
                await run(ctx, runtime_js, timeout)
                for path, code in spec["modules"].items():
                    # Line 1 is the wrapper, so a stack line N is the module's line N - 1. transpile.js has
                    # checked the code cannot leave this function (see there).
                    await run(
                        ctx,
                        f'__lw_define({json.dumps(path)}, function (exports, require, module) {{"use strict";\n'
                        f"{code}\n}});\n//# sourceURL={path}",
                        timeout,
                    )
                load = json.dumps({"entry": spec["entry"], "json": spec["json"]})
                out = await run(ctx, "__lw_load(" + json.dumps(load) + ")", timeout)
            except MiniRacerBaseException as exc:
                ctx.close()
                return limit_error(exc, "while loading"), b""
            result = json.loads(out)
            if "error" in result:
                ctx.close()
                return {"ok": False, **result["error"]}, b""
            contexts[key] = ctx
            while len(contexts) > MAX_CONTEXTS:
                drop(next(iter(contexts)))
            return {"ok": True}, json.dumps(result).encode()
        if op == "render":
            ctx = contexts.get(key)
            if ctx is None:
                return {"ok": False, "code": "unknown_bundle", "message": "not loaded"}, b""
            contexts.move_to_end(key)
            try:
                out = await run(ctx, "__lw_render(" + json.dumps(payload.decode("utf-8")) + ")", timeout)
            except MiniRacerBaseException as exc:
                drop(key)  # a context that ran out of memory is dead; one that timed out is not trusted
                return limit_error(exc, "while rendering"), b""
            return {"ok": True}, out.encode("utf-8")
        return {"ok": False, "code": "bad_request", "message": f"unknown op {op!r}"}, b""

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    stdout.write(struct.pack(">II", 0, 0))  # ready (see isolate.Helper.request)
    stdout.flush()
    while True:
        try:
            hl, pl = struct.unpack(">II", _read_exact(stdin, 8))
            header = json.loads(_read_exact(stdin, hl))
            payload = _read_exact(stdin, pl)
        except EOFError:
            os._exit(0)  # V8's teardown at interpreter exit can hang; nothing to flush
        try:
            reply, body = await handle(header, payload)
        except MemoryError:
            reply, body = {"ok": False, "code": "template_memory", "message": "out of memory"}, b""
        if _rss() > RETIRE_RSS:
            reply["retire"] = True
        h = json.dumps(reply).encode()
        stdout.write(struct.pack(">II", len(h), len(body)) + h + body)
        stdout.flush()


if __name__ == "__main__":
    main()
