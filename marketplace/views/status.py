"""/status: the health checks (core.health, the same as the monitors' JSON /healthz) in plain words
for customers. No dependency's name, engine or error text is shown: those are for operators."""

from __future__ import annotations

import time

from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.health import health_checks

# What each check means to someone using loopwind, in the order shown.
PARTS = [
    ("database", "Website and API", "sign-in, templates, keys and renders through the API"),
    ("storage", "Rendered files", "previews, downloads and signed image URLs"),
    ("queue", "Video renders and webhooks", "renders that run in the background and their notifications"),
    ("cache", "Speed and rate limits", "cached renders and fair-use limits"),
]
CACHE_SECONDS = 15  # a busy status page does not run the checks (one writes a file) on every view
_last: tuple[float, dict] | None = None


def _checks() -> dict:
    global _last
    now = time.monotonic()
    if _last is None or now - _last[0] > CACHE_SECONDS:
        _last = (now, health_checks())
    return _last[1]


@never_cache
@require_GET
def status(request):
    checks = _checks()
    parts = [
        {"key": key, "name": name, "covers": covers, "ok": checks[key]["ok"]}
        for key, name, covers in PARTS
        if key in checks
    ]
    degraded = [part for part in parts if not part["ok"]]
    if not degraded:
        headline = "All systems operational"
    elif not checks["database"]["ok"]:
        headline = "loopwind is down"
    else:
        headline = "Degraded: " + ", ".join(part["name"].lower() for part in degraded)
    return render(
        request,
        "marketplace/status.html",
        {"parts": parts, "headline": headline, "degraded": degraded},
        status=200 if checks["database"]["ok"] else 503,
    )
