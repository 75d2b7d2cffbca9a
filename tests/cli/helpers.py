"""Live-server helpers shared by the CLI and SDK tests: accounts, device approval through the real
/device page, and running the installed `loopwind` executable."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import requests

PASSWORD = "a long passphrase nobody guesses 7"


def register(url: str, email: str, *, plan: str | None = None, username: str | None = None) -> dict:
    body = {"email": email, "password": PASSWORD, **({"username": username} if username else {})}
    response = requests.post(f"{url}/api/auth/register", json=body, timeout=10)
    assert response.status_code == 201, response.text
    body = response.json()
    if plan:
        from accounts.models import User

        User.objects.filter(email=email).update(plan=plan)
    return {"email": email, "username": body["user"]["username"], "token": body["token"], **body}


def api_key(url: str, token: str, scopes: list[str] | None = None) -> dict:
    body = {
        "name": "tests",
        "scopes": scopes
        or ["render:read", "render:write", "templates:read", "templates:write", "keys:manage"],
    }
    response = requests.post(
        f"{url}/api/keys", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert response.status_code == 201, response.text
    return response.json()


def approve_device(url: str, email: str, user_code: str) -> None:
    """Sign in on the website and approve the code, as a person in a browser would (real HTTP, CSRF)."""
    browser = requests.Session()
    browser.get(f"{url}/login", timeout=10).raise_for_status()
    signed_in = browser.post(
        f"{url}/login",
        data={
            "username": email,
            "password": PASSWORD,
            "csrfmiddlewaretoken": browser.cookies["csrftoken"],
            "next": f"/device?code={user_code}",
        },
        timeout=10,
    )
    assert signed_in.status_code == 200 and user_code in signed_in.text, signed_in.text[:2000]
    done = browser.post(
        f"{url}/device",
        data={"code": user_code, "decision": "approve", "csrfmiddlewaretoken": browser.cookies["csrftoken"]},
        timeout=10,
    )
    assert done.status_code == 200 and "signed in" in done.text, done.text[:2000]


def user_code(stderr_line: str) -> str | None:
    match = re.search(r"Your code: ([A-Z0-9]{4}-[A-Z0-9]{4})", stderr_line)
    return match[1] if match else None


class Cli:
    """Runs ``<venv>/bin/loopwind`` in ``cwd`` with its own LOOPWIND_HOME and HOME."""

    def __init__(self, exe: Path, *, url: str, home: Path, cwd: Path, api_key: str | None = None):
        self.exe, self.cwd, self.home = exe, cwd, home
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("LOOPWIND_", "DJANGO", "DATABASE", "REDIS"))
        }
        env.update(LOOPWIND_API_URL=url, LOOPWIND_HOME=str(home), HOME=str(home.parent), NO_COLOR="1")
        if api_key:
            env["LOOPWIND_API_KEY"] = api_key
        self.env = env

    def popen(self, *args: str, **kwargs) -> subprocess.Popen:
        """The CLI as a terminal's foreground command, which ctrl-c reaches: a suite started in the
        background by a non-interactive shell (CI, `make test &`) ignores SIGINT, children inherit
        that, and a Python that starts with SIGINT ignored never raises KeyboardInterrupt. The
        disposition is reset before exec (an ignored signal stays ignored across exec, a default one
        stays default)."""
        reset = "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])"
        return subprocess.Popen(
            [sys.executable, "-c", reset, str(self.exe), *args], cwd=self.cwd, env=self.env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs,
        )  # fmt: skip

    def __call__(
        self, *args: str, expect: int | None = 0, timeout: float = 120, **env
    ) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [str(self.exe), *args], cwd=self.cwd, env={**self.env, **env}, text=True,
            capture_output=True, timeout=timeout,
        )  # fmt: skip
        if expect is not None:
            assert result.returncode == expect, (args, result.returncode, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr, result.stderr
        return result

    def json(self, *args: str, **kwargs):
        return json.loads(self(*args, "--json", **kwargs).stdout)

    @property
    def credentials(self) -> Path:
        return self.home / "credentials.json"


def end_other_db_sessions() -> None:
    """A worker's or the live server's lingering database session would keep the test database from
    being dropped at the end."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
