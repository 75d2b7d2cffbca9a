"""Text fitting helpers exposed to templates (both engines), measured with Takumi and the same fonts.

- ``fit_text(text, width, height=None, max=96, min=12, weight=400, lines=None, line_height=1.2,
  family=None)`` returns the largest font size in px (integer, ``min``..``max``) at which ``text``
  wrapped into ``width`` px fits ``height`` px and/or ``lines`` lines, with no word wider than
  ``width`` (a word that cannot wrap would stick out of the box).
- ``clamp_text(text, width, size, lines=1, weight=400, line_height=1.2, family=None)`` returns
  ``text`` shortened with an ellipsis so it fits ``lines`` lines of ``width`` px at ``size`` px.
In html templates, Tailwind's ``truncate`` and ``line-clamp-N`` also ellipsize overflow.
"""

from __future__ import annotations

import pytakumi

from .fonts import family_map, font_stack

MAX_TEXT = 2000


def _measure(
    renderer, text: str, *, width: float, size: float, weight: int, line_height: float, family: str
) -> tuple[float, int]:
    node = pytakumi.text_node(
        text,
        style={
            "fontSize": f"{size}px",
            "fontWeight": int(weight),
            "lineHeight": line_height,
            "width": f"{width}px",
            "fontFamily": family,
        },
    )
    m = renderer.measure(node, width=max(1, int(width)), height=100_000)
    runs = m.get("runs", [])
    # runs on one line may sit at slightly different y (an emoji, another script's font): a new line starts
    # more than half a line below the last one
    ys = sorted(run["y"] for run in runs)
    count = (
        sum(1 for a, b in zip(ys, ys[1:], strict=False) if b - a > 0.5 * size * line_height) + 1 if ys else 0
    )
    # how far the text reaches: a line's trailing space may hang past the box (it is not drawn)
    reach = max(
        (r["x"] + r["width"] - (0.4 * size if r["text"][-1:].isspace() else 0) for r in runs), default=0.0
    )
    return float(m["height"]), max(1, count), reach


class TextFitter:
    def __init__(self, renderer, bundle=None):
        self._renderer = renderer
        self._family = font_stack(bundle)
        self._names = family_map(bundle)
        self._cache: dict[tuple, object] = {}

    def _stack(self, family) -> str:
        if not family:
            return self._family
        family = str(family)[:64]
        return f"'{self._names.get(family, family)}', {self._family}"

    def fit_text(
        self, text, width, height=None, max=96, min=12, weight=400, lines=None, line_height=1.2, family=None
    ):  # noqa: A002
        text = str(text or "")[:MAX_TEXT]
        key = ("fit", text, width, height, max, min, weight, lines, line_height, family)
        if key in self._cache:
            return self._cache[key]
        fam = self._stack(family)
        lo, hi, best = int(min), int(max), int(min)
        while lo <= hi:
            mid = (lo + hi) // 2
            h, n, w = _measure(
                self._renderer,
                text,
                width=float(width),
                size=mid,
                weight=weight,
                line_height=line_height,
                family=fam,
            )
            fits = (
                (height is None or h <= float(height))
                and (lines is None or n <= int(lines))
                and w <= float(width) + 0.5
            )
            if fits:
                best, lo = mid, mid + 1
            else:
                hi = mid - 1
        self._cache[key] = best
        return best

    def clamp_text(self, text, width, size, lines=1, weight=400, line_height=1.2, family=None):
        text = str(text or "")[:MAX_TEXT]
        key = ("clamp", text, width, size, lines, weight, line_height, family)
        if key in self._cache:
            return self._cache[key]
        fam = self._stack(family)

        def fits(s: str) -> bool:
            return _measure(
                self._renderer,
                s,
                width=float(width),
                size=size,
                weight=weight,
                line_height=line_height,
                family=fam,
            )[1] <= int(lines)

        result = text
        if not fits(text):
            words = text.split(" ")
            lo, hi = 0, len(words)
            while lo < hi:  # longest word prefix that fits with the ellipsis
                mid = (lo + hi + 1) // 2
                if fits(" ".join(words[:mid]).rstrip() + "…"):
                    lo = mid
                else:
                    hi = mid - 1
            prefix = " ".join(words[:lo]).rstrip()
            if not prefix:  # a single long word: cut characters
                chars = words[0]
                lo, hi = 0, len(chars)
                while lo < hi:
                    mid = (lo + hi + 1) // 2
                    lo, hi = (mid, hi) if fits(chars[:mid] + "…") else (lo, mid - 1)
                prefix = chars[:lo]
            result = prefix + "…"
        self._cache[key] = result
        return result
