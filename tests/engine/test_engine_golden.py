"""Golden images: the three official templates against committed references, with a perceptual tolerance.

Regenerate after an intended visual change with ``LOOPWIND_UPDATE_GOLDEN=1 pytest tests/engine -k golden``
and look at the new PNGs before committing them.
"""

from __future__ import annotations

import io
import os

import pytest
from engine_helpers import GOLDEN, MAX_CHANGED, MAX_MEAN_DIFF, TEMPLATES, compare
from PIL import Image

from loopwind.engine import render

CASES = {
    "og-card": (
        "og-card",
        {
            "title": "Hello 🚀 мир مرحبا 你好 — every script, one card",
            "subtitle": "Ελληνικά · עברית · 日本語",
        },
        {},
    ),
    "quote-card": (
        "quote-card",
        {"quote": "Simplicity is prerequisite for reliability. 🚀 мир مرحبا 你好"},
        {},
    ),
    "promo-video-t1": ("promo-video", {"headline": "Launch day 🚀"}, {"time": 1.0}),
    "promo-video-t0.3": ("promo-video", {"headline": "Launch day 🚀"}, {"time": 0.3}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name):
    template, props, kwargs = CASES[name]
    png = render(TEMPLATES / template, props, **kwargs)
    path = GOLDEN / f"{name}.png"
    if os.environ.get("LOOPWIND_UPDATE_GOLDEN"):
        path.write_bytes(png)
    expected = Image.open(path)
    mean, changed = compare(Image.open(io.BytesIO(png)), expected)
    assert mean <= MAX_MEAN_DIFF, f"{name}: mean diff {mean:.2f}"
    assert changed <= MAX_CHANGED, f"{name}: {changed:.2%} of pixels changed"


def test_compare_catches_a_real_change():
    template, props, kwargs = CASES["og-card"]
    other = render(TEMPLATES / template, {**props, "title": "A different headline"}, **kwargs)
    mean, changed = compare(Image.open(io.BytesIO(other)), Image.open(GOLDEN / "og-card.png"))
    assert mean > MAX_MEAN_DIFF or changed > MAX_CHANGED
