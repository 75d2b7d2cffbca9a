"""The two kinds of outgoing request: image props (redirects re-checked hop by hop) and
webhooks (redirects not followed; failures are results, recorded by the caller)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from urllib3.connection import HTTPConnection

from core.netsafe.transport import _NETWORK_ERRORS, _close, _Deadline, _failure, _send
from core.netsafe.urls import FetchFailed, UnsafeUrl, check_url
from loopwind.engine.images import sniff_image

MAX_REDIRECTS = 3
_REDIRECT_STATUSES = {301, 302, 303, 307, 308}
_CHUNK = 64 * 1024

FETCH_USER_AGENT = "loopwind-fetch/1.0"
WEBHOOK_USER_AGENT = "loopwind-webhook/1.0"
EXCERPT_BYTES = 1024

# Declared types we accept for images; "image/jpg" is wrong but common, so it is read as JPEG.
IMAGE_TYPES = {"image/png", "image/jpeg", "image/jpg", "image/webp", "image/gif", "image/svg+xml"}


@dataclass(frozen=True)
class DeliveryResult:
    """The outcome of one webhook attempt. Network failures are results, not exceptions,
    because the caller records every attempt and schedules retries."""

    ok: bool
    status: int | None
    error: str | None
    response_excerpt: str
    duration_ms: int


# --- image fetch ------------------------------------------------------------------------------


def fetch_image(url: str, *, max_bytes: int = 10 * 1024 * 1024, timeout: float = 5.0) -> tuple[bytes, str]:
    """GET an image for a render (``image`` props given as URLs). Returns (bytes, content type).

    The content type returned is the one the bytes *are* (PNG/JPEG/GIF/WebP magic, or SVG
    markup), not only what the server declared: the renderer must not decode SVG as a raster or
    the other way round. The server must also declare an image type. Redirects are followed at
    most ``MAX_REDIRECTS`` times, each target checked like the first. Everything, DNS included,
    fits in ``timeout`` seconds; the body is streamed and abandoned past ``max_bytes``.

    Raises ``UnsafeUrl`` (400) for a refused URL or redirect target, ``FetchFailed`` (422) with
    ``details["reason"]`` in dns_failed, dns_timeout, timeout, connection_failed, tls_error,
    protocol_error, too_many_redirects, http_status, content_type, content_encoding, too_large,
    not_an_image."""
    deadline = _Deadline(timeout)
    current = url
    redirected_from: str | None = None

    def failed(reason: str, message: str, **extra: Any) -> FetchFailed:
        return FetchFailed(
            f"Fetching the image failed: {message}.", details={"url": current, "reason": reason, **extra}
        )

    try:
        for _hop in range(MAX_REDIRECTS + 1):
            try:
                targets = check_url(current, timeout=deadline.remaining())
            except UnsafeUrl as exc:
                if redirected_from is not None:
                    exc.message = f"A redirect was refused. {exc.message}"
                    exc.details = {**exc.details, "redirectedFrom": redirected_from}
                    exc.args = (exc.message,)
                raise
            except TimeoutError:
                raise failed("timeout", f"no complete answer within {timeout:.3g} s") from None
            current = targets[0].url
            headers = {
                "User-Agent": FETCH_USER_AGENT,
                "Accept": "image/png,image/jpeg,image/webp,image/gif,image/svg+xml;q=0.9",
                "Accept-Encoding": "identity",
                "Connection": "close",
            }
            try:
                conn, response = _send(targets, method="GET", body=None, headers=headers, deadline=deadline)
            except _NETWORK_ERRORS as exc:
                reason, message = _failure(exc, deadline)
                raise failed(reason, message) from None
            try:
                if response.status in _REDIRECT_STATUSES:
                    location = response.headers.get("Location")
                    if not location:
                        raise failed(
                            "http_status",
                            f"HTTP {response.status} without a Location",
                            status=response.status,
                        )
                    redirected_from, current = current, urljoin(current, location.strip())
                    continue
                return _read_image(response, conn, deadline=deadline, max_bytes=max_bytes, failed=failed)
            except _NETWORK_ERRORS as exc:
                reason, message = _failure(exc, deadline)
                raise failed(reason, message) from None
            finally:
                _close(conn, deadline)
        raise failed("too_many_redirects", f"more than {MAX_REDIRECTS} redirects")
    finally:
        deadline.close()


def _read_image(
    response: Any, conn: HTTPConnection, *, deadline: _Deadline, max_bytes: int, failed
) -> tuple[bytes, str]:
    if response.status != 200:
        raise failed("http_status", f"the server answered HTTP {response.status}", status=response.status)
    declared = (response.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
    if declared not in IMAGE_TYPES:
        raise failed(
            "content_type",
            f"the content type is {declared or 'missing'}, not an image (png, jpeg, webp, gif, svg)",
            contentType=declared,
        )
    encoding = (response.headers.get("Content-Encoding") or "identity").strip().lower()
    if encoding != "identity":
        raise failed("content_encoding", f"the body is encoded ({encoding})")
    length = response.headers.get("Content-Length")
    if length and length.strip().isdigit() and int(length) > max_bytes:
        raise failed("too_large", f"the image is larger than {max_bytes} bytes", maxBytes=max_bytes)
    data = bytearray()
    while True:
        if conn.sock is not None:
            conn.sock.settimeout(deadline.remaining())
        chunk = response.read(min(_CHUNK, max_bytes + 1 - len(data)))
        if not chunk:
            break
        data += chunk
        if len(data) > max_bytes:
            raise failed("too_large", f"the image is larger than {max_bytes} bytes", maxBytes=max_bytes)
    deadline.remaining()  # a body that ended exactly at the deadline still counts as late
    kind = sniff_image(bytes(data[:4096]))
    if kind is None:
        raise failed(
            "not_an_image", "the body is not a PNG, JPEG, GIF, WebP or SVG image", contentType=declared
        )
    return bytes(data), kind


# --- webhooks ---------------------------------------------------------------------------------


def post_webhook(url: str, *, body: bytes, headers: dict[str, str], timeout: float = 10.0) -> DeliveryResult:
    """POST one webhook delivery and report what happened. Never raises for the URL or the
    network: an unsafe URL gives ``error="unsafe_url: …"``, every failure ``ok=False`` with an
    error string, so the caller records each attempt the same way and decides on retries.

    The URL is checked again here (the name may point somewhere else since it was accepted),
    the connection is pinned to the checked address, redirects are not followed (a 3xx is a
    failure: following it would send the signed body to a host nobody checked), and only 2xx
    counts. At most ``EXCERPT_BYTES`` of the answer are read."""
    started = time.monotonic()

    def result(ok: bool, status: int | None, error: str | None, excerpt: str = "") -> DeliveryResult:
        return DeliveryResult(ok, status, error, excerpt, int((time.monotonic() - started) * 1000))

    deadline = _Deadline(timeout)
    try:
        try:
            targets = check_url(url, timeout=deadline.remaining())
        except UnsafeUrl as exc:
            return result(False, None, f"unsafe_url: {exc.message}")
        except FetchFailed as exc:
            return result(False, None, f"{exc.details.get('reason', 'dns_failed')}: {exc.message}")
        except TimeoutError:
            return result(False, None, f"timeout: no answer within {timeout:.3g} s")
        sent = {"Content-Type": "application/json", "User-Agent": WEBHOOK_USER_AGENT}
        sent.update({k: v for k, v in headers.items() if k.lower() not in ("host", "content-length")})
        sent["Connection"] = "close"
        try:
            conn, response = _send(targets, method="POST", body=body, headers=sent, deadline=deadline)
        except _NETWORK_ERRORS as exc:
            reason, message = _failure(exc, deadline)
            return result(False, None, f"{reason}: {message}")
        try:
            status = response.status
            try:
                if conn.sock is not None:
                    conn.sock.settimeout(deadline.remaining())
                raw = response.read(EXCERPT_BYTES)
            except _NETWORK_ERRORS:
                raw = b""  # the status is what counts; a body cut short does not undo a 2xx
            excerpt = raw[:EXCERPT_BYTES].decode("utf-8", "replace")[:EXCERPT_BYTES]
            if 300 <= status < 400:
                return result(False, status, "redirect not followed", excerpt)
            if not 200 <= status < 300:
                return result(False, status, f"HTTP {status}", excerpt)
            return result(True, status, None, excerpt)
        finally:
            _close(conn, deadline)
    finally:
        deadline.close()
