"""Bundle loading and manifest validation: every error names its file and field."""

from __future__ import annotations

import json
import os

import pytest
from engine_helpers import make_files

from loopwind.engine import BundleError, load_bundle


def test_loads_folder_and_mapping_with_same_checksum(templates_dir):
    from_folder = load_bundle(templates_dir / "og-card")
    from_map = load_bundle(dict(from_folder.files))
    assert from_folder.checksum == from_map.checksum
    assert len(from_folder.checksum) == 64
    m = from_folder.manifest_dict()
    assert m["size"] == {"width": 1200, "height": 630}
    assert m["props"]["title"]["type"] == "string"
    assert m["props"]["accent"] == {
        "type": "color",
        "required": False,
        "default": "#f59e0b",
        "description": "Accent color",
    }


def test_checksum_changes_with_content():
    a = load_bundle(make_files())
    b = load_bundle(make_files(template="<div>{{ title }}!</div>"))
    assert a.checksum != b.checksum


def test_defaults_filled_in():
    b = load_bundle(make_files())
    assert (b.type, b.engine, b.entry) == ("image", "html", "template.html")
    assert b.props["title"].required


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"name": "Bad Name!"}, "invalid_manifest", "name"),
        ({"type": "gif"}, "invalid_manifest", "type"),
        ({"engine": "canvas"}, "invalid_manifest", "engine"),
        ({"entry": "missing.html"}, "entry_missing", "entry"),
        ({"size": {"width": 10, "height": 48}}, "out_of_range", "size.width"),
        ({"size": {"width": 64, "height": 5000}}, "out_of_range", "size.height"),
        ({"size": {"width": 20000, "height": 20000}}, "out_of_range", "size.width"),
        ({"size": {"width": "64", "height": 48}}, "invalid_manifest", "size.width"),
        ({"size": [64, 48]}, "invalid_manifest", "size"),
        ({"type": "video"}, "invalid_manifest", "video"),
        ({"type": "video", "video": {"fps": 61, "duration": 1}}, "out_of_range", "video.fps"),
        ({"type": "video", "video": {"fps": 0, "duration": 1}}, "out_of_range", "video.fps"),
        ({"type": "video", "video": {"fps": 30, "duration": 61}}, "out_of_range", "video.duration"),
        ({"type": "video", "video": {"fps": 30, "duration": 0}}, "out_of_range", "video.duration"),
        ({"type": "video", "video": {"fps": 30, "duration": 1, "loop": True}}, "unknown_field", "video.loop"),
        (
            {"type": "video", "video": {"fps": 30, "duration": 1, "audio": "a.mp3"}},
            "asset_missing",
            "video.audio",
        ),
        ({"colour": "red"}, "unknown_field", "colour"),
        ({"tags": "og"}, "invalid_manifest", "tags"),
        ({"stylesheets": ["missing.css"]}, "asset_missing", "stylesheets[0]"),
        ({"fonts": [{"path": "fonts/x.ttf", "family": "X"}]}, "asset_missing", "fonts[0].path"),
        ({"props": {"1bad": "string"}}, "invalid_prop_spec", "props.1bad"),
        ({"props": {"width": "string"}}, "invalid_prop_spec", "props.width"),
        ({"props": {"t": "text"}}, "invalid_prop_spec", "props.t"),
        ({"props": {"t": {"type": "string", "maxlength": 3}}}, "invalid_prop_spec", "props.t"),
        ({"props": {"t": {"type": "integer", "min": 5, "max": 1}}}, "invalid_prop_spec", "props.t"),
        ({"props": {"t": {"type": "color", "default": "url(x)"}}}, "invalid_prop_spec", "props.t"),
        (
            {"props": {"t": {"type": "image", "default": "assets/none.png"}}},
            "asset_missing",
            "props.t.default",
        ),
        ({"props": {"t": {"type": "string", "enum": []}}}, "invalid_prop_spec", "props.t"),
        ({"props": {"t": {"type": "string", "required": "yes"}}}, "invalid_prop_spec", "props.t"),
    ],
)
def test_manifest_errors_name_the_field(overrides, code, field):
    with pytest.raises(BundleError) as exc:
        load_bundle(make_files(overrides))
    assert exc.value.code == code
    assert exc.value.details["file"] == "loopwind.json"
    assert exc.value.details["field"] == field
    assert exc.value.message


def test_engine_entry_mismatch():
    files = make_files({"engine": "svg", "entry": "template.html"})
    with pytest.raises(BundleError) as exc:
        load_bundle(files)
    assert exc.value.details["field"] == "entry"


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/etc/passwd.css", "absolute_path"),
        ("../evil.css", "path_traversal"),
        ("assets/../../evil.css", "path_traversal"),
        ("assets/./x.css", "path_traversal"),
        ("C:/x.css", "absolute_path"),
        ("assets\\x.css", "invalid_path"),
        (".hidden.css", "invalid_path"),
        ("run.sh", "file_type_not_allowed"),
        ("payload.exe", "file_type_not_allowed"),
        ("noext", "file_type_not_allowed"),
    ],
)
def test_bad_paths_refused(path, code):
    with pytest.raises(BundleError) as exc:
        load_bundle(make_files(extra={path: b"x"}))
    assert exc.value.code == code
    assert exc.value.details["file"] == path


def test_missing_manifest_and_bad_json():
    with pytest.raises(BundleError) as exc:
        load_bundle({"template.html": b"<div/>"})
    assert exc.value.code == "manifest_missing"
    with pytest.raises(BundleError) as exc:
        load_bundle({"loopwind.json": b"{nope", "template.html": b""})
    assert exc.value.code == "manifest_invalid_json"
    with pytest.raises(BundleError) as exc:
        load_bundle({"loopwind.json": b"[]", "template.html": b""})
    assert exc.value.details["field"] == "(root)"


def test_size_and_count_limits():
    with pytest.raises(BundleError) as exc:
        load_bundle(make_files(extra={"assets/big.png": b"\0" * (10 * 1024 * 1024 + 1)}))
    assert exc.value.code == "bundle_too_large"
    with pytest.raises(BundleError) as exc:
        load_bundle(make_files(extra={f"assets/{i}.css": b"" for i in range(200)}))
    assert exc.value.code == "too_many_files"


def test_symlinks_refused_and_dotfiles_skipped(tmp_path):
    for path, data in make_files().items():
        (tmp_path / path).write_bytes(data)
    (tmp_path / ".DS_Store").write_bytes(b"junk")
    assert ".DS_Store" not in load_bundle(tmp_path).files
    os.symlink("/etc/passwd", tmp_path / "style.css")
    with pytest.raises(BundleError) as exc:
        load_bundle(tmp_path)
    assert exc.value.code == "symlink_not_allowed"


def test_not_a_folder(tmp_path):
    with pytest.raises(BundleError) as exc:
        load_bundle(tmp_path / "nope")
    assert exc.value.code == "bundle_not_found"


def test_error_to_dict():
    with pytest.raises(BundleError) as exc:
        load_bundle(make_files({"type": "gif"}))
    body = exc.value.to_dict()
    assert set(body) == {"code", "message", "details"}
    json.dumps(body)
