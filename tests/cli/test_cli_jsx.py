"""The installed CLI with jsx templates, locally (no server): init --engine jsx, render, preview, and a
folder holding only a .tsx file with meta."""

import shutil
from pathlib import Path

from loopwind.engine import render
from tests.cli.helpers import Cli

TEMPLATES = Path(__file__).resolve().parents[2] / "loopwind" / "templates"
PNG = b"\x89PNG\r\n\x1a\n"


def test_jsx_init_render_preview_and_single_file_folder(loopwind_exe, tmp_path):
    cli = Cli(loopwind_exe, url="http://127.0.0.1:9", home=tmp_path / ".loopwind", cwd=tmp_path)
    created = cli.json("init", "--engine", "jsx", "card")
    assert created["engine"] == "jsx" and "template.tsx" in created["files"]
    cli("render", "card", "--props", '{"title": "Hi", "subtitle": "from jsx"}', "--out", "card.png")
    png = (tmp_path / "card.png").read_bytes()
    assert png.startswith(PNG)
    assert png == render(
        tmp_path / "card", {"title": "Hi", "subtitle": "from jsx"}
    )  # same bytes as in-process

    (tmp_path / "single").mkdir()
    shutil.copy(TEMPLATES / "og-card-tsx" / "og-card.tsx", tmp_path / "single" / "og-card.tsx")
    cli("render", "single", "--prop", "title=Hello", "--out", "single.png")
    assert cli.json("preview", "single", "--once", "--prop", "title=Hello")["count"] == 1
    single = (tmp_path / "single.png").read_bytes()
    assert single.startswith(PNG) and (tmp_path / "single" / ".preview.png").read_bytes() == single

    (tmp_path / "single" / "og-card.tsx").write_text("export default () => <div>{oops</div>;")
    failed = cli.json("render", "single", "--out", "x.png", expect=2)
    assert failed["error"]["code"] == "syntax_error" and "og-card.tsx:1:" in failed["error"]["message"]

    cli("init", "--engine", "jsx", "--video", "clip")
    cli("render", "clip", "--prop", "title=Launch", "--out", "clip.mp4", timeout=180)
    assert (tmp_path / "clip.mp4").read_bytes()[4:8] == b"ftyp"
