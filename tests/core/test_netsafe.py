"""core.netsafe: the SSRF guard for image props and webhooks.

Every server here is a real HTTP server on a loopback address in this process. No test sends
a packet anywhere else: public addresses appear only where the refusal (or the successful
check) happens before any connection, and a spy on urllib3's connect proves it. This machine
has no DNS resolver for made-up names, so names resolving to chosen addresses are simulated by
replacing socket.getaddrinfo for those names only (every other lookup goes to the real one).
"""

from __future__ import annotations

import datetime
import socket
import struct
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import urllib3.util.connection
from django.core.exceptions import ImproperlyConfigured

from core import netsafe
from core.netsafe import DeliveryResult, FetchFailed, UnsafeUrl, check_url, fetch_image, post_webhook


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00\xff"))
        + chunk(b"IEND", b"")
    )


PNG = _png()
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"></svg>'


class Server:
    """A ThreadingHTTPServer on a loopback address that records what it receives."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, tls=None):
        self.requests: list[dict] = []
        self.stop = threading.Event()
        self.bytes_sent = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                outer._handle(self, b"")

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                outer._handle(self, self.rfile.read(length))

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.host, self.port = host, self.httpd.server_address[1]
        self.url = f"{'https' if tls else 'http'}://{host}:{self.port}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self):
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def _handle(self, h: BaseHTTPRequestHandler, body: bytes):
        parts = urlsplit(h.path)
        self.requests.append(
            {"method": h.command, "path": parts.path, "headers": dict(h.headers), "body": body}
        )
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        route = getattr(self, "route_" + parts.path.strip("/").replace("-", "_"), None)
        try:
            if route is None:
                self._send(h, 404, "text/plain", b"not found")
            else:
                route(h, query)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client hung up, as it should when it has seen enough

    def _send(self, h, status: int, ctype: str, body: bytes, headers: dict | None = None):
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            h.send_header(name, value)
        h.end_headers()
        h.wfile.write(body)

    def route_png(self, h, q):
        self._send(h, 200, "image/png", PNG)

    def route_svg(self, h, q):
        self._send(h, 200, "image/svg+xml; charset=utf-8", SVG)

    def route_html(self, h, q):
        self._send(h, 200, "text/html", b"<html><body>hi</body></html>")

    def route_liar(self, h, q):
        self._send(h, 200, "image/png", b"<html><body>not a png</body></html>")

    def route_huge(self, h, q):
        """An endless image with no Content-Length, made as it is sent."""
        h.send_response(200)
        h.send_header("Content-Type", "image/png")
        h.end_headers()
        h.wfile.write(PNG[:8])
        block = b"\x00" * 65536
        while not self.stop.is_set() and self.bytes_sent < 500 * 1024 * 1024:
            h.wfile.write(block)
            self.bytes_sent += len(block)

    def route_huge_declared(self, h, q):
        h.send_response(200)
        h.send_header("Content-Type", "image/png")
        h.send_header("Content-Length", str(50 * 1024 * 1024))
        h.end_headers()
        h.wfile.write(PNG[:8])
        self.stop.wait(5)

    def route_hang(self, h, q):
        self.stop.wait(10)  # far longer than any timeout used here

    def route_drip(self, h, q):
        """Headers at once, then one byte every 50 ms: each read is quick, the whole is not."""
        h.send_response(200)
        h.send_header("Content-Type", "image/png")
        h.end_headers()
        h.wfile.write(PNG[:8])
        h.wfile.flush()
        while not self.stop.wait(0.05):
            h.wfile.write(b"\x00")
            h.wfile.flush()

    def route_redirect(self, h, q):
        self._send(h, int(q.get("status", 302)), "text/plain", b"moved", {"Location": q["to"]})

    def route_loop(self, h, q):
        self._send(h, 302, "text/plain", b"again", {"Location": "/loop"})

    def route_status(self, h, q):
        self._send(h, int(q["code"]), "text/plain", b"status " + q["code"].encode())

    def route_hook(self, h, q):
        self._send(h, 200, "text/plain", b"received")

    def route_hook_big(self, h, q):
        self._send(h, 200, "text/plain", "é".encode() * 5000)


@pytest.fixture
def serve():
    servers: list[Server] = []

    def start(host: str = "127.0.0.1", port: int = 0, tls=None) -> Server:
        server = Server(host, port, tls)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def server(serve) -> Server:
    return serve()


@pytest.fixture
def allow_local(settings):
    settings.LOOPWIND_SSRF_ALLOW = ["127.0.0.1"]


@pytest.fixture
def no_allow(settings):
    settings.LOOPWIND_SSRF_ALLOW = []


@pytest.fixture
def connects(monkeypatch) -> list[tuple[str, int]]:
    """Every TCP connection netsafe opens, by (address, port): urllib3 dials through this."""
    seen: list[tuple[str, int]] = []
    real = urllib3.util.connection.create_connection

    def spy(address, *args, **kwargs):
        seen.append((address[0], address[1]))
        return real(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", spy)
    return seen


@pytest.fixture
def fake_dns(monkeypatch):
    """Simulated DNS: ``fake_dns({"name.test": ["10.0.0.1"]})``. A value may be a callable
    returning the list, to answer differently on each lookup. Other names use the real resolver."""
    real = socket.getaddrinfo
    table: dict = {}
    calls: list[str] = []

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        if isinstance(host, str) and host.lower().rstrip(".") in table:
            calls.append(host)
            answer = table[host.lower().rstrip(".")]
            addresses = answer() if callable(answer) else answer
            infos = []
            for ip in addresses:
                if ":" in ip:
                    infos.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (ip, port or 0, 0, 0)))
                else:
                    infos.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port or 0)))
            return infos
        return real(host, port, family, type, proto, flags)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    def install(entries: dict):
        table.update(entries)
        return calls

    return install


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- check_url ---------------------------------------------------------------------------------

BLOCKED = [
    "http://127.0.0.1",
    "http://127.0.0.1:8000/admin",
    "http://localhost",
    "http://localhost./",
    "http://api.localhost/",
    "http://0.0.0.0",
    "http://0",
    "http://169.254.169.254/latest/meta-data",
    "http://[::1]",
    "http://[::]",
    "http://[::ffff:127.0.0.1]",
    "http://[::ffff:169.254.169.254]/latest",
    "http://[::7f00:1]",  # IPv4-compatible
    "http://[64:ff9b::a9fe:a9fe]",  # NAT64 of 169.254.169.254
    "http://[64:ff9b::a00:1]",  # NAT64 of 10.0.0.1
    "http://[2002:7f00:1::1]",  # 6to4 of 127.0.0.1
    "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]",  # Teredo
    "http://[fe80::1]",
    "http://[fec0::1]",  # site-local
    "http://[fd00::1]",
    "http://[ff02::1]",
    "http://0x7f000001",
    "http://2130706433",
    "http://0177.0.0.1",
    "http://127.1",
    "http://0x7f.1",
    "http://10.1.2.3",
    "http://172.16.0.1",
    "http://192.168.1.1",
    "http://100.64.0.1",
    "http://198.18.0.1",
    "http://192.0.2.1",
    "http://224.0.0.1",
    "http://240.0.0.1",
    "http://255.255.255.255",
    "http://256.1.1.1",  # looks like IPv4, is not: refused rather than sent to DNS
    "file:///etc/passwd",
    "gopher://127.0.0.1:70/",
    "ftp://x",
    "data:image/png;base64,AAAA",
    "javascript:alert(1)",
    "//example.com/a.png",
    "http://user:pw@example.com",
    "http://user@example.com",
    "http://example.com@127.0.0.1/",
    "http://127.0.0.1\\@example.com/",
    "http://example.com\t/",
    "http:///path",
    "http://[::1",
    "http://[fe80::1%25eth0]/",
    "http://example.com:0/",
    "http://example.com:99999/",
    "not a url",
    "",
    "http://" + "a" * 5000 + ".com/",
]


@pytest.mark.parametrize("url", BLOCKED)
def test_unsafe_urls_are_refused_before_any_connection(url, no_allow, connects):
    with pytest.raises(UnsafeUrl) as info:
        check_url(url)
    assert info.value.status == 400 and info.value.code == "unsafe_url"
    assert "not allowed" in info.value.message and "url" in info.value.details
    with pytest.raises(UnsafeUrl):
        fetch_image(url)
    result = post_webhook(url, body=b"{}", headers={})
    assert not result.ok and result.status is None and result.error.startswith("unsafe_url: ")
    assert connects == []


def test_the_message_says_what_is_wrong(no_allow):
    with pytest.raises(UnsafeUrl, match="127.0.0.1"):
        check_url("http://0x7f000001/")
    with pytest.raises(UnsafeUrl, match="embedded as 169.254.169.254"):
        check_url("http://[64:ff9b::a9fe:a9fe]/")
    with pytest.raises(UnsafeUrl, match="only http and https"):
        check_url("gopher://example.com/")
    long = "http://example.com/" + "a" * 5000
    with pytest.raises(UnsafeUrl) as info:
        check_url(long)
    assert len(info.value.details["url"]) < 300  # the error does not echo 5 KB back


def test_a_name_resolving_to_a_private_address_is_refused(no_allow, fake_dns, connects):
    # Simulated DNS: this machine has no resolver for such names.
    fake_dns({"internal.example": ["10.0.0.1"]})
    with pytest.raises(UnsafeUrl, match="internal.example resolves to") as info:
        check_url("http://internal.example/hook")
    assert info.value.details["address"] == "10.0.0.1"
    assert post_webhook("http://internal.example/hook", body=b"{}", headers={}).error.startswith("unsafe_url")
    assert connects == []


def test_a_name_with_one_public_and_one_private_address_is_refused(no_allow, fake_dns, connects):
    # Simulated DNS; the public address is never dialled (refusal happens first).
    fake_dns(
        {"mixed.example": ["93.184.215.14", "192.168.0.10"], "mixed6.example": ["2606:4700::1", "fd12::1"]}
    )
    with pytest.raises(UnsafeUrl, match="192.168.0.10"):
        check_url("https://mixed.example/a.png")
    with pytest.raises(UnsafeUrl, match="fd12::1"):
        fetch_image("https://mixed6.example/a.png")
    assert connects == []


@pytest.mark.parametrize(
    ("url", "ip"),
    [
        ("http://93.184.215.14/a.png", "93.184.215.14"),
        ("http://0x5db8d70e/a.png", "93.184.215.14"),
        ("https://[2606:4700:4700::1111]/", "2606:4700:4700::1111"),
        ("http://[::ffff:93.184.215.14]/", "93.184.215.14"),  # dialled as the IPv4 it was judged as
        ("http://[64:ff9b::5db8:d70e]/", "64:ff9b::5db8:d70e"),
    ],
)
def test_public_addresses_pass_the_check(url, ip, no_allow, connects):
    [target] = check_url(url)
    assert target.ip == ip
    assert connects == []  # checking never connects


def test_targets_carry_what_the_request_needs(no_allow, fake_dns):
    fake_dns({"img.example": ["93.184.215.14", "2606:4700::6812:1"]})
    targets = check_url("https://IMG.example:8443/a b.png?x=ü#frag".replace(" ", "%20"))
    assert [t.ip for t in targets] == ["93.184.215.14", "2606:4700::6812:1"]
    t = targets[0]
    assert (t.scheme, t.host, t.port, t.host_header) == ("https", "img.example", 8443, "img.example:8443")
    assert t.request_target == "/a%20b.png?x=%C3%BC"  # fragment dropped, non-ASCII encoded


def test_names_that_do_not_resolve_are_a_fetch_failure_not_an_unsafe_url(no_allow, fake_dns, monkeypatch):
    real = socket.getaddrinfo

    def failing(host, *args, **kwargs):
        if host == "gone.example":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        if host == "slow.example":
            time.sleep(2)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", failing)
    with pytest.raises(FetchFailed) as info:
        check_url("http://gone.example/")
    assert info.value.details["reason"] == "dns_failed"
    started = time.monotonic()
    with pytest.raises(FetchFailed) as info:
        fetch_image("http://slow.example/a.png", timeout=0.3)
    assert info.value.details["reason"] == "dns_timeout"
    assert time.monotonic() - started < 1.5  # the lookup itself takes 2 s
    result = post_webhook("http://gone.example/", body=b"{}", headers={})
    assert not result.ok and result.error.startswith("dns_failed: ")


def test_allowlist(settings, fake_dns):
    settings.LOOPWIND_SSRF_ALLOW = ["127.0.0.1"]
    assert check_url("http://127.0.0.1:9/")[0].ip == "127.0.0.1"
    with pytest.raises(UnsafeUrl):
        check_url("http://127.0.0.2:9/")
    with pytest.raises(UnsafeUrl):
        check_url("http://[::ffff:127.0.0.1]:9/")  # the allowlist matches the address as written
    with pytest.raises(UnsafeUrl):
        check_url("http://169.254.169.254/")
    settings.LOOPWIND_SSRF_ALLOW = ["127.0.0.0/8", "fd00::/8"]
    assert check_url("http://127.0.0.2:9/")[0].ip == "127.0.0.2"
    assert check_url("http://[fd00::5]:9/")[0].ip == "fd00::5"
    settings.LOOPWIND_SSRF_ALLOW = ["not-an-ip"]
    with pytest.raises(ImproperlyConfigured):
        check_url("http://127.0.0.1:9/")


# --- fetch_image -------------------------------------------------------------------------------


def test_fetch_png_and_svg(server, allow_local, connects):
    data, ctype = fetch_image(f"{server.url}/png")
    assert (data, ctype) == (PNG, "image/png")
    data, ctype = fetch_image(f"{server.url}/svg")
    assert (data, ctype) == (SVG, "image/svg+xml")
    request = server.requests[0]
    assert request["headers"]["User-Agent"] == "loopwind-fetch/1.0"
    assert request["headers"]["Host"] == f"127.0.0.1:{server.port}"
    assert connects == [("127.0.0.1", server.port)] * 2


def test_without_the_allowlist_local_servers_are_unreachable(server, no_allow):
    with pytest.raises(UnsafeUrl):
        fetch_image(f"{server.url}/png")
    assert not post_webhook(f"{server.url}/hook", body=b"{}", headers={}).ok
    assert server.requests == []


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/html", "content_type"),
        ("/liar", "not_an_image"),
        ("/status?code=500", "http_status"),
        ("/status?code=404", "http_status"),
        ("/status?code=204", "http_status"),
    ],
)
def test_fetch_refuses_what_is_not_an_image(server, allow_local, path, reason):
    with pytest.raises(FetchFailed) as info:
        fetch_image(server.url + path)
    assert info.value.code == "fetch_failed" and info.value.status == 422
    assert info.value.details["reason"] == reason
    if "code=500" in path:
        assert info.value.details["status"] == 500


def test_fetch_stops_reading_at_max_bytes(server, allow_local):
    started = time.monotonic()
    with pytest.raises(FetchFailed) as info:
        fetch_image(f"{server.url}/huge", max_bytes=1024 * 1024)
    assert info.value.details["reason"] == "too_large"
    assert time.monotonic() - started < 3
    time.sleep(0.2)  # let the server notice the hang-up
    # The server would send 500 MB; the client hung up after about 1 MB (plus socket buffers).
    assert server.bytes_sent < 32 * 1024 * 1024


def test_fetch_refuses_a_declared_length_over_the_limit_without_reading(server, allow_local):
    started = time.monotonic()
    with pytest.raises(FetchFailed) as info:
        fetch_image(f"{server.url}/huge-declared", max_bytes=1024 * 1024)
    assert info.value.details["reason"] == "too_large"
    assert time.monotonic() - started < 1  # did not wait for the body that never comes


@pytest.mark.parametrize("path", ["/hang", "/drip"])
def test_fetch_deadline_covers_the_whole_exchange(server, allow_local, path):
    started = time.monotonic()
    with pytest.raises(FetchFailed) as info:
        fetch_image(server.url + path, timeout=0.5)
    elapsed = time.monotonic() - started
    assert info.value.details["reason"] == "timeout"
    assert 0.4 < elapsed < 2.5  # /hang answers after 10 s, /drip never ends; slack for a busy machine


def test_fetch_connection_refused(allow_local):
    with pytest.raises(FetchFailed) as info:
        fetch_image(f"http://127.0.0.1:{_closed_port()}/png", timeout=2)
    assert info.value.details["reason"] == "connection_failed"


def test_fetch_follows_a_redirect_to_another_allowed_server(serve, allow_local, connects):
    first, second = serve(), serve()
    data, ctype = fetch_image(f"{first.url}/redirect?to={second.url}/png&status=301")
    assert (data, ctype) == (PNG, "image/png")
    assert [r["path"] for r in first.requests] == ["/redirect"]
    assert [r["path"] for r in second.requests] == ["/png"]
    # A relative Location is resolved against the URL that answered.
    assert fetch_image(f"{first.url}/redirect?to=/svg&status=308")[1] == "image/svg+xml"


@pytest.mark.parametrize(
    "location",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/a.png",
        "http://[::1]:{port}/png",
        "http://127.0.0.2:{port}/png",
        "file:///etc/passwd",
        "http://metadata.internal/computeMetadata/v1/",
    ],
)
def test_fetch_refuses_a_redirect_to_a_blocked_address(server, allow_local, fake_dns, connects, location):
    fake_dns({"metadata.internal": ["169.254.169.254"]})  # simulated DNS, as on GCP
    location = location.format(port=server.port)
    with pytest.raises(UnsafeUrl) as info:
        fetch_image(f"{server.url}/redirect?to={location}")
    assert info.value.details["redirectedFrom"].startswith(server.url)
    assert "redirect" in info.value.message
    assert connects == [("127.0.0.1", server.port)]  # the redirect target was never dialled


def test_fetch_gives_up_after_three_redirects(server, allow_local):
    with pytest.raises(FetchFailed) as info:
        fetch_image(f"{server.url}/loop")
    assert info.value.details["reason"] == "too_many_redirects"
    assert len(server.requests) == 4  # the first request and three redirects


def test_dns_rebinding_cannot_move_the_connection(serve, allow_local, fake_dns, connects):
    """The name answers 127.0.0.1 (allowed) for the check and 127.0.0.2 (not allowed) afterwards,
    where a second server listens on the same port. The request must still reach the checked
    address: it is never resolved again."""
    checked = serve("127.0.0.1")
    try:
        other = serve("127.0.0.2", checked.port)
    except OSError:
        pytest.skip("cannot bind 127.0.0.2 on this machine")
    answers = iter([["127.0.0.1"]])
    calls = fake_dns({"rebind.example": lambda: next(answers, ["127.0.0.2"])})

    data, _ctype = fetch_image(f"http://rebind.example:{checked.port}/png")
    assert data == PNG
    result = post_webhook(f"http://rebind.example:{checked.port}/hook", body=b"{}", headers={})
    # The webhook is checked again at send time: now the name points at 127.0.0.2, refused.
    assert not result.ok and result.error.startswith("unsafe_url")

    assert calls == ["rebind.example", "rebind.example"]  # one lookup per operation
    assert connects == [("127.0.0.1", checked.port)]
    assert [r["headers"]["Host"] for r in checked.requests] == [f"rebind.example:{checked.port}"]
    assert other.requests == []


def test_fetch_falls_back_to_the_next_checked_address(server, settings, fake_dns, connects):
    settings.LOOPWIND_SSRF_ALLOW = ["127.0.0.0/8"]
    fake_dns({"two.example": ["127.0.0.3", "127.0.0.1"]})  # nothing listens on 127.0.0.3
    assert fetch_image(f"http://two.example:{server.port}/png")[0] == PNG
    assert connects == [("127.0.0.3", server.port), ("127.0.0.1", server.port)]


def _tls_pair(tmp_path, name: str):
    """A throwaway CA and a certificate for ``name`` signed by it (files, for ssl)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)

    def build(subject, issuer, key, signer, *, ca: bool, san=None):
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False
            )
        )
        if ca:
            builder = builder.add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
            )
        else:
            builder = builder.add_extension(
                x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True
            )
            builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(san)]), critical=False)
        return builder.sign(signer, hashes.SHA256())

    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = build("netsafe test CA", "netsafe test CA", ca_key, ca_key, ca=True)
    leaf = build(name, "netsafe test CA", leaf_key, ca_key, ca=False, san=name)
    pem = serialization.Encoding.PEM
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(pem))
    (tmp_path / "leaf.pem").write_bytes(leaf.public_bytes(pem))
    (tmp_path / "leaf.key").write_bytes(
        leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return tmp_path / "ca.pem", tmp_path / "leaf.pem", tmp_path / "leaf.key"


def test_https_is_verified_against_the_url_host_while_dialling_the_checked_ip(
    serve, allow_local, fake_dns, connects, tmp_path, monkeypatch
):
    import ssl

    ca, cert, key = _tls_pair(tmp_path, "img.example")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = serve(tls=context)
    monkeypatch.setattr(netsafe.transport, "_ca_certs", lambda: str(ca))
    fake_dns({"img.example": ["127.0.0.1"], "other.example": ["127.0.0.1"]})

    data, ctype = fetch_image(f"https://img.example:{server.port}/png")
    assert (data, ctype) == (PNG, "image/png")
    assert server.requests[0]["headers"]["Host"] == f"img.example:{server.port}"
    # Same IP, another name: the certificate does not match it, so nothing is fetched.
    with pytest.raises(FetchFailed) as info:
        fetch_image(f"https://other.example:{server.port}/png")
    assert info.value.details["reason"] == "tls_error"
    assert connects == [("127.0.0.1", server.port)] * 2
    assert len(server.requests) == 1


# --- post_webhook ------------------------------------------------------------------------------


def test_webhook_delivered(server, allow_local, fake_dns):
    fake_dns({"hooks.example": ["127.0.0.1"]})
    body = b'{"type":"render.completed","data":{"jobId":"job_1"}}'
    headers = {"webhook-id": "msg_1", "webhook-signature": "v1,abc", "Host": "evil.example"}
    result = post_webhook(f"http://hooks.example:{server.port}/hook", body=body, headers=headers)
    assert isinstance(result, DeliveryResult)
    assert (result.ok, result.status, result.error, result.response_excerpt) == (True, 200, None, "received")
    assert 0 <= result.duration_ms < 2000
    [request] = server.requests
    assert request["method"] == "POST" and request["body"] == body
    assert request["headers"]["webhook-id"] == "msg_1"
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["headers"]["User-Agent"] == "loopwind-webhook/1.0"
    assert request["headers"]["Host"] == f"hooks.example:{server.port}"  # the caller cannot choose it


def test_webhook_non_2xx_is_not_ok(server, allow_local):
    result = post_webhook(f"{server.url}/status?code=500", body=b"{}", headers={})
    assert (result.ok, result.status, result.error) == (False, 500, "HTTP 500")
    assert result.response_excerpt == "status 500"


def test_webhook_redirect_is_not_followed(serve, allow_local):
    receiver, elsewhere = serve(), serve()
    result = post_webhook(
        f"{receiver.url}/redirect?to={elsewhere.url}/hook&status=307", body=b"{}", headers={}
    )
    assert (result.ok, result.status, result.error) == (False, 307, "redirect not followed")
    assert elsewhere.requests == []


def test_webhook_hanging_receiver_times_out(server, allow_local):
    started = time.monotonic()
    result = post_webhook(f"{server.url}/hang", body=b"{}", headers={}, timeout=0.5)
    assert not result.ok and result.status is None and result.error.startswith("timeout")
    assert time.monotonic() - started < 2.5 and result.duration_ms < 2500  # /hang takes 10 s


def test_webhook_receiver_down(allow_local):
    result = post_webhook(f"http://127.0.0.1:{_closed_port()}/hook", body=b"{}", headers={}, timeout=2)
    assert not result.ok and result.status is None and result.error.startswith("connection_failed")


def test_webhook_response_excerpt_is_capped(server, allow_local):
    result = post_webhook(f"{server.url}/hook-big", body=b"{}", headers={})
    assert result.ok
    assert len(result.response_excerpt.encode("utf-8")) <= 1024 + 3  # a cut character becomes U+FFFD
    assert result.response_excerpt.startswith("éé")
