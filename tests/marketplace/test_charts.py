"""The geometry of the dashboard's SVG charts (marketplace.charts): scales, bars, step lines with
gaps, time labels, and the data table that stands in for the picture."""

from datetime import UTC, datetime, timedelta

import pytest

from marketplace import charts


def hours(count: int) -> list[datetime]:
    start = datetime(2026, 12, 1, 10, tzinfo=UTC)
    return [start + timedelta(hours=n) for n in range(count)]


@pytest.mark.parametrize(
    ("peak", "whole", "top", "step"),
    [(0, True, 4, 1), (1, True, 4, 1), (7, True, 8, 2), (9, True, 20, 5), (9, False, 10, 2.5),
     (1234, True, 2000, 500), (0.7, False, 0.8, 0.2), (120, False, 200, 50)],
)  # fmt: skip
def test_the_value_axis_reaches_the_peak_in_round_steps(peak, whole, top, step):
    assert charts.nice_scale(peak, whole=whole) == (top, step)
    assert top >= peak and top == pytest.approx(step * charts.GRID_LINES)


def test_bars_stand_in_their_period_and_scale_to_the_axis():
    chart = charts.chart(id="c", title="t", desc="d", starts=hours(4), interval="hour", whole=True,
                         series=[charts.Series("Requests", "series-requests", [0, 8, 2, 0])])  # fmt: skip
    bars = chart.shapes[0].rects
    assert len(bars) == 2  # nothing drawn for an empty period
    slot = charts.PLOT_WIDTH / 4
    first, second = bars
    assert first.x == pytest.approx(slot + slot * charts.BAR_GAP)
    assert first.x + first.width < 2 * slot  # inside its own period
    assert (first.y, first.height) == (0, charts.PLOT_HEIGHT)  # 8 of 8: the whole height
    assert (
        second.height == pytest.approx(charts.PLOT_HEIGHT / 4)
        and second.y + second.height == charts.PLOT_HEIGHT
    )
    # the grid: 0 at the bottom of the plot, the top value at its top
    assert [t.label for t in chart.value_ticks] == ["0", "2", "4", "6", "8"]
    assert chart.value_ticks[0].position == charts.PLOT_TOP + charts.PLOT_PIXELS
    assert chart.value_ticks[-1].position == charts.PLOT_TOP


def test_a_tiny_bar_next_to_a_busy_one_stays_visible():
    chart = charts.chart(id="c", title="t", desc="d", starts=hours(2), interval="hour", whole=True,
                         series=[charts.Series("Requests", "r", [1, 100_000])])  # fmt: skip
    assert chart.shapes[0].rects[0].height == charts.MIN_BAR


def test_steps_hold_a_level_per_period_and_break_where_there_is_none():
    chart = charts.chart(id="c", title="t", desc="d", starts=hours(5), interval="hour", unit=" ms",
                         series=[charts.Series("p50", "series-p50", [10.0, 20.0, None, 40.0, None], kind="steps")])  # fmt: skip
    # top 40: 10 → y 75, 20 → y 50, 40 → y 0; periods 200 wide
    assert chart.shapes[0].path == "M0 75H200V50H400M600 0H800"
    assert chart.shapes[0].rects == []
    assert chart.rows[2] == ("2026-12-01 12:00", ["–"])
    assert chart.rows[0] == ("2026-12-01 10:00", ["10 ms"])


def test_time_labels_are_few_spread_and_kept_inside_the_chart():
    ticks = charts.time_ticks(hours(24), "hour")
    assert len(ticks) == charts.MAX_TIME_LABELS
    assert (ticks[0].label, ticks[0].anchor, ticks[0].position) == ("10:00", "start", 0)
    assert (ticks[-1].label, ticks[-1].anchor, ticks[-1].position) == ("09:00", "end", 100)
    assert all(t.anchor == "middle" and 0 < t.position < 100 for t in ticks[1:-1])
    days = charts.time_ticks([datetime(2026, 12, d, tzinfo=UTC) for d in (1, 2, 3)], "day")
    assert [t.label for t in days] == ["Dec 1", "Dec 2", "Dec 3"]
    assert [t.label for t in charts.time_ticks(hours(1), "minute")] == ["10:00"]
    assert charts.time_ticks([], "day") == []


def test_numbers_read_short_on_the_axis_and_exact_in_the_table():
    assert [charts.compact(v) for v in (0, 999, 1234, 2_500_000, 0.5, None)] == [
        "0",
        "999",
        "1.2k",
        "2.5M",
        "0.5",
        "–",
    ]
    assert charts.compact(12.0, " ms") == "12 ms"
    assert [charts.exact(v) for v in (1234, 12.5, 3.0, None)] == ["1,234", "12.5", "3", "–"]
    assert charts.share(5, 20) == 25.0 and charts.share(0, 0) == 0.0
