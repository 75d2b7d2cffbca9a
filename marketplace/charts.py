"""The geometry of the dashboard's server-drawn SVG charts (no JavaScript, no chart library: the
site's CSP allows scripts from itself only, and a chart should read without them).

A chart is an outer ``<svg>`` as wide as its container and a fixed number of pixels tall, holding
the axis labels and grid lines, and an inner ``<svg>`` for the plot whose viewBox is stretched to
fit (``preserveAspectRatio="none"``, strokes ``non-scaling-stroke``). Labels are placed in
percentages of the width and pixels of the height, so their text keeps its size on a 390 px phone
instead of shrinking with the drawing. Colours come from CSS classes (static/css/site.css) on the
site's variables, so light and dark follow the theme; the template is
marketplace/templates/marketplace/dashboard/_chart.html."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

# The plot's own coordinates (its viewBox): x across the periods, y from the top.
PLOT_WIDTH = 1000
PLOT_HEIGHT = 100
# The outer drawing, in CSS pixels: room for the top grid label, the plot, the time labels.
CHART_HEIGHT = 200
PLOT_TOP = 18
PLOT_PIXELS = 150
TIME_LABEL_BASELINE = CHART_HEIGHT - 6
GRID_LINES = 4  # above zero
MAX_TIME_LABELS = 5  # what fits under a 390 px phone's chart without overlapping
BAR_GAP = 0.15  # of a period's width, on each side of its bar
MIN_BAR = 1.0  # plot units: a period with any traffic stays visible next to a busy one

TIME_FORMATS = {"minute": "%H:%M", "hour": "%H:%M", "day": "%b %-d"}
FULL_TIME_FORMATS = {"minute": "%Y-%m-%d %H:%M", "hour": "%Y-%m-%d %H:%M", "day": "%Y-%m-%d"}


@dataclass(frozen=True)
class Series:
    """What the caller charts: one value per period (None: nothing to show there)."""

    name: str
    css_class: str
    values: list[float | int | None]
    kind: str = "bars"  # "bars" (counts) or "steps" (a level held over each period, e.g. latency)


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Shape:
    """One series drawn in plot coordinates: rectangles for bars, a path for steps."""

    name: str
    css_class: str
    kind: str
    rects: list[Rect] = field(default_factory=list)
    path: str = ""


@dataclass(frozen=True)
class Tick:
    position: float  # x in percent of the width, or y in pixels from the top
    label: str
    anchor: str = "middle"

    @property
    def label_y(self) -> float:
        """A grid line's label sits just above it."""
        return round(self.position - 4, 2)


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    desc: str
    shapes: list[Shape]
    time_ticks: list[Tick]
    value_ticks: list[Tick]
    columns: list[str]  # of the data table that stands in for the picture
    rows: list[tuple[str, list[str]]]
    height: int = CHART_HEIGHT
    plot_top: int = PLOT_TOP
    plot_pixels: int = PLOT_PIXELS
    plot_width: int = PLOT_WIDTH
    plot_height: int = PLOT_HEIGHT
    time_baseline: int = TIME_LABEL_BASELINE


def nice_scale(peak: float, *, whole: bool = False) -> tuple[float, float]:
    """The top of the value axis and the step between grid lines: a round step (1, 2, 2.5 or 5
    times a power of ten) so that GRID_LINES steps reach ``peak``; with ``whole`` (counts) the
    step is a whole number, so no grid line reads "2.5 requests"."""
    if peak <= 0:
        return float(GRID_LINES), 1.0
    rough = peak / GRID_LINES
    power = 10 ** math.floor(math.log10(rough))
    steps = [m * power for m in (1, 2, 2.5, 5, 10)]
    if whole:
        steps = [max(1, s) for s in steps if s >= 1 and float(s).is_integer()] or [1]
    step = next((s for s in steps if s >= rough), steps[-1])
    return step * GRID_LINES, step


def compact(value: float | int | None, unit: str = "") -> str:
    """1234 → "1.2k", 0.5 → "0.5"; None → "–"."""
    if value is None:
        return "–"
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            text = f"{value / size:.1f}".removesuffix(".0") + suffix
            break
    else:
        text = f"{value:.1f}".removesuffix(".0") if isinstance(value, float) else str(value)
    return f"{text}{unit}"


def exact(value: float | int | None, unit: str = "") -> str:
    """A data table's cell: 1234 → "1,234", 12.5 → "12.5 ms"; None → "–"."""
    if value is None:
        return "–"
    text = f"{value:,}" if isinstance(value, int) else f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{text}{unit}"


def _fmt(number: float) -> str:
    return f"{number:.2f}".rstrip("0").rstrip(".")


def _y(value: float, top: float) -> float:
    return PLOT_HEIGHT * (1 - min(value, top) / top)


def _bars(values, top: float, slot: float) -> list[Rect]:
    rects = []
    for index, value in enumerate(values):
        if not value:
            continue
        height = max(PLOT_HEIGHT - _y(value, top), MIN_BAR)
        rects.append(Rect(x=round(index * slot + slot * BAR_GAP, 2), y=round(PLOT_HEIGHT - height, 2),
                          width=round(slot * (1 - 2 * BAR_GAP), 2), height=round(height, 2)))  # fmt: skip
    return rects


def _steps(values, top: float, slot: float) -> str:
    """A level across each period, joined to the next period's level; a gap where a value is None."""
    parts: list[str] = []
    previous_present = False
    for index, value in enumerate(values):
        if value is None:
            previous_present = False
            continue
        y, left, right = _fmt(_y(value, top)), _fmt(index * slot), _fmt((index + 1) * slot)
        parts.append(f"V{y}H{right}" if previous_present else f"M{left} {y}H{right}")
        previous_present = True
    return "".join(parts)


def time_ticks(starts: list[datetime], interval: str) -> list[Tick]:
    """Up to MAX_TIME_LABELS period starts spread evenly, the first and the last among them."""
    count = len(starts)
    if not count:
        return []
    labels = min(MAX_TIME_LABELS, count)
    indexes = sorted({round(j * (count - 1) / (labels - 1)) for j in range(labels)}) if labels > 1 else [0]
    ticks = []
    for order, index in enumerate(indexes):
        anchor = "start" if order == 0 and len(indexes) > 1 else "end" if order == len(indexes) - 1 and len(indexes) > 1 else "middle"  # fmt: skip
        # the end labels stand at the chart's edges, so a long label is never cut off
        position = 0.0 if anchor == "start" else 100.0 if anchor == "end" else (index + 0.5) * 100 / count
        ticks.append(Tick(round(position, 2), starts[index].strftime(TIME_FORMATS[interval]), anchor))
    return ticks


def chart(
    *,
    id: str,
    title: str,
    desc: str,
    starts: list[datetime],
    interval: str,
    series: list[Series],
    unit: str = "",
    whole: bool = False,
) -> Chart:
    """A chart of ``series`` over the periods beginning at ``starts``, all on one value axis
    (``whole``: the values are counts)."""
    count = max(len(starts), 1)
    slot = PLOT_WIDTH / count
    peak = max((v for s in series for v in s.values if v is not None), default=0)
    top, step = nice_scale(peak, whole=whole)
    shapes = [
        Shape(name=s.name, css_class=s.css_class, kind=s.kind,
              rects=_bars(s.values, top, slot) if s.kind == "bars" else [],
              path=_steps(s.values, top, slot) if s.kind == "steps" else "")
        for s in series
    ]  # fmt: skip
    value_ticks = [
        Tick(round(PLOT_TOP + PLOT_PIXELS * (1 - n * step / top), 2), compact(n * step, unit), "start")
        for n in range(GRID_LINES + 1)
    ]
    rows = [
        (at.strftime(FULL_TIME_FORMATS[interval]), [exact(s.values[index], unit) for s in series])
        for index, at in enumerate(starts)
    ]
    return Chart(id=id, title=title, desc=desc, shapes=shapes, time_ticks=time_ticks(starts, interval),
                 value_ticks=value_ticks, columns=[s.name for s in series], rows=rows)  # fmt: skip


def share(value: int, largest: int) -> float:
    """A table row's bar length, in percent of the largest row's."""
    return round(100 * value / largest, 1) if largest else 0.0
