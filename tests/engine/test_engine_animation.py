"""Animation classes expand to per-frame inline styles."""

from __future__ import annotations

import pytest

from loopwind.engine.animation import ENTER, EXIT, LOOPS, is_animation_token, style_for, token_state
from loopwind.engine.markup import prepare_html


@pytest.mark.parametrize("effect", sorted(ENTER))
def test_enter_effects_start_away_and_end_at_rest(effect):
    token = f"enter-{effect}/200/400"
    assert is_animation_token(token)
    before, after = token_state(token, 0), token_state(token, 600)
    assert before.opacity == 0.0
    assert (after.opacity, after.tx, after.ty, after.scale, after.rotate) == pytest.approx(
        (1, 0, 0, 1, 0), abs=1e-9
    )


@pytest.mark.parametrize("effect", sorted(EXIT))
def test_exit_effects_start_at_rest_and_end_away(effect):
    token = f"exit-{effect}/1000/500"
    before, after = token_state(token, 900), token_state(token, 1500)
    assert before.opacity == 1.0 and after.opacity == 0.0


@pytest.mark.parametrize("effect", LOOPS)
def test_loops_repeat(effect):
    token = f"loop-{effect}/1000"
    assert token_state(token, 250) == token_state(token, 1250)


def test_values_and_combination():
    assert token_state("loop-spin/1000", 500).rotate == pytest.approx(180)
    assert token_state("enter-fade-in/0/1000", 500).opacity == pytest.approx(1 - 0.5**3)
    css = style_for(["enter-slide-up/0/1000", "exit-fade-out/2000/500"], 0)
    assert css == "opacity:0.0000;transform:translate(0.000px,48.000px)"
    assert style_for(["enter-fade-in/0/100"], 5000) == "opacity:1.0000;transform:none"


@pytest.mark.parametrize(
    "token", ["enter-explode/0/100", "enter-fade-in", "w-1/2", "exit-fade-in/0/1", "loop-ping"]
)
def test_non_tokens(token):
    assert not is_animation_token(token)


def test_markup_expansion():
    html = '<div class="enter-fade-in/0/1000 text-xl" tw="p-4" style="color: red">x</div>'
    out, _ = prepare_html(html, time_ms=0, allowed=())
    assert 'class="text-xl"' in out
    assert 'tw="text-xl p-4"' in out
    assert 'style="color: red;opacity:0.0000;transform:none"' in out
    still, _ = prepare_html(html, time_ms=None, allowed=())
    assert "opacity" not in still and "enter-fade-in" not in still
