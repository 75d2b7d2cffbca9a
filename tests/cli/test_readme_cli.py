"""The README's CLI quick start, run line by line with the installed executable."""

import re
import shlex

import pytest

from tests.cli.conftest import ROOT
from tests.cli.helpers import Cli, api_key, register

pytestmark = pytest.mark.django_db(transaction=True)


def quick_start() -> list[list[str]]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"### Quick start\n\n```sh\n(.*?)```", text, re.S)[1]
    return [shlex.split(line, comments=True) for line in block.splitlines() if line.startswith("loopwind ")]


def test_readme_quick_start(live_server, settings, loopwind_exe, tmp_path):
    settings.SITE_URL = live_server.url
    account = register(live_server.url, "readme@example.com")
    key = api_key(live_server.url, account["token"])["key"]
    cli = Cli(loopwind_exe, url=live_server.url, home=tmp_path / ".loopwind", cwd=tmp_path, api_key=key)
    commands = quick_start()
    assert [c[1] for c in commands] == ["init", "render", "publish", "search", "render", "sign"]
    outputs = [cli(*command[1:]) for command in commands]
    assert (tmp_path / "hello.png").is_file() and (tmp_path / "remote.png").is_file()
    assert f"{account['username']}/my-card" in outputs[3].stdout
    assert outputs[5].stdout.startswith(f"{live_server.url}/i/{account['username']}/my-card.png?")


def test_readme_template_example_renders(tmp_path):
    """The README's "A template" example is a whole template as written: one .tsx file."""
    from loopwind.engine import load_bundle, render

    text = (ROOT / "README.md").read_text()
    code = re.search(r"```tsx\n// og-card/og-card.tsx\n(.*?)```", text, re.S)[1]
    folder = tmp_path / "og-card"
    folder.mkdir()
    (folder / "og-card.tsx").write_text(code)
    assert load_bundle(folder).manifest_dict()["engine"] == "jsx"
    assert render(folder, {"title": "Hello"}).startswith(b"\x89PNG")
