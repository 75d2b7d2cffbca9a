"""Real queue workers (`manage.py rundramatiq`) for end-to-end tests, and a webhook receiver."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def live_database_url() -> str:
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{db['NAME']}"  # NAME is the test database by now


class Worker:
    """One `rundramatiq` process group (the CLI forks worker processes, which start render children)."""

    def __init__(self, *, media_root: str, site_url: str, log: Path, extra_env: dict | None = None):
        env = {
            **os.environ,
            "DATABASE_URL": live_database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "DRAMATIQ_REDIS_URL": settings.DRAMATIQ_REDIS_URL,
            "MEDIA_ROOT": media_root,
            "SITE_URL": site_url,
            "SECRET_KEY": settings.SECRET_KEY,
            "LOOPWIND_SSRF_ALLOW": "127.0.0.1",
            "DRAMATIQ_HEARTBEAT_TIMEOUT": "3000",
            "DRAMATIQ_MAINTENANCE_CHANCE": "1000000",
            "DATABASE_CONN_MAX_AGE": "0",
            **(extra_env or {}),
        }
        self.log_path = log
        self.log = log.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "rundramatiq",
                "--processes",
                "1",
                "--threads",
                "2",
                "--skip-checks",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        """SIGKILL the whole group: no clean shutdown, no acknowledgement of in-flight messages."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


class Receiver:
    """A local HTTP server that records webhook deliveries and answers ``status``."""

    def __init__(self, status: int = 200, port: int = 0):
        self.status = status
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"headers": dict(self.headers.items()), "body": body})
                self.send_response(receiver.status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/render"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 30) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.requests

    def payloads(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
