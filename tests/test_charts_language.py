"""Charts in the chosen language (issue 14, item 1): the figure builders of pages/_charts.py in English and
Chinese, the shared tick rule of metrics/display.py, and every page's Plotly specs under AppTest in Chinese.

A Chinese reader must never meet "Jan 2026", "Jan 1, 2026" or Plotly's "450k": month ticks are formatted
"%Y年%-m月" at whatever spacing Plotly picks for the width, and so is a month axis's hover; value ticks are given as
text in 万/亿, hover numbers are written by display.number, and Plotly's own words come from the zh-CN locale
passed with each chart. What chromium draws from these is read by tests/test_e2e_browser.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from metrics import display
from pages import PAGES, _charts

ROOT = Path(__file__).resolve().parents[1]
ENTRY = ROOT / "tests" / "app" / "entry.py"
PAGE_FILE = {key: Path(file) for file, key, _, _ in PAGES}
ASCII_MONTH = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\b")
ASCII_LETTER = re.compile(r"[A-Za-z]")
BAND_HOVER = {"en": _charts.BAND_HOVER, "zh": "{mean}（95%置信区间 {low}–{high}；评价人次 {n}）".format}


def months(year: int, first: int, count: int) -> list[str]:
    index = year * 12 + first - 1
    return [f"{(index + i) // 12}-{(index + i) % 12 + 1:02d}" for i in range(count)]


@pytest.fixture
def visits() -> pd.DataFrame:
    """Ten months of visits in the hundreds of thousands, as the sample's network has them."""
    return pd.DataFrame(
        {
            "period": months(2026, 1, 10),
            "value": [362_000.0, 247_500, 337_000, 330_000, 360_000, 331_000, 431_000, 465_000, 322_000, 359_000],
            "prior_value": [311_000.0, 262_000, 321_000, 314_000, 342_000, 322_000, 416_000, 446_000, 301_000, 342_000],
        }
    )


def value_axes(fig) -> list[dict]:
    """The layout of every axis a trace draws its values on (x for horizontal bars, else y)."""
    layout = fig.to_plotly_json()["layout"]
    found = {}
    for trace in fig.data:
        horizontal = getattr(trace, "orientation", None) == "h"
        ref = (trace.xaxis or "x") if horizontal else (trace.yaxis or "y")
        name = ("xaxis" if horizontal else "yaxis") + ref[1:]
        found[name] = layout.get(name, {})
    return list(found.values())


# ---------------------------------------------------------------- the tick rule (metrics/display.py)


@pytest.mark.parametrize(
    ("values", "language", "expected"),
    [
        ([248_000, 465_000], "zh", ["20万", "25万", "30万", "35万", "40万", "45万", "50万"]),
        ([248_000, 465_000], "en", ["200,000", "250,000", "300,000", "350,000", "400,000", "450,000", "500,000"]),
        ([12_000, 31_000], "zh", ["1.0万", "1.5万", "2.0万", "2.5万", "3.0万", "3.5万"]),
        ([1.2e8, 3.4e8], "zh", ["1.0亿", "1.5亿", "2.0亿", "2.5亿", "3.0亿", "3.5亿"]),
        ([-15_000, 30_000], "zh", ["-2万", "-1万", "0", "1万", "2万", "3万"]),
        ([88.0, 92.5], "zh", ["88", "89", "90", "91", "92", "93"]),
        ([0.2, 0.9], "en", ["0.2", "0.4", "0.6", "0.8", "1.0"]),
    ],
)
def test_axis_ticks_are_written_as_the_figures_are(values, language, expected):
    ticks = display.axis_ticks(values, language)
    assert ticks["ticktext"] == expected
    assert len(ticks["tickvals"]) == len(expected)


def test_axis_ticks_one_unit_per_axis_from_zero_and_edge_cases():
    # One unit for the whole axis: not "5,000" next to "1.0万".
    assert display.axis_ticks([0, 3_549_089], "zh", zero=True)["ticktext"] == ["0", "100万", "200万", "300万", "400万"]
    assert display.axis_ticks([6_000, 14_000], "zh", zero=True)["ticktext"] == ["0", "0.5万", "1.0万", "1.5万"]
    assert display.axis_ticks([float("nan"), None], "zh") == {}
    flat = display.axis_ticks([5.0, 5.0], "en")
    assert 5 in flat["tickvals"] and len(flat["tickvals"]) > 1  # a flat line still gets a scale around it


@pytest.mark.parametrize("language", ["en", "zh"])
def test_report_axis_uses_the_same_rule(sample_db_path, language):
    """The annual report's visits chart (reports/annual.py) is ticked by display.axis_ticks: one rule for the
    dashboard and the report."""
    from data import store
    from reports import annual
    from reports.document import Chart

    con, _ = store.open_reader(sample_db_path)
    try:
        report = annual.build(con, annual.Request(2026, lang=language))
    finally:
        con.close()
    (chart,) = [b for s in report.document.sections for b in s.blocks if isinstance(b, Chart)]
    values = [v for trace in chart.figure["data"] for v in trace["y"]]
    axis = chart.figure["layout"]["yaxis"]
    expected = display.axis_ticks(values, language, count=4, zero=True)
    assert list(axis["ticktext"]) == expected["ticktext"] and list(axis["tickvals"]) == expected["tickvals"]
    assert axis["exponentformat"] == "none"
    if language == "zh":
        assert all(t == "0" or t.endswith("万") for t in axis["ticktext"]), axis["ticktext"]


def test_name_order_is_pinyin_in_chinese_and_alphabetical_in_english():
    names = ["中心馆", "北区分馆", "阿城馆", "东区分馆"]
    assert display.in_name_order(names, "zh") == ["阿城馆", "北区分馆", "东区分馆", "中心馆"]
    assert display.in_name_order(["west", "East", "north", "East"], "en") == ["East", "north", "west"]


# ---------------------------------------------------------------- figure objects in both languages


def test_trend_in_chinese_has_chinese_months_and_wan_ticks(visits):
    fig = _charts.trend(visits, "到馆人次逐月", "到馆人次", "月份", "本期", "上年同期", language="zh")
    x = fig.layout.xaxis
    assert x.type == "date" and x.hoverformat == "%Y年%-m月"  # a month in the hover, not "Jan 1, 2026"
    # Plotly spaces the ticks to the chart's width; whatever spacing it takes is written in Chinese.
    assert [(stop.dtickrange, stop.value) for stop in x.tickformatstops] == [
        ((None, _charts.TWO_WEEKS), "%-m月%-d日"),
        (("M1", "M6"), "%Y年%-m月"),
        (("M12", None), "%Y年"),
    ]
    y = fig.layout.yaxis
    assert list(y.ticktext) == ["20万", "25万", "30万", "35万", "40万", "45万", "50万"]
    assert y.exponentformat == "none"  # nothing left to Plotly's SI suffixes either
    prior, current = fig.data
    assert current.customdata[0] == "36.2万" and prior.customdata[7] == "44.6万"
    assert current.hovertemplate == "%{customdata}"
    assert not ASCII_MONTH.search(fig.to_json())


def test_trend_in_english_has_short_months_and_full_numbers(visits):
    fig = _charts.trend(visits, "Visits by month", "Visits", "Month", "This period", "A year earlier")
    assert [stop.value for stop in fig.layout.xaxis.tickformatstops] == ["%b %-d", "%b %Y", "%Y"]
    assert fig.layout.xaxis.hoverformat == "%B %Y"
    assert "450,000" in fig.layout.yaxis.ticktext
    assert not any("k" in text for text in fig.layout.yaxis.ticktext)
    assert fig.data[1].customdata[0] == "362,000"


def test_one_or_two_months_are_labelled_as_given():
    """Around a lone point Plotly would tick hours; one or two months get their own labels."""
    table = pd.DataFrame({"period": ["2026-01", "2026-02"], "value": [1.0, 2.0], "prior_value": [1.0, 1.5]})
    fig = _charts.trend(table, "t", "y", "x", "now", "before", language="zh")
    assert list(fig.layout.xaxis.ticktext) == ["2026年1月", "2026年2月"]
    assert list(fig.layout.xaxis.tickvals) == ["2026-01", "2026-02"]
    english = _charts.trend(table.iloc[:1], "t", "y", "x", "now", "before")
    assert list(english.layout.xaxis.ticktext) == ["Jan 2026"]


def test_quarters_are_named_on_a_category_axis():
    band = pd.DataFrame(
        {
            "period": ["2025-Q3", "2025-Q4"],
            "mean": [88.0, 90.0],
            "ci_low": [86.0, 89.0],
            "ci_high": [90.0, 91.0],
            "n": [12_000, 300],
            "low_confidence": [False, False],
        }
    )
    fig = _charts.confidence_band(
        band, "满意度", "满意度", "", "满意度", "回复少于30", hover="{mean}｜{n}".format, language="zh"
    )
    assert list(fig.data[2].x) == ["2025年第3季度", "2025年第4季度"]
    assert fig.layout.xaxis.type == "category"
    assert list(fig.data[2].customdata) == ["88.0｜1.2万", "90.0｜300"]


def every_builder(language: str) -> list:
    periods = months(2026, 1, 4)
    trend = pd.DataFrame({"period": periods, "value": [120_000.0, 135_000, 90_000, 150_000]})
    trend["prior_value"] = trend["value"] * 0.9
    band = pd.DataFrame(
        {
            "period": periods,
            "mean": [88.0, 90.5, 86.0, 91.0],
            "ci_low": [86.0, 89.0, 80.0, 89.5],
            "ci_high": [90.0, 92.0, 92.0, 92.5],
            "n": [120, 250, 12, 300],
            "low_confidence": [False, False, True, False],
        }
    )
    bars = pd.DataFrame({"category": ["讲座", "展览"], "value": [45_000.0, 12_000]})
    changes = pd.DataFrame({"branch": ["东区分馆", "西区分馆"], "change": [23_000.0, -8_000]})
    multiples = pd.concat([trend.assign(branch=name) for name in ("中心馆", "北区分馆", "阿城馆")])
    scores = pd.DataFrame(
        {"score": [1, 2, 3, 4, 5], "answers": [30, 50, 2_000, 12_000, 34_000], "top2": [0, 0, 0, 1, 1]}
    )
    return [
        _charts.trend(trend, "t", "y", "x", "now", "before", flagged={"2026-02"}, language=language),
        _charts.confidence_band(band, "t", "y", "x", "m", "l", hover=BAND_HOVER[language], language=language),
        _charts.bars(trend, "period", "value", "t", "x", "y", language=language),
        _charts.bars(bars, "category", "value", "t", "", "y", horizontal=True, language=language),
        _charts.contribution(changes, "branch", "t", "x", language=language),
        _charts.small_multiples(multiples, "branch", "t", language=language),
        _charts.histogram(scores.assign(top2=scores["top2"].astype(bool)), "t", "x", "y", language=language),
    ]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_value_axis_is_given_as_text(language):
    """No value axis is left to Plotly's tick formatting, so "120k" cannot appear; in Chinese the ticks of
    counts past ten thousand are in 万, and no tick or hover text holds a Latin letter."""
    for fig in every_builder(language):
        for axis in value_axes(fig):
            assert axis.get("ticktext"), (fig.layout.title.text, axis)
            assert axis.get("exponentformat") == "none"
            if language == "zh":
                assert not any(ASCII_LETTER.search(text) for text in axis["ticktext"]), axis["ticktext"]
        for trace in fig.data:
            if trace.customdata is not None and language == "zh":
                assert not any(ASCII_LETTER.search(str(text)) for text in trace.customdata), trace.customdata
        if language == "zh":
            assert not ASCII_MONTH.search(fig.to_json())
    trend, _, _, categories, contribution, multiples, histogram = every_builder("zh")
    assert list(trend.layout.yaxis.ticktext) == ["8万", "10万", "12万", "14万", "16万"]
    assert list(trend.data[1].customdata) == ["12.0万", "13.5万", "9.0万", "15.0万"]
    assert list(categories.data[0].customdata) == ["4.5万", "1.2万"]
    assert list(contribution.data[0].customdata) == ["+2.3万", "-8,000"]
    assert [a.text for a in multiples.layout.annotations] == ["阿城馆", "北区分馆", "中心馆"]
    assert list(histogram.data[0].customdata)[-1] == "3.4万"


def test_config_passes_a_chinese_locale_plotly_does_not_bundle():
    zh = _charts.config("zh")
    assert zh["locale"] == "zh-CN"
    locale = zh["locales"]["zh-CN"]
    # The words of the toolbar Streamlit shows on a 2-D chart, and Plotly's own date formats.
    for word in ("Download plot as a PNG", "Zoom", "Pan", "Zoom in", "Zoom out", "Autoscale", "Reset axes"):
        assert not ASCII_LETTER.search(locale["dictionary"][word]), word
    assert locale["format"]["month"] == "%Y年%-m月" and locale["format"]["dayMonthYear"] == "%Y年%-m月%-d日"
    assert locale["format"]["shortMonths"][0] == "1月"
    assert _charts.config("en") == {"locale": "en-US"}


# ---------------------------------------------------------------- every page's charts under AppTest, in Chinese


@pytest.fixture
def app_env(sample_db_path, monkeypatch):
    monkeypatch.setenv("KPI_DB", str(sample_db_path))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def open_page(page: str, query: dict[str, str]) -> AppTest:
    at = AppTest.from_file(str(ENTRY), default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(str(PAGE_FILE[page]))
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def specs(at: AppTest) -> dict[str, tuple[dict, dict]]:
    """Every Plotly chart on the page by its key: (figure spec, config), as sent to the browser."""
    return {
        chart.proto.id.rsplit("-", 1)[-1]: (json.loads(chart.proto.spec), json.loads(chart.proto.config))
        for chart in at.get("plotly_chart")
    }


CHART_PAGES = {
    "overview": {"trend_chart", "satisfaction_chart"},
    "branches": {"contribution", "multiples"},
    "events": {"sessions_category", "participation_category", "completion", "sat_category"},
    "satisfaction": {"sat_trend", "sat_by_chart", "histogram"},
    "report": set(),  # the report's own chart, keyed by its place in the document
}


@pytest.mark.parametrize("page", list(CHART_PAGES))
def test_chart_specs_in_chinese_have_no_english_months_or_si_ticks(app_env, page):
    at = open_page(page, {"lang": "zh"})
    if page == "branches":
        at.selectbox(key="drill").set_value("north")
        at.run()
        assert not at.exception
    shown = specs(at)
    assert CHART_PAGES[page] <= set(shown), set(shown)
    assert shown, "no chart on the page"
    for key, (spec, config) in shown.items():
        text = json.dumps(spec, ensure_ascii=False)
        assert not ASCII_MONTH.search(text), (key, ASCII_MONTH.search(text).group(0))
        assert config["locale"] == "zh-CN", key
        layout = spec["layout"]
        for name, axis in layout.items():
            if not re.fullmatch(r"[xy]axis\d*", name):
                continue
            if "ticktext" in axis:
                assert not any(ASCII_LETTER.search(t) for t in axis["ticktext"]), (key, name, axis["ticktext"])
            if axis.get("type") == "date":
                assert axis["hoverformat"] == "%Y年%-m月", (key, name)
                assert all("年" in stop["value"] or "月" in stop["value"] for stop in axis["tickformatstops"])
    if page == "branches":
        spec, _ = shown["multiples"]
        titles = [a["text"] for a in spec["layout"]["annotations"]]
        assert titles == display.in_name_order(titles, "zh")
        assert all(not ASCII_LETTER.search(t) for t in titles), titles  # the sample's branches have Chinese names
        assert {"drill_trend", "drill_satisfaction"} <= set(shown)
