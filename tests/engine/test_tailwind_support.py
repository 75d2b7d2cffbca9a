"""loopwind/engine/tailwind.py against the installed Takumi: a token it calls dropped renders exactly as without
it, one it calls read changes the render (so a Takumi upgrade that changes its Tailwind grammar fails here)."""

from __future__ import annotations

import pytakumi
import pytest

from loopwind.engine.tailwind import css_classes, css_variables, ignored

SIZE = 80
# Designs where the probed token (TOK) has something to act on: text that wraps, a box with a border, a shadow
# and a gradient, a flex container with children of different sizes.
CONTEXTS = (
    '<div tw="flex w-[80px] h-[80px] bg-white text-black"><div tw="flex items-start justify-start w-[40px] h-[30px] '
    'bg-gray-500 text-[10px] TOK">Hg a b c d e f g h i j k</div><div tw="w-[8px] h-[8px] bg-red-500"></div></div>',
    '<div tw="flex flex-col w-[80px] h-[80px] bg-black text-white items-center justify-center text-center">'
    '<div tw="flex items-center justify-center w-[60px] h-[50px] bg-blue-500 text-[12px] border-2 border-solid '
    'shadow-md underline TOK"><span>Hg</span><span>x</span></div></div>',
    '<div tw="flex w-[80px] h-[80px] bg-white"><div tw="flex flex-wrap w-[50px] h-[50px] p-1 gap-1 bg-green-500 '
    'TOK"><div tw="w-[20px] h-[10px] bg-black"></div><div tw="w-[20px] h-[20px] bg-red-500"></div>'
    '<div tw="w-[30px] h-[5px] bg-blue-500"></div></div></div>',
)
DROPPED = """hover:bg-red-500 dark:text-white group-hover:p-4 focus:ring-2 before:p-2 md:bg-red-500 xl:p-4
space-x-4 space-y-2 divide-y ring-2 ring-red-500 transition duration-300 ease-in-out container sr-only
rounded-5xl text-10xl w-10px p-foo mt-foo bg-red bg-brand-500 text-brand font-foo tracking-huge leading-huge
bg-gradient-to-r blur-4xl -flex-1 -p-4 -w-4 opacity-half text-white/half""".split()
READ = """hidden absolute uppercase italic underline truncate shadow-xl p-4 p-4.5 p-17 p-[3px] -mt-4 mt-auto
w-1/2 w-full h-px bg-red-500 bg-white/30 bg-[#123456] !bg-red-500 bg-red-500! text-red-500 text-9xl text-xs/6
text-[7px] text-left text-white/75 font-bold font-black leading-tight leading-8 tracking-widest
tracking-[0.3em] rounded-xl rounded-full border-4 border-red-500 border-dashed opacity-50 justify-between
justify-end items-end items-center self-end gap-2 line-clamp-1 whitespace-nowrap
flex-col flex-1 overflow-hidden blur-sm translate-x-2 rotate-45 scale-150 -rotate-12""".split()


@pytest.fixture(scope="module")
def render():
    renderer = pytakumi.Renderer()

    def draw(token: str) -> list[bytes]:
        return [
            renderer.render_html(c.replace("TOK", token), width=SIZE, height=SIZE, format="raw")
            for c in CONTEXTS
        ]

    return draw


@pytest.mark.parametrize("token", DROPPED)
def test_a_token_called_dropped_changes_nothing(render, token):
    # sm: md: … compare with the 80px canvas here
    assert ignored(token, width=SIZE) is not None
    assert render(token) == render("")


@pytest.mark.parametrize("token", READ)
def test_a_token_called_read_changes_the_render(render, token):
    assert ignored(token, width=SIZE) is None
    assert render(token) != render("")


def test_breakpoints_follow_the_canvas_width():
    assert ignored("md:p-4", width=767) is not None
    assert ignored("md:p-4", width=768) is None
    assert ignored("2xl:p-4", width=1200) is not None


def test_theme_values_need_their_variable_and_stylesheet_classes_are_not_tailwind():
    css = ":root { --color-brand-500: #f00; --text-huge: 90px }\n.card, .hero > .photo:hover { color: red }"
    variables, classes = css_variables([css]), css_classes([css])
    assert ignored("bg-brand-500", width=800, variables=variables) is None
    assert ignored("text-huge", width=800, variables=variables) is None
    assert ignored("text-tiny", width=800, variables=variables) is not None
    assert classes == {"card", "hero", "photo"}
    assert ignored("photo", width=800, stylesheet_classes=classes) is None
    assert ignored("photo", width=800) is not None
