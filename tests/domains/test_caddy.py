"""Issue 16's "done when", over real TLS: the real Caddy (deploy/Caddyfile, its internal CA) on
loopback high ports in front of the Django live server, a local DNS server answering the domain's
records. A Business account adds og.example.com, verify turns it verified, and a signed image
loads through Caddy on that name (a certificate issued on demand after asking the app); another
account's image on the same name is 404, and a name that is not verified gets no certificate."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests

from bench.common import free_port
from templates_registry.services import template_publish
from tests.domains.conftest import TARGET, person
from tests.templates_registry.helpers import example_files

CADDY = shutil.which("caddy")
CURL = shutil.which("curl")
CADDYFILE = Path(__file__).resolve().parents[2] / "deploy" / "Caddyfile"
HOST = "og.example.com"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        CADDY is None or CURL is None,
        reason="needs the caddy and curl binaries (Debian packages caddy, curl: scripts/test-system-packages.txt)",
    ),
]


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def caddy(live_server, tmp_path):
    https_port, http_port = free_port(), free_port()
    options = tmp_path / "options.caddy"
    options.write_text(
        f"local_certs\nskip_install_trust\nadmin off\nhttp_port {http_port}\nhttps_port {https_port}\n"
    )
    upstream = urlsplit(live_server.url).netloc
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),  # the internal CA and certificates, this test's own
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "LOOPWIND_SITE_HOST": "loopwind.test",
        "LOOPWIND_UPSTREAM": upstream,
        "LOOPWIND_CADDY_OPTIONS": str(options),
    }
    log = (tmp_path / "caddy.log").open("wb")
    process = subprocess.Popen(
        [CADDY, "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    root = tmp_path / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"
    deadline = time.monotonic() + 30
    while not (_listening(https_port) and root.exists()):
        if process.poll() is not None or time.monotonic() > deadline:
            log.close()
            pytest.fail(f"caddy did not start:\n{(tmp_path / 'caddy.log').read_text()[-3000:]}")
        time.sleep(0.1)
    yield {"port": https_port, "root": root, "log": tmp_path / "caddy.log"}
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    log.close()


def curl(caddy, name: str, path: str, out: Path) -> tuple[int, str]:
    """(exit code, HTTP status) of curl fetching https://name:port/path through Caddy, the name
    resolved to loopback and the certificate checked against Caddy's internal root."""
    port = caddy["port"]
    done = subprocess.run(
        [CURL, "-sS", "--max-time", "60", "--resolve", f"{name}:{port}:127.0.0.1", "--cacert", str(caddy["root"]),
         "-o", str(out), "-w", "%{http_code}", f"https://{name}:{port}{path}"],
        capture_output=True, text=True, timeout=90,
    )  # fmt: skip
    return done.returncode, done.stdout.strip() + done.stderr.strip()


def on_port(url: str, port: int) -> str:
    parts = urlsplit(url)
    assert parts.scheme == "https" and parts.hostname == HOST, url
    return urlunsplit(("", "", parts.path, parts.query, ""))


def api(live_server, user, method: str, path: str, **kwargs):
    from accounts.services import tokens_for_user

    headers = {"Authorization": f"Bearer {tokens_for_user(user)['token']}"}
    return requests.request(method, f"{live_server.url}{path}", headers=headers, timeout=60, **kwargs)


def test_a_signed_image_through_caddy_on_a_custom_domain(live_server, caddy, local_dns, tmp_path):
    brand, rival = person("brand"), person("rival")
    template_publish(user=brand, files=example_files("og-card"))
    template_publish(user=rival, files=example_files("og-card"))

    # Before: og.example.com is nobody's verified domain, so Caddy gets no certificate for it.
    code, said = curl(caddy, HOST, "/", tmp_path / "before")
    assert code != 0, said  # the TLS handshake fails

    added = api(live_server, brand, "POST", "/api/domains", json={"domain": HOST})
    assert added.status_code == 201, added.text
    records = {record["type"]: record for record in added.json()["records"]}
    assert records["CNAME"] == {"type": "CNAME", "name": HOST, "value": TARGET}
    local_dns.set(records["CNAME"]["name"], "CNAME", records["CNAME"]["value"])
    local_dns.set(records["TXT"]["name"], "TXT", records["TXT"]["value"])
    verified = api(live_server, brand, "POST", f"/api/domains/{added.json()['id']}/verify")
    assert verified.json()["status"] == "verified", verified.text

    signed = api(live_server, brand, "POST", "/api/render/sign",
                 json={"template": "brand/og-card", "props": {"title": "Custom domain"}, "domain": HOST})  # fmt: skip
    assert signed.status_code == 200, signed.text
    path = on_port(signed.json()["url"], caddy["port"])
    code, status = curl(caddy, HOST, path, tmp_path / "image.png")
    assert (code, status) == (0, "200"), (status, caddy["log"].read_text()[-2000:])
    assert (tmp_path / "image.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")

    # Another account's signed image, on the same name: 404 (it loads on the site itself)
    theirs = api(live_server, rival, "POST", "/api/render/sign",
                 json={"template": "rival/og-card", "props": {"title": "Not here"}})  # fmt: skip
    their_path = urlunsplit(("", "", *urlsplit(theirs.json()["url"])[2:4], ""))
    assert curl(caddy, HOST, their_path, tmp_path / "theirs") == (0, "404")
    assert requests.get(f"{live_server.url}{their_path}", timeout=60).status_code == 200

    # Nothing else on that name: no site, no login, no API; the ask endpoint is not reachable through the proxy
    for other in ("/", "/login", "/admin/", "/api/domains", f"/internal/tls-ask?domain={HOST}"):
        assert curl(caddy, HOST, other, tmp_path / "other") == (0, "404"), other

    # A name with a pending claim only: no certificate either
    assert (
        api(live_server, brand, "POST", "/api/domains", json={"domain": "pending.example.com"}).status_code
        == 201
    )
    code, said = curl(caddy, "pending.example.com", path, tmp_path / "pending")
    assert code != 0, said
