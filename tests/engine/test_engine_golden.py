"""Golden images: the three official templates against committed references, with a perceptual tolerance.

Regenerate after an intended visual change with ``LOOPWIND_UPDATE_GOLDEN=1 pytest tests/engine -k golden``
and look at the new PNGs before committing them.
"""

from __future__ import annotations

import io
import os

import pytest
from engine_helpers import GOLDEN, TEMPLATES
from PIL import Image, ImageChops

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
MAX_MEAN_DIFF = 1.5  # mean absolute difference per channel, 0-255
MAX_CHANGED = 0.005  # share of pixels differing by more than 48 in some channel


def compare(actual: Image.Image, expected: Image.Image) -> tuple[float, float]:
    assert actual.size == expected.size
    diff = ImageChops.difference(actual.convert("RGB"), expected.convert("RGB"))
    hist = diff.histogram()
    total = actual.size[0] * actual.size[1]
    mean = sum(i * n for ch in range(3) for i, n in enumerate(hist[ch * 256 : (ch + 1) * 256])) / (3 * total)
    worst = diff.point(lambda v: 255 if v > 48 else 0).convert("L")
    changed = sum(worst.histogram()[1:]) / total
    return mean, changed


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
