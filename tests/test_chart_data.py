"""Every page's chart data is the metric layer's, for the same filter (issue 11, items 2 and 4).

Each page runs under AppTest on a real database; the Plotly figures are read from the elements' protos
and compared with metrics.engine.compute / metrics.satisfaction for the same Filter. The view is a custom
period given in the link, so the expected Filter is written out here, not derived from the page's own
code. Cards: a share or a 0-100 score changes in points ("pts"; 个百分点 for a share, 分 for a score), a
count in percent; the breakdowns of an additive metric add up to its card.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from conftest import FIXTURES
from streamlit.testing.v1 import AppTest

from data import cli, db
from metrics import engine, satisfaction
from metrics.filters import Filter
from metrics.registry import get
from pages import PAGES, _tables
from pages._i18n import CODES, number

ROOT = Path(__file__).resolve().parents[1]
ENTRY = ROOT / "tests" / "app" / "entry.py"
PAGE_FILE = {key: Path(file) for file, key, _, _ in PAGES}
YEAR_2025 = {"period": "custom", "date_from": "2025-01-01", "date_to": "2025-12-31"}
FLT = Filter(date_from=dt.date(2025, 1, 1), date_to=dt.date(2025, 12, 31))
DIMENSION_TITLES = {"category": "By category", "audience": "By audience", "format": "By format"}


# ---------------------------------------------------------------- fixtures and helpers


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("chart_data") / "kpi.duckdb"
    assert cli.build_sample(str(path)) == 0
    return path


def use_database(path: Path, monkeypatch):
    monkeypatch.setenv("KPI_DB", str(path))
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def con(sample_db, monkeypatch):
    """$KPI_DB at the sample, empty Streamlit caches, and a connection of our own for the expected figures."""
    use_database(sample_db, monkeypatch)
    connection = db.connect(sample_db, read_only=True)
    yield connection
    connection.close()
    st.cache_data.clear()
    st.cache_resource.clear()


def open_page(page: str, query: dict[str, str]) -> AppTest:
    at = AppTest.from_file(str(ENTRY), default_timeout=30)
    for key, value in query.items():
        at.query_params[key] = value
    at = ok(at.run())
    at.switch_page(str(PAGE_FILE[page]))
    return ok(at.run())


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def decode(values):
    """Plotly's binary-encoded arrays ({"dtype", "bdata"}) as lists."""
    if isinstance(values, dict) and "bdata" in values:
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return list(values) if values is not None else []


def figures(at: AppTest) -> dict[str, dict]:
    """Every Plotly chart on the page by its key: {"title": text, "traces": [{name, x, y}]}."""
    out = {}
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        traces = [{"name": t.get("name"), "x": decode(t.get("x")), "y": decode(t.get("y"))} for t in spec["data"]]
        out[chart.proto.id.rsplit("-", 1)[-1]] = {"title": spec["layout"]["title"]["text"], "traces": traces}
    return out


def same(shown, expected) -> bool:
    """Two number lists equal, NaN (no value) matching NaN or a JSON null."""
    left = np.array([np.nan if v is None else v for v in shown], dtype=float)
    right = np.array([np.nan if v is None else v for v in expected], dtype=float)
    return left.shape == right.shape and bool(np.allclose(left, right, equal_nan=True))


def english(code: str) -> str:
    return CODES[code][0] if code in CODES else code.replace("_", " ")


def card(at: AppTest, label: str):
    (found,) = [m for m in at.metric if m.label == label]
    return found


# ---------------------------------------------------------------- Overview


@pytest.mark.parametrize("metric_id", ["visits", "loans"])
def test_overview_trend_and_satisfaction_are_the_metric_layers(con, metric_id):
    at = open_page("overview", {**YEAR_2025, "metric": metric_id})
    shown = figures(at)
    trend = engine.compute(con, metric_id, FLT, "month", compare=True).table
    prior, current = shown["trend_chart"]["traces"][:2]
    assert current["x"] == prior["x"] == list(trend["period"])
    assert same(current["y"], trend["value"]) and same(prior["y"], trend["prior_value"])
    assert shown["trend_chart"]["title"].startswith(get(metric_id).label_en)

    sat = satisfaction.trend(con, FLT, "month")
    high, low, mean = shown["satisfaction_chart"]["traces"][:3]
    assert mean["x"] == list(sat["period"])
    assert same(mean["y"], sat["mean"]) and same(low["y"], sat["ci_low"]) and same(high["y"], sat["ci_high"])


# ---------------------------------------------------------------- Events


def test_events_charts_are_the_metric_layers_and_add_up_to_the_cards(con):
    at = open_page("events", YEAR_2025)
    shown = figures(at)
    for dimension, title in DIMENSION_TITLES.items():
        for key, metric_id in (("sessions", "events"), ("participation", "participation")):
            table = engine.compute(con, metric_id, FLT, "window", by=dimension, compare=True).table
            (bars,) = shown[f"{key}_{dimension}"]["traces"]
            assert dict(zip(bars["y"], bars["x"], strict=True)) == {
                english(code): value for code, value in zip(table[dimension], table["value"], strict=True)
            }
            label = get(metric_id).label_en
            assert shown[f"{key}_{dimension}"]["title"] == f"{label} · {title}"
            # The parts add up to the metric's own card.
            assert number(sum(bars["x"]), "int", "en") == card(at, label).value
    # The participation card is attendance plus online attendance, each card as the engine has it.
    values = {
        m: engine.compute(con, m, FLT, "window").table["value"].iloc[0] for m in ("attendance", "online_attendance")
    }
    participation = engine.compute(con, "participation", FLT, "window").table["value"].iloc[0]
    assert participation == values["attendance"] + values["online_attendance"]
    per_event = engine.compute(con, "attendance_per_event", FLT, "window").table["value"].iloc[0]
    in_person = con.execute(
        "SELECT sum(sessions) FROM events WHERE NOT planned AND format <> 'online' AND attendance IS NOT NULL "
        "AND date BETWEEN ? AND ?",
        [FLT.date_from, FLT.date_to],
    ).fetchone()[0]
    assert per_event == pytest.approx(values["attendance"] / in_person)  # the Attendance card's attendance

    completion = engine.compute(con, "plan_completion", FLT, "month").table
    (bars,) = shown["completion"]["traces"]
    assert bars["x"] == list(completion["period"]) and same(bars["y"], completion["value"])
    assert shown["completion"]["title"] == get("plan_completion").label_en
    sat = satisfaction.trend(con, FLT, "year", 1, "category")
    latest = sat[sat["period_start"] == sat["period_start"].max()]
    (bars,) = shown["sat_category"]["traces"]
    assert dict(zip(bars["y"], bars["x"], strict=True)) == pytest.approx(
        {english(c): v for c, v in zip(latest["category"], latest["mean"], strict=True)}
    )


# ---------------------------------------------------------------- Branches


def test_branches_ranking_contribution_and_multiples_are_the_metric_layers(con):
    at = open_page("branches", YEAR_2025)
    result = engine.compute(con, "visits", FLT, "window", by="branch", compare=True)
    expected = engine.rank(result.table, get("visits"))
    ranking = at.dataframe[0].value
    assert list(ranking["branch"]) == list(expected["branch"])
    formats = {"value": "int", "prior_value": "int", "yoy_pct": _tables.CHANGE, "share": "pct1"}
    written = _tables.written(expected, formats, "en")
    for column in formats:  # written as the cards write figures
        assert list(ranking[column]) == list(written[column]), column
    assert [float(s.rstrip("%")) for s in ranking["share"]] == pytest.approx(
        list(expected["value"] / expected["value"].sum() * 100), abs=0.05
    )

    shown = figures(at)
    changes = engine.contribution(result)
    (bars,) = shown["contribution"]["traces"]
    assert dict(zip(bars["y"], bars["x"], strict=True)) == dict(zip(changes["branch"], changes["change"], strict=True))
    monthly = engine.compute(con, "visits", FLT, "month", by="branch").table
    for trace in shown["multiples"]["traces"]:
        part = monthly[monthly["branch"] == trace["name"]]
        assert trace["x"] == list(part["period"]) and same(trace["y"], part["value"]), trace["name"]
    assert {t["name"] for t in shown["multiples"]["traces"]} == set(monthly["branch"])

    # One branch in detail: its trend is the engine's for the branch with its reading rooms.
    at.selectbox(key="drill").set_value("north")
    shown = figures(ok(at.run()))
    one = Filter(date_from=FLT.date_from, date_to=FLT.date_to, branches=("north",))
    trend = engine.compute(con, "visits", one, "month", compare=True).table
    prior, current = shown["drill_trend"]["traces"][:2]
    assert current["x"] == list(trend["period"])
    assert same(current["y"], trend["value"]) and same(prior["y"], trend["prior_value"])


# ---------------------------------------------------------------- Satisfaction


def test_satisfaction_charts_and_cards_are_the_metric_layers(con):
    at = open_page("satisfaction", YEAR_2025)
    shown = figures(at)
    sat = satisfaction.trend(con, FLT, "month")
    mean = shown["sat_trend"]["traces"][2]
    assert mean["x"] == list(sat["period"]) and same(mean["y"], sat["mean"])
    scores = satisfaction.distribution(con, FLT)
    (bars,) = shown["histogram"]["traces"]
    assert same(bars["y"], scores["answers"]) and bars["x"] == [f"{s:g}" for s in scores["score"]]
    for metric_id, unit in (("satisfaction", " pts"), ("satisfied_share", " pts"), ("responses", "%")):
        row = engine.compute(con, metric_id, FLT, "window", compare=True).table.iloc[0]
        change = row["change"] if unit == " pts" else row["yoy_pct"]
        assert card(at, get(metric_id).label_en).delta == f"{change:+.1f}{unit}", metric_id


# ---------------------------------------------------------------- item 4 on a hand-counted database

SURVEYS = (
    "respondent_id,date,branch,question,score,scale_max\n"
    "r1,2023-03-05,Albany Park,overall,3,5\n"  # 60
    "r2,2023-03-06,Bezazian,overall,4,5\n"  # 80, top two
    "r3,2024-03-05,Albany Park,overall,4,5\n"  # 80, top two
    "r4,2024-03-06,Bezazian,overall,5,5\n"  # 100, top two
    "r5,2024-03-07,Chinatown,overall,3,5\n"  # 60
)
# The satisfaction data ends in March 2024, so the year 2024 is January-March against January-March 2023:
#   satisfaction    (80 + 100 + 60) / 3 = 80 against (60 + 80) / 2 = 70: +10.0 points (the percent, +14.3%, is wrong)
#   satisfied_share 2 of 3 = 66.7% against 1 of 2 = 50%: +16.7 points
#   responses       3 against 2: +50.0%
VISITS = "month,branch,visits\n2023-03,Albany Park,100\n2024-12,Albany Park,120\n"  # the data's as-of date
HAND_CARDS = {
    "en": {"Satisfaction": "+10.0 pts", "Share satisfied": "+16.7 pts", "Responses": "+50.0%"},
    "zh": {"满意度": "+10.0分", "满意率": "+16.7个百分点", "评价人次": "+50.0%"},
}


@pytest.fixture
def hand_db(tmp_path, monkeypatch):
    files = {"visits.csv": VISITS, "surveys.csv": SURVEYS}
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    path = tmp_path / "kpi.duckdb"
    paths = [str(FIXTURES / "import" / "branches.csv"), *(str(tmp_path / name) for name in files)]
    assert cli.main(["import", "--db", str(path), *paths]) == 0
    use_database(path, monkeypatch)
    yield path
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_satisfaction_deltas_are_points_and_counts_percent(hand_db, lang):
    query = {"period": "custom", "date_from": "2024-01-01", "date_to": "2024-12-31"}
    if lang == "zh":
        query["lang"] = "zh"
    at = open_page("satisfaction", query)
    assert {m.label: m.delta for m in at.metric} == HAND_CARDS[lang]
    assert {m.label: m.value for m in at.metric} == dict(zip(HAND_CARDS[lang], ("80.0", "66.7%", "3"), strict=True))
    # "Responses" are explained as answers, not people, where the count and the distribution of answers appear.
    note = {"en": "Responses are answers, not people", "zh": "评价人次按回答条数计，不是人数"}[lang]
    assert any(note in c.value for c in at.caption)
    responses = card(at, {"en": "Responses", "zh": "评价人次"}[lang])
    assert {"en": "not people", "zh": "不是人数"}[lang] in responses.proto.help

    overview = open_page("overview", query)
    assert (
        card(overview, {"en": "Satisfaction", "zh": "满意度"}[lang]).delta
        == HAND_CARDS[lang][{"en": "Satisfaction", "zh": "满意度"}[lang]]
    )
