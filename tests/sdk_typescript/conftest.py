"""The TypeScript SDK (sdks/typescript) as a user gets it: built with tsc, packed with `npm pack`,
installed from the tarball into an empty folder, its README examples extracted there and run with
node against the live server. One build, pack and install per session."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from templates_registry.services import template_publish
from tests.cli.helpers import api_key, register
from tests.templates_registry.helpers import example_files

ROOT = Path(__file__).resolve().parents[2]
SDK = ROOT / "sdks" / "typescript"
README = SDK / "README.md"
# What the examples import besides the SDK. They come from the SDK's own dev install (npm ci in
# `make install-dev`), linked into the example app, so nothing here needs the network.
EXAMPLE_DEPENDENCIES = ("express", "@types/express", "@types/node")


def run(cmd: list[str], *, cwd: Path, env: dict | None = None, timeout: float = 300) -> str:
    """Runs a command; its stdout, or a test failure with everything it printed."""
    result = subprocess.run(
        cmd,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, (
        f"{' '.join(cmd)} exited {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    )
    return result.stdout


def readme_examples() -> dict[str, str]:
    """The README's code blocks marked `<!-- example: NAME -->`, by file name."""
    blocks = re.findall(r"<!-- example: (\S+) -->\n```\w+\n(.*?)```", README.read_text(), re.S)
    return dict(blocks)


@pytest.fixture(scope="session")
def node() -> str:
    """Node.js ≥ 18 and npm; without them these tests fail (they must never skip silently)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.fail("tests/sdk_typescript need Node.js >= 18 and npm on PATH (see `make install-dev`).")
    major = int(run([node, "--version"], cwd=ROOT).strip().lstrip("v").split(".")[0])
    if major < 18:
        pytest.fail(f"tests/sdk_typescript need Node.js >= 18, found {major}.")
    return node


@pytest.fixture(scope="session")
def sdk_tarball(node, tmp_path_factory) -> Path:
    """`npm run build` and `npm pack`. node_modules comes from `make install-dev` (npm ci); when the
    lock file is newer than the install, npm ci runs again (from npm's cache when it can)."""
    installed = SDK / "node_modules" / ".package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < (SDK / "package-lock.json").stat().st_mtime:
        run(["npm", "ci", "--no-audit", "--no-fund", "--prefer-offline"], cwd=SDK)
    run(["npm", "run", "build"], cwd=SDK)
    destination = tmp_path_factory.mktemp("pack")
    # the build just ran: --ignore-scripts skips prepack's second one
    packed = json.loads(
        run(["npm", "pack", "--json", "--ignore-scripts", "--pack-destination", str(destination)], cwd=SDK)
    )
    files = {entry["path"] for entry in packed[0]["files"]}
    assert {"dist/esm/index.js", "dist/cjs/index.js", "dist/esm/index.d.ts", "README.md"} <= files, files
    assert not any(path.startswith(("src/", "test/", "node_modules/")) for path in files), files
    return destination / packed[0]["filename"]


@pytest.fixture(scope="session")
def sdk_app(sdk_tarball, tmp_path_factory) -> Path:
    """An empty project with the tarball installed (offline: the package has no dependencies) and the
    README examples in examples/, compiled by tsc into dist/ (strict)."""
    app = tmp_path_factory.mktemp("sdk-app")
    (app / "package.json").write_text(
        json.dumps({"name": "readme-examples", "private": True, "type": "module"})
    )
    run(
        ["npm", "install", "--offline", "--no-audit", "--no-fund", "--no-package-lock", str(sdk_tarball)],
        cwd=app,
    )
    for name in EXAMPLE_DEPENDENCIES:
        link = app / "node_modules" / name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(SDK / "node_modules" / name, target_is_directory=True)
    examples = app / "examples"
    examples.mkdir()
    for name, code in readme_examples().items():
        (examples / name).write_text(code)
    # A Node project's usual settings, without the DOM library: the SDK's types must stand on @types/node.
    tsconfig = {
        "compilerOptions": {
            "target": "ES2022",
            "lib": ["ES2022"],
            "module": "NodeNext",
            "moduleResolution": "NodeNext",
            "types": ["node"],
            "strict": True,
            "allowJs": True,
            "checkJs": True,
            "skipLibCheck": False,
            "rootDir": "examples",
            "outDir": "dist",
        },
        "include": ["examples"],
    }
    (app / "tsconfig.json").write_text(json.dumps(tsconfig, indent=2))
    # emit only: the declarations are checked (skipLibCheck off) by the type-check test
    run([str(tsc()), "-p", "tsconfig.json", "--skipLibCheck"], cwd=app)
    return app


def tsc() -> Path:
    return SDK / "node_modules" / ".bin" / "tsc"


@pytest.fixture(scope="session")
def schema_file(live_server, tmp_path_factory) -> Path:
    """The running server's OpenAPI schema, as JSON."""
    response = requests.get(f"{live_server.url}/api/schema", params={"format": "json"}, timeout=60)
    assert response.status_code == 200, response.text[:500]
    path = tmp_path_factory.mktemp("schema") / "schema.json"
    path.write_bytes(response.content)
    return path


@pytest.fixture
def ts_account(live_server, settings):
    """A Pro user named `username` (the README's examples say `username/og-card`) with og-card and
    promo-video published and an API key with every scope."""
    settings.SITE_URL = live_server.url
    from accounts.models import User

    body = register(live_server.url, "ts-sdk@example.com", plan="pro", username="username")
    user = User.objects.get(email="ts-sdk@example.com")
    for name in ("og-card", "promo-video"):
        template_publish(user=user, files=example_files(name))
    key = api_key(live_server.url, body["token"])["key"]
    return {**body, "url": live_server.url, "key": key, "user": user}


def node_env(account: dict, **extra: str) -> dict:
    return {"LOOPWIND_API_KEY": account["key"], "LOOPWIND_API_URL": account["url"], **extra}
