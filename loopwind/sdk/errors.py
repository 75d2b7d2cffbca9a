"""Typed errors: every API error body ``{"error": {"code", "message", "details"}}`` becomes one of these."""

from __future__ import annotations

from typing import Any


class LoopwindDeprecationWarning(UserWarning):
    """The template version used is deprecated or yanked; the message is its author's. A
    UserWarning, so Python shows it (a DeprecationWarning would be hidden outside __main__)."""


class LoopwindError(Exception):
    """Base class: ``code`` (the API's snake_case code), ``message``, ``status`` (HTTP, or None), ``details``."""

    def __init__(self, message: str, *, code: str = "error", status: int | None = None, details: Any = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.details = details if details is not None else {}

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "status": self.status, "details": self.details}


class BadRequest(LoopwindError):
    """400 / 413: invalid input (``details`` names the field or prop)."""


class AuthError(LoopwindError):
    """401: missing, wrong or expired credentials."""


class PermissionDenied(LoopwindError):
    """403: the key lacks a scope, or the plan does not include the feature."""


class NotFound(LoopwindError):
    """404: no such template, version, job or key (or not visible to you)."""


class Conflict(LoopwindError):
    """409: e.g. ``version_exists`` when publishing a version again."""


class RenderFailed(LoopwindError):
    """422 from a render, or an async job that ended ``failed``."""


class RateLimited(LoopwindError):
    """429 after the automatic retries; ``retry_after`` in seconds (or None)."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class QuotaExceeded(RateLimited):
    """429 ``quota_exceeded``: this month's renders are spent (not retried)."""


class ServerError(LoopwindError):
    """5xx, 503 ``queue_unavailable`` included (after the automatic retries)."""


class APIConnectionError(LoopwindError):
    """The server could not be reached (DNS, refused, TLS, timeout)."""


class JobCancelled(LoopwindError):
    """The job ended ``cancelled``."""


class WaitTimeout(LoopwindError):
    """``job.wait(timeout=…)`` ran out before the job finished."""


class WebhookVerificationError(LoopwindError):
    """A webhook's signature, id or timestamp did not verify."""


_BY_STATUS: dict[int, type[LoopwindError]] = {
    400: BadRequest,
    401: AuthError,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    413: BadRequest,
    422: RenderFailed,
}


def error_for(status: int, body: Any, retry_after: float | None = None) -> LoopwindError:
    """The exception for an error response (``body`` is the parsed JSON, or None)."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        error = {"code": f"http_{status}", "message": f"The server answered HTTP {status}."}
    code = str(error.get("code") or f"http_{status}")
    message = str(error.get("message") or code)
    kwargs = {"code": code, "status": status, "details": error.get("details") or {}}
    if status == 429:
        cls = QuotaExceeded if code == "quota_exceeded" else RateLimited
        return cls(message, retry_after=retry_after, **kwargs)
    if status >= 500:
        return ServerError(message, **kwargs)
    return _BY_STATUS.get(status, LoopwindError)(message, **kwargs)
