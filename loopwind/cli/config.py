"""Credentials (~/.loopwind/credentials.json, or $LOOPWIND_HOME/credentials.json), token refresh,
the account commands act for (``--org``, LOOPWIND_ACCOUNT), and the SDK client the commands use."""

from __future__ import annotations

import base64
import json
import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import httpx

from ..sdk import Loopwind, errors
from ..sdk._core import DEFAULT_BASE_URL

REFRESH_MARGIN = timedelta(seconds=30)
ACCOUNT_META = "loopwind.account"  # in click's context meta: the --org given (the group's or a command's)


def org_flag() -> str | None:
    """The ``--org`` given on the command line, if any."""
    ctx = click.get_current_context(silent=True)
    return ctx.meta.get(ACCOUNT_META) if ctx is not None else None


def acting_account() -> str:
    """The organization commands act for: ``--org``, else LOOPWIND_ACCOUNT, else "" (your own)."""
    flag = org_flag()
    return (flag if flag is not None else os.environ.get("LOOPWIND_ACCOUNT", "")).strip().lower()


def home() -> Path:
    """$LOOPWIND_HOME, else ~/.loopwind (~ is $HOME)."""
    override = os.environ.get("LOOPWIND_HOME")
    return Path(override) if override else Path.home() / ".loopwind"


class Credentials:
    """The spec's shape: ``{"token", "refreshToken", "expiresAt", "user": {id, email, username}}``, plus
    ``apiUrl`` (the server signed in to) or, after ``login --api-key``, ``apiKey`` instead of the tokens."""

    def __init__(self, folder: Path | None = None):
        self.folder = folder or home()
        self.path = self.folder / "credentials.json"

    def load(self) -> dict:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def save(self, data: dict) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        fd, temp = tempfile.mkstemp(dir=self.folder, prefix=".credentials.")  # mkstemp files are 0600
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, indent=2)
        os.chmod(temp, 0o600)
        os.replace(temp, self.path)

    def clear(self) -> bool:
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        return True


def token_expiry(token: str) -> str:
    """The JWT's ``exp`` as ISO 8601 (the CLI never verifies it: the server does)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return datetime.fromtimestamp(int(claims["exp"]), UTC).isoformat().replace("+00:00", "Z")
    except (IndexError, KeyError, ValueError, TypeError):
        return (datetime.now(UTC) + timedelta(minutes=15)).isoformat().replace("+00:00", "Z")


def session_record(body: dict, api_url: str) -> dict:
    """What a login or device-token answer (``{user, token, refreshToken}``) is stored as."""
    user = body.get("user") or {}
    return {
        "token": body["token"],
        "refreshToken": body["refreshToken"],
        "expiresAt": token_expiry(body["token"]),
        "user": {key: user.get(key) for key in ("id", "email", "username")},
        "apiUrl": api_url,
    }


class TokenAuth(httpx.Auth):
    """Sends the access token; refreshes it when it is about to expire or the server says 401, and
    stores the rotated refresh token at once (the old one stops working)."""

    requires_response_body = True

    def __init__(self, store: Credentials, data: dict, base_url: str):
        self.store = store
        self.data = data
        self.base_url = base_url

    def _expired(self) -> bool:
        try:
            expires = datetime.fromisoformat(self.data["expiresAt"].replace("Z", "+00:00"))
        except (KeyError, ValueError, AttributeError):
            return True
        return expires - REFRESH_MARGIN <= datetime.now(UTC)

    def _refresh_request(self) -> httpx.Request:
        return httpx.Request(
            "POST",
            f"{self.base_url}/api/auth/refresh",
            json={"refreshToken": self.data.get("refreshToken", "")},
        )

    def _refreshed(self, response: httpx.Response) -> None:
        if response.status_code != 200:
            raise errors.AuthError(
                "Your session has expired. Run `loopwind login` again.", code="session_expired", status=401
            )
        body = response.json()
        self.data.update(
            token=body["token"], refreshToken=body["refreshToken"], expiresAt=token_expiry(body["token"])
        )
        self.store.save(self.data)

    def auth_flow(self, request: httpx.Request):
        refreshed = False
        if self._expired():
            self._refreshed((yield self._refresh_request()))
            refreshed = True
        request.headers["Authorization"] = f"Bearer {self.data.get('token', '')}"
        response = yield request
        if response.status_code == 401 and not refreshed and self.data.get("refreshToken"):
            self._refreshed((yield self._refresh_request()))
            request.headers["Authorization"] = f"Bearer {self.data['token']}"
            yield request


def api_url(creds: dict | None = None) -> str:
    url = os.environ.get("LOOPWIND_API_URL") or (creds or {}).get("apiUrl") or DEFAULT_BASE_URL
    return url.rstrip("/")


def make_client(*, required: bool = True, account: str | None = None) -> Loopwind:
    """LOOPWIND_API_KEY, else the stored API key, else the stored session; anonymous when not
    ``required``, else AuthError ``not_logged_in``. It acts for ``account`` (default: ``--org``,
    else LOOPWIND_ACCOUNT; "" for your own account) through the X-Loopwind-Account header."""
    store = Credentials()
    creds = store.load()
    base_url = api_url(creds)
    account = acting_account() if account is None else account
    env_key = os.environ.get("LOOPWIND_API_KEY")
    if env_key or creds.get("apiKey"):
        return Loopwind(env_key or creds["apiKey"], base_url=base_url, account=account)
    if creds.get("refreshToken"):
        return Loopwind(base_url=base_url, auth=TokenAuth(store, creds, base_url), account=account)
    if required:
        raise errors.AuthError(
            "Not logged in. Run `loopwind login` (or set LOOPWIND_API_KEY).", code="not_logged_in"
        )
    return Loopwind(base_url=base_url, auth=_Anonymous(), account="")


class _Anonymous(httpx.Auth):
    def auth_flow(self, request):
        yield request
