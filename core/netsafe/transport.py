"""Connections pinned to a checked address, all under one deadline."""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
from typing import Any

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import HTTPError as Urllib3HTTPError
from urllib3.exceptions import NewConnectionError, ProtocolError, SSLError
from urllib3.exceptions import TimeoutError as Urllib3Timeout
from urllib3.util.ssl_match_hostname import CertificateError as Urllib3CertificateError

from core.netsafe.urls import ResolvedTarget

# --- pinned connections under one deadline ---------------------------------------------------


class _Deadline:
    """A wall-clock limit for a whole exchange. Socket timeouts bound each operation only; a
    server sending one byte per second would pass them forever. At the deadline the watchdog
    shuts down every socket still registered, which wakes any blocked read or handshake."""

    def __init__(self, timeout: float):
        self.timeout = timeout
        self.end = time.monotonic() + timeout
        self.expired = False
        self._lock = threading.Lock()
        self._fds: set[int] = set()
        self._done = False
        self._timer = threading.Timer(max(timeout, 0.0), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            self.expired = True
            raise TimeoutError("deadline passed")
        return left

    def watch(self, fd: int) -> None:
        with self._lock:
            if self._done or self.expired:
                raise TimeoutError("deadline passed")
            self._fds.add(fd)

    def forget(self, conn: HTTPConnection) -> None:
        """Call before closing ``conn``: the fd may be reused once closed, and the watchdog
        must never shut down a socket that is not ours."""
        fd = getattr(conn, "_netsafe_fd", None)
        with self._lock:
            self._fds.discard(fd)  # type: ignore[arg-type]

    def _fire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.expired = True
            for fd in self._fds:
                # The SSL wrapper detaches the plain socket object, so work on the fd itself.
                sock = socket.socket(fileno=fd)
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                finally:
                    sock.detach()

    def close(self) -> None:
        with self._lock:
            self._done = True
            self._fds.clear()
        self._timer.cancel()


class _PinnedMixin:
    _netsafe_deadline: _Deadline
    _netsafe_fd: int | None = None

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()  # type: ignore[misc]
        self._netsafe_fd = sock.fileno()
        try:
            self._netsafe_deadline.watch(self._netsafe_fd)
        except TimeoutError:
            sock.close()
            raise
        return sock


class _PinnedHTTPConnection(_PinnedMixin, HTTPConnection):
    pass


class _PinnedHTTPSConnection(_PinnedMixin, HTTPSConnection):
    pass


def _ca_certs() -> str | None:
    """The CA bundle for https: certifi's when installed (it ships with requests), else the
    system store. Tests replace this function to trust a local test CA."""
    try:
        import certifi
    except ImportError:  # pragma: no cover
        return None
    return certifi.where()


def _connection(target: ResolvedTarget, deadline: _Deadline) -> HTTPConnection:
    """A connection to the checked IP. For https the certificate is verified against the URL's
    host (SNI too), never against the IP we dialled."""
    timeout = deadline.remaining()
    conn: HTTPConnection
    if target.scheme == "https":
        conn = _PinnedHTTPSConnection(
            target.ip,
            target.port,
            timeout=timeout,
            cert_reqs=ssl.CERT_REQUIRED,
            ca_certs=_ca_certs(),
            server_hostname=target.host,
            assert_hostname=target.host,
        )
    else:
        conn = _PinnedHTTPConnection(target.ip, target.port, timeout=timeout)
    conn._netsafe_deadline = deadline  # type: ignore[attr-defined]
    return conn


def _close(conn: HTTPConnection, deadline: _Deadline) -> None:
    deadline.forget(conn)
    conn.close()


def _send(
    targets: list[ResolvedTarget],
    *,
    method: str,
    body: bytes | None,
    headers: dict[str, str],
    deadline: _Deadline,
) -> tuple[HTTPConnection, Any]:
    """Send one request to the first address that accepts a connection; later addresses are
    tried only when connecting fails (all of them were checked)."""
    last_error: Exception | None = None
    for target in targets:
        conn = _connection(target, deadline)
        try:
            conn.connect()
        except NewConnectionError as exc:
            _close(conn, deadline)
            last_error = exc
            continue
        except BaseException:
            _close(conn, deadline)
            raise
        try:
            conn.timeout = deadline.remaining()
            conn.request(
                method,
                target.request_target,
                body=body,
                headers={**headers, "Host": target.host_header},
                preload_content=False,
                decode_content=False,
            )
            conn.sock.settimeout(deadline.remaining())
            response = conn.getresponse()
        except BaseException:
            _close(conn, deadline)
            raise
        return conn, response
    assert last_error is not None
    raise last_error


def _failure(exc: BaseException, deadline: _Deadline) -> tuple[str, str]:
    """(reason, human sentence) for a network exception."""
    if deadline.expired:
        return "timeout", f"no complete answer within {deadline.timeout:.3g} s"
    if isinstance(exc, (SSLError, ssl.SSLError, ssl.CertificateError, Urllib3CertificateError)):
        return "tls_error", f"TLS failed: {exc}"
    if isinstance(exc, NewConnectionError):  # before timeouts: urllib3 makes it a ConnectTimeoutError
        return "connection_failed", "the connection was refused or could not be made"
    if isinstance(exc, (TimeoutError, socket.timeout, Urllib3Timeout)):
        return "timeout", f"no complete answer within {deadline.timeout:.3g} s"
    if isinstance(exc, (ProtocolError, http.client.HTTPException, Urllib3HTTPError)):
        return "protocol_error", f"the server's answer is not valid HTTP: {exc}"
    return "connection_failed", f"the connection failed: {exc}"


_NETWORK_ERRORS = (OSError, Urllib3HTTPError, http.client.HTTPException, ValueError)
