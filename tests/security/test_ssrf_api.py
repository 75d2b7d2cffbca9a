"""SSRF through the public API: image props (POST /api/render, /api/render/sign's URLs) and webhooks
(POST /api/render/async). core/netsafe/ is unit-tested in tests/site/test_netsafe.py; here
every hostile URL goes in through the API and must come back as a 400 error JSON, with no connection
made. Loopback targets point at a local sentinel server that counts connections: it must see none.

Names that resolve to private addresses are simulated by monkeypatching ``socket.getaddrinfo`` (no DNS
server in tests). Redirects use two real local servers: one on 127.0.0.1, allowlisted for the first hop
only (``settings.LOOPWIND_SSRF_ALLOW``), redirecting to one on 127.0.0.2 that must never be reached.
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from tests.conftest import assert_error

pytestmark = pytest.mark.django_db

PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360f8cfc0f01f0005000201a5e9d8a50000000049454e44ae426082"
)


class Server:
    """A local HTTP server that counts requests; ``redirect_to`` makes every answer a 302 there."""

    def __init__(self, host: str = "127.0.0.1", redirect_to: str | None = None):
        self.hits: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                server.hits.append(self.path)
                if redirect_to:
                    self.send_response(302)
                    self.send_header("Location", redirect_to)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(PNG_1PX)))
                self.end_headers()
                self.wfile.write(PNG_1PX)

            do_GET = do_POST = _answer  # noqa: N815 - http.server's naming

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://{host}:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def sentinel():
    server = Server()
    yield server
    server.close()


@pytest.fixture
def business(user, user_api, published, settings):
    settings.LOOPWIND_SSRF_ALLOW = []
    user.plan = "business"
    user.save(update_fields=["plan"])
    return user_api


def hostile_urls(port: int) -> list[str]:
    return [
        f"http://127.0.0.1:{port}/x.png",
        f"http://localhost:{port}/x.png",
        f"http://0.0.0.0:{port}/x.png",
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        f"http://[::1]:{port}/x.png",
        f"http://[::ffff:127.0.0.1]:{port}/x.png",
        f"http://0x7f000001:{port}/x.png",
        f"http://2130706433:{port}/x.png",
        f"http://127.1:{port}/x.png",
        f"http://017700000001:{port}/x.png",
        f"http://[::ffff:7f00:1]:{port}/x.png",
        f"http://user:pass@127.0.0.1:{port}/x.png",
        "file:///etc/passwd",
        f"gopher://127.0.0.1:{port}/_INFO",
        "ftp://127.0.0.1/x.png",
        "http://[fd00::1]/x.png",
        "http://10.0.0.1/x.png",
        "http://192.168.1.1/x.png",
    ]


def _render(client, url: str):
    body = {"template": f"{client.username}/og-card", "props": {"title": "x", "logo": url}}
    return client.post("/api/render", body, format="json")


@pytest.fixture
def client_for(business, user):
    business.username = user.username
    return business


def test_image_props_refuse_private_targets(client_for, sentinel):
    for url in hostile_urls(sentinel.port):
        response = _render(client_for, url)
        error = assert_error(response, 400)
        assert error["code"] in ("unsafe_url", "invalid_image"), (url, error)
    assert sentinel.hits == []


def test_signed_url_renders_refuse_private_targets(client_for, sentinel, client):
    url = f"http://127.0.0.1:{sentinel.port}/x.png"
    signed = client_for.post(
        "/api/render/sign",
        {"template": f"{client_for.username}/og-card", "props": {"title": "x", "logo": url}},
        format="json",
    )
    if signed.status_code == 200:  # signing may accept the URL; the render behind it must not fetch it
        parts = urlsplit(signed.json()["url"])
        response = client.get(f"{parts.path}?{parts.query}")
        assert 400 <= response.status_code < 500, response.status_code
    else:
        assert_error(signed, 400)
    assert sentinel.hits == []


def test_webhooks_refuse_private_targets(client_for, sentinel):
    for url in hostile_urls(sentinel.port):
        body = {"template": f"{client_for.username}/og-card", "props": {"title": "x"}, "format": "png"}
        response = client_for.post("/api/render/async", {**body, "webhook": url}, format="json")
        error = assert_error(response, 400)
        assert error["code"] in ("unsafe_url", "validation_error"), (url, error)
    assert sentinel.hits == []


@pytest.fixture
def private_dns(monkeypatch):
    """``*.evil.test`` resolves to private addresses (monkeypatched getaddrinfo; no DNS in tests)."""
    real = socket.getaddrinfo
    answers = {
        "loopback.evil.test": ["127.0.0.1"],
        "metadata.evil.test": ["169.254.169.254"],
        "mixed.evil.test": ["93.184.216.34", "10.1.2.3"],  # one public, one private: refused
        "v6.evil.test": ["::1"],
    }

    def fake(host, port, family=0, type=0, proto=0, flags=0):  # noqa: A002 - socket's signature
        if host in answers:
            out = []
            for ip in answers[host]:
                fam = socket.AF_INET6 if ":" in ip else socket.AF_INET
                addr = (ip, port or 80, 0, 0) if fam == socket.AF_INET6 else (ip, port or 80)
                out.append((fam, socket.SOCK_STREAM, 6, "", addr))
            return out
        return real(host, port, family, type, proto, flags)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return sorted(answers)


def test_names_resolving_to_private_addresses(client_for, private_dns, sentinel):
    for host in private_dns:
        url = f"http://{host}:{sentinel.port}/x.png"
        assert_error(_render(client_for, url), 400, "unsafe_url")
        body = {"template": f"{client_for.username}/og-card", "props": {"title": "x"}, "format": "png"}
        body["webhook"] = url
        assert_error(client_for.post("/api/render/async", body, format="json"), 400, "unsafe_url")
    assert sentinel.hits == []


@pytest.fixture
def redirect_chain(settings):
    """127.0.0.1 (allowed, first hop) redirects to 127.0.0.2 (not allowed), which counts hits."""
    target = Server(host="127.0.0.2")
    first = Server(redirect_to=f"{target.url}/secret.png")
    settings.LOOPWIND_SSRF_ALLOW = ["127.0.0.1"]
    yield first, target
    first.close()
    target.close()


def test_image_prop_redirect_to_private_address(business, user, redirect_chain):
    first, target = redirect_chain
    body = {"template": f"{user.username}/og-card", "props": {"title": "x", "logo": f"{first.url}/logo.png"}}
    response = business.post("/api/render", body, format="json")
    assert_error(response, 400, "unsafe_url")
    assert first.hits == ["/logo.png"] and target.hits == []


def test_webhook_redirect_is_not_followed(business, user, redirect_chain):
    from rendering import webhooks
    from rendering.models import RenderJob

    first, target = redirect_chain
    body = {"template": f"{user.username}/og-card", "props": {"title": "x"}, "webhook": f"{first.url}/hook"}
    accepted = business.post("/api/render/async", {**body, "format": "png"}, format="json")
    assert accepted.status_code == 202, accepted.content
    job = RenderJob.objects.get(public_id=accepted.json()["jobId"])
    # what the worker does when the job ends: one delivery, one attempt
    delivery = webhooks.delivery_create(job=job, event="render.completed", output_url=None)
    webhooks.attempt(delivery.pk)
    [logged] = business.get("/api/webhooks/deliveries").json()
    assert logged["status"] != "succeeded" and logged["lastStatusCode"] == 302, logged
    # redelivering through the API follows the same rule
    assert business.post(f"/api/webhooks/deliveries/{logged['id']}/redeliver").status_code == 202
    webhooks.attempt(delivery.pk)
    assert len(first.hits) == 2 and target.hits == []
