"""One reader, one rule (loopwind.bundlefiles): what the SDK and the CLI publish from a folder is
exactly what the engine renders locally from it, and a folder the engine refuses (a symlink that
could pull in ~/.ssh/id_rsa, a file type the registry refuses) is refused before anything is sent."""

import json
import shutil
from pathlib import Path

import pytest

from loopwind import engine
from loopwind.cli import main
from loopwind.sdk import BadRequest, Loopwind
from loopwind.sdk._core import folder_files

EXAMPLE = Path(__file__).resolve().parents[2] / "loopwind" / "templates" / "og-card"
NOWHERE = "http://127.0.0.1:9"  # nothing listens: a request that were sent would be a connection error


@pytest.fixture
def folder(tmp_path):
    target = tmp_path / "og-card"
    shutil.copytree(EXAMPLE, target)
    return target


def test_the_sdk_sends_what_the_engine_renders(folder):
    (folder / "node_modules").mkdir()
    (folder / "node_modules" / "left-pad.txt").write_text("tool output")
    (folder / ".git").mkdir()
    (folder / ".git" / "HEAD.txt").write_text("ref: main")
    (folder / ".DS_Store").write_bytes(b"\0")
    (folder / "README.md").write_text("# og-card")
    sent = folder_files(folder)
    assert sent == engine.load_bundle(folder).files
    assert "README.md" in sent and not any("node_modules" in p or p.startswith(".") for p in sent)


@pytest.mark.parametrize("kind", ["file", "folder"])
def test_a_symlink_is_refused_by_the_sdk_the_cli_and_the_engine(folder, tmp_path, kind, monkeypatch, capsys):
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "id_rsa.txt").write_text("PRIVATE KEY")
    if kind == "file":
        (folder / "notes.txt").symlink_to(secret / "id_rsa.txt")
    else:
        (folder / "assets").symlink_to(secret, target_is_directory=True)
    with pytest.raises(engine.BundleError) as refused:
        engine.load_bundle(folder)
    assert refused.value.code == "symlink_not_allowed"
    with Loopwind(api_key="lw_live_" + "x" * 38, base_url=NOWHERE, max_retries=0) as lw:
        with pytest.raises(BadRequest) as sdk_refused:
            lw.templates.publish(folder)
    assert sdk_refused.value.code == "symlink_not_allowed"
    monkeypatch.setenv("LOOPWIND_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LOOPWIND_API_KEY", "lw_live_" + "x" * 38)
    monkeypatch.setenv("LOOPWIND_API_URL", NOWHERE)
    assert main(["publish", str(folder), "--json"]) == 2  # bad local input, nothing sent
    error = json.loads(capsys.readouterr().out)["error"]
    assert error["code"] == "symlink_not_allowed" and "PRIVATE KEY" not in json.dumps(error)


def test_a_file_type_the_registry_refuses_is_refused_locally(folder):
    (folder / "payload.exe").write_bytes(b"MZ")
    with Loopwind(api_key="lw_live_" + "x" * 38, base_url=NOWHERE, max_retries=0) as lw:
        with pytest.raises(BadRequest) as refused:
            lw.templates.publish(folder)
    assert refused.value.code == "file_type_not_allowed"
