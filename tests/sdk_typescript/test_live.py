"""The README's examples, run with node from the installed tarball against a live server and a real
worker: an image, a video job with progress events, a webhook delivered by the worker to the README's
Express handler, the Next.js route handler, an invalid key; then a 429 retried and the resources."""

import json
import os
import shutil
import socket
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from bench.common import seconds_left_in_window
from rendering.services import secrets_for
from rendering.webhooks import sign as server_sign
from tests.sdk.test_sdk_live import worker  # noqa: F401  (fixture)
from tests.sdk_typescript.conftest import node_env, run, tsc
from tests.templates_registry.helpers import EXAMPLES

pytestmark = pytest.mark.django_db(transaction=True)
PNG = b"\x89PNG\r\n\x1a\n"
SCRIPTS = Path(__file__).parent / "scripts"
README_HOOK = "https://myapp.com/hooks/render"


def harness(app: Path, name: str) -> Path:
    """Our test scripts run from the example app, so `@loopwind/sdk` is the installed tarball."""
    target = app / "harness" / name
    target.parent.mkdir(exist_ok=True)
    shutil.copy(SCRIPTS / name, target)
    return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ExpressExample:
    """The README's Express handler (compiled) as a running server; its stdout collected."""

    def __init__(self, node: str, app: Path, secret: str, log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hooks/render"
        self.log_path = log
        self.log = log.open("w")
        env = {"PATH": os.environ["PATH"], "PORT": str(self.port), "LOOPWIND_WEBHOOK_SECRET": secret}
        self.process = subprocess.Popen(
            [node, "dist/express-server.js"], cwd=app, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                assert self.process.poll() is None, log.read_text()
                time.sleep(0.1)
        raise AssertionError(f"the Express example did not listen: {log.read_text()}")

    def wait_for(self, text: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            output = self.log_path.read_text()
            if text in output:
                return output
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared in the Express example's output: {output}")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)
        self.log.close()


def test_readme_examples(node, sdk_app, ts_account, worker, tmp_path, settings):  # noqa: F811
    settings.LOOPWIND_SSRF_ALLOW = ["127.0.0.1"]  # the webhook goes to the Express example on this machine
    secret = secrets_for(ts_account["user"]).webhook_secret
    express = ExpressExample(node, sdk_app, secret, tmp_path / "express.log")
    try:
        # The ESM example as written, but for its webhook URL: that points at the Express example.
        render = (sdk_app / "dist" / "render.js").read_text()
        assert README_HOOK in render
        local = sdk_app / "dist" / "render-local.js"
        local.write_text(render.replace(README_HOOK, express.url))
        work = tmp_path / "esm"
        work.mkdir()
        output = run([node, str(local)], cwd=work, env=node_env(ts_account), timeout=240)
        lines = output.splitlines()
        assert (work / "og-card.png").read_bytes()[:8] == PNG
        content_type, render_id, cache, *_ = lines[0].split()
        assert (content_type, cache) == ("image/png", "MISS") and render_id.startswith("rnd_")
        assert lines[1].startswith(f"{ts_account['url']}/i/username/og-card.png?")
        assert requests.get(lines[1], timeout=30).content[:8] == PNG
        progress = [line for line in lines[2:-1]]
        assert progress[-1] == "completed 90/90", output
        frames = [int(line.split()[1].split("/")[0]) for line in progress if line.startswith("processing")]
        assert frames and frames == sorted(frames) and 0 < max(frames) <= 90, output  # progress events
        output_url = lines[-1]
        assert requests.get(output_url, timeout=30).content[4:8] == b"ftyp"

        # The worker delivers the second job's webhook to the Express example, which verifies it.
        delivered = express.wait_for("render.completed job_", timeout=90)
        event, job_id, url = delivered.strip().splitlines()[-1].split()
        assert job_id.startswith("job_") and url.startswith("http")
        forged = requests.post(
            express.url,
            data=b'{"event":"render.completed"}',
            headers={**server_sign(secret, "msg_forged", datetime.now(UTC), '{"event":"x"}')},
            timeout=10,
        )
        assert (forged.status_code, forged.text) == (400, "bad_signature")
    finally:
        express.stop()

    # The CommonJS example: require(), an image, and a GIF job followed with `for await`.
    work = tmp_path / "cjs"
    work.mkdir()
    output = run(
        [node, str(sdk_app / "dist" / "render.cjs")], cwd=work, env=node_env(ts_account), timeout=240
    )
    assert (work / "og-card-cjs.png").read_bytes()[:8] == PNG
    lines = output.splitlines()
    assert lines[-2] == "completed 90/90" and lines[-1].startswith("completed http"), output
    assert requests.get(lines[-1].split()[1], timeout=30).content[:6] == b"GIF89a"

    # An invalid key: LoopwindError (an AuthError) with code invalid_api_key and the request id.
    output = run([node, str(sdk_app / "dist" / "errors.js")], cwd=tmp_path, env=node_env(ts_account))
    is_auth_error, status, code, request_id = output.split()
    assert (is_auth_error, status, code) == ("true", "401", "invalid_api_key") and request_id != "undefined"

    # The Next.js route handler, called as Next.js calls it, with a webhook signed by the server.
    body = json.dumps(
        {"event": "render.completed", "jobId": "job_next", "outputUrl": "https://cdn.test/o.mp4"}
    )
    request = {
        "url": "http://localhost:3000/api/hooks/render",
        "body": body,
        "headers": server_sign(secret, "msg_next", datetime.now(UTC), body),
    }
    (tmp_path / "next.json").write_text(json.dumps(request))
    script = harness(sdk_app, "next_route.mjs")
    output = run(
        [node, str(script), str(tmp_path / "next.json")], cwd=sdk_app, env={"LOOPWIND_WEBHOOK_SECRET": secret}
    )
    accepted, forged = json.loads(output.splitlines()[-1])
    assert accepted == {"status": 204, "text": ""} and forged == {"status": 400, "text": "bad_signature"}
    assert "job job_next is ready: https://cdn.test/o.mp4" in output


def test_rate_limited_call_is_retried(node, sdk_app, ts_account, settings):
    """Rate limits on and a free plan (10 requests a minute): the 11th call gets a 429 whose
    Retry-After is the rest of the account's minute; the SDK waits it out and the call succeeds. Each
    account has its own window (keys share their account's), so of a few new free accounts the one
    whose minute ends soonest is used, to keep the wait short."""
    from accounts.models import User
    from accounts.services import api_key_create

    accounts = []
    for n in range(12):
        free = User.objects.create_user(f"rl{n}@example.com", f"rate-limited-{n}", "x" * 20, plan="free")
        accounts.append((seconds_left_in_window(f"user:{free.pk}"), api_key_create(user=free, name="rl")[1]))
    settings.RATE_LIMITS_ENABLED = True
    by_left = sorted(accounts)
    left, key = next(((s, k) for s, k in by_left if s >= 3), by_left[-1])
    output = run(
        [node, str(harness(sdk_app, "rate_limit.mjs"))],
        cwd=sdk_app,
        env={**node_env(ts_account), "LOOPWIND_API_KEY": key},
        timeout=150,
    )
    result = json.loads(output)
    statuses = result["statuses"]
    limited = next(i for i, s in enumerate(statuses) if s["status"] == 429)
    assert statuses[limited + 1]["status"] == 200, statuses[limited - 1 :]  # the retry, in the next window
    waited = (statuses[limited + 1]["at"] - statuses[limited]["at"]) / 1000
    assert waited >= int(statuses[limited]["retryAfter"]) - 0.5, (waited, statuses[limited])
    assert result["calls"] >= 10, result


def test_resources(node, sdk_app, ts_account):
    output = run(
        [node, str(harness(sdk_app, "resources.mjs")), str(EXAMPLES)],
        cwd=sdk_app,
        env=node_env(ts_account),
        timeout=120,
    )
    out = json.loads(output.splitlines()[-1])
    user = ts_account["username"]
    assert out["me"] == user == "username"
    assert out["list"] == [f"{user}/og-card"] and out["search"] == [f"{user}/promo-video"]
    assert (
        "loopwind.json" in out["files"] and out["versions"] == ["1.0.0"] and out["zipMagic"] == [80, 75, 3, 4]
    )
    assert out["updated"] == "Updated from TypeScript"
    assert out["star"] == {"starred": True, "stars": 1} and out["unstar"] == {"starred": False, "stars": 0}
    assert (
        out["profile"] == 2
        and out["mine"] == 2
        and out["bio"] == "ts"
        and {"month", "plan", "resetAt"} <= set(out["usage"])
    )
    assert (
        out["published"] == "2.0.0" and out["conflict"] == [409, "version_exists"] and out["folder"] is True
    )
    assert out["deprecated"] == "use 2.1" and out["keys"] is True and out["denied"][0] == 403
    assert out["idempotent"] is True and out["cancelled"] == "cancelled"
    assert out["secret"] is True and out["deliveries"] is True and out["signingSecret"] == "string"
    assert out["errors"] == [404, "not_found", 400, out["errors"][3], True]
    assert out["unpublished"] == 404


def test_site_snippets_type_check_and_run(node, sdk_app, ts_account, tmp_path):
    """The template pages' TypeScript snippets (marketplace/views/snippets.py) type-check strictly with
    the installed SDK, and the image one, run as it is shown, writes the PNG."""
    from marketplace.views.snippets import snippets
    from templates_registry import selectors

    user = ts_account["user"]
    folder = sdk_app / "snippets"
    folder.mkdir(exist_ok=True)
    for name in ("og-card", "promo-video"):
        template = selectors.template_get(username=user.username, name=name, viewer=user)
        code = snippets(template, template.latest_version)["typescript"]
        assert f"baseUrl: {json.dumps(ts_account['url'])}" in code  # not loopwind.dev: the page says where
        (folder / f"{name}.ts").write_text(code)
    options = ["--strict", "--skipLibCheck", "--module", "nodenext", "--target", "es2022", "--lib", "es2022"]
    options += ["--types", "node"]  # the SDK's declarations are checked by test_package.py
    run([str(tsc()), "--noEmit", *options, "snippets/og-card.ts", "snippets/promo-video.ts"], cwd=sdk_app)
    # TypeScript without types is JavaScript: the image snippet runs as shown
    script = folder / "og-card.js"
    script.write_text((folder / "og-card.ts").read_text())
    run([node, str(script)], cwd=tmp_path, env=node_env(ts_account))
    assert (tmp_path / "og-card.png").read_bytes()[:8] == PNG


def test_orgs(node, sdk_app, ts_account):
    """Issue 15: the orgs resource and acting for an organization, from the installed tarball, as a
    person signed in (a session token: a personal API key acts for its person only)."""
    output = run(
        [node, str(harness(sdk_app, "orgs.mjs")), str(EXAMPLES)],
        cwd=sdk_app,
        env={**node_env(ts_account), "LOOPWIND_API_KEY": ts_account["token"]},
        timeout=120,
    )
    out = json.loads(output.splitlines()[-1])
    assert out["created"] == "owner" and out["list"] == ["acme-ts:owner"] and out["members"] == ["owner"]
    assert out["invited"] == "plan_limit"  # Free has one seat: teams need Business
    assert (out["account"], out["meAsOrg"], out["orgKeys"]) == ("acme-ts", "acme-ts", True)
    assert out["author"] == "acme-ts" and out["rendered"] == "image/png" and out["orgRenders"] == 1
    assert (out["stranger"], out["mismatch"]) == ("account_not_found", "account_mismatch")
    assert {"org.created", "key.created", "template.published"} <= set(out["audit"])
