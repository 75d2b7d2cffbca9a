"""Image rendering: formats, scale, determinism, scripts and emoji, fonts, helpers, Tailwind in class."""

from __future__ import annotations

import io

import pytest
from engine_helpers import TEMPLATES, make_files, png_bytes
from PIL import Image

from loopwind.engine import RenderError, load_bundle, render

HELLO = "Hello 🚀 мир مرحبا 你好"
MAGIC = {"png": b"\x89PNG", "jpg": b"\xff\xd8\xff", "webp": b"RIFF", "svg": b"<svg", "pdf": b"%PDF"}


def image(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGBA")


@pytest.fixture(scope="module")
def og():
    return load_bundle(TEMPLATES / "og-card")


@pytest.fixture(scope="module")
def quote():
    return load_bundle(TEMPLATES / "quote-card")


@pytest.mark.parametrize("fmt", ["png", "jpg", "webp", "svg", "pdf"])
@pytest.mark.parametrize("which", ["og", "quote"])
def test_formats_and_determinism(fmt, which, request):
    b = request.getfixturevalue(which)
    props = {"title": HELLO} if which == "og" else {"quote": HELLO}
    first = render(b, props, format=fmt)
    assert first.lstrip().startswith(MAGIC[fmt]) or (fmt == "svg" and b"<svg" in first[:200])
    assert render(b, props, format=fmt) == first  # byte-identical: the render cache depends on it


@pytest.mark.parametrize("scale", [1, 2, 4])
def test_scale(og, scale):
    assert image(render(og, {"title": "x"}, scale=scale)).size == (1200 * scale, 630 * scale)


def test_jpg_quality_changes_size(og):
    assert len(render(og, {"title": "x"}, format="jpg", quality=20)) < len(
        render(og, {"title": "x"}, format="jpg", quality=95)
    )


def test_bad_output_options(og):
    for kwargs, code in [
        ({"format": "bmp"}, "invalid_format"),
        ({"scale": 0}, "invalid_scale"),
        ({"scale": 1.5}, "invalid_scale"),
        ({"format": "jpg", "quality": 0}, "invalid_quality"),
    ]:
        with pytest.raises(RenderError) as exc:
            render(og, {"title": "x"}, **kwargs)
        assert exc.value.code == code


def pixels(img: Image.Image):
    data = img.convert("RGBA").tobytes()
    return zip(data[0::4], data[1::4], data[2::4], data[3::4], strict=True)


def _ink(img: Image.Image, bg=(255, 255, 255)) -> int:
    return sum(1 for p in pixels(img) if abs(p[0] - bg[0]) + abs(p[1] - bg[1]) + abs(p[2] - bg[2]) > 60)


def _text_card(text: str, engine: str) -> Image.Image:
    if engine == "html":
        tpl = '<div tw="flex w-full h-full bg-white text-black text-5xl items-center p-2">{{ title }}</div>'
    else:
        tpl = (
            '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="80"><rect width="320" height="80" fill="white"/>'
            '<text x="8" y="56" font-size="48" fill="black">{{ title }}</text></svg>'
        )
    files = make_files({"size": {"width": 320, "height": 80}}, template=tpl, engine=engine)
    return image(render(files, {"title": text}))


@pytest.mark.parametrize("engine", ["html", "svg"])
def test_every_script_renders_without_tofu(engine):
    # A missing glyph draws the same .notdef box for every character: two different characters of
    # each script must draw differently, and each must draw something.
    samples = {"latin": "Ag", "cyrillic": "мж", "greek": "λΩ", "arabic": "مع", "hebrew": "שא", "cjk": "你好"}
    notdef = _text_card("\U000e0fff\U000e0ffe", engine)  # unassigned: tofu if anything
    for script, (a, b) in samples.items():
        img_a, img_b = _text_card(a * 3, engine), _text_card(b * 3, engine)
        assert _ink(img_a) > 50, script
        assert img_a.tobytes() != img_b.tobytes(), script
        assert img_a.tobytes() != notdef.tobytes(), script


@pytest.mark.parametrize("engine", ["html", "svg"])
def test_color_emoji(engine):
    img = _text_card("🚀🚀🚀", engine)
    saturated = sum(1 for r, g, b, _ in pixels(img) if max(r, g, b) - min(r, g, b) > 80)
    assert saturated > 100  # a color glyph, not a monochrome outline or a box


def test_class_tailwind_and_stylesheets():
    files = make_files(
        {"stylesheets": ["style.css"]},
        template='<div class="flex w-full h-full bg-red-500"><div class="box"></div></div>',
        extra={"style.css": b".box { width: 10px; height: 10px; background-color: #0000ff; }"},
    )
    img = image(render(files, {"title": "x"}))
    assert (
        img.getpixel((40, 40))[:3] == (251, 44, 54) or img.getpixel((40, 40))[0] > 200
    )  # bg-red-500 from class
    assert img.getpixel((5, 5))[:3] == (0, 0, 255)  # the bundle stylesheet


def test_bundle_font_takes_precedence():
    dejavu = open("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "rb").read()  # noqa: SIM115
    tpl = '<div tw="flex w-full h-full bg-white text-black text-4xl">{{ title }}</div>'
    plain = image(render(make_files(template=tpl), {"title": "Wag"}))
    with_font = make_files(
        {"fonts": [{"path": "fonts/Brand.ttf", "family": "Brand"}]},
        template=tpl,
        extra={"fonts/Brand.ttf": dejavu},
    )
    branded = image(render(with_font, {"title": "Wag"}))
    assert plain.tobytes() != branded.tobytes()
    # and it did not leak into renders of other bundles
    assert image(render(make_files(template=tpl), {"title": "Wag"})).tobytes() == plain.tobytes()


def test_image_props_and_assets_in_both_engines():
    red = png_bytes((8, 8), (255, 0, 0, 255))
    html = make_files(
        {"props": {"logo": "image"}},
        template='<div tw="flex w-full h-full bg-white"><img src="{{ logo }}" tw="w-8 h-8"/>'
        '<img src="{{ asset(\'assets/b.png\') }}" tw="w-8 h-8"/></div>',
        extra={"assets/b.png": png_bytes((8, 8), (0, 0, 255, 255))},
    )
    img = image(render(html, {"logo": red}))
    assert img.getpixel((4, 4))[:3] == (255, 0, 0)
    assert img.getpixel((36, 4))[:3] == (0, 0, 255)
    svg = make_files(
        {"props": {"logo": "image"}},
        engine="svg",
        template='<svg xmlns="http://www.w3.org/2000/svg" width="64" height="48"><image href="{{ logo }}" width="32" height="32"/></svg>',
    )
    assert image(render(svg, {"logo": red})).getpixel((10, 10))[:3] == (255, 0, 0)


def test_qr_helper():
    files = make_files(
        template='<div tw="flex w-full h-full bg-white"><img src="{{ qr(title) }}" tw="w-12 h-12"/></div>'
    )
    img = image(render(files, {"title": "https://loopwind.dev"}))
    assert _ink(img) > 100


def test_fit_text_and_clamp_text():
    tpl = (
        "{% set s = fit_text(title, width=300, lines=2, max=120, min=10) %}"
        "{% set c = clamp_text(title, width=200, size=20, lines=1) %}"
        '<div data-size="{{ s }}" data-clamp="{{ c }}">{{ s }}|{{ c }}</div>'
    )
    from loopwind.engine.pipeline import Job

    short = Job(load_bundle(make_files(template=tpl)), {"title": "Hi"}).markup()
    long = Job(load_bundle(make_files(template=tpl)), {"title": "A much longer headline " * 5}).markup()
    s_short = int(short.split('data-size="')[1].split('"')[0])
    s_long = int(long.split('data-size="')[1].split('"')[0])
    assert s_short == 120 and 10 <= s_long < s_short
    clamp = long.split('data-clamp="')[1].split('"')[0]
    assert clamp.endswith("…") and len(clamp) < 40


def test_fit_text_shrinks_a_word_wider_than_the_box():
    # one word cannot wrap: fitting it to 2 lines is not enough, it must also fit the width
    tpl = '{% set s = fit_text(title, width=300, lines=2, max=200, min=10) %}<div data-size="{{ s }}">{{ s }}</div>'
    from loopwind.engine.pipeline import Job

    markup = Job(load_bundle(make_files(template=tpl)), {"title": "WWWWWWWWWWWW"}).markup()
    size = int(markup.split('data-size="')[1].split('"')[0])
    assert 10 < size < 40  # twelve W are about 0.9 em each: 300 px holds them at ~27 px, not 200


def test_animation_classes_in_image_renders_are_at_rest():
    files = make_files(template='<div class="enter-fade-in/0/500 flex w-full h-full bg-blue-500"></div>')
    assert image(render(files, {"title": "x"})).getpixel((10, 10))[2] > 200


def test_video_template_frame_by_time():
    b = load_bundle(TEMPLATES / "promo-video")
    first = image(render(b, {"headline": "Hi"}))
    later = image(render(b, {"headline": "Hi"}, time=1.5))
    assert first.size == (1280, 720) and first.tobytes() != later.tobytes()
    with pytest.raises(RenderError):
        render(b, {"headline": "Hi"}, time=99)


def test_svg_engine_bundle_font():
    dejavu = open("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "rb").read()  # noqa: SIM115
    tpl = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="48"><rect width="64" height="48" fill="white"/>'
        '<text x="2" y="30" font-size="24" font-family="{{ title }}">Wag</text></svg>'
    )
    files = make_files(
        {"fonts": [{"path": "fonts/Brand.ttf", "family": "DejaVu Sans"}]},
        engine="svg",
        template=tpl,
        extra={"fonts/Brand.ttf": dejavu},
    )
    assert (
        image(render(files, {"title": "DejaVu Sans"})).tobytes()
        != image(render(files, {"title": "Noto Serif"})).tobytes()
    )


def test_concurrent_renders_are_safe_and_identical(og):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(lambda i: render(og, {"title": f"Card {i % 2}"}), range(16)))
    assert len({o for i, o in enumerate(outs) if i % 2 == 0}) == 1
    assert len(set(outs)) == 2


@pytest.mark.parametrize("which", ["og", "quote"])
def test_svg_output_scale(which, request):
    import re

    b = request.getfixturevalue(which)
    props = {"title": "x"} if which == "og" else {"quote": "x"}
    svg = render(b, props, format="svg", scale=2).decode()
    root = re.search(r"<svg\b[^>]*>", svg).group(0)
    assert f'width="{b.width * 2}"' in root and f'height="{b.height * 2}"' in root and "viewBox" in root


@pytest.mark.parametrize(
    "tpl",
    [
        '<div tw="flex w-full h-full bg-white text-black text-4xl">Wag</div>',
        '<div tw="flex w-full h-full bg-white text-black text-4xl" style="font-family: \'Brand Font\', serif">Wag</div>',
        "<div tw=\"flex w-full h-full bg-white text-black text-4xl font-['Brand_Font']\">Wag</div>",
        '<style>.t { font-family: "Brand Font"; }</style><div class="t" tw="flex w-full h-full bg-white text-4xl">Wag</div>',
    ],
)
def test_same_family_name_in_two_bundles_does_not_leak(tpl):
    fonts = "/usr/share/fonts/truetype/dejavu/"

    def bundle_with(font_file):
        return make_files(
            {"fonts": [{"path": "fonts/b.ttf", "family": "Brand Font"}]},
            template=tpl,
            extra={"fonts/b.ttf": open(fonts + font_file, "rb").read()},  # noqa: SIM115
        )

    sans = image(render(bundle_with("DejaVuSans.ttf"), {"title": "x"})).tobytes()
    mono = image(render(bundle_with("DejaVuSansMono.ttf"), {"title": "x"})).tobytes()
    assert sans != mono
    assert image(render(bundle_with("DejaVuSans.ttf"), {"title": "x"})).tobytes() == sans


def test_apply_family_map():
    from loopwind.engine.markup import apply_family_map

    m = {"Brand Font": "lwabc-Brand-Font"}
    assert apply_family_map("font-family: 'Brand Font', serif", m) == "font-family: 'lwabc-Brand-Font', serif"
    assert apply_family_map('tw="font-[Brand_Font]"', m) == "tw=\"font-['lwabc-Brand-Font']\""
    assert apply_family_map("font-family: Brand Fontish", m) == "font-family: Brand Fontish"
    assert apply_family_map("<p>Brand Font</p>", m) == "<p>Brand Font</p>"


def test_cache_key():
    from loopwind.engine import cache_key

    files = make_files({"props": {"title": "string", "n": "integer?", "logo": "image?"}})
    k = cache_key(files, {"title": "a", "n": 3.0})
    assert k == cache_key(load_bundle(files), {"n": 3, "title": "a"})  # normalized, order-free
    assert k != cache_key(files, {"title": "b", "n": 3})
    assert k != cache_key(files, {"title": "a", "n": 3}, format="webp")
    assert k != cache_key(files, {"title": "a", "n": 3}, scale=2)
    red, blue = png_bytes(color=(255, 0, 0, 255)), png_bytes(color=(0, 0, 255, 255))
    assert cache_key(files, {"title": "a", "logo": red}) != cache_key(files, {"title": "a", "logo": blue})
    url = "https://example.com/l.png"
    assert cache_key(files, {"title": "a", "logo": url}, images={url: red}) == cache_key(
        files, {"title": "a", "logo": red}
    )


def test_font_dirs_env_var(tmp_path, monkeypatch):
    import shutil

    from loopwind.engine import fonts

    shutil.copy("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", tmp_path / "NotoSans-Regular.ttf")
    shutil.copy("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", tmp_path / "Extra.ttf")
    monkeypatch.setenv("LOOPWIND_FONT_DIRS", str(tmp_path))
    fonts.default_font_files.cache_clear()
    try:
        found = {f.path for f in fonts.default_font_files()}
        assert str(tmp_path / "NotoSans-Regular.ttf") in found  # the env folder wins
        assert str(tmp_path / "Extra.ttf") in found  # and everything in it is registered
        assert fonts.missing_default_fonts() == []
    finally:
        monkeypatch.delenv("LOOPWIND_FONT_DIRS")
        fonts.default_font_files.cache_clear()


def test_css_keyframes_are_sampled_at_the_frame_time():
    files = make_files(
        {"type": "video", "video": {"fps": 10, "duration": 2}, "stylesheets": ["a.css"]},
        template='<div tw="flex w-full h-full bg-black"><div class="box" tw="w-full h-full bg-white"></div></div>',
        extra={
            "a.css": b"@keyframes show { from { opacity: 0 } to { opacity: 1 } } .box { animation: show 2s linear both; }"
        },
    )
    levels = [image(render(files, {"title": "x"}, time=t)).getpixel((30, 20))[0] for t in (0.0, 1.0, 2.0)]
    assert levels[0] < 10 and 100 < levels[1] < 160 and levels[2] > 230  # the last frame is t=1.9 s
