"""Targets (metrics/targets.py, metrics.engine.attainment): which target a selection is measured against,
attainment, and "expected by now" weighted by last year's uneven months. Golden values counted by hand on tiny
exports imported by the real importer; each expected value has its arithmetic beside it.

Branches (tests/fixtures/import/branches.csv): albany and bezazian (branches, district North), riverside (albany's
community reading room, North, opened March 2024), chinatown (a branch, South, closed 30 June 2025, no figures).

Visits by month (the data ends 30 April 2025):
    albany     2024: January-June 50, July-August 200, September-December 75 (uneven: 300 + 400 + 300 = 1,000);
               2025: 70 in January-April (280)
    bezazian   2024: 100 every month (1,200); 2025: 100 in January-April (400)
    riverside  2024: 10 a month from March (100); 2025: 10 in January-April (40)
    network    2024 1,000 + 1,200 + 100 = 2,300; January-April 2024 200 + 400 + 20 = 620; January-April 2025 720
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json

import pytest
from conftest import FIXTURES, load, write

from data import db
from metrics import cli as metrics_cli
from metrics import engine, targets
from metrics.engine import attainment, attainment_table, compute
from metrics.filters import Filter
from metrics.registry import get


def _visits() -> str:
    rows = ["month,branch,visits"]
    albany_2024 = [50] * 6 + [200] * 2 + [75] * 4
    for month in range(1, 13):
        rows.append(f"2024-{month:02d},Albany Park,{albany_2024[month - 1]}")
        rows.append(f"2024-{month:02d},Bezazian,100")
        if month >= 3:
            rows.append(f"2024-{month:02d},Riverside Reading Room,10")
    for month in range(1, 5):
        rows += [f"2025-{month:02d},Albany Park,70", f"2025-{month:02d},Bezazian,100"]
        rows.append(f"2025-{month:02d},Riverside Reading Room,10")
    return "\n".join(rows) + "\n"


def _measures() -> str:
    """Complaints: albany 5 received and 5 resolved every month of 2024; January-April 2025 albany received
    4, 3, 2, 1 (10) and resolved 4, 3, 1, 1 (9), bezazian (reporting from 2025) received 3, 3, 2, 2 (10) and
    resolved 2 a month (8)."""
    rows = ["month,branch,measure,value"]
    for month in range(1, 13):
        rows += [
            f"2024-{month:02d},Albany Park,complaints_received,5",
            f"2024-{month:02d},Albany Park,complaints_resolved,5",
        ]
    for month, received, resolved, bez_received in zip(
        range(1, 5), (4, 3, 2, 1), (4, 3, 1, 1), (3, 3, 2, 2), strict=True
    ):
        rows += [
            f"2025-{month:02d},Albany Park,complaints_received,{received}",
            f"2025-{month:02d},Albany Park,complaints_resolved,{resolved}",
            f"2025-{month:02d},Bezazian,complaints_received,{bez_received}",
            f"2025-{month:02d},Bezazian,complaints_resolved,2",
        ]
    return "\n".join(rows) + "\n"


EVENTS = (
    "event_id,date,branch,title,category,audience,format,attendance,planned\n"
    "E1,2025-02-10,Albany Park,Storytime,storytime,children_0_5,onsite,20,false\n"
    "E2,2025-03-05,Bezazian,Author talk,lecture,adults,onsite,30,false\n"
)
TARGETS = (
    "year,branch,metric,target\n"
    "2024,,visits,2000\n"
    "2025,,visits,3000\n"
    "2025,Albany Park,visits,1200\n"
    "2025,Bezazian,visits,1500\n"
    "2025,Riverside Reading Room,visits,150\n"
    "2026,Albany Park,visits,1300\n"
    "2026,Bezazian,visits,1600\n"
    "2025,,complaints_received,80\n"
    "2025,,complaint_resolution_rate,90\n"
    "2025,Bezazian,complaint_resolution_rate,75\n"
    "2025,,events,10\n"
)
YEAR_2025 = Filter(date_from=dt.date(2025, 1, 1), date_to=dt.date(2025, 12, 31))


@pytest.fixture(scope="module")
def targets_path(tmp_path_factory):
    """A closed database file holding the fixture (for the command line) built by the real importer."""
    folder = tmp_path_factory.mktemp("targets")
    path = folder / "kpi.duckdb"
    con = db.connect(path)
    assert load(con, FIXTURES / "import" / "branches.csv").status == "loaded"
    for name, text in (
        ("visits.csv", _visits()),
        ("measures.csv", _measures()),
        ("events.csv", EVENTS),
        ("targets.csv", TARGETS),
    ):
        report = load(con, write(folder, name, text))
        assert report.status == "loaded", (name, report.problems)
    con.close()
    return path


@pytest.fixture(scope="module")
def con(targets_path):
    connection = db.connect(targets_path, read_only=True)
    yield connection
    connection.close()


def _year(**choices) -> Filter:
    return Filter(date_from=dt.date(2025, 1, 1), date_to=dt.date(2025, 12, 31), **choices)


def test_network_attainment_and_expected_share_weighted_by_last_years_months(con):
    found = attainment(con, "visits", YEAR_2025)
    # January-April 2025 (the data's end): 720 of the network's 3,000 = 24.0%. Expected by now: January-April
    # 2024 over the whole of 2024, 620 / 2,300 = 26.96% (the share of days, 120 / 365 = 32.9%, would be far off:
    # last summer was albany's busy season). Ahead: 24.0 - 27.0 = -3.0 points, as written.
    assert (found.period, found.date_from, found.date_to, found.partial) == (
        "2025",
        dt.date(2025, 1, 1),
        dt.date(2025, 4, 30),
        True,
    )
    assert (found.value, found.target) == (720, 3000)
    assert found.attainment_pct == pytest.approx(24.0)
    assert found.expected_pct == pytest.approx(620 / 2300 * 100)
    assert (found.expected_basis, found.ahead_pts, found.cumulative, found.reached) == ("last_year", -3.0, True, False)


@pytest.mark.parametrize(
    ("choices", "value", "target", "expected"),
    [
        # albany alone: 280 / 1,200; its own 2024, 200 / 1,000 = 20.0% (January-April at 50 a month).
        ({"branches": ("albany",), "include_children": False}, 280, 1200, 20.0),
        # albany with its reading room, which has a target too: 280 + 40 = 320 of 1,200 + 150 = 1,350;
        # (200 + 20) / (1,000 + 100) = 20.0%.
        ({"branches": ("albany",)}, 320, 1350, 20.0),
        # bezazian: 400 / 1,500; its even 2024, 400 / 1,200 = 33.3%.
        ({"branches": ("bezazian",)}, 400, 1500, 400 / 1200 * 100),
        # district North is albany, bezazian and riverside: 720 of 1,200 + 1,500 + 150 = 2,850; 620 / 2,300.
        ({"districts": ("North",)}, 720, 2850, 620 / 2300 * 100),
        # a supervisor's scope is measured against their branches' own targets, never the network's 3,000.
        ({"scope": ("albany", "bezazian")}, 720, 2850, 620 / 2300 * 100),
        ({"scope": ("bezazian",)}, 400, 1500, 400 / 1200 * 100),
    ],
    ids=["albany-alone", "albany-with-room", "bezazian", "district", "scope", "scope-one"],
)
def test_a_selection_is_measured_against_the_sum_of_its_own_targets(con, choices, value, target, expected):
    found = attainment(con, "visits", _year(**choices))
    assert (found.value, found.target) == (value, target)
    assert found.attainment_pct == pytest.approx(value / target * 100)
    assert found.expected_pct == pytest.approx(expected) and found.expected_basis == "last_year"
    assert found.ahead_pts == round(round(value / target * 100, 1) - round(expected, 1), 1)


def test_a_selection_with_a_branch_lacking_a_target_has_none(con):
    # kinds=branch: albany, bezazian and chinatown, open until 30 June 2025 and without a 2025 target.
    assert attainment(con, "visits", _year(kinds=("branch",))) is None
    # 2026: chinatown closed before the year began, so albany and bezazian's own targets add up.
    assert targets.target_for(con, get("visits"), Filter(kinds=("branch",)), 2026) == 1300 + 1600
    assert targets.target_for(con, get("visits"), Filter(), 2026) is None  # no network target for 2026


def test_a_selection_whose_data_began_after_last_years_start_expects_the_share_of_days(con):
    # riverside opened March 2024: no whole last year. 40 / 150 = 26.7%; 1 January - 30 April 2025 is 120 of 365
    # days = 32.9%; 26.7 - 32.9 = -6.2 points.
    found = attainment(con, "visits", _year(branches=("riverside",)))
    assert found.attainment_pct == pytest.approx(40 / 150 * 100)
    assert found.expected_pct == pytest.approx(120 / 365 * 100)
    assert (found.expected_basis, found.ahead_pts) == ("days", -6.2)


def test_by_branch_each_branch_against_its_own_target_and_its_own_last_year(con):
    table = attainment_table(con, "visits", YEAR_2025, "branch").table.set_index("branch")
    assert table.loc["Albany Park", "attainment_pct"] == pytest.approx(280 / 1200 * 100)
    assert table.loc["Albany Park", "expected_pct"] == pytest.approx(20.0)  # 200 / 1,000
    assert table.loc["Albany Park", "ahead_pts"] == pytest.approx(3.3)  # 23.3 - 20.0
    assert table.loc["Bezazian", "ahead_pts"] == pytest.approx(-6.6)  # 26.7 - 33.3
    assert table.loc["Riverside Reading Room", "expected_basis"] == "days"
    assert table.loc["Riverside Reading Room", "expected_pct"] == pytest.approx(120 / 365 * 100)


def test_a_fiscal_year_is_weighted_by_the_fiscal_year_before(con):
    # Fiscal years from April: FY2025/26 holds April 2025 only, 70 + 100 + 10 = 180 of the 3,000 stored under
    # 2025 = 6.0%. FY2024/25 (April 2024 - March 2025): albany 150 + 400 + 300 + 210 = 1,060, bezazian 1,200,
    # riverside 90 + 30 = 120, in all 2,380; its April 50 + 100 + 10 = 160; 160 / 2,380 = 6.72%.
    found = attainment(con, "visits", Filter(), fiscal_start=4)
    assert (found.period, found.value, found.target) == ("FY2025/26", 180, 3000)
    assert found.expected_pct == pytest.approx(160 / 2380 * 100)
    assert found.ahead_pts == -0.7


def test_a_metric_where_lower_is_better_is_ahead_below_the_expected_share(con):
    # Complaints received January-April 2025: 10 + 10 = 20 of a ceiling of 80 = 25.0%; 2024 (albany, from its
    # first day): January-April 20 of 60 = 33.3%. Fewer than expected is ahead: 33.3 - 25.0 = +8.3 points.
    found = attainment(con, "complaints_received", YEAR_2025)
    assert found.attainment_pct == pytest.approx(25.0)
    assert found.expected_pct == pytest.approx(20 / 60 * 100)
    assert (found.ahead_pts, found.reached) == (8.3, True)


def test_a_level_is_compared_with_its_target_directly(con):
    # Resolution January-April 2025: (9 + 8) / (10 + 10) = 85.0% against 90: 94.4%, not reached; no expected share.
    network = attainment(con, "complaint_resolution_rate", YEAR_2025)
    assert network.value == pytest.approx(85.0) and network.attainment_pct == pytest.approx(85 / 90 * 100)
    assert (network.cumulative, network.reached, network.expected_pct, network.ahead_pts) == (False, False, None, None)
    # bezazian: 8 / 10 = 80.0% against its own 75: reached.
    own = attainment(con, "complaint_resolution_rate", _year(branches=("bezazian",)))
    assert own.attainment_pct == pytest.approx(80 / 75 * 100) and own.reached
    # Levels do not add up: several service points, or one without a target of its own, have none.
    assert attainment(con, "complaint_resolution_rate", _year(districts=("North",))) is None
    assert attainment(con, "complaint_resolution_rate", _year(branches=("albany",), include_children=False)) is None


def test_a_filter_that_narrows_the_metric_has_no_target(con):
    # Events: E1 and E2 (the data ends 31 March 2025) of 10 = 20.0%; no events in 2024: the share of days,
    # 90 / 365 = 24.7%.
    found = attainment(con, "events", YEAR_2025)
    assert (found.attainment_pct, found.expected_basis) == (pytest.approx(20.0), "days")
    assert found.expected_pct == pytest.approx(90 / 365 * 100)
    assert attainment(con, "events", _year(categories=("lecture",))) is None  # the target is all events'
    assert attainment(con, "visits", _year(categories=("lecture",))) is not None  # visits have no category


def test_registered_attainment_metrics_follow_the_same_rule(con):
    registered = compute(con, "target_attainment", grain="year", compare=True).table
    # 2024: 2,300 of 2,000 = 115.0%; 2025: 720 of 3,000 = 24.0%, compared with January-April 2024, 620 of
    # 2024's 2,000 = 31.0%.
    assert list(registered["value"]) == pytest.approx([115.0, 24.0])
    assert registered["prior_value"].iloc[1] == pytest.approx(31.0)
    for choices in ({}, {"branches": ("albany",)}, {"districts": ("North",)}, {"scope": ("bezazian",)}):
        flt = _year(**choices)
        same = compute(con, "target_attainment", flt, grain="year").table["value"].iloc[-1]
        assert same == pytest.approx(attainment(con, "visits", flt).attainment_pct), choices
    assert compute(con, "target_attainment", _year(kinds=("branch",)), grain="year").table.empty
    with pytest.raises(ValueError, match="attainment itself"):
        attainment(con, "target_attainment", YEAR_2025)


def test_expected_share_rule():
    year = targets.year_span(2025, 4)
    assert year == (dt.date(2025, 4, 1), dt.date(2026, 3, 31))
    span = (dt.date(2025, 4, 1), dt.date(2025, 4, 30))
    assert targets.expected_share(span, year, 30.0, 120.0) == (25.0, "last_year")
    assert targets.expected_share(span, year, 30.0, 0.0) == (pytest.approx(30 / 365 * 100), "days")
    assert targets.expected_share(span, year, float("nan"), 120.0) == (pytest.approx(30 / 365 * 100), "days")


def _query(path, *args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = metrics_cli.main(["query", "--db", str(path), *args])
    return code, out.getvalue(), err.getvalue()


def test_metrics_query_target_gives_the_same_figures(targets_path):
    code, out, _ = _query(targets_path, "--metric", "visits", "--target", "--by", "branch", "--from", "2025-01-01")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "period,branch,value,target,attainment_pct,expected_pct,expected_basis,ahead_pts,reached"
    assert "2025,Albany Park,280,1200,23.333333,20.0,last_year,3.3,false" in lines
    assert "2025,Riverside Reading Room,40,150,26.666667,32.876712,days,-6.2,false" in lines
    code, out, _ = _query(
        targets_path, "--metric", "complaint_resolution_rate", "--target", "--compare", "yoy", "--format", "json"
    )
    rows = json.loads(out)["rows"]
    assert rows[-1]["target"] == 90 and rows[-1]["attainment_pct"] == pytest.approx(85 / 90 * 100, abs=1e-6)
    assert rows[-1]["expected_pct"] is None and rows[-1]["reached"] is False and rows[0]["target"] is None


@pytest.mark.parametrize(
    "args",
    [
        ("--grain", "month"),
        ("--by", "district"),
        ("--like-for-like",),
        ("--metric", "target_attainment"),
    ],
)
def test_metrics_query_target_refuses_what_it_cannot_answer(targets_path, args):
    metric = [] if "--metric" in args else ["--metric", "visits"]
    code, out, err = _query(targets_path, *metric, "--target", *args)
    assert code == 2 and not out and err


def test_attainment_table_keeps_the_engines_columns(con):
    table = attainment_table(con, "visits", YEAR_2025).table
    assert list(table.columns) == [
        *compute(con, "visits", YEAR_2025, "year", compare=True).table.columns,
        *engine.TARGET_COLUMNS,
    ]
    # Events have a network target only: by branch every row is without one, and the ranking asks for none.
    events = attainment_table(con, "events", YEAR_2025, "branch").table
    assert len(events) == 2 and events["target"].isna().all()
    assert attainment_table(con, "events", YEAR_2025, "branch", only_targeted=True).table.empty
