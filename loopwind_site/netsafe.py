"""Outgoing HTTP to URLs that users give us (image props, webhooks), safe against SSRF.

A URL from a user must never make the server talk to itself, the cloud metadata service
(169.254.169.254) or anything else on the private network. So, for every request:

1. ``check_url`` parses the URL strictly (http/https, no userinfo, a host), resolves the host
   once and refuses it if *any* resolved address is not public. Python's ``is_global`` is not
   enough on its own (it calls ``64:ff9b::7f00:1``, ``2002:7f00:1::`` and ``fec0::1`` global), so
   IPv6 addresses that embed an IPv4 (mapped, compatible, NAT64, 6to4) are judged by the IPv4
   they carry, and an explicit block list backs up ``is_global``.
2. The connection is made to the *checked IP address* (never to the name again), with the
   original host in the ``Host`` header and in TLS (SNI and certificate check). A DNS answer
   that changes between check and connect (DNS rebinding) therefore changes nothing.
3. Redirects are re-checked hop by hop (``fetch_image``) or not followed (``post_webhook``).
4. A single deadline covers resolution, connect, TLS, headers and body: a watchdog shuts the
   socket down when it passes, so a server that drips bytes cannot hold a worker.

``LOOPWIND_SSRF_ALLOW`` (a Django setting read from the environment, empty by default) lists
IPs / CIDRs let through anyway. It exists so tests can reach servers on 127.0.0.1; it must stay
empty in production.
"""

from __future__ import annotations

import http.client
import ipaddress
import os
import re
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import HTTPError as Urllib3HTTPError
from urllib3.exceptions import NewConnectionError, ProtocolError, SSLError
from urllib3.exceptions import TimeoutError as Urllib3Timeout
from urllib3.util.ssl_match_hostname import CertificateError as Urllib3CertificateError

from loopwind.engine.images import sniff_image
from loopwind_site.errors import ApiError

__all__ = [
    "DeliveryResult",
    "FetchFailed",
    "ResolvedTarget",
    "UnsafeUrl",
    "check_url",
    "fetch_image",
    "post_webhook",
]

MAX_URL_LENGTH = 2048
MAX_REDIRECTS = 3
FETCH_USER_AGENT = "loopwind-fetch/1.0"
WEBHOOK_USER_AGENT = "loopwind-webhook/1.0"
EXCERPT_BYTES = 1024
_CHUNK = 64 * 1024
_REDIRECT_STATUSES = {301, 302, 303, 307, 308}

# Declared types we accept for images; "image/jpg" is wrong but common, so it is read as JPEG.
IMAGE_TYPES = {"image/png", "image/jpeg", "image/jpg", "image/webp", "image/gif", "image/svg+xml"}


class UnsafeUrl(ApiError):
    """The URL is refused before any connection: bad syntax, a scheme other than http(s),
    userinfo, or a host that is (or resolves to) a non-public address."""

    status = 400
    code = "unsafe_url"
    message = "This URL is not allowed."


class FetchFailed(ApiError):
    """The URL was allowed but fetching it did not give a usable answer (name does not resolve,
    timeout, too large, not an image, HTTP error). 422: the request itself was well formed;
    the resource it points at is the problem. ``details["reason"]`` is a stable snake_case word."""

    status = 422
    code = "fetch_failed"
    message = "The URL could not be fetched."


@dataclass(frozen=True)
class ResolvedTarget:
    """One checked address for a URL: connect to ``ip``:``port``, send ``host_header`` as Host,
    verify TLS against ``host``, request ``request_target``."""

    url: str
    scheme: str
    host: str  # ASCII (IDNA) host without brackets; SNI and certificate name for https
    port: int
    ip: str  # the checked address the connection is pinned to
    host_header: str
    request_target: str  # path + query, ASCII


@dataclass(frozen=True)
class DeliveryResult:
    """The outcome of one webhook attempt. Network failures are results, not exceptions,
    because the caller records every attempt and schedules retries."""

    ok: bool
    status: int | None
    error: str | None
    response_excerpt: str
    duration_ms: int


# --- address policy ---------------------------------------------------------------------------

_IPV4_BLOCKED = [
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8",  # "this network", 0.0.0.0 connects to the local host
        "10.0.0.0/8",
        "100.64.0.0/10",  # CGNAT: private in practice, not flagged by is_private
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local: cloud metadata lives here
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",  # reserved, includes 255.255.255.255
    )
]
_IPV6_BLOCKED = [
    ipaddress.ip_network(net)
    for net in (
        "::/128",
        "::1/128",
        "64:ff9b:1::/48",  # local-use NAT64 (RFC 8215): translates into private space
        "100::/64",  # discard
        "2001::/23",  # IETF protocol assignments, Teredo (2001::/32) included: tunnels, never an image host
        "2001:db8::/32",
        "3fff::/20",
        "5f00::/16",
        "fc00::/7",  # unique local
        "fe80::/10",
        "fec0::/10",  # deprecated site-local, which is_global still calls global
        "ff00::/8",
    )
]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
_V4_COMPATIBLE = ipaddress.ip_network("::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for, where the network would deliver it to that
    IPv4 host (dual-stack sockets, NAT64 gateways, 6to4 relays)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64 or (ip in _V4_COMPATIBLE and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in _SIX_TO_FOUR:
        return ip.sixtofour
    return None


def _blocked_reason(ip: IPAddress) -> str | None:
    """Why ``ip`` is not a public address, or None when it is."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return "an IPv6 address with a zone"
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            reason = _blocked_reason(embedded)
            return f"{reason} (embedded as {embedded} in {ip})" if reason else None
        blocked = _IPV6_BLOCKED
    else:
        blocked = _IPV4_BLOCKED
    for net in blocked:
        if ip in net:
            return f"a non-public address ({ip} is in {net})"
    flags = ("private", "loopback", "link_local", "multicast", "reserved", "unspecified", "site_local")
    for flag in flags:
        if getattr(ip, f"is_{flag}", False):
            return f"a non-public address ({ip} is {flag.replace('_', '-')})"
    if not ip.is_global:
        return f"a non-public address ({ip})"
    return None


def _allowlist() -> list[IPNetwork]:
    """LOOPWIND_SSRF_ALLOW, read on every call so tests can override the setting."""
    entries = getattr(settings, "LOOPWIND_SSRF_ALLOW", None) or []
    if isinstance(entries, str):
        entries = [e for e in entries.split(",") if e.strip()]
    try:
        return [ipaddress.ip_network(str(e).strip(), strict=False) for e in entries]
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"LOOPWIND_SSRF_ALLOW holds an entry that is not an IP/CIDR: {exc}"
        ) from exc


def _address_refusal(ip: IPAddress, allow: list[IPNetwork]) -> str | None:
    if any(ip.version == net.version and ip in net for net in allow):
        return None
    return _blocked_reason(ip)


# --- URL parsing ------------------------------------------------------------------------------

_NUMBER_PART = re.compile(r"^(0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*)$")


def _legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """inet_aton's forms (``0x7f000001``, ``2130706433``, ``0177.0.0.1``, ``127.1``) as the IPv4
    address they mean, parsed here so the meaning never depends on the platform's resolver."""
    parts = host.rstrip(".").split(".") if host else []
    if not 1 <= len(parts) <= 4 or not all(_NUMBER_PART.match(p) for p in parts):
        return None
    values = [_inet_number(p) for p in parts]
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (5 - len(parts)):
        return None
    number = 0
    for v in head:
        number = number << 8 | v
    number = number << (8 * (4 - len(head))) | last
    return ipaddress.IPv4Address(number)


def _inet_number(part: str) -> int:
    if part[:2].lower() == "0x":
        return int(part[2:] or "0", 16)
    if len(part) > 1 and part[0] == "0":
        return int(part, 8)
    return int(part)


@dataclass(frozen=True)
class _ParsedUrl:
    url: str
    scheme: str
    host: str
    port: int
    literal: IPAddress | None
    host_header: str
    request_target: str


def _parse(url: Any) -> _ParsedUrl:
    def refuse(why: str) -> UnsafeUrl:
        shown = url[:200] + "…" if isinstance(url, str) and len(url) > 200 else url
        return UnsafeUrl(f"This URL is not allowed: {why}.", details={"url": shown})

    if not isinstance(url, str) or not url:
        raise refuse("it is empty or not a string")
    if len(url) > MAX_URL_LENGTH:
        raise refuse(f"it is longer than {MAX_URL_LENGTH} characters")
    # Parsers disagree on whitespace, control characters and backslashes; refusing them
    # means the URL we check is the URL every later parser sees.
    if any(ord(c) <= 0x20 or ord(c) == 0x7F or c == "\\" for c in url):
        raise refuse("it contains spaces, control characters or backslashes")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise refuse(f"it cannot be parsed ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise refuse("only http and https URLs are allowed")
    if "@" in parts.netloc or parts.username is not None or parts.password is not None:
        raise refuse("user names and passwords in URLs are not allowed")
    host = parts.hostname or ""
    if not host:
        raise refuse("it has no host")
    if "%" in host:
        raise refuse("IPv6 zone identifiers are not allowed")
    if port == 0:
        raise refuse("port 0 is not allowed")
    port = port or (443 if parts.scheme == "https" else 80)

    literal: IPAddress | None = None
    bracketed = parts.netloc.rsplit("@", 1)[-1].startswith("[")
    if bracketed:
        try:
            literal = ipaddress.IPv6Address(host)
        except ValueError:
            raise refuse("the bracketed host is not an IPv6 address") from None
        ascii_host = literal.compressed
    else:
        literal = _legacy_ipv4(host)
        if literal is not None:
            host = str(literal)  # 0x7f000001 and friends go out (Host, SNI) in the form they mean
        # As browsers do (WHATWG "ends in a number"): a host whose last label is a number is an
        # IPv4 address or nothing; it never goes to DNS.
        if literal is None and re.fullmatch(r"[0-9]+|0[xX][0-9a-fA-F]*", host.rstrip(".").rsplit(".", 1)[-1]):
            raise refuse("the host looks like an IPv4 address but is not a valid one")
        try:
            ascii_host = host.encode("idna").decode("ascii").lower()
        except UnicodeError:
            raise refuse("the host name is not valid") from None
        if not re.fullmatch(r"[a-z0-9_.-]+", ascii_host) or ".." in ascii_host:
            raise refuse("the host name is not valid")
        # RFC 6761: localhost and its subdomains are this machine, whatever a resolver says.
        if ascii_host.rstrip(".") == "localhost" or ascii_host.rstrip(".").endswith(".localhost"):
            raise refuse("localhost is this machine")
    default_port = 443 if parts.scheme == "https" else 80
    netloc_host = f"[{ascii_host}]" if bracketed else ascii_host
    host_header = netloc_host if port == default_port else f"{netloc_host}:{port}"
    # Non-ASCII in path or query is sent percent-encoded (UTF-8); existing escapes are kept.
    safe = "!#$%&'()*+,/:;=?@[]~"
    target = quote(parts.path or "/", safe=safe) + (
        f"?{quote(parts.query, safe=safe)}" if parts.query else ""
    )
    normalized = f"{parts.scheme}://{netloc_host}{'' if port == default_port else f':{port}'}{target}"
    return _ParsedUrl(normalized, parts.scheme, ascii_host, port, literal, host_header, target)


# --- name resolution --------------------------------------------------------------------------

_dns_lock = threading.Lock()
_dns_pool: tuple[int, ThreadPoolExecutor] | None = None


def _dns_executor() -> ThreadPoolExecutor:
    """getaddrinfo has no timeout, so it runs on a small pool and we stop waiting at the
    deadline. One pool per process: a pool inherited through fork has no live threads."""
    global _dns_pool
    with _dns_lock:
        if _dns_pool is None or _dns_pool[0] != os.getpid():
            _dns_pool = (os.getpid(), ThreadPoolExecutor(max_workers=8, thread_name_prefix="netsafe-dns"))
        return _dns_pool[1]


def _resolve(host: str, port: int, timeout: float, url: str) -> list[IPAddress]:
    future = _dns_executor().submit(socket.getaddrinfo, host, port, socket.AF_UNSPEC, socket.SOCK_STREAM)
    try:
        infos = future.result(timeout=max(timeout, 0.001))
    except FutureTimeout:
        future.cancel()
        raise FetchFailed(
            f"The host {host} did not resolve within {timeout:.3g} s.",
            details={"url": url, "reason": "dns_timeout"},
        ) from None
    except (OSError, UnicodeError) as exc:
        raise FetchFailed(
            f"The host {host} does not resolve.",
            details={"url": url, "reason": "dns_failed", "error": str(exc)},
        ) from None
    addresses: list[IPAddress] = []
    for family, *_rest, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if family == socket.AF_INET6 and sockaddr[3]:  # a scope id: link-local by definition
            ip = ipaddress.IPv6Address(f"{ip}%{sockaddr[3]}")
        if ip not in addresses:
            addresses.append(ip)
    if not addresses:
        raise FetchFailed(f"The host {host} has no address.", details={"url": url, "reason": "dns_failed"})
    return addresses


def check_url(url: str, *, timeout: float = 5.0) -> list[ResolvedTarget]:
    """Validate ``url`` and resolve its host; one ``ResolvedTarget`` per address, in resolver order.

    Raises ``UnsafeUrl`` when the URL or *any* of its addresses is refused (a name with one
    public and one private address is refused: the attacker picks which one we would use), and
    ``FetchFailed`` (reason ``dns_failed`` / ``dns_timeout``) when the name does not resolve —
    that is retryable, not a verdict on the URL. Use it to validate a webhook URL when it is
    accepted; the fetch functions call it again at send time."""
    parsed = _parse(url)
    if parsed.literal is not None:
        addresses: list[IPAddress] = [parsed.literal]
    else:
        addresses = _resolve(parsed.host, parsed.port, timeout, parsed.url)
    allow = _allowlist()
    for ip in addresses:
        why = _address_refusal(ip, allow)
        if why:
            named = "" if parsed.literal is not None else f" {parsed.host} resolves to"
            raise UnsafeUrl(
                f"This URL is not allowed:{named} {why}.", details={"url": parsed.url, "address": str(ip)}
            )
    return [
        ResolvedTarget(
            url=parsed.url,
            scheme=parsed.scheme,
            host=parsed.host,
            port=parsed.port,
            # An IPv4-mapped address is dialled as the IPv4 it was judged as.
            ip=str(ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped else ip),
            host_header=parsed.host_header,
            request_target=parsed.request_target,
        )
        for ip in addresses
    ]


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
