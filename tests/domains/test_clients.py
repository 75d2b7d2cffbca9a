"""The Python SDK's ``domains`` resource and ``sign_url(domain=…)``, and the CLI's ``sign --domain``,
against the live server and the local DNS server."""

from __future__ import annotations

import asyncio

import pytest
from click.testing import CliRunner

from accounts.services import api_key_create
from loopwind import AsyncLoopwind, Loopwind
from loopwind.cli.app import cli
from loopwind.sdk import errors
from templates_registry.services import template_publish
from tests.domains.conftest import TARGET, person
from tests.templates_registry.helpers import example_files

pytestmark = pytest.mark.django_db(transaction=True)
SCOPES = ["render:read", "render:write", "templates:read", "keys:manage"]


def test_sdk_and_cli(live_server, local_dns, tmp_path, monkeypatch):
    brand = person("brand")
    template_publish(user=brand, files=example_files("og-card"))
    _, raw = api_key_create(user=brand, name="sdk", scopes=SCOPES)
    lw = Loopwind(api_key=raw, base_url=live_server.url)

    added = lw.domains.add("og.example.com")
    assert added["status"] == "pending"
    for record in added["records"]:
        local_dns.set(record["name"], record["type"], record["value"])
    assert {r["type"]: r["value"] for r in added["records"]}["CNAME"] == TARGET
    assert lw.domains.verify(added["id"])["status"] == "verified"
    assert [d["domain"] for d in lw.domains.list()] == ["og.example.com"]
    url = lw.sign_url("brand/og-card", props={"title": "SDK"}, domain="og.example.com")
    assert url.startswith("https://og.example.com/i/brand/og-card.png?")
    with pytest.raises(errors.LoopwindError) as refused:
        lw.sign_url("brand/og-card", props={"title": "SDK"}, domain="other.example.com")
    assert refused.value.code == "unknown_domain"

    monkeypatch.setenv("LOOPWIND_API_URL", live_server.url)
    monkeypatch.setenv("LOOPWIND_API_KEY", raw)
    monkeypatch.setenv("LOOPWIND_HOME", str(tmp_path))
    result = CliRunner().invoke(
        cli,
        ["sign", "brand/og-card", "--prop", "title=CLI", "--domain", "og.example.com"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip().startswith("https://og.example.com/i/brand/og-card.png?")

    lw.domains.remove(added["id"])
    assert lw.domains.list() == []


def test_the_async_client_has_them_too(live_server):
    brand = person("brand")
    _, raw = api_key_create(user=brand, name="sdk", scopes=SCOPES)

    async def go():
        async with AsyncLoopwind(api_key=raw, base_url=live_server.url) as lw:
            assert (await lw.domains.add("og.example.com"))["domain"] == "og.example.com"
            return await lw.domains.list()

    assert len(asyncio.run(go())) == 1
