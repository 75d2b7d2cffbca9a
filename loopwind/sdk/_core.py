"""What the sync and async clients share: request descriptions, auth, retry policy, error mapping.

Each API operation is described once as a :class:`Call` (method, path, body, how to parse the answer).
A client only *runs* calls: ``Loopwind._run`` with ``httpx.Client``, ``AsyncLoopwind._run`` with
``httpx.AsyncClient``. Resource methods return ``client._run(call)``, which is a value for the sync
client and an awaitable for the async one, so they are written once for both.
"""

from __future__ import annotations

import email.utils
import json
import os
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import httpx

from .. import bundlefiles
from . import errors

DEFAULT_BASE_URL = "https://loopwind.dev"
VERSION = "0.1.0"
USER_AGENT = f"loopwind-python/{VERSION}"
RETRY_STATUSES = (429, 503)
ACCOUNT_HEADER = "X-Loopwind-Account"
TERMINAL = ("completed", "failed", "cancelled")
BATCH_FINAL = ("completed", "cancelled")


def _json(response: httpx.Response) -> Any:
    return response.json() if response.content else None


@dataclass
class Call:
    method: str
    path: str
    json: Any = None
    params: Mapping[str, Any] | None = None
    data: Mapping[str, Any] | None = None
    files: list | None = None
    headers: Mapping[str, str] | None = None
    parse: Callable[[httpx.Response], Any] = _json
    anonymous: bool = False  # no credentials (signed output URLs on a CDN must not get our token)
    extra: dict = field(default_factory=dict)

    def request_kwargs(self) -> dict:
        kwargs: dict[str, Any] = {"method": self.method, "url": self.path}
        for name in ("json", "params", "data", "files", "headers"):
            value = getattr(self, name)
            if value is not None:
                kwargs[name] = value
        if self.anonymous:
            kwargs["auth"] = NoAuth()
        return kwargs


class NoAuth(httpx.Auth):
    def auth_flow(self, request):
        request.headers.pop("Authorization", None)
        request.headers.pop(ACCOUNT_HEADER, None)  # whom we act for is nobody else's business either
        yield request


class BearerAuth(httpx.Auth):
    """An API key (``lw_live_…``) or an access token sent as ``Authorization: Bearer``."""

    def __init__(self, token: str):
        self.token = token

    def auth_flow(self, request):
        request.headers["Authorization"] = f"Bearer {self.token}"
        yield request


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def retry_delay(response: httpx.Response, attempt: int, *, max_retries: int, max_wait: float) -> float | None:
    """Seconds to wait before trying again, or None to stop: 429 (not a spent quota) and 503 are
    retried up to ``max_retries`` times, waiting Retry-After (capped at ``max_wait``) or 0.5 s, 1 s, 2 s…"""
    if response.status_code not in RETRY_STATUSES or attempt >= max_retries:
        return None
    body = _body(response)
    if isinstance(body, dict) and (body.get("error") or {}).get("code") == "quota_exceeded":
        return None
    after = parse_retry_after(response.headers.get("Retry-After"))
    if after is not None and after > max_wait:
        return None  # waiting that long is the caller's decision: RateLimited carries retry_after
    return after if after is not None else min(0.5 * 2**attempt, max_wait)


def finish(call: Call, response: httpx.Response) -> Any:
    if response.status_code >= 400:
        raise errors.error_for(
            response.status_code, _body(response), parse_retry_after(response.headers.get("Retry-After"))
        )
    warn_deprecation(response)
    return call.parse(response)


def warn_deprecation(response: httpx.Response) -> None:
    """A render of a deprecated or yanked version says so: in headers for images (Deprecation and
    the author's message in X-Loopwind-Deprecation), in the JSON for jobs and signed URLs."""
    message = unquote(response.headers.get("X-Loopwind-Deprecation", ""))
    if (
        not message
        and response.request.method == "POST"
        and "json" in response.headers.get("Content-Type", "")
    ):
        body = _body(response)
        notice = body.get("deprecation") if isinstance(body, dict) else None
        message = notice.get("message", "") if isinstance(notice, dict) else ""
    if message:
        warnings.warn(message, errors.LoopwindDeprecationWarning, stacklevel=5)


class SseParser:
    """Server-Sent Events, a line at a time (both clients feed it): ``feed(line)`` returns
    ``(event, data)`` when a blank line ends an event, else None. Comments (keep-alives) and
    ``retry:`` lines are skipped: the clients reconnect at once after a stream ends."""

    def __init__(self):
        self.event, self.data = "message", []

    def feed(self, line: str) -> tuple[str, str] | None:
        if not line:
            if not self.data:
                return None
            done = (self.event, "\n".join(self.data))
            self.event, self.data = "message", []
            return done
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            self.event = value
        elif field == "data":
            self.data.append(value)
        return None


def batch_event(name: str, data: str) -> dict:
    """An event of a batch's stream: ``{"event": name, "batch": progress}`` (the progress as
    ``Loopwind.batch`` returns it, without the rows)."""
    return {"event": name, "batch": json.loads(data)}


def connection_error(base_url: str, exc: Exception) -> errors.APIConnectionError:
    reason = str(exc) or type(exc).__name__
    return errors.APIConnectionError(f"Cannot reach {base_url}: {reason}", code="connection_error")


def poll_delays(start: float = 0.5, factor: float = 1.5, cap: float = 5.0) -> Iterator[float]:
    delay = start
    while True:
        yield delay
        delay = min(delay * factor, cap)


def slug_path(slug: str) -> str:
    """``user/name`` → ``/api/templates/user/name`` (ValueError for anything else)."""
    parts = slug.strip("/").split("/")
    if len(parts) != 2 or not all(parts):
        raise ValueError(f"A template is named user/name, not {slug!r}.")
    return "/api/templates/" + "/".join(quote(part, safe="") for part in parts)


def folder_files(folder: str | os.PathLike) -> dict[str, bytes]:
    """The files of a template folder as ``{relative/path: bytes}`` (hidden and tool folders skipped)."""
    root = Path(folder)
    if not bundlefiles.is_template_folder(root):
        raise errors.BadRequest(
            f"No loopwind.json (or .tsx template) in {root}: not a template folder.", code="no_manifest"
        )
    try:  # the engine's reader and rules: what renders locally is what gets published
        return bundlefiles.read_folder(root)
    except bundlefiles.BundleFileError as exc:
        raise errors.BadRequest(exc.message, code=exc.code, details=exc.details) from None


def render_body(template: str, props: Mapping | None, **options: Any) -> dict:
    body = {"template": template, "props": dict(props or {})}
    body.update({key: value for key, value in options.items() if value is not None})
    return body


def content(response: httpx.Response) -> bytes:
    return response.content


def env_base_url(base_url: str | None) -> str:
    return (base_url or os.environ.get("LOOPWIND_API_URL") or DEFAULT_BASE_URL).rstrip("/")


def env_account(account: str | None) -> str:
    """The account to act for: ``account``, else LOOPWIND_ACCOUNT, else "" (the caller's own)."""
    value = os.environ.get("LOOPWIND_ACCOUNT", "") if account is None else account
    return value.strip().lower()


def env_auth(api_key: str | None, auth: httpx.Auth | None) -> httpx.Auth | None:
    if auth is not None:
        return auth
    key = api_key or os.environ.get("LOOPWIND_API_KEY")
    return BearerAuth(key) if key else None
