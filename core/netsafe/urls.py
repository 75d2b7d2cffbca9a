"""Which URLs may be fetched: strict parsing, one DNS resolution, and an address policy that
refuses anything that is not public (see the package docstring)."""

from __future__ import annotations

import ipaddress
import os
import re
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from core.errors import ApiError

MAX_URL_LENGTH = 2048


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
