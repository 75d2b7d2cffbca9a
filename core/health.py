"""GET /healthz: 200 while the database answers (a node without its database is useless),
with the state of every other dependency so an operator sees what is degraded."""

import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import JsonResponse


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        detail = check() or {}
        return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1), **detail}
    except Exception as exc:  # a health check reports failures, it must never raise
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"engine": connection.vendor}


def _cache():
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "1", 5)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return what was written")
    cache.delete(key)
    return {"backend": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]}


def _broker():
    import dramatiq

    broker = dramatiq.get_broker()
    client = getattr(broker, "client", None)
    if client is not None:
        client.ping()
    return {"backend": type(broker).__name__}


def _storage():
    name = default_storage.save(f"healthz/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
    default_storage.delete(name)
    return {"backend": type(default_storage._wrapped).__name__}


def health_checks(*, storage: bool = True) -> dict[str, dict]:
    """Every dependency's check, {"database": {"ok": True, "ms": 0.4, ...}, ...}; never raises.
    /healthz shows them to monitors as JSON, the website's /status in plain words."""
    checks = {"database": _timed(_database), "cache": _timed(_cache), "queue": _timed(_broker)}
    if storage:
        checks["storage"] = _timed(_storage)
    return checks


def healthz(request):
    checks = health_checks(storage=request.GET.get("storage") != "0")
    healthy = checks["database"]["ok"]
    status = "ok" if all(c["ok"] for c in checks.values()) else ("degraded" if healthy else "down")
    return JsonResponse({"status": status, "checks": checks}, status=200 if healthy else 503)
