"""pages/_charts.py: each figure builder as a pure function of a small hand-made table."""

from __future__ import annotations

import pandas as pd
import pytest

from pages import _charts


def months(n: int = 4) -> list[str]:
    return [f"2025-{m:02d}" for m in range(1, n + 1)]


@pytest.fixture
def trend_table() -> pd.DataFrame:
    return pd.DataFrame(
        {"period": months(), "value": [120.0, 135.0, 90.0, 150.0], "prior_value": [100.0, 110.0, 95.0, 140.0]}
    )


@pytest.fixture
def band_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "period": months(),
            "mean": [88.0, 90.5, 86.0, 91.0],
            "ci_low": [86.0, 89.0, 80.0, 89.5],
            "ci_high": [90.0, 92.0, 92.0, 92.5],
            "n": [120, 250, 12, 300],
            "low_confidence": [False, False, True, False],
        }
    )


def test_trend_prior_and_current_lines_with_titles(trend_table):
    fig = _charts.trend(trend_table, "Visits by month", "Visits", "Month", "This period", "A year earlier")
    assert [trace.name for trace in fig.data] == ["A year earlier", "This period"]
    prior, current = fig.data
    assert list(prior.x) == months() and list(prior.y) == [100.0, 110.0, 95.0, 140.0]
    assert list(current.x) == months() and list(current.y) == [120.0, 135.0, 90.0, 150.0]
    assert prior.line.dash == "dot" and prior.line.color == _charts.PRIOR
    assert current.line.color == _charts.CURRENT and current.mode == "lines+markers"
    assert fig.layout.title.text == "Visits by month"
    assert fig.layout.xaxis.title.text == "Month" and fig.layout.yaxis.title.text == "Visits"
    assert all(trace.hovertemplate == "%{customdata}" for trace in fig.data)  # numbers written as on the cards
    assert list(prior.customdata) == ["100", "110", "95", "140"]


def test_trend_flag_markers_only_for_flagged_periods(trend_table):
    fig = _charts.trend(trend_table, "t", "y", "x", "now", "before", flagged={"2025-03", "2024-12"})
    assert len(fig.data) == 3
    marks = fig.data[2]
    assert marks.name == "⚠" and marks.mode == "markers"
    assert list(marks.x) == ["2025-03"] and list(marks.y) == [90.0]  # a flag outside the table draws nothing
    assert marks.marker.color == _charts.FLAG

    assert len(_charts.trend(trend_table, "t", "y", "x", "now", "before").data) == 2
    assert len(_charts.trend(trend_table, "t", "y", "x", "now", "before", flagged={"1999-01"}).data) == 2


def test_trend_hover_numbers_follow_the_metrics_format(trend_table):
    fig = _charts.trend(trend_table, "t", "%", "x", "now", "before", fmt="pct1")
    assert list(fig.data[1].customdata) == ["120.0%", "135.0%", "90.0%", "150.0%"]


def test_trend_keeps_chinese_text_as_given(trend_table):
    fig = _charts.trend(trend_table, "到馆人次逐月：本期与上年同期", "到馆人次", "月份", "本期", "上年同期")
    assert fig.layout.title.text == "到馆人次逐月：本期与上年同期"
    assert fig.layout.xaxis.title.text == "月份" and fig.layout.yaxis.title.text == "到馆人次"
    assert [trace.name for trace in fig.data] == ["上年同期", "本期"]
    assert "Noto Sans CJK SC" in fig.layout.font.family


def test_confidence_band_mean_band_and_low_confidence_markers(band_table):
    fig = _charts.confidence_band(band_table, "Satisfaction", "Score", "Month", "Mean", "fewer than 30 responses")
    assert len(fig.data) == 4
    high, low, mean, few = fig.data
    assert list(high.y) == [90.0, 92.0, 92.0, 92.5] and high.showlegend is False
    assert list(low.y) == [86.0, 89.0, 80.0, 89.5] and low.fill == "tonexty" and low.fillcolor == _charts.BAND
    assert mean.name == "Mean" and list(mean.y) == [88.0, 90.5, 86.0, 91.0]
    assert mean.hovertemplate == "%{customdata}"
    assert list(mean.customdata) == [
        "88.0 (95%: 86.0–90.0; n = 120)",
        "90.5 (95%: 89.0–92.0; n = 250)",
        "86.0 (95%: 80.0–92.0; n = 12)",
        "91.0 (95%: 89.5–92.5; n = 300)",
    ]
    assert few.name == "fewer than 30 responses"
    assert list(few.x) == ["2025-03"] and list(few.y) == [86.0]
    assert few.marker.color == "white" and few.marker.line.color == _charts.FLAG
    assert fig.layout.title.text == "Satisfaction" and fig.layout.yaxis.title.text == "Score"


def test_confidence_band_without_low_confidence_has_no_marker_trace(band_table):
    band_table["low_confidence"] = False
    fig = _charts.confidence_band(band_table, "满意度逐月", "满意度", "月份", "满意度", "回复少于30")
    assert len(fig.data) == 3
    assert "回复少于30" not in [trace.name for trace in fig.data]
    assert fig.layout.title.text == "满意度逐月"


def test_bars_vertical():
    table = pd.DataFrame({"period": months(3), "value": [95.5, 101.25, 88.0]})
    fig = _charts.bars(table, "period", "value", "Plan completion", "Month", "%", fmt="pct1")
    (bar,) = fig.data
    assert bar.type == "bar" and bar.orientation in (None, "v")
    assert list(bar.x) == months(3) and list(bar.y) == [95.5, 101.25, 88.0]
    assert bar.hovertemplate == "%{customdata}<extra></extra>"
    assert list(bar.customdata) == ["95.5%", "101.2%", "88.0%"]
    assert fig.layout.xaxis.type == "date"  # months stand on a time axis
    assert fig.layout.xaxis.title.text == "Month" and fig.layout.yaxis.title.text == "%"


def test_bars_horizontal_swaps_axes_and_lists_top_down():
    table = pd.DataFrame({"category": ["lecture", "讲座", "=cmd"], "sessions": [30, 12, 4]})
    fig = _charts.bars(table, "category", "sessions", "Sessions · By category", "", "Sessions", horizontal=True)
    (bar,) = fig.data
    assert bar.orientation == "h"
    assert list(bar.y) == ["lecture", "讲座", "=cmd"] and list(bar.x) == [30, 12, 4]
    assert bar.hovertemplate == "%{customdata}<extra></extra>" and list(bar.customdata) == ["30", "12", "4"]
    assert fig.layout.hovermode == "y unified"  # the hover is headed by the bar's name
    assert fig.layout.yaxis.autorange == "reversed"
    assert fig.layout.xaxis.title.text == "Sessions"  # the value axis carries the value's title
    assert fig.layout.title.text == "Sessions · By category"


def test_contribution_colours_by_sign_largest_change_first():
    table = pd.DataFrame({"branch": ["A", "B", "C", "D"], "change": [50.0, -200.0, 0.0, 120.0]})
    fig = _charts.contribution(table, "branch", "Contribution to the change", "Change")
    (bar,) = fig.data
    assert list(bar.y) == ["B", "D", "A", "C"]
    assert list(bar.x) == [-200.0, 120.0, 50.0, 0.0]
    gain, loss = _charts.PALETTE[2], _charts.FLAG
    assert list(bar.marker.color) == [loss, gain, gain, gain]  # no change counts as no loss
    assert bar.hovertemplate == "%{customdata}<extra></extra>" and fig.layout.hovermode == "y unified"
    assert list(bar.customdata) == ["-200", "+120", "+50", "0"]
    assert fig.layout.yaxis.autorange == "reversed"
    assert fig.layout.xaxis.title.text == "Change" and fig.layout.title.text == "Contribution to the change"


def test_small_multiples_one_panel_per_name_in_name_order():
    names = ["城东分馆", "North Branch", "West Branch", "South Branch", "Old Town Branch"]
    ordered = ["North Branch", "Old Town Branch", "South Branch", "West Branch", "城东分馆"]
    table = pd.DataFrame(
        [
            {"period": p, "branch": n, "value": float(i * 10 + j)}
            for i, n in enumerate(names)
            for j, p in enumerate(months(3))
        ]
    )
    fig = _charts.small_multiples(table, "branch", "Each branch by month", columns=2)
    assert [a.text for a in fig.layout.annotations] == ordered
    assert [trace.name for trace in fig.data] == ordered
    assert all(trace.showlegend is False for trace in fig.data)
    assert list(fig.data[0].x) == months(3) and list(fig.data[0].y) == [10.0, 11.0, 12.0]  # North Branch
    assert all(trace.hovertemplate == "%{customdata}<extra></extra>" for trace in fig.data)
    # 5 names in 2 columns: 3 rows, filled left to right.
    assert [(trace.xaxis, trace.yaxis) for trace in fig.data] == [
        ("x", "y"),
        ("x2", "y2"),
        ("x3", "y3"),
        ("x4", "y4"),
        ("x5", "y5"),
    ]
    assert fig.layout.height == max(300, 170 * 3)
    assert fig.layout.title.text == "Each branch by month"


def test_small_multiples_single_name_and_empty():
    one = pd.DataFrame({"period": months(2), "branch": ["Main", "Main"], "value": [1.0, 2.0]})
    fig = _charts.small_multiples(one, "branch", "t")
    assert len(fig.data) == 1 and [a.text for a in fig.layout.annotations] == ["Main"]
    empty = _charts.small_multiples(one.iloc[0:0], "branch", "t")
    assert len(empty.data) == 0


def test_histogram_top_two_boxes_highlighted():
    table = pd.DataFrame(
        {"score": [1, 2, 3, 4, 5], "answers": [3, 5, 20, 1200, 3400], "top2": [False] * 3 + [True] * 2}
    )
    fig = _charts.histogram(table, "Scores given", "Score", "Answers")
    (bar,) = fig.data
    assert list(bar.x) == ["1", "2", "3", "4", "5"] and list(bar.y) == [3, 5, 20, 1200, 3400]
    assert list(bar.marker.color) == [_charts.PRIOR] * 3 + [_charts.CURRENT] * 2
    assert bar.hovertemplate == "%{customdata}<extra></extra>"
    assert list(bar.customdata) == ["3", "5", "20", "1,200", "3,400"]
    halves = _charts.histogram(table.assign(score=[1.0, 2.0, 2.5, 4.0, 5.0]), "t", "x", "y")
    assert list(halves.data[0].x) == ["1", "2", "2.5", "4", "5"]  # a score as a number is written, not "1.0"
    assert fig.layout.xaxis.title.text == "Score" and fig.layout.yaxis.title.text == "Answers"


def test_every_builder_shares_the_layout(trend_table, band_table):
    figures = [
        _charts.trend(trend_table, "t", "y", "x", "now", "before"),
        _charts.confidence_band(band_table, "t", "y", "x", "m", "l"),
        _charts.bars(trend_table, "period", "value", "t", "x", "y"),
        _charts.contribution(trend_table.assign(change=[1, -1, 2, -2]), "period", "t", "x"),
        _charts.small_multiples(trend_table.assign(branch="A"), "branch", "t"),
        _charts.histogram(pd.DataFrame({"score": [1], "answers": [1], "top2": [False]}), "t", "x", "y"),
    ]
    for fig in figures:
        assert fig.layout.font.family == _charts.FONT
        assert list(fig.layout.colorway) == _charts.PALETTE
        assert fig.layout.title.x == 0
        # Below the toolbar's row (always shown on a phone), and inside the top margin.
        assert fig.layout.title.yref == "container" and fig.layout.title.pad.t == _charts.TOOLBAR
        assert fig.layout.margin.t > _charts.TOOLBAR + 20 and fig.layout.margin.l == 10
