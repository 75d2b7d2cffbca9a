"""Fault tests: each stops a real server or kills a real process while the site is working, then
checks what users saw (clean 4xx/5xx error JSON, never a 500) and that nothing was lost or doubled.

The servers that get stopped are private to the test (tests/faults/services.py); the site runs as
real gunicorn and `rundramatiq` processes (tests/rendering/worker.py)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time

import pytest
import requests
from django.conf import settings

from accounts.services import api_key_create
from tests.factories import UserFactory
from tests.rendering.worker import ROOT, Worker, live_database_url
from tests.servers import RedisServer, WebServer
from tests.templates_registry.helpers import example_files

PASSWORD = "a long passphrase nobody guesses 7"
FINAL = ("completed", "failed", "cancelled")


def site_env(*, media_root, redis_url: str, database_url: str | None = None, **extra) -> dict:
    """What gunicorn and the worker both get: one database, one Redis, one storage."""
    return {
        **os.environ,
        "DATABASE_URL": database_url or live_database_url(),
        "REDIS_URL": redis_url,
        "DRAMATIQ_REDIS_URL": redis_url,
        "MEDIA_ROOT": str(media_root),
        "SECRET_KEY": settings.SECRET_KEY,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOOPWIND_SSRF_ALLOW": "127.0.0.1",
        "LOG_LEVEL": "INFO",
        **{name: str(value) for name, value in extra.items()},
    }


def manage(env: dict, *args: str) -> str:
    """``manage.py`` run against the site's environment (its database, Redis and storage)."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


class Site:
    """A user's view of a running site: an HTTP session holding an API key."""

    def __init__(self, url: str, key: str, username: str):
        self.url = url
        self.username = username
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {key}"

    def submit(self, expect: int | None = 202, **body) -> requests.Response:
        body = {"template": f"{self.username}/og-card", "props": {"title": "Fault"}, "format": "png", **body}
        response = self.http.post(f"{self.url}/api/render/async", json=body, timeout=30)
        if expect is not None:
            assert response.status_code == expect, response.text
        return response

    def render(self, title: str) -> requests.Response:
        body = {"template": f"{self.username}/og-card", "props": {"title": title}, "format": "png"}
        return self.http.post(f"{self.url}/api/render", json=body, timeout=30)

    def job(self, job_id: str) -> dict:
        response = self.http.get(f"{self.url}/api/render/{job_id}", timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def wait_final(self, job_ids, *, timeout: float, log=None) -> dict[str, dict]:
        """Waits (watching the database, so the polling spends no rate limit) until every job is
        final, then returns what the API says about each."""
        from rendering.models import RenderJob

        deadline = time.monotonic() + timeout
        pending = RenderJob.objects.filter(public_id__in=job_ids).exclude(status__in=FINAL)
        while pending.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        missing = list(pending.values_list("public_id", "status"))
        assert not missing, (
            f"not final after {timeout} s: {missing}\n{log.read_text()[-4000:] if log else ''}"
        )
        return {job_id: self.job(job_id) for job_id in job_ids}


def assert_clean_error(response: requests.Response, status: int, code: str) -> dict:
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers["Content-Type"].startswith("application/json"), response.headers
    error = response.json()["error"]
    assert error["code"] == code and error["message"], error
    return error


@pytest.fixture
def account(transactional_db, _media):
    """A pro user (webhooks need a paid plan) with an API key and the example templates."""
    from templates_registry.services import template_publish

    user = UserFactory(plan="pro")
    _, key = api_key_create(user=user, name="faults")
    for name in ("og-card", "promo-video"):
        template_publish(user=user, files=example_files(name))
    return {"user": user, "key": key}


@pytest.fixture
def processes(request, tmp_path):
    """Starts what a test asks for and stops all of it afterwards, whatever happened."""
    started = []

    class Starter:
        def redis(self, **options) -> RedisServer:
            server = RedisServer(tmp_path, **options)
            server.start()
            started.append(server)
            return server

        def web(self, env: dict, **options) -> WebServer:
            server = WebServer(tmp_path, env, **options)
            server.start()
            started.append(server)
            return server

        def worker(self, env: dict, name: str = "worker") -> Worker:
            worker = Worker(
                media_root=env["MEDIA_ROOT"],
                site_url=env.get("SITE_URL", ""),
                log=tmp_path / f"{name}.log",
                extra_env=env,
            )
            started.append(worker)
            return worker

        def add(self, server):
            started.append(server)
            return server

    yield Starter()
    for server in reversed(started):
        with contextlib.suppress(Exception):  # keep stopping the others
            server.stop()
    if "transactional_db" in request.fixturenames:  # the site used the test database
        from tests.cli.helpers import end_other_db_sessions

        end_other_db_sessions()
