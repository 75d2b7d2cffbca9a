"""Issue 20's "done when": a folder holding one og-card.tsx (meta and a default export, Tailwind in tw,
a style object, a helper call) publishes with the installed CLI, renders through POST /api/render
and a signed URL, and renders locally with `loopwind render ./folder` to the same bytes."""

import shutil
from pathlib import Path

import pytest
import requests

from templates_registry.models import Template
from tests.cli.helpers import Cli, api_key, register

pytestmark = pytest.mark.django_db(transaction=True)
TSX = Path(__file__).resolve().parents[2] / "loopwind" / "templates" / "og-card-tsx" / "og-card.tsx"
PROPS = '{"title": "Launch week", "subtitle": "Rendered from one .tsx file", "accent": "#22d3ee"}'


def test_a_single_tsx_file_publishes_and_renders_the_same_everywhere(
    live_server, settings, loopwind_exe, tmp_path
):
    settings.SITE_URL = live_server.url
    account = register(live_server.url, "jsx@example.com")
    key = api_key(live_server.url, account["token"])["key"]
    cli = Cli(loopwind_exe, url=live_server.url, home=tmp_path / ".loopwind", cwd=tmp_path, api_key=key)
    folder = tmp_path / "launch"
    folder.mkdir()
    shutil.copy(TSX, folder / "og-card.tsx")

    published = cli.json("publish", "launch", "--tags", "jsx,og")
    slug = f"{account['username']}/og-card-tsx"
    assert published["version"] == "1.0.0" and f"{published['author']}/{published['name']}" == slug
    version = Template.objects.get(name="og-card-tsx").latest_version
    assert version.manifest["engine"] == "jsx" and version.preview  # previewed in the render children

    cli("render", "launch", "--props", PROPS, "--out", "local.png")
    local = (tmp_path / "local.png").read_bytes()
    cli("render", slug, "--remote", "--props", PROPS, "--out", "remote.png")
    assert (tmp_path / "remote.png").read_bytes() == local  # the server's render child, same bytes

    url = cli("sign", slug, "--props", PROPS).stdout.strip()
    signed = requests.get(url, timeout=60)
    assert signed.status_code == 200 and signed.content == local
    bad = cli.json("render", slug, "--remote", "--props", '{"title": 5}', "--out", "x.png", expect=1)
    assert bad["error"]["code"] == "invalid_prop" and bad["error"]["details"]["prop"] == "title"
