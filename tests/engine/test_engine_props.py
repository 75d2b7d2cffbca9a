"""Props: shorthand and object forms, coercion rules, and one test per validation error."""

from __future__ import annotations

import base64
import json

import pytest
from engine_helpers import make_files, png_bytes

from loopwind.engine import (
    ImageValue,
    PropsError,
    example_props,
    load_bundle,
    props_from_text,
    remote_image_urls,
    validate_props,
)


def bundle(props, extra=None):
    return load_bundle(make_files({"props": props}, template="<div>x</div>", extra=extra))


@pytest.mark.parametrize(
    ("spec", "value", "expected"),
    [
        ("string", "hi", "hi"),
        ("number", 2, 2),
        ("number", 2.5, 2.5),
        ("integer", 3.0, 3),
        ("integer", -7, -7),
        ("boolean", False, False),
        ("color", "#FFAA00", "#ffaa00"),
        ("color", "Navy", "navy"),
        ("color", "rgb(1 2 3 / 50%)", "rgb(1 2 3 / 50%)"),
        ("color", "rgba(1, 2, 3, 0.5)", "rgba(1, 2, 3, 0.5)"),
        ("color", "hsl(120deg 50% 50%)", "hsl(120deg 50% 50%)"),
        ("color", "transparent", "transparent"),
    ],
)
def test_coercion(spec, value, expected):
    out = validate_props(bundle({"p": spec}), {"p": value})
    assert out["p"] == expected
    assert type(out["p"]) is type(expected)


@pytest.mark.parametrize(
    ("spec", "value", "got"),
    [
        ("string", 5, "a number"),
        ("string", 1.5, "a number"),
        ("string", True, "a boolean"),
        ("string", ["a"], "an array"),
        ("number", "3.5", "a string"),
        ("number", True, "a boolean"),
        ("integer", "42", "a string"),
        ("boolean", "yes", "a string"),
        ("boolean", 1, "a number"),
        ("color", {"r": 1}, "an object"),
        ("color", 123, "a number"),
        ("image", 5, "a number"),
    ],
)
def test_json_values_must_have_their_props_type(spec, value, got):
    """Issue 13 (12): ``{"title": 5}`` rendered "5"; the wrong JSON type is a 400 naming the prop."""
    with pytest.raises(PropsError) as exc:
        validate_props(bundle({"p": spec}), {"p": value})
    assert exc.value.code == "invalid_prop"
    assert exc.value.details == {"prop": "p", "expected": spec, "got": got}
    assert exc.value.message.startswith("Prop 'p': expected ") and got in exc.value.message


@pytest.mark.parametrize(
    ("spec", "text", "expected"),
    [
        ("string", "42", "42"),
        ("number", "3.5", 3.5),
        ("number", "2", 2.0),
        ("integer", "42", 42),
        ("integer", "-7", -7),
        ("boolean", "yes", True),
        ("boolean", "OFF", False),
        ("boolean", "1", True),
        ("color", "#FFAA00", "#ffaa00"),
    ],
)
def test_text_props_are_typed_by_the_manifest(spec, text, expected):
    b = bundle({"p": spec})
    out = validate_props(b, props_from_text(b.props, {"p": text}))
    assert out["p"] == expected and type(out["p"]) is type(expected)
    # a manifest's props object types them the same way (the CLI and the website have no bundle)
    assert props_from_text({"p": spec + "?"}, {"p": text}) == props_from_text(b.props, {"p": text})


@pytest.mark.parametrize(("spec", "text"), [("number", "abc"), ("integer", "1.5"), ("boolean", "maybe")])
def test_text_that_is_not_its_type_is_refused_naming_the_prop(spec, text):
    b = bundle({"p": spec})
    with pytest.raises(PropsError) as exc:
        validate_props(b, props_from_text(b.props, {"p": text}))
    assert exc.value.code == "invalid_prop" and exc.value.details["got"] == "a string"


def test_defaults_and_examples_are_read_leniently():
    b = bundle({"t": {"type": "string", "default": 5}, "n": {"type": "integer", "example": "7"}})
    assert validate_props(b, {"n": 1})["t"] == "5"
    assert example_props(b) == {"n": 7}


@pytest.mark.parametrize(
    ("spec", "value", "code"),
    [
        ({"type": "string", "maxLength": 3}, "abcd", "too_long"),
        ("string", "x" * 10001, "too_long"),
        ({"type": "string", "enum": ["a", "b"]}, "c", "not_in_enum"),
        ("number", float("nan"), "invalid_prop"),
        ("number", float("inf"), "invalid_prop"),
        ("integer", 1.5, "invalid_prop"),
        ({"type": "integer", "min": 0, "max": 99}, 100, "out_of_range"),
        ({"type": "integer", "min": 0, "max": 99}, -1, "out_of_range"),
        ({"type": "number", "max": 1}, 1.01, "out_of_range"),
        ("color", "not-a-color", "invalid_color"),
        ("color", "red; background: url(http://x)", "invalid_color"),
        ("color", "url(http://evil/)", "invalid_color"),
        ("color", "#12345", "invalid_color"),
        ("image", "assets/none.png", "image_not_found"),
        ("image", "file:///etc/passwd", "invalid_image"),
        ("image", "ftp://host/x.png", "invalid_image"),
        ("image", "data:text/html;base64,PGI+", "invalid_image"),
        ("image", b"not an image", "invalid_image"),
        ("image", 5, "invalid_prop"),
    ],
)
def test_invalid_values_name_the_prop(spec, value, code):
    with pytest.raises(PropsError) as exc:
        validate_props(bundle({"p": spec}), {"p": value})
    assert exc.value.code == code
    assert exc.value.details["prop"] == "p"
    assert "'p'" in exc.value.message


def test_missing_required_unknown_and_defaults():
    b = bundle({"title": "string", "sub": "string?", "n": {"type": "integer", "default": 3}})
    with pytest.raises(PropsError) as exc:
        validate_props(b, {})
    assert (exc.value.code, exc.value.details["prop"]) == ("missing_prop", "title")
    with pytest.raises(PropsError) as exc:
        validate_props(b, {"title": "x", "nope": 1})
    assert (exc.value.code, exc.value.details["prop"]) == ("unknown_prop", "nope")
    with pytest.raises(PropsError) as exc:
        validate_props(b, {"title": None})
    assert exc.value.code == "missing_prop"
    assert validate_props(b, {"title": "x"}) == {"title": "x", "sub": None, "n": 3}
    with pytest.raises(PropsError):
        validate_props(b, ["not", "a", "mapping"])


def test_image_sources():
    png = png_bytes()
    b = bundle({"logo": "image?"}, extra={"assets/logo.png": png})
    asset = validate_props(b, {"logo": "assets/logo.png"})["logo"]
    assert isinstance(asset, ImageValue) and asset.source == "asset" and asset.data == png
    raw = validate_props(b, {"logo": png})["logo"]
    assert raw.source == "bytes" and raw.mime == "image/png"
    uri = "data:image/png;base64," + base64.b64encode(png).decode()
    assert validate_props(b, {"logo": uri})["logo"].data == png
    url = "https://example.com/logo.png"
    assert validate_props(b, {"logo": url})["logo"].data is None
    assert remote_image_urls(b, {"logo": url}) == {"logo": url}
    assert validate_props(b, {"logo": url}, images={url: png})["logo"].data == png


def test_render_refuses_unsupplied_url():
    from loopwind.engine import render

    files = make_files({"props": {"logo": "image"}}, template='<img src="{{ logo }}" tw="w-4 h-4"/>')
    with pytest.raises(PropsError) as exc:
        render(files, {"logo": "https://example.com/x.png"})
    assert exc.value.code == "image_not_supplied"
    assert exc.value.details == {"prop": "logo", "url": "https://example.com/x.png"}
    out = render(
        files, {"logo": "https://example.com/x.png"}, images={"https://example.com/x.png": png_bytes()}
    )
    assert out.startswith(b"\x89PNG")


def test_manifest_props_roundtrip_json():
    b = load_bundle(make_files({"props": {"a": "string?", "c": {"type": "color", "default": "#fff"}}}))
    json.dumps(b.manifest_dict())
    assert b.manifest_dict()["props"]["a"] == {"type": "string", "required": False}


def test_validated_props_can_be_passed_back():
    from loopwind.engine import render

    files = make_files(
        {"props": {"logo": "image", "n": "integer"}}, template='<img src="{{ logo }}" tw="w-4 h-4"/>{{ n }}'
    )
    b = load_bundle(files)
    url = "https://example.com/x.png"
    normalized = validate_props(b, {"logo": url, "n": 3.0})
    assert normalized["n"] == 3
    assert render(b, normalized, images={url: png_bytes()}).startswith(b"\x89PNG")


@pytest.mark.parametrize("name", ["og-card", "quote-card", "promo-video"])
def test_example_props_render_the_official_templates(name):
    from engine_helpers import TEMPLATES

    from loopwind.engine import example_props, render

    b = load_bundle(TEMPLATES / name)
    props = example_props(b)
    validate_props(b, props)
    assert render(b, props).startswith(b"\x89PNG")


def test_example_props_placeholders():
    from loopwind.engine import example_props

    b = bundle(
        {"t": "string", "n": {"type": "integer", "min": 2}, "c": "color", "f": "boolean", "img": "image"}
    )
    props = example_props(b)
    assert props["t"] == "T" and props["n"] == 2 and props["c"] == "#000000" and props["f"] is False
    validate_props(b, props)
