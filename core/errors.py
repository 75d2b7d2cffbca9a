"""One way to fail: every error on /api/ is
``{"error": {"code": "snake_case", "message": "human sentence", "details": {...}}}``.

Services raise ``ApiError`` subclasses (domain errors); DRF's own exceptions, Django's
404 / 405 / 413 and unexpected exceptions are translated here, so a view never builds
an error response by hand."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import unquote_plus

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404, HttpResponse, JsonResponse
from rest_framework import exceptions as drf
from rest_framework.response import Response

logger = logging.getLogger("loopwind.errors")


class ApiError(Exception):
    """A domain error with its HTTP status. Subclass it with a fixed ``code`` and ``status``."""

    status = 400
    code = "bad_request"
    message = "The request could not be processed."

    def __init__(
        self,
        message: str | None = None,
        *,
        details: dict[str, Any] | None = None,
        code: str | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ):
        self.message = message or self.message
        self.details = details or {}
        self.code = code or self.code
        self.status = status or self.status
        self.headers = dict(headers or {})
        if self.status == 503:  # a dependency is down: tell clients when to come back
            self.headers.setdefault("Retry-After", "5")
        super().__init__(self.message)


class Conflict(ApiError):
    status = 409
    code = "conflict"


class NotFound(ApiError):
    status = 404
    code = "not_found"
    message = "Not found."


class Forbidden(ApiError):
    status = 403
    code = "forbidden"
    message = "You do not have permission to do this."


class Unauthorized(ApiError):
    status = 401
    code = "not_authenticated"
    message = "Authentication credentials were not provided or are not valid."


class TooManyRequests(ApiError):
    status = 429
    code = "rate_limited"
    message = "Too many requests."

    def __init__(self, message: str | None = None, *, retry_after: int, **kwargs: Any):
        headers = {"Retry-After": str(max(1, int(retry_after)))}
        details = {"retryAfter": max(1, int(retry_after)), **(kwargs.pop("details", None) or {})}
        super().__init__(message, details=details, headers=headers, **kwargs)


class ServiceUnavailable(ApiError):
    status = 503
    code = "service_unavailable"
    message = "A service this request needs is unavailable. Try again shortly."


class DatabaseUnavailable(ServiceUnavailable):
    code = "database_unavailable"
    message = "The database is unavailable right now. Try again shortly."


def _database_down(exc: Exception) -> bool:
    """Connection-level database failures (server restarting, connection dropped), as opposed
    to errors in a query, which stay bugs (500)."""
    from django.db import InterfaceError, OperationalError

    return isinstance(exc, (OperationalError, InterfaceError))


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def error_response(status: int, code: str, message: str, details=None, headers=None) -> JsonResponse:
    response = JsonResponse(error_body(code, message, details), status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


# DRF's default codes renamed where ours say more.
_DRF_CODES = {
    drf.ValidationError: "validation_error",
    drf.ParseError: "malformed_json",
    drf.NotAuthenticated: "not_authenticated",
    drf.AuthenticationFailed: "authentication_failed",
    drf.PermissionDenied: "forbidden",
    drf.NotFound: "not_found",
    drf.MethodNotAllowed: "method_not_allowed",
    drf.UnsupportedMediaType: "unsupported_media_type",
    drf.NotAcceptable: "not_acceptable",
    drf.Throttled: "rate_limited",
}


def _first_message(detail: Any, path: str = "") -> tuple[str, str]:
    """The first (field path, message) in a DRF error detail tree."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            sub = f"{path}.{key}" if path else str(key)
            return _first_message(value, "" if key == "non_field_errors" else sub)
    if isinstance(detail, list) and detail:
        return _first_message(detail[0], path)
    return path, str(detail)


def _plain(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {str(k): _plain(v) for k, v in detail.items()}
    if isinstance(detail, list):
        return [_plain(v) for v in detail]
    return str(detail)


def _drf_error(exc: drf.APIException) -> tuple[str, str, dict[str, Any]]:
    if exc.default_code == "token_not_valid":  # simplejwt's InvalidToken: bad, expired or forged JWT
        return "invalid_token", "The access token is invalid or expired.", {}
    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), None)
    if isinstance(exc, drf.ValidationError):
        field, message = _first_message(exc.detail)
        message = f"{field}: {message}" if field else message
        detail = exc.detail if isinstance(exc.detail, dict) else {"nonFieldErrors": exc.detail}
        return code, message, {"fields": _plain(detail)}
    if isinstance(exc, drf.ParseError):
        return code, f"The request body is not valid JSON: {exc.detail}", {}
    code = code or exc.default_code
    detail = exc.detail
    if isinstance(detail, dict):
        message = str(detail.get("detail") or next(iter(detail.values()), "") or exc.default_detail)
    else:
        message = str(detail)
    return code, message, {}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every exception a view raises becomes the error JSON."""
    headers: dict[str, str] = {}
    if _database_down(exc):
        exc = DatabaseUnavailable()
    if isinstance(exc, ApiError):
        status, code, message, details, headers = exc.status, exc.code, exc.message, exc.details, exc.headers
    elif isinstance(exc, (RequestDataTooBig, TooManyFieldsSent)):
        status, code, message, details = 413, "payload_too_large", "The request body is too large.", {}
    elif isinstance(exc, TooManyFilesSent):
        status, code, message, details = 400, "too_many_files", "The request holds too many files.", {}
    elif isinstance(exc, Http404):
        status, code, message, details = 404, "not_found", "Not found.", {}
    elif isinstance(exc, DjangoPermissionDenied):
        status, code, message, details = 403, "forbidden", "You do not have permission to do this.", {}
    elif isinstance(exc, drf.APIException):
        status = exc.status_code
        code, message, details = _drf_error(exc)
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
    else:
        return None  # unexpected: ApiErrorMiddleware logs it and answers a JSON 500
    if status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="api"')
    from rest_framework.views import set_rollback  # late: rest_framework.views imports our settings

    set_rollback()
    response = Response(error_body(code, message, details), status=status)
    for name, value in headers.items():
        response[name] = value
    return response


class ApiErrorMiddleware:
    """Under /api/, Django's own HTML answers (unknown URL, body too large, crash) become the
    error JSON too. Outside /api/, the website keeps its HTML pages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith("/api/") or response.status_code < 400:
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        if response.status_code == 404:
            return error_response(404, "not_found", f"No API endpoint at {request.path}.")
        if response.status_code == 405:
            return error_response(405, "method_not_allowed", f"Method {request.method} is not allowed here.")
        if response.status_code == 400:
            return error_response(400, "bad_request", "The request could not be read.")
        if response.status_code == 413:
            return error_response(413, "payload_too_large", "The request body is too large.")
        return error_response(response.status_code, "server_error", "Something went wrong on our side.")

    def process_exception(self, request, exception):
        if _database_down(exception):
            logger.warning("database unavailable on %s %s: %s", request.method, request.path, exception)
            down = DatabaseUnavailable()
            if request.path.startswith("/api/"):
                return error_response(down.status, down.code, down.message, headers=down.headers)
            return HttpResponse(
                "<!doctype html><title>Back shortly</title><h1>We are back in a moment</h1>"
                f"<p>{down.message}</p>",
                status=down.status,
                headers=down.headers,
            )
        if not request.path.startswith("/api/"):
            return None
        if isinstance(exception, (RequestDataTooBig, TooManyFieldsSent)):
            return error_response(413, "payload_too_large", "The request body is too large.")
        if isinstance(exception, Http404):
            return error_response(404, "not_found", "Not found.")
        logger.exception("Unhandled error on %s %s", request.method, request.path)
        return error_response(500, "server_error", "Something went wrong on our side. It has been logged.")


class NulBytesMiddleware:
    """No text input may carry a NUL: PostgreSQL refuses it in every text column and JSON value, so
    one that reached a query was a 500. A path with one names nothing (404); a query string, a JSON
    body or a form body with one is a 400. Error JSON under /api/ and /i/, plain pages elsewhere.
    Multipart bodies are left alone: uploaded files are binary, and their text fields are checked
    by the serializers (DRF's CharField refuses NULs)."""

    MACHINE_PATHS = ("/api/", "/i/")
    TEXT_BODIES = ("application/json", "application/x-www-form-urlencoded")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path:
            return self._refuse(request, 404, "not_found", "Not found.")
        if _has_nul(request.META.get("QUERY_STRING", "")):
            return self._refuse(request, 400, "invalid_input", "The query string contains a NUL character.")
        if request.content_type in self.TEXT_BODIES and self._body_has_nul(request):
            return self._refuse(request, 400, "invalid_input", "The request body contains a NUL character.")
        return self.get_response(request)

    @staticmethod
    def _body_has_nul(request) -> bool:
        try:
            body = request.body  # read once; Django keeps it for the view
        except RequestDataTooBig:
            return False  # answered 413 by the view's parsing
        if request.content_type == "application/json":
            return b"\x00" in body or b"\\u0000" in body.lower()
        return "\x00" in unquote_plus(body.decode("latin-1"))

    def _refuse(self, request, status: int, code: str, message: str):
        if request.path.startswith(self.MACHINE_PATHS) or "\x00" in request.path[:5]:
            return error_response(status, code, message)
        return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def _has_nul(query: str) -> bool:
    """Whether ``unquote_plus(query)`` holds a NUL, without decoding it: only a NUL itself or its
    escape %00 decode to one (decoding is a single pass, and a bad UTF-8 sequence becomes U+FFFD)."""
    return "\x00" in query or "%00" in query


def json_errors(view):
    """For plain Django views outside /api/ that answer machines (image URLs): domain errors
    become the same error JSON as the API's."""
    from functools import wraps

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except ApiError as exc:
            return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)

    return wrapper
