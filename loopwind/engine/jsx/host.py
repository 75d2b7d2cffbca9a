"""The caller's side of the jsx engine: transpile, load and render requests to V8 helper processes.

V8 runs only in ``_jsxd.py`` helpers (see there and ``isolate.Helper``): reused between renders, killed
when a request overruns its deadline, replaced when they die. Transpiled modules are cached here by bundle
checksum, so a bundle is transpiled once per process; a helper that has not seen a bundle yet is sent the
compiled modules, never the sources again.
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import limits as L
from ..errors import BundleError, EngineError, RenderError, TemplateError
from ..isolate import Helper, HelperPool, HelperStopped

JS_EXTENSIONS = (".tsx", ".ts", ".jsx", ".js")
_HELPER = str(Path(__file__).with_name("_jsxd.py"))
_pool = HelperPool(lambda: Helper(_HELPER, [str(L.JSX_DATA_LIMIT)], env={"TZ": "UTC"}))
GRACE = 5.0  # seconds on top of V8's own deadline before the parent kills the helper
MAX_CACHED = 64
_cache: OrderedDict[str, Compiled] = OrderedDict()
_cache_lock = threading.Lock()


@dataclass(frozen=True)
class Compiled:
    """A bundle's modules as CommonJS (transpiled once), its JSON modules, entry and ``meta`` export."""

    checksum: str
    entry: str
    modules: dict[str, str]
    json: dict[str, str]
    meta: dict[str, Any] | None


def helper_pids() -> list[int]:
    """Process ids of the live V8 helpers (tests, health checks)."""
    return _pool.pids()


def _error(cls: type[EngineError], reply: dict[str, Any]) -> EngineError:
    code = reply.get("code") or "template_runtime_error"
    details = {k: v for k, v in (reply.get("details") or {}).items() if v is not None}
    message = reply.get("message") or "The template failed."
    if code == "template_timeout":
        message = f"The template took longer than {reply['limit']:g} s." if "limit" in reply else message
        details.setdefault("limit", reply.get("limit"))
    if cls is TemplateError and code == "markup_too_deep":
        cls = RenderError
    return cls(message, code=code, details=details)


def _request(
    helper: Helper, cls: type[EngineError], header: dict, payload: dict | str, limit: float, heap: int
):
    body = payload if isinstance(payload, str) else json.dumps(payload)
    try:
        reply, out = helper.request(
            {**header, "timeout": limit, "heap": heap}, body.encode("utf-8"), limit + GRACE
        )
    except HelperStopped as exc:
        if exc.timed_out:
            raise cls(
                f"The template took longer than {limit:g} s.",
                code="template_timeout",
                details={"limit": limit},
            ) from None
        raise cls(
            "The JSX sandbox stopped (most likely out of memory).", code="template_memory", details={}
        ) from None
    if reply.get("retire"):
        helper.state["retire"] = True
    if not reply.get("ok"):
        if reply.get("code") == "template_timeout":
            reply["limit"] = limit
        raise _error(cls, reply)
    return reply, out


def _load(helper: Helper, compiled: Compiled, cls: type[EngineError]) -> dict:
    _, out = _request(
        helper,
        cls,
        {"op": "load", "key": compiled.checksum},
        {"entry": compiled.entry, "modules": compiled.modules, "json": compiled.json},
        L.TEMPLATE_TIME_LIMIT,
        L.JSX_HEAP_LIMIT,
    )
    helper.state.setdefault("loaded", set()).add(compiled.checksum)
    return json.loads(out)


def _release(helper: Helper) -> None:
    _pool.release(helper, keep=not helper.state.get("retire"))


def compile_bundle(files: dict[str, bytes], entry: str, checksum: str) -> Compiled:
    """Transpile the bundle's modules (cached by checksum) and read the entry's ``meta``. BundleError on
    a syntax error (file, line, column), an import that does not resolve, or an entry that fails to load."""
    with _cache_lock:
        if checksum in _cache:
            _cache.move_to_end(checksum)
            return _cache[checksum]
    sources: dict[str, str] = {}
    json_files: dict[str, str] = {}
    for path, data in files.items():
        low = path.lower()
        if not low.endswith((*JS_EXTENSIONS, ".json")) or path == "loopwind.json":
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            if low.endswith(JS_EXTENSIONS):
                raise BundleError(
                    f"{path} is not UTF-8 text.", code="invalid_encoding", details={"file": path}
                ) from None
            continue
        if low.endswith(".json"):
            json_files[path] = text
        else:
            if "\0" in text:
                raise BundleError(
                    f"{path} is not a source file (it holds binary data).",
                    code="syntax_error",
                    details={"file": path},
                )
            sources[path] = text
    helper = _pool.acquire()
    try:
        _, out = _request(
            helper,
            BundleError,
            {"op": "transpile"},
            {"files": {**sources, **json_files}, "modules": sorted(sources)},
            L.JSX_TRANSPILE_TIME_LIMIT,
            L.JSX_TRANSPILE_HEAP_LIMIT,
        )
        result = json.loads(out)
        if not result.get("ok"):
            raise _error(BundleError, result)
        compiled = Compiled(checksum, entry, result["modules"], json_files, None)
        meta = _load(helper, compiled, BundleError).get("meta")
    finally:
        _release(helper)
    compiled = Compiled(checksum, entry, compiled.modules, json_files, meta)
    with _cache_lock:
        _cache[checksum] = compiled
        while len(_cache) > MAX_CACHED:
            _cache.popitem(last=False)
    return compiled


def render_trees(compiled: Compiled, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Call the bundle's component once per request (one image, or a batch of video frames) in one trip
    to a V8 helper. Returns one ``{"ok", "tree", "requests"}`` or ``{"ok": False, "code", …}`` per request,
    stopping after the first that failed. TemplateError when the helper hits a limit or dies."""
    payload = json.dumps(requests)
    limit = L.TEMPLATE_TIME_LIMIT * len(requests)
    helper = _pool.acquire()
    try:
        for attempt in (1, 2):
            if compiled.checksum not in helper.state.get("loaded", ()):
                _load(helper, compiled, TemplateError)
            try:
                _, out = _request(
                    helper,
                    TemplateError,
                    {"op": "render", "key": compiled.checksum},
                    payload,
                    limit,
                    L.JSX_HEAP_LIMIT,
                )
            except TemplateError as exc:
                if exc.code == "unknown_bundle" and attempt == 1:  # the helper dropped it (LRU, a failure)
                    helper.state.get("loaded", set()).discard(compiled.checksum)
                    continue
                if exc.code in ("template_timeout", "template_memory"):
                    helper.state.get("loaded", set()).discard(compiled.checksum)
                raise
            break
    finally:
        _release(helper)
    return json.loads(out)


def result_tree(result: dict[str, Any]) -> dict[str, Any]:
    """One render's result, or its TemplateError (RenderError for markup nested too deeply)."""
    if not result.get("ok"):
        raise _error(TemplateError, result)
    return result


def _after_fork_in_child() -> None:
    global _cache_lock
    _cache_lock = threading.Lock()  # it may have been held by another thread of the parent


os.register_at_fork(after_in_child=_after_fork_in_child)
