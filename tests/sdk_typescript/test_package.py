"""The package itself: its node:test unit tests (with the live server's schema and signatures made
by the Python side), strict type checks of the README examples, and the schema-drift check."""

import base64
import json
import re
import subprocess
import time
from datetime import UTC, datetime

from loopwind import webhooks as python_webhooks
from rendering.webhooks import sign as server_sign
from tests.sdk_typescript.conftest import SDK, readme_examples, run, tsc


def test_unit_tests(node, sdk_tarball, schema_file, tmp_path):
    """node --test: retries, errors, SSE, jobs, webhooks, entries, and every schema operation mapped."""
    secret = "whsec_" + base64.b64encode(b"python-side secret, 32 bytes....").decode()
    body = json.dumps({"event": "render.completed", "jobId": "job_python", "outputUrl": None})
    now = datetime.now(UTC)
    stamp = int(now.timestamp())
    signers = {
        "loopwind.webhooks.sign": {
            "webhook-id": "msg_py1",
            "webhook-timestamp": str(stamp),
            "webhook-signature": python_webhooks.sign(body, msg_id="msg_py1", timestamp=stamp, secret=secret),
        },
        # the server's signer, built on the standardwebhooks PyPI package (with its extra headers)
        "rendering.webhooks.sign": server_sign(secret, "msg_py2", now, body),
    }
    fixtures = tmp_path / "webhooks.json"
    fixtures.write_text(json.dumps({"secret": secret, "body": body, "signers": signers}))
    tests = sorted(str(p.relative_to(SDK)) for p in (SDK / "test").glob("*.test.mjs"))
    env = {"LOOPWIND_SCHEMA_FILE": str(schema_file), "LOOPWIND_WEBHOOK_FIXTURES": str(fixtures)}
    output = run([node, "--test", *tests], cwd=SDK, env=env)
    counts = dict(re.findall(r"^# (tests|pass|fail|skipped|cancelled|todo) (\d+)$", output, re.M))
    assert int(counts["tests"]) >= 20 and counts["pass"] == counts["tests"], output[-2000:]
    assert counts["fail"] == counts["skipped"] == counts["cancelled"] == "0", output[-2000:]


def test_readme_examples_type_check_strictly(sdk_app):
    """tsc --noEmit --strict over the README's examples, as installed from the tarball (ESM and
    CommonJS resolution, the SDK's own declarations checked too: skipLibCheck is off)."""
    assert {"render.ts", "render.cjs", "errors.ts", "next-route.ts", "express-server.ts"} <= set(
        readme_examples()
    )
    run([str(tsc()), "--noEmit", "--strict", "-p", "tsconfig.json"], cwd=sdk_app)
    # and the check can fail: a wrong prop type in the render options is an error
    broken = sdk_app / "broken.ts"
    broken.write_text(
        "import { Loopwind } from '@loopwind/sdk';\nawait new Loopwind().render('a/b', { scale: '2' });\n"
    )
    options = ["--strict", "--skipLibCheck", "--module", "nodenext", "--target", "es2022", "--types", "node"]
    result = subprocess.run(
        [str(tsc()), "--noEmit", *options, "broken.ts"],
        cwd=sdk_app,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0 and "broken.ts" in result.stdout, result.stdout


def test_committed_types_match_the_running_servers_schema(node, sdk_tarball, schema_file):
    """src/schema.ts is what openapi-typescript makes of the live /api/schema; when it is not, the
    message says to run `npm run gen:types`."""
    started = time.monotonic()
    output = run([node, "scripts/gen-types.mjs", str(schema_file), "--check"], cwd=SDK)
    assert "matches" in output and time.monotonic() - started < 60
