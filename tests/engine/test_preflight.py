"""Preflight warnings (loopwind/engine/preflight.py): each provoked in html and jsx, none on the official examples."""

from __future__ import annotations

import json

import pytest
from engine_helpers import TEMPLATES

from loopwind.engine import PropsError, preflight
from loopwind.engine.fonts import default_font_files
from loopwind.engine.props import _PLACEHOLDER_PNG

ENGINES = ("html", "jsx")
UNDRAWABLE = "\U00010000"  # LINEAR B SYLLABLE B008 A: in none of the default fonts


def _bundle(
    engine: str, html: str, jsx: str, *, props=None, fonts=None, extra=None, size=(600, 300), video=None
) -> dict:
    manifest = {
        "name": "preflight-test",
        "type": "video" if video else "image",
        "engine": engine,
        "size": {"width": size[0], "height": size[1]},
        "props": props
        or {
            "title": {"type": "string", "maxLength": 40, "example": "Hello"},
            "logo": {"type": "image", "required": False},
        },
    }
    if fonts is not None:
        manifest["fonts"] = fonts
    if video:
        manifest["video"] = video
    files = {"loopwind.json": json.dumps(manifest)}
    if engine == "html":
        manifest["entry"] = "template.html"
        files["template.html"] = html
    else:
        manifest["entry"] = "template.tsx"
        names = ", ".join(manifest["props"])
        files["template.tsx"] = f"export default function T({{ {names} }}: any) {{ return ({jsx}); }}\n"
    files["loopwind.json"] = json.dumps(manifest)
    files.update(extra or {})
    return files


def _codes(warnings):
    return [w["code"] for w in warnings]


# --- missing_glyph ---------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_missing_glyph_names_the_prop_and_the_characters(engine):
    b = _bundle(
        engine,
        '<div tw="flex w-full h-full bg-white text-black text-4xl">{{ title }}</div>',
        '<div tw="flex w-full h-full bg-white text-black text-4xl">{title}</div>',
    )
    warnings = preflight.check(b, {"title": f"Hi {UNDRAWABLE} ok 🎉 中文"})
    glyphs = [w for w in warnings if w["code"] == "missing_glyph"]
    assert glyphs == [
        {
            "code": "missing_glyph",
            "message": glyphs[0]["message"],
            "prop": "title",
            "chars": [UNDRAWABLE],
        }
    ]
    assert "U+10000" in glyphs[0]["message"]
    assert "missing_glyph" not in _codes(preflight.check(b, {"title": "Hi 🎉 中文 مرحبا שלום"}))


@pytest.mark.parametrize("engine", ENGINES)
def test_missing_glyph_in_the_templates_own_text(engine):
    b = _bundle(
        engine,
        f'<div tw="flex w-full h-full bg-white text-black">{{{{ title }}}} {UNDRAWABLE}</div>',
        f'<div tw="flex w-full h-full bg-white text-black">{{title}} {UNDRAWABLE}</div>',
    )
    (w,) = [w for w in preflight.lint(b) if w["code"] == "missing_glyph"]
    assert w["chars"] == [UNDRAWABLE] and "prop" not in w


def test_missing_glyph_counts_the_bundles_fonts():
    # Linear B is in no default font; a bundle font that has it makes it drawable
    font = next(f for f in default_font_files() if f.path.endswith("NotoSans-Regular.ttf"))
    b = _bundle(
        "html",
        '<div tw="flex w-full h-full">{{ title }}</div>',
        "",
        fonts=[{"path": "fonts/Brand.ttf", "family": "Brand"}],
        extra={"fonts/Brand.ttf": open(font.path, "rb").read()},
    )
    assert preflight.check(b, {"title": "plain"}) == []


# --- image_unavailable -----------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_image_unavailable_for_failed_fetch_and_non_images(engine):
    b = _bundle(
        engine,
        '<div tw="flex w-full h-full bg-white">{% if logo %}<img src="{{ logo }}" tw="w-16 h-16" />{% endif %}</div>',
        '<div tw="flex w-full h-full bg-white">{logo ? <img src={logo} tw="w-16 h-16" /> : null}</div>',
    )
    pages = {
        "https://img.test/ok.png": _PLACEHOLDER_PNG,
        "https://img.test/page.png": b"<html>not an image</html>",
    }

    def fetch(url):
        if url not in pages:
            raise OSError("404 Not Found")
        return pages[url]

    (w,) = preflight.check(b, {"title": "x", "logo": "https://img.test/dead.png"}, fetch=fetch)
    assert (
        w["code"] == "image_unavailable" and w["prop"] == "logo" and w["url"] == "https://img.test/dead.png"
    )
    assert "404" in w["message"]
    (w,) = preflight.check(b, {"title": "x", "logo": "https://img.test/page.png"}, fetch=fetch)
    assert w["code"] == "image_unavailable" and w["reason"] == "invalid_image"
    assert preflight.check(b, {"title": "x", "logo": "https://img.test/ok.png"}, fetch=fetch) == []


def test_invalid_props_raise_like_render():
    b = _bundle("html", '<div tw="flex">{{ title }}</div>', "")
    with pytest.raises(PropsError):
        preflight.check(b, {"title": "x" * 41})


# --- font_missing ----------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_font_missing_for_a_family_no_font_provides(engine):
    b = _bundle(
        engine,
        '<div tw="flex w-full h-full" style="font-family: \'Comic Neue\', sans-serif">{{ title }}</div>',
        '<div tw="flex w-full h-full" style={{ fontFamily: "\'Comic Neue\', sans-serif" }}>{title}</div>',
    )
    (w,) = preflight.lint(b)
    assert w["code"] == "font_missing" and w["family"] == "Comic Neue"
    ok = _bundle(
        engine,
        '<div tw="flex w-full h-full font-[Noto_Serif]" style="font-family: \'Noto Sans\', serif">{{ title }}</div>',
        '<div tw="flex w-full h-full font-[Noto_Serif]" style={{ fontFamily: "\'Noto Sans\', serif" }}>{title}</div>',
    )
    assert preflight.lint(ok) == []


def test_font_missing_for_a_manifest_font_without_its_file():
    b = _bundle(
        "html",
        '<div tw="flex w-full h-full" style="font-family: Brand">{{ title }}</div>',
        "",
        fonts=[{"path": "fonts/Brand.ttf", "family": "Brand"}],
    )
    warnings = preflight.lint(b)
    assert [(w["code"], w.get("file"), w.get("family")) for w in warnings] == [
        ("font_missing", "fonts/Brand.ttf", "Brand"),
        (
            "font_missing",
            None,
            "Brand",
        ),  # and with its file gone, the family the template names is missing too
    ]


# --- text_overflow ---------------------------------------------------------------------------------

NARROW_HTML = (
    '<div tw="flex w-full h-full bg-white p-4"><div tw="flex w-[200px] text-4xl">{{ title }}</div></div>'
)
NARROW_JSX = '<div tw="flex w-full h-full bg-white p-4"><div tw="flex w-[200px] text-4xl">{title}</div></div>'


@pytest.mark.parametrize("engine", ENGINES)
def test_text_overflow_at_max_length(engine):
    b = _bundle(engine, NARROW_HTML, NARROW_JSX)
    (w,) = preflight.lint(b)
    assert w["code"] == "text_overflow" and w["prop"] == "title"
    assert set(w["position"]) == {"x", "y", "width", "height"}
    # the given props fit: check (not lint) measures them as they are
    assert preflight.check(b, {"title": "Hi"}) == []
    (w,) = preflight.check(b, {"title": "Wonderfully long headline here"})
    assert w["code"] == "text_overflow" and w["prop"] == "title"


@pytest.mark.parametrize("engine", ENGINES)
def test_text_overflow_absent_when_the_template_clamps(engine):
    b = _bundle(
        engine,
        NARROW_HTML.replace("flex w-[200px] text-4xl", "w-[400px] text-4xl line-clamp-1"),
        NARROW_JSX.replace("flex w-[200px] text-4xl", "w-[400px] text-4xl line-clamp-1"),
    )
    assert preflight.lint(b) == []


def test_same_warnings_from_html_and_jsx():
    def strip(ws):
        return [{k: v for k, v in w.items() if k != "message"} for w in ws]

    html = preflight.check(
        _bundle("html", NARROW_HTML, ""), {"title": f"Wonderfully long headline {UNDRAWABLE}"}
    )
    jsx = preflight.check(
        _bundle("jsx", "", NARROW_JSX), {"title": f"Wonderfully long headline {UNDRAWABLE}"}
    )
    assert _codes(html) == ["missing_glyph", "text_overflow"]
    assert strip(html) == strip(jsx)


@pytest.mark.parametrize("engine", ENGINES)
def test_text_overflow_names_each_prop_that_overflows_on_its_own(engine, monkeypatch):
    # c and f overflow at their maxLength alone; a and b fit alone and overflow only together (not reported:
    # the warning says which prop's maxLength to shorten); d and e fit
    props = {
        n: {"type": "string", "maxLength": m, "example": "Hi"}
        for n, m in zip("abcdef", (8, 8, 16, 16, 16, 16), strict=True)
    }
    rows = [
        (
            "flex w-[240px] text-xl",
            "<span>{{ a }}</span><span>{{ b }}</span>",
            "<span>{a}</span><span>{b}</span>",
        ),
        ("flex w-[100px] text-xl", "{{ c }}", "{c}"),
        ("flex text-xl", "{{ d }} {{ e }}", "{d} {e}"),
        ("flex w-[100px] text-xl", "{{ f }}", "{f}"),
    ]
    html = "".join(f'<div tw="{tw}">{h}</div>' for tw, h, _ in rows)
    jsx = "".join(f'<div tw="{tw}">{j}</div>' for tw, _, j in rows)
    b = _bundle(
        engine,
        f'<div tw="flex flex-col w-full h-full bg-white text-black">{html}</div>',
        f'<div tw="flex flex-col w-full h-full bg-white text-black">{jsx}</div>',
        props=props,
    )
    layouts = []
    measure = preflight._measure
    monkeypatch.setattr(preflight, "_measure", lambda job, frame: layouts.append(1) or measure(job, frame))
    warnings = preflight.lint(b)
    assert [(w["code"], w["prop"]) for w in warnings] == [("text_overflow", "c"), ("text_overflow", "f")]
    # groups of props at their worst are split while they overflow: never more than two layouts a prop
    assert len(layouts) <= 2 * len(props)


# --- low_contrast ----------------------------------------------------------------------------------


def _colored(engine: str, size: str, color: str) -> dict:
    html = f'<div tw="flex w-full h-full bg-white p-4"><div tw="flex {size}" style="color: {color}">{{{{ title }}}}</div></div>'
    jsx = f'<div tw="flex w-full h-full bg-white p-4"><div tw="flex {size}" style={{{{ color: "{color}" }}}}>{{title}}</div></div>'
    return _bundle(engine, html, jsx)


@pytest.mark.parametrize("engine", ENGINES)
def test_low_contrast_below_wcag_aa(engine):
    (w,) = preflight.check(_colored(engine, "text-xl", "#aaaaaa"), {"title": "Pale words"})
    assert w["code"] == "low_contrast" and w["prop"] == "title"
    assert w["required"] == 4.5 and 2.0 < w["ratio"] < 2.6 and w["background"] == "#ffffff"
    assert set(w["position"]) == {"x", "y", "width", "height"}
    assert preflight.check(_colored(engine, "text-xl", "#555555"), {"title": "Dark words"}) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_large_text_needs_3_to_1(engine):
    # #888 on white is 3.5:1: fine for large text, not for normal text
    assert preflight.check(_colored(engine, "text-6xl", "#888888"), {"title": "Big"}) == []
    (w,) = preflight.check(_colored(engine, "text-base", "#888888"), {"title": "Small words"})
    assert w["code"] == "low_contrast" and w["required"] == 4.5


# --- off_canvas ------------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_off_canvas_names_the_frames(engine):
    def design(effect):
        html = (
            '<div tw="flex w-full h-full bg-white"><div class="' + effect + '" tw="absolute right-0 top-10 '
            'text-4xl text-black">{{ title }}</div></div>'
        )
        jsx = (
            '<div tw="flex w-full h-full bg-white"><div className="'
            + effect
            + '" tw="absolute right-0 top-10 '
            'text-4xl text-black">{title}</div></div>'
        )
        return _bundle(engine, html, jsx, video={"fps": 10, "duration": 1})

    (w,) = preflight.check(design("exit-slide-right/300/600"), {"title": "Bye"})
    assert w["code"] == "off_canvas" and w["prop"] == "title"
    first, last = w["frames"]
    assert 3 <= first <= last <= 9 and w["position"]["frame"] == first
    assert preflight.check(design("exit-fade-out/300/600"), {"title": "Bye"}) == []


# --- unsupported_class -----------------------------------------------------------------------------

DROPPED = ("hover:bg-red-500", "space-x-4", "rounded-5xl", "bg-brand-500", "xl:text-6xl")


def _classes_design(engine):
    # every token in DROPPED is dropped by Takumi; the rest are read (md: applies at 800px, --color-brand is
    # defined inline, .card is the stylesheet's)
    outer = "flex w-full h-full bg-white md:p-4 bg-brand"
    inner = "card text-4xl text-black " + " ".join(DROPPED)
    html = (
        f'<div tw="{outer}" style="--color-brand: #ffffff">\n'
        f'  <h1 class="{inner}">{{{{ title }}}}</h1>\n  <p class="text-black hover:bg-red-500">x</p>\n</div>'
    )
    jsx = (
        f'<div tw="{outer}" style={{{{ "--color-brand": "#ffffff" }}}}>\n'
        f'  <h1 className="{inner}">{{title}}</h1>\n  <p className="text-black hover:bg-red-500">x</p>\n</div>'
    )
    b = _bundle(engine, html, jsx, extra={"style.css": ".card { letter-spacing: 1px; }"}, size=(800, 300))
    manifest = json.loads(b["loopwind.json"])
    manifest["stylesheets"] = ["style.css"]
    b["loopwind.json"] = json.dumps(manifest)
    return b


@pytest.mark.parametrize("engine", ENGINES)
def test_unsupported_class_names_each_dropped_token_once(engine):
    warnings = [
        w
        for w in preflight.check(_classes_design(engine), {"title": "Hi"})
        if w["code"] == "unsupported_class"
    ]
    assert [w["class"] for w in warnings] == list(DROPPED)
    first = warnings[0]
    assert first["element"] == "h1" and first["count"] == 2  # on the h1 and the p: one warning
    assert first["file"] == ("template.html" if engine == "html" else "template.tsx") and first["line"] == 2
    assert "hover:" in first["reason"] and "'hover:bg-red-500'" in first["message"]
    assert "1280px" in warnings[-1]["reason"]  # xl: on an 800px canvas never applies
    assert "--color-brand-500" in warnings[3]["reason"]
    # lint sees the same design at its examples
    assert "unsupported_class" in _codes(preflight.lint(_classes_design(engine)))


def test_unsupported_class_is_the_same_in_both_engines():
    def key(w):
        return {k: v for k, v in w.items() if k not in ("message", "file")}

    html, jsx = (preflight.check(_classes_design(e), {"title": "Hi"}) for e in ENGINES)
    assert [key(w) for w in html] == [key(w) for w in jsx] != []


@pytest.mark.parametrize("engine", ENGINES)
def test_unsupported_class_absent_when_every_class_is_read(engine):
    b = _bundle(
        engine,
        '<div tw="flex w-full h-full bg-white sm:p-4 -mt-2 bg-white/40 text-[20px] !text-black">{{ title }}</div>',
        '<div tw="flex w-full h-full bg-white sm:p-4 -mt-2 bg-white/40 text-[20px] !text-black">{title}</div>',
        size=(800, 300),
    )
    assert preflight.check(b, {"title": "Hi"}) == []


# --- svg: the warnings that do not need a layout ---------------------------------------------------


def test_svg_reports_glyphs_images_and_fonts_like_html():
    manifest = {
        "name": "preflight-svg",
        "type": "image",
        "engine": "svg",
        "size": {"width": 600, "height": 300},
        "props": {"title": {"type": "string", "maxLength": 40}, "logo": {"type": "image", "required": False}},
    }
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="600" height="300"><rect width="600" height="300" fill="white"/>'
        '<text x="10" y="50" font-family="Comic Neue" font-size="32">{{ title }}</text>'
        '{% if logo %}<image href="{{ logo }}" width="10" height="10"/>{% endif %}</svg>'
    )
    b = {"loopwind.json": json.dumps(manifest), "template.svg": svg}

    def fetch(url):
        raise OSError("404 Not Found")

    warnings = preflight.check(
        b, {"title": f"Hi {UNDRAWABLE}", "logo": "https://img.test/x.png"}, fetch=fetch
    )
    assert _codes(warnings) == ["missing_glyph", "image_unavailable", "font_missing"]
    html = _bundle(
        "html",
        '<div tw="flex w-full h-full bg-white" style="font-family: \'Comic Neue\'">{{ title }}'
        '{% if logo %}<img src="{{ logo }}" tw="w-4 h-4" />{% endif %}</div>',
        "",
    )
    same = preflight.check(html, {"title": f"Hi {UNDRAWABLE}", "logo": "https://img.test/x.png"}, fetch=fetch)
    assert [{k: v for k, v in w.items() if k != "message"} for w in same] == [
        {k: v for k, v in w.items() if k != "message"} for w in warnings
    ]


# --- the official examples -------------------------------------------------------------------------

OFFICIAL = sorted(p.name for p in TEMPLATES.iterdir() if p.is_dir())


@pytest.mark.parametrize("name", OFFICIAL)
def test_official_templates_lint_clean(name):
    # every official template at its maxLengths, its colors and through its frames: no warning at all
    warnings = preflight.lint(TEMPLATES / name)
    assert warnings == [], warnings
