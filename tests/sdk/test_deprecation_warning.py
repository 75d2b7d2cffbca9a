"""A deprecated or yanked template version: the Python SDK warns (LoopwindDeprecationWarning, with
the author's message) and the CLI prints it on stderr, for images (headers) and jobs (JSON).
Against a scripted local HTTP server that answers as the API does (the API side is tested in
tests/templates_registry/test_versions.py)."""

import json
import threading
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from loopwind import Loopwind
from loopwind.cli import main
from loopwind.sdk import LoopwindDeprecationWarning

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16
NOTICE = {"version": "1.0.0", "message": "Use 2.0.0 — 1.x cuts titles", "yanked": False,
          "since": "2026-12-01T00:00:00Z"}  # fmt: skip
JOB = {"jobId": "job_1", "status": "queued", "estimatedDuration": 500, "statusUrl": "/api/render/job_1",
       "createdAt": "2026-12-01T00:00:00Z", "deprecation": NOTICE}  # fmt: skip


@pytest.fixture
def api():
    class Handler(BaseHTTPRequestHandler):
        def _send(self, status, body: bytes, content_type: str, headers=None):
            self.send_response(status)
            for name, value in {"Content-Type": content_type, **(headers or {})}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path == "/api/render":
                headers = {
                    "Deprecation": "@1764547200",
                    "X-Loopwind-Deprecation": "Use%202.0.0%20%E2%80%94%201.x%20cuts%20titles",
                }
                self._send(200, PNG, "image/png", headers)
            else:
                self._send(202, json.dumps(JOB).encode(), "application/json")

        def do_GET(self):  # noqa: N802
            self._send(200, json.dumps({**JOB, "status": "processing"}).encode(), "application/json")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_the_sdk_warns_with_the_authors_message(api):
    with Loopwind(api_key="lw_live_" + "x" * 38, base_url=api) as lw:
        with pytest.warns(LoopwindDeprecationWarning, match="Use 2.0.0 — 1.x cuts titles"):
            assert lw.render("ann/og-card", props={"title": "Hi"}, version="1.0.0") == PNG
        with pytest.warns(LoopwindDeprecationWarning, match="Use 2.0.0"):
            job = lw.render_video("ann/promo", props={}, version="1.0.0")
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # polling the job does not warn again
            job.refresh()


def test_the_cli_prints_it_on_stderr(api, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LOOPWIND_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LOOPWIND_API_KEY", "lw_live_" + "x" * 38)
    monkeypatch.setenv("LOOPWIND_API_URL", api)
    out = tmp_path / "card.png"
    assert main(["render", "ann/og-card@1.0.0", "--remote", "--format", "png", "--out", str(out)]) == 0
    assert out.read_bytes() == PNG
    assert "⚠ Deprecated: Use 2.0.0 — 1.x cuts titles" in capsys.readouterr().err
