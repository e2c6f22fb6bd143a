"""Reporting completeness (data/completeness.py) on small hand-made exports, and what it does to comparisons:
an early upload from a few branches never changes a comparison, and says which branches are missing.

Branches (tests/fixtures/import/branches.csv): central (main), albany, bezazian, chinatown (closed
2025-06-30), riverside (a reading room opened 2024-03-01), bus1 (mobile).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import streamlit as st
from conftest import FIXTURES, load, write
from streamlit.testing.v1 import AppTest

from data import cli as data_cli
from data import db
from data.completeness import assess, histories
from metrics import cli as metrics_cli
from metrics import quality
from metrics.engine import as_of, compute
from metrics.filters import Filter

ROOT = Path(__file__).resolve().parents[1]
ENTRY = ROOT / "tests" / "app" / "entry.py"


def _load(con, tmp_path, name: str, text: str) -> None:
    report = load(con, write(tmp_path, name, text))
    assert report.status == "loaded", report.problems


def monthly(rows: dict[str, dict[str, int]]) -> str:
    """A long monthly visits export from {branch name: {YYYY-MM: visits}}."""
    lines = [f"{month},{name},{value}" for name, months in rows.items() for month, value in months.items()]
    return "month,branch,visits\n" + "\n".join(lines) + "\n"


def months(first: str, last: str, value: int = 100) -> dict[str, int]:
    """{YYYY-MM: value} for every month from first to last."""
    out, (year, month) = {}, map(int, first.split("-"))
    while f"{year}-{month:02d}" <= last:
        out[f"{year}-{month:02d}"] = value
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def status(con, ids=None):
    known = histories(con, "visits")
    return assess("visits", known, ids if ids is not None else list(known))


def test_a_late_branch_holds_the_network_back_and_is_named(branches_db, tmp_path):
    # Albany and Bezazian report through November 2025, Central only through October.
    _load(
        branches_db,
        tmp_path,
        "visits.csv",
        monthly(
            {
                "Central Library": months("2025-01", "2025-10"),
                "Albany Park": months("2025-01", "2025-11"),
                "Bezazian": months("2025-01", "2025-11"),
            }
        ),
    )
    found = status(branches_db)
    assert found.complete_through == dt.date(2025, 10, 31)
    assert found.last_reported == dt.date(2025, 11, 30)
    [pending] = found.pending
    assert (pending.period, pending.start, pending.end) == ("2025-11", dt.date(2025, 11, 1), dt.date(2025, 11, 30))
    assert pending.reported == ("albany", "bezazian")
    assert pending.not_reported == ("central",)
    assert pending.expected_count == 3
    # Albany's own view shows its November: its complete-through date is its own.
    assert status(branches_db, ["albany"]).complete_through == dt.date(2025, 11, 30)
    assert status(branches_db, ["albany"]).pending == ()


def test_a_zero_is_a_report_and_a_blank_is_not(branches_db, tmp_path):
    text = "month,branch,visits\n2025-01,Albany Park,5\n2025-02,Albany Park,0\n2025-01,Bezazian,7\n2025-02,Bezazian,\n"
    report = load(branches_db, write(tmp_path, "visits.csv", text))
    assert report.status == "loaded", report.problems
    found = status(branches_db)
    # Bezazian's blank February is "not reported": February is not complete; Albany's 0 is a report.
    assert found.complete_through == dt.date(2025, 1, 31)
    assert [(p.period, p.reported, p.not_reported) for p in found.pending] == [("2025-02", ("albany",), ("bezazian",))]


def test_a_closed_branch_is_not_expected_after_it_closed(branches_db, tmp_path):
    # Chinatown closed on 2025-06-30 and reported through June; the others report through August.
    rows = {"Albany Park": months("2025-01", "2025-08"), "Chinatown": months("2025-01", "2025-06")}
    _load(branches_db, tmp_path, "visits.csv", monthly(rows))
    found = status(branches_db)
    assert found.complete_through == dt.date(2025, 8, 31)
    assert found.pending == ()


def test_a_branch_that_stopped_reporting_is_expected_for_three_months_only(branches_db, tmp_path):
    # Bezazian's last report is June 2025: expected in July, August and September (a June report lies in the
    # three months before each), no longer in October. Albany reports through October.
    rows = {"Albany Park": months("2025-01", "2025-10"), "Bezazian": months("2025-01", "2025-06")}
    _load(branches_db, tmp_path, "visits.csv", monthly(rows))
    assert status(branches_db).complete_through == dt.date(2025, 10, 31)
    # Through September only, the same export leaves July-September incomplete: complete through June.
    cut = tmp_path / "cut"
    cut.mkdir()
    rows = {"Albany Park": months("2025-01", "2025-09"), "Bezazian": months("2025-01", "2025-06")}
    con = _fresh(tmp_path / "cut")
    _load(con, cut, "visits.csv", monthly(rows))
    found = status(con)
    assert found.complete_through == dt.date(2025, 6, 30)
    assert [p.period for p in found.pending] == ["2025-07", "2025-08", "2025-09"]
    assert all(p.not_reported == ("bezazian",) for p in found.pending)


def test_a_quarterly_branch_is_judged_by_its_quarters(branches_db, tmp_path):
    # Bezazian reports quarterly (Q1-Q3 2025); Albany monthly through November. November is complete:
    # Bezazian's last quarter ending by 30 November is Q3, which it reported; Q4 is not due yet.
    _load(branches_db, tmp_path, "visits.csv", monthly({"Albany Park": months("2025-01", "2025-11")}))
    quarterly = "date,branch,visits\n2025-01-01/P3M,Bezazian,900\n2025-04-01/P3M,Bezazian,900\n"
    _load(branches_db, tmp_path, "bezazian.csv", quarterly)
    # Q3 missing: the last complete month is the one before Q3's end, where Q2 (reported) is Bezazian's period.
    assert status(branches_db).complete_through == dt.date(2025, 8, 31)
    _load(branches_db, tmp_path, "bezazian_q3.csv", "date,branch,visits\n2025-07-01/P3M,Bezazian,900\n")
    assert status(branches_db).complete_through == dt.date(2025, 11, 30)


def test_a_branch_opening_is_welcome_but_not_expected(branches_db, tmp_path):
    # Riverside (opened 2024-03-01) reports from March 2024; the others through March as well.
    rows = {"Albany Park": months("2024-01", "2024-03"), "Riverside Reading Room": months("2024-03", "2024-03")}
    _load(branches_db, tmp_path, "visits.csv", monthly(rows))
    assert status(branches_db).complete_through == dt.date(2024, 3, 31)


# --- what comparisons do with it --------------------------------------------------------------------------------

# Two years of three branches, then November 2025 from two of them only (an early upload).
TWO_YEARS = {
    "Central Library": months("2024-01", "2025-10", 1000),
    "Albany Park": months("2024-01", "2025-10", 200),
    "Bezazian": months("2024-01", "2025-10", 300),
}
EARLY = monthly({"Albany Park": {"2025-11": 150}, "Bezazian": {"2025-11": 100}})


def test_an_early_upload_changes_no_comparison(branches_db, tmp_path):
    _load(branches_db, tmp_path, "visits.csv", monthly(TWO_YEARS))
    # 2025 (January-October) against January-October 2024: 10 x 1,500 = 15,000 both years, 0%.
    before = compute(branches_db, "visits", grain="year", compare=True).table.iloc[-1]
    assert (before["value"], before["prior_value"], before["yoy_pct"]) == (15_000, 15_000, 0)
    ranking_before = compute(branches_db, "visits", grain="year", by="branch", compare=True).table
    _load(branches_db, tmp_path, "early.csv", EARLY)
    after = compute(branches_db, "visits", grain="year", compare=True)
    row = after.table.iloc[-1]
    assert (row["period"], row["value"], row["prior_value"], row["yoy_pct"]) == ("2025", 15_000, 15_000, 0)
    assert row["period_end"] == dt.date(2025, 10, 31)
    assert after.complete_through == dt.date(2025, 10, 31)
    assert [(p.period, p.not_reported) for p in after.pending] == [("2025-11", ("central",))]
    ranking_after = compute(branches_db, "visits", grain="year", by="branch", compare=True).table
    assert ranking_after.equals(ranking_before)  # no branch "declines"
    # Like-for-like is unchanged too (it used to drop Central from November and still show a decline).
    lfl = compute(branches_db, "visits", grain="year", compare=True, like_for_like=True).table.iloc[-1]
    assert lfl["yoy_pct"] == 0
    # A branch's own view shows its November: Albany 10 x 200 + 150.
    own = compute(branches_db, "visits", Filter(branches=("albany",)), grain="year").table.iloc[-1]
    assert own["value"] == 2_150


def test_a_later_end_chosen_explicitly_is_partial_and_says_who_is_missing(branches_db, tmp_path):
    _load(branches_db, tmp_path, "visits.csv", monthly(TWO_YEARS))
    _load(branches_db, tmp_path, "early.csv", EARLY)
    explicit = Filter(date_from=dt.date(2025, 9, 1), date_to=dt.date(2025, 11, 30), beyond_complete=True)
    result = compute(branches_db, "visits", explicit, grain="month", compare=True)
    table = result.table.set_index("period")
    assert list(table.index) == ["2025-09", "2025-10", "2025-11"]
    assert table.loc["2025-11", "value"] == 250 and bool(table.loc["2025-11", "partial"])
    assert not table.loc["2025-10", "partial"]
    assert table.loc["2025-11", "prior_value"] == 1_500
    # The same dates without asking for them explicitly stop at the complete-through date.
    preset = compute(branches_db, "visits", Filter(date_from=dt.date(2025, 9, 1), date_to=dt.date(2025, 11, 30)))
    assert preset.table.iloc[-1]["period_end"] == dt.date(2025, 10, 31)


def imported(folder) -> Path:
    """A database of TWO_YEARS plus EARLY in `folder`, imported with `python -m data import` as a user would."""
    path = folder / "kpi.duckdb"
    files = [
        FIXTURES / "import" / "branches.csv",
        write(folder, "visits.csv", monthly(TWO_YEARS)),
        write(folder, "early.csv", EARLY),
    ]
    assert data_cli.main(["import", "--db", str(path), *map(str, files)]) == 0
    return path


def test_the_query_json_says_complete_through_and_who_has_not_reported(tmp_path, capsys):
    path = imported(tmp_path)
    capsys.readouterr()
    query = ["query", "--db", str(path), "--metric", "visits"]
    assert metrics_cli.main([*query, "--compare", "yoy", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    answer = json.loads(out)
    assert answer["complete_through"] == "2025-10-31"
    assert answer["not_reported"] == {"2025-11": ["Central Library"]}
    assert answer["reporting"] == {"2025-11": {"reported": 2, "expected": 3}}
    assert answer["rows"][-1] == {
        "period": "2025",
        "value": 15_000,
        "prior_value": 15_000,
        "yoy_pct": 0,
        "partial": True,
    }
    assert "2 of 3 branches have reported 2025-11; the comparison ends 2025-10-31" in err
    # An explicit --to beyond it counts November as partial and says so.
    assert metrics_cli.main([*query, "--grain", "month", "--to", "2025-11-30"]) == 0
    out, err = capsys.readouterr()
    assert out.strip().splitlines()[-1] == "2025-11,250"
    assert "counted as partial; not reported: Central Library" in err


def _fresh(folder):
    con = db.connect(folder / "kpi.duckdb")
    assert load(con, FIXTURES / "import" / "branches.csv").status == "loaded"
    return con


def test_a_data_check_names_each_expected_branch_that_has_not_reported(branches_db, tmp_path):
    _load(branches_db, tmp_path, "visits.csv", monthly(TWO_YEARS))
    _load(branches_db, tmp_path, "early.csv", EARLY)
    found = [f for f in quality.findings(branches_db, tables=("visits",)) if f.kind == "not_reported"]
    assert [(f.branch_id, f.period_start, f.period_end, f.severity) for f in found] == [
        ("central", dt.date(2025, 11, 1), dt.date(2025, 11, 30), "warning")
    ]
    assert "2 of 3 branches have reported" in found[0].evidence


@pytest.fixture
def early_upload_db(tmp_path, monkeypatch):
    """imported() opened by the dashboard ($KPI_DB)."""
    path = imported(tmp_path)
    monkeypatch.setenv("KPI_DB", str(path))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield path
    st.cache_data.clear()
    st.cache_resource.clear()


def test_the_overview_says_who_has_not_reported_and_keeps_its_comparison(early_upload_db):
    at = AppTest.from_file(str(ENTRY), default_timeout=30).run()
    assert not at.exception, [e.message for e in at.exception]
    notes = [w.value for w in at.warning]
    assert (
        "Visits: 2 of 3 branches have reported November 2025; the comparison ends 31 October 2025. "
        "Not reported yet: Central Library." in notes
    )
    visits = next(m for m in at.metric if m.label == "Visits")
    # January-October 2025 against January-October 2024: 15,000 both years.
    assert (visits.value, visits.delta) == ("15,000", "0.0%")  # no change: no sign
    assert any("2025-01-01 – 2025-12-31" in c.value and "2025-10-31" in c.value for c in at.caption)
    # In Chinese too, with no English word.
    at.sidebar.button_group(key="lang").set_value("zh").run()
    notes = [w.value for w in at.warning]
    assert "到馆人次：3 个服务点中已有 2 个报送了2025年11月的数据，对比截至 2025年10月31日。尚未报送：中心馆。" in notes


def test_the_data_page_lists_who_has_not_reported(early_upload_db):
    at = AppTest.from_file(str(ENTRY), default_timeout=30).run()
    at.switch_page(str(ROOT / "pages" / "data_status.py"))
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    listing = next(d.value for d in at.dataframe if "Not reported yet" in d.value.columns)
    visits = listing[listing["Table"] == "Visits"].iloc[0]
    assert (visits["Complete through"], visits["Month"], visits["Reported / expected"]) == (
        "31 October 2025",
        "November 2025",
        "2 / 3",
    )
    assert visits["Not reported yet"] == "Central Library"


def test_a_hole_followed_by_later_reports_is_a_gap_not_a_report_still_due(branches_db, tmp_path):
    # Bezazian has no figure for March 2025 but reported April to June: March is a gap (for the data checks),
    # not a report still to come, so it does not hold the network back.
    bezazian = {m: v for m, v in months("2025-01", "2025-06").items() if m != "2025-03"}
    _load(
        branches_db,
        tmp_path,
        "visits.csv",
        monthly({"Albany Park": months("2025-01", "2025-06"), "Bezazian": bezazian}),
    )
    assert status(branches_db).complete_through == dt.date(2025, 6, 30)
    assert status(branches_db).pending == ()


def test_the_as_of_date_is_the_complete_through_date_of_the_chosen_branches(branches_db, tmp_path):
    _load(branches_db, tmp_path, "visits.csv", monthly(TWO_YEARS))
    assert as_of(branches_db, ("visits", "loans", "events")) == dt.date(2025, 10, 31)
    _load(branches_db, tmp_path, "early.csv", EARLY)
    assert as_of(branches_db, ("visits", "loans", "events")) == dt.date(2025, 10, 31)
    # A supervisor of Albany (its own as-of, not the network's) and Central's own view.
    assert as_of(branches_db, ("visits",), Filter(scope=("albany",))) == dt.date(2025, 11, 30)
    assert as_of(branches_db, ("visits",), Filter(branches=("bezazian",), include_children=False)) == dt.date(
        2025, 11, 30
    )
    # Central alone has not reported November: another branch being ahead does not move its date.
    assert as_of(branches_db, ("visits",), Filter(branches=("central",), include_children=False)) == dt.date(
        2025, 10, 31
    )


def test_names_not_reported_are_listed_as_running_text_in_each_language():
    from pages._i18n import join_names

    assert join_names(["Albany Park", "Bezazian"], "en") == "Albany Park, Bezazian"
    assert join_names(["翠竹社区图书室", "香樟社区图书室"], "zh") == "翠竹社区图书室、香樟社区图书室"
