"""Animation classes, expanded to per-frame inline styles.

Put them in ``class`` or ``tw`` on any element of an html template (times in milliseconds):

- ``enter-<effect>/<start>/<duration>``: the element animates *in* from ``start`` for ``duration``;
  before ``start`` it is in the effect's initial state (e.g. invisible).
- ``exit-<effect>/<start>/<duration>``: the element animates *out* from ``start``; after it stays out.
- ``loop-<effect>/<period>`` (optional ``/<delay>``): repeats every ``period`` ms.

Enter effects: fade-in, slide-up, slide-down, slide-left, slide-right, zoom-in, zoom-out, rotate-in,
bounce-in. Exit effects: fade-out, slide-up, slide-down, slide-left, slide-right, zoom-in, zoom-out,
rotate-out. Loop effects: ping, pulse, spin, bounce, float, wiggle, fade.
Slides move 48 px; zooms scale between 0.8/1.2 and 1. Enter eases out (cubic), exit eases in
(cubic). Several animation classes on one element combine (opacities multiply, transforms add).
They set ``opacity`` and ``transform`` inline, overriding those properties of the element.
In image renders (no time) the classes are removed and the element shows in its rest state.
CSS ``@keyframes``/``animation`` in stylesheets are also honoured in videos (sampled by Takumi).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

TOKEN_RE = re.compile(r"(enter|exit|loop)-([a-z-]+)/(\d{1,6})(?:/(\d{1,6}))?")
SLIDE = 48.0


@dataclass
class State:
    opacity: float = 1.0
    tx: float = 0.0
    ty: float = 0.0
    scale: float = 1.0
    rotate: float = 0.0

    def combine(self, other: State) -> None:
        self.opacity *= other.opacity
        self.tx += other.tx
        self.ty += other.ty
        self.scale *= other.scale
        self.rotate += other.rotate


# The "away" state of each effect: enter animates from it, exit animates to it.
ENTER = {
    "fade-in": State(opacity=0.0),
    "fade": State(opacity=0.0),
    "slide-up": State(opacity=0.0, ty=SLIDE),
    "slide-down": State(opacity=0.0, ty=-SLIDE),
    "slide-left": State(opacity=0.0, tx=SLIDE),
    "slide-right": State(opacity=0.0, tx=-SLIDE),
    "zoom-in": State(opacity=0.0, scale=0.8),
    "zoom-out": State(opacity=0.0, scale=1.2),
    "rotate-in": State(opacity=0.0, rotate=-90.0),
    "bounce-in": State(opacity=0.0, scale=0.3),
}
EXIT = {
    "fade-out": State(opacity=0.0),
    "fade": State(opacity=0.0),
    "slide-up": State(opacity=0.0, ty=-SLIDE),
    "slide-down": State(opacity=0.0, ty=SLIDE),
    "slide-left": State(opacity=0.0, tx=-SLIDE),
    "slide-right": State(opacity=0.0, tx=SLIDE),
    "zoom-in": State(opacity=0.0, scale=1.2),
    "zoom-out": State(opacity=0.0, scale=0.8),
    "rotate-out": State(opacity=0.0, rotate=90.0),
}
LOOPS = ("ping", "pulse", "spin", "bounce", "float", "wiggle", "fade")


def is_animation_token(token: str) -> bool:
    m = TOKEN_RE.fullmatch(token)
    if not m:
        return False
    kind, effect = m.group(1), m.group(2)
    return effect in (ENTER if kind == "enter" else EXIT if kind == "exit" else LOOPS)


def _ease_out(p: float) -> float:
    return 1 - (1 - p) ** 3


def _ease_in(p: float) -> float:
    return p**3


def _bounce_out(p: float) -> float:
    # overshoot then settle, like a spring
    if p <= 0 or p >= 1:
        return max(0.0, min(1.0, p))
    return 1 + 2.70158 * (p - 1) ** 3 + 1.70158 * (p - 1) ** 2


def _lerp(a: State, p: float) -> State:
    """From ``a`` (p=0) to identity (p=1)."""
    return State(
        opacity=a.opacity + (1 - a.opacity) * min(max(p, 0.0), 1.0),
        tx=a.tx * (1 - p),
        ty=a.ty * (1 - p),
        scale=a.scale + (1 - a.scale) * p,
        rotate=a.rotate * (1 - p),
    )


def _loop_state(effect: str, phase: float) -> State:
    wave = math.sin(phase * 2 * math.pi)
    if effect == "ping":
        return State(opacity=1 - phase, scale=1 + phase)
    if effect == "pulse":
        return State(opacity=0.75 + 0.25 * math.cos(phase * 2 * math.pi))
    if effect == "spin":
        return State(rotate=360.0 * phase)
    if effect == "bounce":
        return State(ty=-abs(math.sin(phase * math.pi)) * 24.0)
    if effect == "float":
        return State(ty=-8.0 * wave)
    if effect == "wiggle":
        return State(rotate=3.0 * wave)
    return State(opacity=0.5 + 0.5 * math.cos(phase * 2 * math.pi))  # fade


def token_state(token: str, time_ms: float) -> State:
    m = TOKEN_RE.fullmatch(token)
    if not m:
        return State()
    kind, effect, a, b = m.group(1), m.group(2), int(m.group(3)), m.group(4)
    if kind == "loop":
        period, delay = max(a, 1), int(b or 0)
        if time_ms < delay:
            return _loop_state(effect, 0.0)
        return _loop_state(effect, ((time_ms - delay) % period) / period)
    start, duration = a, max(int(b or 500), 1)
    p = min(max((time_ms - start) / duration, 0.0), 1.0)
    if kind == "enter":
        eased = _bounce_out(p) if effect == "bounce-in" else _ease_out(p)
        return _lerp(ENTER[effect], eased)
    return _lerp(EXIT[effect], 1 - _ease_in(p))


def style_for(tokens: list[str], time_ms: float) -> str:
    """Inline CSS for an element carrying ``tokens`` at ``time_ms``."""
    state = State()
    for token in tokens:
        state.combine(token_state(token, time_ms))
    parts = [f"opacity:{max(0.0, min(1.0, state.opacity)):.4f}"]
    transform = []
    if state.tx or state.ty:
        transform.append(f"translate({state.tx:.3f}px,{state.ty:.3f}px)")
    if state.scale != 1:
        transform.append(f"scale({state.scale:.4f})")
    if state.rotate:
        transform.append(f"rotate({state.rotate:.3f}deg)")
    parts.append("transform:" + (" ".join(transform) if transform else "none"))
    return ";".join(parts)
