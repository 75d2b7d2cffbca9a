"""Counts every ``/api/`` and ``/i/`` request of a known account (analytics.collector): its route,
API key, template, format, status class, cache outcome and latency. The facts come from the code
that knows them (core.requestfacts: the signer of an image URL, the template and render of a
render request) and from the request itself (the account and key it authenticated as)."""

from __future__ import annotations

import json
import logging
import re
import time

from django.conf import settings

from accounts.models import ApiKey
from analytics.collector import collector
from core import requestfacts
from core.observability import request_id_var

logger = logging.getLogger(__name__)
_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")
_routes: dict[tuple[str, str], str] = {}  # (method, URL pattern) -> "POST /api/render"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_name(request) -> str:
    """The method and URL pattern, never the path itself: a bounded set of names (made-up methods
    are one "OTHER"), however many distinct URLs and methods clients send."""
    match = request.resolver_match
    pattern = match.route if match is not None else ""
    method = request.method if request.method in _METHODS else "OTHER"
    cached = _routes.get((method, pattern))
    if cached is None:
        path = "/" + _PARAM.sub(r"{\1}", pattern) if pattern else "(no such endpoint)"
        cached = _routes.setdefault((method, pattern), f"{method} {path}"[:120])
    return cached


def _account_and_key(request, facts) -> tuple[int | None, ApiKey | None]:
    auth = getattr(request, "auth", None)
    key = auth if isinstance(auth, ApiKey) else None
    account = facts.get("account")
    if account is None:
        user = getattr(request, "user", None)  # DRF and the render fast path set the account they act for
        if user is not None and user.is_authenticated:
            account = user.pk
    return account, key


def _error(request, response, key) -> dict:
    """What the error log keeps of an error response: the error JSON's code and message."""
    code = message = ""
    if response.get("Content-Type", "").startswith("application/json") and not response.streaming:
        try:
            error = json.loads(response.content[:8192]).get("error", {})
            code, message = str(error.get("code", "")), str(error.get("message", ""))
        except (ValueError, AttributeError):
            pass
    return {"code": code, "message": message, "path": request.path[:300],
            "keyPrefix": key.prefix if key is not None else "", "requestId": request_id_var.get()}  # fmt: skip


class AnalyticsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if not settings.ANALYTICS_ENABLED or not (path.startswith("/api/") or path.startswith("/i/")):
            return self.get_response(request)
        started = time.perf_counter()
        facts, token = requestfacts.start()
        try:
            response = self.get_response(request)
        finally:
            requestfacts.end(token)
        try:
            account, key = _account_and_key(request, facts)
            if account is not None:
                status = response.status_code
                collector.record(
                    account_id=account, key_id=key.public_id if key is not None else "", route=route_name(request),
                    template=facts.get("template", ""), fmt=facts.get("format", ""), status=status,
                    cache=facts.get("cache", ""), latency_ms=(time.perf_counter() - started) * 1000,
                    error=_error(request, response, key) if status >= 400 else None,
                )  # fmt: skip
        except Exception:  # counting must never cost a response
            logger.warning("analytics could not count %s %s", request.method, path, exc_info=True)
        return response
