"""Golden images: the official templates against committed references, with a perceptual tolerance.

The jsx versions of og-card and promo-video are held to the html versions' references (same design, same
pipeline); quote-card-jsx has its own (it is laid out with elements, not drawn by resvg).

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
    "quote-card-jsx": (
        "quote-card-jsx",
        {"quote": "Simplicity is prerequisite for reliability. 🚀 мир مرحبا 你好"},
        {},
    ),
}
# jsx templates whose reference is their html original's
SAME_AS = {
    "og-card-jsx": "og-card",
    "og-card-tsx": "og-card",
    "promo-video-jsx-t1": "promo-video-t1",
    "promo-video-jsx-t0.3": "promo-video-t0.3",
}
for _name, _original in SAME_AS.items():
    _template = _name.split("-t")[0] if _name.startswith("promo") else _name
    CASES[_name] = (_template, *CASES[_original][1:])


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name):
    template, props, kwargs = CASES[name]
    png = render(TEMPLATES / template, props, **kwargs)
    path = GOLDEN / f"{SAME_AS.get(name, name)}.png"
    if os.environ.get("LOOPWIND_UPDATE_GOLDEN") and name not in SAME_AS:
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
