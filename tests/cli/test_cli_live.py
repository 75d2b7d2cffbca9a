"""The installed `loopwind` executable (fresh venv, `pip install .`) against a live server: API-key
and device login, init, publish, search, add, local and remote render, sign, keys, logout, and the
bad-input cases."""

import json
import queue
import signal
import stat
import threading
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.cli.helpers import Cli, api_key, approve_device, register, user_code

pytestmark = pytest.mark.django_db(transaction=True)
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def server(live_server, settings):
    settings.SITE_URL = live_server.url
    settings.DEVICE_POLL_INTERVAL = 1
    return live_server.url


@pytest.fixture
def make_cli(loopwind_exe, server, tmp_path):
    def make(name="work", **kwargs):
        cwd = tmp_path / name
        cwd.mkdir(exist_ok=True)
        return Cli(loopwind_exe, url=server, home=tmp_path / f"{name}-home" / ".loopwind", cwd=cwd, **kwargs)

    return make


def test_api_key_login_then_the_template_lifecycle(server, make_cli):
    account = register(server, "cli@example.com", plan="pro")
    user = account["username"]
    key = api_key(server, account["token"])["key"]
    cli = make_cli()

    # not logged in yet: a clear message and the auth exit code
    assert "Not logged in" in cli("whoami", expect=3).stderr

    assert cli.json("login", "--api-key", key)["user"]["username"] == user
    assert json.loads(cli.credentials.read_text())["apiKey"] == key
    assert cli.json("whoami")["email"] == "cli@example.com"
    assert json.loads(cli("--json", "whoami").stdout)["username"] == user  # the group-level flag too

    created = cli.json("init", "my-card")
    assert created["folder"] == "my-card" and (cli.cwd / "my-card" / "loopwind.json").is_file()

    dry = cli("publish", "my-card", "--dry-run")
    assert "loopwind.json" in dry.stderr and "would publish" in dry.stdout
    published = cli.json("publish", "my-card", "--tags", "starter,cli", "--description", "From the CLI")
    assert published["version"] == "1.0.0" and published["url"] == f"{server}/{user}/my-card"
    assert cli("publish", "my-card", "--version", "1.1.0").stdout.strip().endswith(f"{user}/my-card")
    conflict = cli("publish", "my-card", "--version", "1.1.0", expect=1)
    last = conflict.stderr.splitlines()[-1]  # the files sent, then the server's 409 in one line
    assert last.startswith("error: ") and "already published" in last and conflict.stderr.count("error") == 1

    found = cli.json("search", "my-card")
    assert [t["slug"] for t in found["templates"]] == [f"{user}/my-card"]
    assert f"{user}/my-card" in cli("search", "card").stdout

    added = cli.json("add", f"{user}/my-card@1.0.0")
    assert sorted(added["files"]) == ["README.md", "loopwind.json", "template.html"]
    assert (cli.cwd / ".loopwind" / user / "my-card" / "template.html").is_file()

    # local renders: a folder, and user/name from ./.loopwind
    local = cli.json("render", "my-card", "--props", '{"title": "Local"}', "--out", "local.png")
    assert local["remote"] is False and (cli.cwd / "local.png").read_bytes()[:8] == PNG
    cli("render", f"{user}/my-card", "--prop", "title=From add", "--format", "jpg", "--out", "added.jpg")
    assert (cli.cwd / "added.jpg").read_bytes()[:3] == b"\xff\xd8\xff"
    pinned = cli.json("render", f"{user}/my-card@1.1.0", "--prop", "title=Downloaded", "--out", "dl.webp")
    assert pinned["template"] == f"{user}/my-card" and (cli.cwd / "dl.webp").read_bytes()[8:12] == b"WEBP"

    remote = cli(
        "render", f"{user}/my-card", "--remote", "--prop", "title=Remote", "--scale", "2", "--out", "r.png"
    )
    assert "Rendered in" in remote.stdout and (cli.cwd / "r.png").read_bytes()[:8] == PNG
    cli("render", "my-card", "--remote", "--prop", "title=Short name", "--out", "short.png")  # own template

    url = cli("sign", f"{user}/my-card", "--prop", "title=Signed").stdout.strip()
    assert url.startswith(f"{server}/i/{user}/my-card.png?")
    assert requests.get(url, timeout=30).content[:8] == PNG

    made = cli.json("keys", "create", "ci", "--scopes", "render:write")
    assert made["key"].startswith("lw_live_") and made["scopes"] == ["render:write"]
    listed = cli.json("keys", "list")
    assert {k["id"] for k in listed} >= {made["id"]}
    assert made["id"] in cli("keys", "list").stdout
    cli("keys", "revoke", made["id"])
    assert made["id"] not in {k["id"] for k in cli.json("keys", "list")}
    assert cli("keys", "revoke", made["id"], expect=4).stderr.startswith("error:")

    # not found, server refusals and bad input
    assert cli("render", "nobody/nothing", "--remote", "--format", "png", expect=4).stderr.startswith(
        "error:"
    )
    missing = cli("render", f"{user}/my-card", "--remote", "--props", '{"nope": 1}', expect=1)
    assert "nope" in missing.stderr
    bad = cli("render", "my-card", "--props", '{"title": "x",\n "a": }', expect=2)
    assert "line 2 column 7" in bad.stderr and "^" in bad.stderr
    error = json.loads(cli("render", "my-card", "--props", "[1]", "--json", expect=2).stdout)
    assert error["error"]["code"] == "bad_props"
    (cli.cwd / "props.json").write_text('{"title": "From a file"}')
    cli("render", "my-card", "--props", "@props.json", "--out", "file.png")
    (cli.cwd / "empty").mkdir()
    assert "No loopwind.json" in cli("publish", "empty", expect=2).stderr
    assert "No loopwind.json" in cli("render", "empty", expect=2).stderr
    assert cli("render", "my-card", "--format", "bmp", expect=2).returncode == 2  # click usage error

    out = cli("logout")
    assert "Logged out" in out.stdout and not cli.credentials.exists()
    assert cli("whoami", expect=3).returncode == 3
    # LOOPWIND_API_KEY works without any stored credentials
    assert cli.json("whoami", LOOPWIND_API_KEY=key)["username"] == user


def test_device_login_refresh_and_logout(server, make_cli):
    account = register(server, "device@example.com")
    cli = make_cli()
    process = cli.popen("login", "--no-browser", "--json")
    # stderr is read by one thread from start to end: mixing readline() with communicate() loses
    # what readline had buffered (both lines often arrive in one read)
    seen: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [seen.put(line) for line in process.stderr], daemon=True)
    reader.start()
    lines = []
    code = None
    while code is None:
        lines.append(seen.get(timeout=30))  # queue.Empty here: the CLI printed no code in 30 s
        code = user_code(lines[-1])
    approve_device(server, account["email"], code)
    stdout = process.stdout.read()
    process.wait(timeout=30)
    reader.join(timeout=30)
    lines.extend(seen.queue)
    stderr = "".join(lines)
    assert process.returncode == 0, (stdout, stderr)
    assert "Approve it at " + f"{server}/device?code={code}" in stderr
    assert json.loads(stdout)["user"]["username"] == account["username"]

    assert stat.S_IMODE(cli.credentials.stat().st_mode) == 0o600
    assert stat.S_IMODE(cli.home.stat().st_mode) == 0o700
    creds = json.loads(cli.credentials.read_text())
    assert set(creds) == {"token", "refreshToken", "expiresAt", "user", "apiUrl"}
    assert creds["user"]["email"] == "device@example.com" and creds["expiresAt"].endswith("Z")
    assert cli.json("whoami")["username"] == account["username"]

    # an expired access token is refreshed silently, and the rotated refresh token is stored
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
    cli.credentials.write_text(json.dumps({**creds, "token": "expired", "expiresAt": past}))
    assert cli.json("whoami")["email"] == "device@example.com"
    after = json.loads(cli.credentials.read_text())
    assert after["refreshToken"] != creds["refreshToken"] and after["token"] != "expired"
    assert stat.S_IMODE(cli.credentials.stat().st_mode) == 0o600
    # the server's 401 (a token it refuses, not yet expired locally) also refreshes
    cli.credentials.write_text(json.dumps({**after, "token": "not-a-jwt"}))
    assert cli.json("whoami")["email"] == "device@example.com"
    final = json.loads(cli.credentials.read_text())

    # logout revokes the refresh token on the server
    assert json.loads(cli("logout", "--json").stdout) == {"loggedOut": True, "revoked": True}
    refused = requests.post(
        f"{server}/api/auth/refresh", json={"refreshToken": final["refreshToken"]}, timeout=10
    )
    assert refused.status_code == 401
    assert "Not logged in" in cli("whoami", expect=3).stderr
    # a revoked session in stale credentials: the refresh fails with one clear line
    cli.credentials.write_text(json.dumps({**final, "token": "x", "expiresAt": past}))
    assert "session has expired" in cli("whoami", expect=3).stderr


def test_device_login_denied(server, make_cli):
    account = register(server, "deny@example.com")
    cli = make_cli()
    process = cli.popen("login", "--no-browser")
    code = user_code(process.stderr.readline())
    browser = requests.Session()
    browser.get(f"{server}/login", timeout=10)
    browser.post(
        f"{server}/login",
        data={"username": account["email"], "password": "a long passphrase nobody guesses 7",
              "csrfmiddlewaretoken": browser.cookies["csrftoken"]},
        timeout=10,
    )  # fmt: skip
    browser.post(
        f"{server}/device",
        data={"code": code, "decision": "deny", "csrfmiddlewaretoken": browser.cookies["csrftoken"]},
        timeout=10,
    )
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 3 and "denied" in stderr


def test_unreachable_server_is_one_line(loopwind_exe, tmp_path):
    cli = Cli(
        loopwind_exe, url="http://127.0.0.1:9", home=tmp_path / ".loopwind", cwd=tmp_path, api_key="lw_live_x"
    )
    result = cli("whoami", expect=5)
    assert result.stderr.count("\n") == 1 and "Cannot reach http://127.0.0.1:9" in result.stderr
    assert json.loads(cli("search", "x", "--json", expect=5).stdout)["error"]["code"] == "connection_error"


def test_preview_renders_again_when_a_file_changes(make_cli):
    cli = make_cli()
    cli("init", "card")
    assert cli.json("preview", "card", "--once", "--prop", "title=Once")["count"] == 1
    process = cli.popen("preview", "card", "--prop", "title=Watch", "--interval", "0.1", "--json")
    first = json.loads(process.stdout.readline())
    assert first["event"] == "rendered" and first["output"].endswith(".preview.png")
    before = (cli.cwd / "card" / ".preview.png").read_bytes()
    template = cli.cwd / "card" / "template.html"
    template.write_text(template.read_text().replace("bg-slate-950", "bg-red-700"))
    second = json.loads(process.stdout.readline())
    assert second["count"] == 2 and (cli.cwd / "card" / ".preview.png").read_bytes() != before
    template.write_text("{% if %}")  # a broken template: reported, and the watch goes on
    assert json.loads(process.stdout.readline())["event"] == "error"
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0 and "Stopped." in stderr


def test_usage_deprecate_yank_and_unpublish(server, make_cli):
    """Issue 13 (16): the CLI covers the account's usage and the lifecycle of published versions."""
    account = register(server, "versions@example.com", plan="pro")
    user = account["username"]
    cli = make_cli(api_key=api_key(server, account["token"])["key"])
    cli("init", "card")
    cli("publish", "card", "--version", "1.0.0")
    cli("publish", "card", "--version", "1.1.0")

    usage = cli.json("usage")
    assert usage["templates"] == {"used": 1, "limit": None} and usage["publishes"]["used"] == 2
    text = cli("usage").stdout
    assert "Plan Pro" in text and "Image renders" in text and "░" in text

    assert cli.json("deprecate", "card@1.1.0", "-m", "Use 1.0.0")["deprecated"] == "Use 1.0.0"
    rendered = cli("render", f"{user}/card@1.1.0", "--remote", "--prop", "title=Hi", "--out", "old.png")
    assert "⚠ Deprecated: Use 1.0.0" in rendered.stderr
    assert cli.json("deprecate", "card@1.1.0", "--undo")["deprecated"] == ""
    assert cli.json("yank", f"{user}/card@1.0.0", "--reason", "typo")["yanked"] is True
    assert cli.json("yank", "card@1.0.0", "--undo")["yanked"] is False
    for args in (("deprecate", "card", "-m", "x"), ("deprecate", "card@1.0.0"), ("yank", "card")):
        assert cli.json(*args, expect=2)["error"]["code"] in ("no_version", "no_message")
    assert cli.json("deprecate", "card@9.9.9", "-m", "x", expect=4)["error"]["code"] == "not_found"

    assert cli.json("unpublish", "card", expect=2)["error"]["code"] == "confirm"  # no terminal, no --yes
    assert cli.json("unpublish", "card", "--yes") == {"template": f"{user}/card", "unpublished": True}
    assert (
        cli.json("render", f"{user}/card", "--remote", "--out", "x.png", expect=4)["error"]["code"]
        == "not_found"
    )
