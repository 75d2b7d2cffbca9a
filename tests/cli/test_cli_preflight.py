"""`loopwind preview` and `loopwind publish` print the preflight warnings (in process, no server)."""

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

import loopwind.cli  # noqa: F401  (the commands register on import)
from loopwind.cli import registry
from loopwind.cli.app import cli

TEMPLATES = Path(__file__).resolve().parents[2] / "loopwind" / "templates"
UNDRAWABLE = "\U00010000"


def _runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)
    except TypeError:  # click 8.2+: stderr is always separate
        return CliRunner()


def test_preview_prints_the_preflight_warnings(tmp_path):
    shutil.copytree(TEMPLATES / "og-card", tmp_path / "card")
    runner = _runner()
    result = runner.invoke(
        cli, ["preview", str(tmp_path / "card"), "--once", "--prop", f"title=Hi {UNDRAWABLE}"]
    )
    assert result.exit_code == 0, result.output
    assert "warning: missing_glyph: Prop 'title'" in result.stderr
    clean = runner.invoke(cli, ["preview", str(tmp_path / "card"), "--once", "--prop", "title=Hi", "--json"])
    assert clean.exit_code == 0 and json.loads(clean.stdout.splitlines()[-1])["warnings"] == []


def test_publish_prints_the_servers_warnings(tmp_path, monkeypatch):
    shutil.copytree(TEMPLATES / "og-card", tmp_path / "card")

    class Templates:
        def publish(self, files, **kwargs):
            return {
                "author": "ann", "name": "og-card", "version": "1.0.0", "url": "http://x/ann/og-card",
                "dryRun": True, "files": [],
                "warnings": ["text_overflow: Prop 'title' at its maxLength (200 characters) overflows its box"],
                "lint": [{"code": "text_overflow", "message": "…", "prop": "title"}],
            }  # fmt: skip

    class Client:
        templates = Templates()

    monkeypatch.setattr(registry, "make_client", lambda **kw: Client())
    result = _runner().invoke(cli, ["publish", str(tmp_path / "card"), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "warning: text_overflow: Prop 'title'" in result.stderr
