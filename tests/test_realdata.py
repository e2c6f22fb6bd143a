"""Real third-party exports through the real importer: Toronto Public Library, Arts Council England, IMLS.

The fixtures are small excerpts cut as whole lines from the published files, bytes unchanged (BOM, CRLF,
quoting); tests/fixtures/realdata/ATTRIBUTION.md says where each comes from. Every expected total here is
computed from the fixture file with the csv module, never by the importer's own parsing.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter

import pytest
from conftest import FIXTURES, TODAY, table_snapshot

from data.importer import UNKNOWN_BRANCH, Options, import_file, import_paths
from metrics.engine import compute
from metrics.filters import Filter

REAL = FIXTURES / "realdata"
TORONTO = REAL / "toronto"
ACE = REAL / "ace"
IMLS = REAL / "imls"
IMLS_YEARS = (2016, 2017)


def read_rows(path):
    """The fixture's data rows as dicts, read apart from the importer (utf-8-sig drops the BOM, csv takes CRLF)."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def sums_by(con, sql, *params):
    return dict(con.execute(sql, list(params)).fetchall())


def assert_accounted(report):
    """Every data row read is accepted, skipped with a reason or rejected: none is silently lost."""
    assert report.rows_read == report.rows_accepted + report.rows_skipped + report.rows_rejected


# --- Toronto Public Library: annual visits and circulation by branch code, plus the branch table ---------------


@pytest.fixture
def toronto_reports(fresh_db):
    """The three Toronto exports imported as a folder, as `python -m data import FOLDER` does."""
    return {r.source: r for r in import_paths(fresh_db, [TORONTO], Options(today=TODAY))}


@pytest.fixture
def toronto_db(fresh_db, toronto_reports):
    return fresh_db


def toronto_totals(name, column):
    totals = Counter()
    for row in read_rows(TORONTO / name):
        totals[int(row["Year"])] += int(row[column])
    return dict(totals)


def test_toronto_every_file_loads_and_every_row_is_accounted_for(toronto_reports):
    kinds = {name: r.kind for name, r in toronto_reports.items()}
    assert kinds == {
        "tpl-branch-general-information.csv": "branches",
        "tpl-visits-annual-by-branch.csv": "visits",
        "tpl-circulation-annual-by-branch.csv": "circulation",
    }
    for name, report in toronto_reports.items():
        assert report.status == "loaded", (name, report.problems)
        assert report.rows_read == len(read_rows(TORONTO / name))
        # The published files have no blank, total or duplicate rows: everything read is stored.
        assert report.skipped == {} and report.problems == []
        assert_accounted(report)


def test_toronto_yearly_visits_equal_the_file(toronto_db):
    stored = sums_by(toronto_db, "SELECT year(date), sum(visits) FROM visits GROUP BY 1")
    assert stored == toronto_totals("tpl-visits-annual-by-branch.csv", "Visits")
    assert toronto_db.execute("SELECT DISTINCT grain, audience FROM visits").fetchall() == [("year", "all")]


def test_toronto_yearly_circulation_equal_the_file(toronto_db):
    stored = sums_by(toronto_db, "SELECT year(date), sum(circulation) FROM circulation GROUP BY 1")
    assert stored == toronto_totals("tpl-circulation-annual-by-branch.csv", "Circulation")


def test_toronto_hand_checked_values(toronto_db):
    def visits(code, year):
        return toronto_db.execute(
            "SELECT visits FROM visits WHERE branch_id = ? AND date = make_date(?, 1, 1)", [code, year]
        ).fetchone()

    def circulation(code, year):
        return toronto_db.execute(
            "SELECT circulation FROM circulation WHERE branch_id = ? AND date = make_date(?, 1, 1)", [code, year]
        ).fetchone()

    # Values read off the fixture lines by eye.
    assert visits("AB", 2012) == (522309,)
    assert visits("CH", 2022) == (58226,)
    assert visits("WY", 2018) == (62229,)
    assert visits("ME", 2021) == (1,)  # a real 1 (collection closed), not a blank
    assert circulation("VIR", 2020) == (10540429,)
    assert circulation("ME", 2016) == (2,)


def test_toronto_series_gaps_stay_missing_not_zero(toronto_db):
    def years(table, code):
        rows = toronto_db.execute(f"SELECT year(date) FROM {table} WHERE branch_id = ? ORDER BY 1", [code])
        return [y for (y,) in rows.fetchall()]

    # A branch closed for renovation has no row for that year; a 0 would read as "nobody came".
    assert years("visits", "CH") == [*range(2012, 2021), 2022]
    assert years("visits", "FV") == [2012, *range(2014, 2023)]
    assert years("visits", "WY") == [*range(2012, 2019), 2022]
    assert years("circulation", "ME") == [2012, 2013, *range(2016, 2023)]
    assert years("visits", "VIR") == []  # the virtual library has circulation only
    assert toronto_db.execute("SELECT count(*) FROM visits WHERE visits = 0").fetchone() == (0,)


def test_toronto_codes_join_to_branch_names_including_non_physical_ones(toronto_db):
    names = dict(toronto_db.execute("SELECT branch_id, name FROM branches").fetchall())
    expected = {
        row["BranchCode"]: row["BranchName"] for row in read_rows(TORONTO / "tpl-branch-general-information.csv")
    }
    assert names == expected
    assert names["VIR"] == "Virtual Library" and names["BKONE"] == "Bookmobile One"
    orphans = toronto_db.execute(
        "SELECT count(*) FROM circulation c LEFT JOIN branches b USING (branch_id) WHERE b.name IS NULL"
    ).fetchone()
    assert orphans == (0,)


def test_toronto_reimport_is_unchanged(toronto_db):
    before = table_snapshot(toronto_db)
    again = import_paths(toronto_db, [TORONTO], Options(today=TODAY))
    assert [r.status for r in again] == ["unchanged"] * 3
    assert table_snapshot(toronto_db) == before


# --- Arts Council England, via Libraries Hacked's tidy files: events and attendance per authority ---------------

ACE_FILES = ("services.csv", "events.csv", "event_attendance.csv")
ACE_VALUE = {"events.csv": "sessions", "event_attendance.csv": "attendance"}
ACE_GRAIN = {"P1M": "month", "P3M": "quarter", "P1Y": "year"}
ACE_FORMAT = {"Physical": "onsite", "Digital": "online"}
ACE_AUDIENCE = {"Adult": "adult", "Under 12": "under_12", "12-17": "12_17", "All ages": "all_ages"}


@pytest.fixture
def ace_reports(fresh_db):
    """The authority list first, then the two fact files; each file's sidecar mapping applies."""
    # Imported one by one: in a folder import services.csv would come last, after the facts that need it.
    return {name: import_file(fresh_db, ACE / name, Options(today=TODAY)) for name in ACE_FILES}


@pytest.fixture
def ace_db(fresh_db, ace_reports):
    return fresh_db


def ace_totals(name, key):
    """Sum of Count per key(row), straight from the fixture."""
    totals = Counter()
    for row in read_rows(ACE / name):
        totals[key(row)] += int(row["Count"])
    return dict(totals)


def period_year(row):
    return int(row["Period"][:4])  # the year the period starts in


def test_ace_every_file_loads_and_every_row_is_accounted_for(ace_reports):
    assert [r.kind for r in ace_reports.values()] == ["branches", "events", "events"]
    for name, report in ace_reports.items():
        assert report.status == "loaded", (name, report.problems)
        assert report.rows_read == len(read_rows(ACE / name))
        assert report.skipped == {} and report.problems == []
        assert_accounted(report)
    for name in ACE_VALUE:
        # Every authority was found in the list; none was invented.
        authorities = {row["Authority"] for row in read_rows(ACE / name)}
        assert ace_reports[name].branches_matched == authorities
        assert ace_reports[name].branches_new == set()


@pytest.mark.parametrize("name", ACE_VALUE)
def test_ace_yearly_totals_equal_the_sum_of_count(ace_db, name):
    column = ACE_VALUE[name]
    stored = sums_by(ace_db, f"SELECT year(date), sum({column}) FROM events WHERE source_file = ? GROUP BY 1", name)
    assert stored == ace_totals(name, period_year)


@pytest.mark.parametrize("name", ACE_VALUE)
def test_ace_event_type_and_age_group_become_format_and_audience(ace_db, name):
    column = ACE_VALUE[name]
    stored = ace_db.execute(
        f"SELECT format, audience, sum({column}) FROM events WHERE source_file = ? GROUP BY ALL", [name]
    ).fetchall()
    expected = ace_totals(name, lambda row: (ACE_FORMAT[row["Event type"]], ACE_AUDIENCE[row["Age group"]]))
    assert {(f, a): total for f, a, total in stored} == expected


@pytest.mark.parametrize("name", ACE_VALUE)
def test_ace_monthly_quarterly_and_annual_reporters_keep_their_grain(ace_db, name):
    stored = sums_by(ace_db, "SELECT grain, count(*) FROM events WHERE source_file = ? GROUP BY 1", name)
    expected = Counter(ACE_GRAIN[row["Period"].split("/")[1]] for row in read_rows(ACE / name))
    assert stored == dict(expected)
    # The excerpt was chosen to hold all three grains in the events file.
    if name == "events.csv":
        assert set(stored) == {"month", "quarter", "year"}


def test_ace_authorities_carry_council_and_service_names(ace_db):
    # A quoted name with a comma in the source, and the library service's own name as an alias.
    assert ace_db.execute("SELECT name FROM branches WHERE branch_id = 'E06000058'").fetchone() == (
        "Bournemouth, Christchurch and Poole",
    )
    alias = ace_db.execute("SELECT branch_id FROM branch_aliases WHERE alias = 'Explore York Libraries & Archives'")
    assert alias.fetchone() == ("E06000014",)


def test_ace_unknown_authorities_are_refused_unless_new_branches_are_allowed(fresh_db):
    refused = import_file(fresh_db, ACE / "events.csv", Options(today=TODAY))
    assert refused.status == "rejected"
    assert {p.reason for p in refused.problems} == {UNKNOWN_BRANCH}
    assert refused.rows_rejected == refused.rows_read
    allowed = import_file(fresh_db, ACE / "events.csv", Options(today=TODAY, allow_new_branches=True))
    assert allowed.status == "loaded"
    assert len(allowed.branches_new) == len({row["Authority"] for row in read_rows(ACE / "events.csv")})
    stored = sums_by(fresh_db, "SELECT year(date), sum(sessions) FROM events GROUP BY 1")
    assert stored == ace_totals("events.csv", period_year)


def test_ace_attendance_rows_do_not_invent_event_counts(ace_db):
    # The number of events is what events.csv says; event_attendance.csv only gives attendance.
    total = ace_db.execute("SELECT sum(sessions) FROM events").fetchone()[0]
    assert total == sum(ace_totals("events.csv", period_year).values())


def test_ace_reimport_is_unchanged(ace_db):
    before = table_snapshot(ace_db)
    again = [import_file(ace_db, ACE / name, Options(today=TODAY)) for name in ACE_FILES]
    assert [r.status for r in again] == ["unchanged"] * 3
    assert table_snapshot(ace_db) == before


# --- IMLS Public Libraries Survey: one row per library system and survey year, negative sentinel codes ----------


@pytest.fixture
def imls_reports(fresh_db):
    """Each survey year's file imported twice: VISITS (the mapping's kind), then TOTCIR (kind circulation).
    Library systems are in no branch list, so they are created from their FSCSKEY."""
    reports = {}
    for year in IMLS_YEARS:
        path = IMLS / f"pls_fy{year}_libraries.csv"
        for kind in ("visits", "circulation"):
            options = Options(kind=None if kind == "visits" else kind, allow_new_branches=True, today=TODAY)
            reports[year, kind] = import_file(fresh_db, path, options)
    return reports


@pytest.fixture
def imls_db(fresh_db, imls_reports):
    return fresh_db


def imls_expected(column):
    """Per survey year: the column's sum without the negative codes, and the lines (header is line 1) holding one."""
    totals, sentinel_lines = {}, {}
    for year in IMLS_YEARS:
        rows = read_rows(IMLS / f"pls_fy{year}_libraries.csv")
        totals[year] = sum(int(row[column]) for row in rows if int(row[column]) >= 0)
        sentinel_lines[year] = [line for line, row in enumerate(rows, start=2) if int(row[column]) < 0]
    return totals, sentinel_lines


def test_imls_excerpt_holds_sentinels_and_real_zeros():
    # Guards the meaning of the tests below: without negative codes they would prove nothing.
    for column in ("VISITS", "TOTCIR"):
        _, sentinel_lines = imls_expected(column)
        assert all(sentinel_lines.values()), column
    values = {row["TOTCIR"] for year in IMLS_YEARS for row in read_rows(IMLS / f"pls_fy{year}_libraries.csv")}
    assert {"-1", "-3", "0"} <= values


def test_imls_every_import_loads_and_every_row_is_accounted_for(imls_reports):
    for (year, kind), report in imls_reports.items():
        assert report.status == "loaded", (year, kind, report.message)
        assert report.kind == kind
        assert report.rows_read == len(read_rows(IMLS / f"pls_fy{year}_libraries.csv"))
        assert report.problems == []
        assert_accounted(report)


@pytest.mark.parametrize(("kind", "column"), [("visits", "VISITS"), ("circulation", "TOTCIR")])
def test_imls_sentinel_rows_are_skipped_not_stored(imls_reports, kind, column):
    _, sentinel_lines = imls_expected(column)
    for year in IMLS_YEARS:
        report = imls_reports[year, kind]
        assert report.skipped == {"no values reported (blank cells)": sentinel_lines[year]}
        assert report.rows_accepted == report.rows_read - len(sentinel_lines[year])


@pytest.mark.parametrize(
    ("table", "value", "column"), [("visits", "visits", "VISITS"), ("circulation", "circulation", "TOTCIR")]
)
def test_imls_yearly_totals_exclude_sentinels(imls_db, table, value, column):
    totals, _ = imls_expected(column)
    stored = sums_by(imls_db, f"SELECT year(date), sum({value}) FROM {table} WHERE grain = 'year' GROUP BY 1")
    assert stored == totals


def test_imls_hand_checked_values(imls_db):
    def one(table, column, key, year):
        sql = f"SELECT {column} FROM {table} WHERE branch_id = ? AND date = make_date(?, 1, 1)"
        return imls_db.execute(sql, [key, year]).fetchone()

    assert one("visits", "visits", "AK0001", 2016) == (6679,)
    assert one("circulation", "circulation", "CA0057", 2017) == (221858,)
    assert one("visits", "visits", "AR0068", 2016) == (0,)  # a reported zero is a value
    assert one("circulation", "circulation", "AK0018", 2016) is None  # -1: not reported
    assert one("visits", "visits", "NE0254", 2016) is None  # -3: closed that year


def test_imls_reimport_is_unchanged(imls_db):
    before = table_snapshot(imls_db)
    for year in IMLS_YEARS:
        path = IMLS / f"pls_fy{year}_libraries.csv"
        for kind in ("visits", "circulation"):
            again = import_file(imls_db, path, Options(kind=kind, allow_new_branches=True, today=TODAY))
            assert again.status == "unchanged"
    assert table_snapshot(imls_db) == before


# Two library systems in the excerpt share a name (LINCOLN PUBLIC LIBRARY in Alabama and in California), as ~9% of
# the full FY2016 file does; the file's header is line 1, so the Californian one is on line 14.


def test_imls_branch_list_with_a_name_shared_by_two_library_systems(fresh_db, tmp_path):
    # AL0016 and CA0057 are both LINCOLN PUBLIC LIBRARY: both load, the name becomes an alias of neither.
    report = import_file(fresh_db, IMLS / "pls_fy2016_libraries.csv", Options(kind="branches", today=TODAY))
    assert report.status == "loaded", report.problems
    assert any("LINCOLN PUBLIC LIBRARY (AL0016, CA0057)" in note for note in report.notes)
    stored = {b for (b,) in fresh_db.execute("SELECT branch_id FROM branches").fetchall()}
    assert {"AL0016", "CA0057"} <= stored and len(stored) == report.rows_read
    fact = tmp_path / "lincoln.csv"
    fact.write_text("year,branch,visits\n2016,Lincoln Public Library,5\n2016,CA0057,6\n")
    report = import_file(fresh_db, fact, Options(today=TODAY))
    assert report.status == "rejected" and [p.line for p in report.problems] == [2]


def test_toronto_visits_are_complete_through_2020_because_mount_pleasant_has_not_reported_since(toronto_db):
    # Mount Pleasant (MP, open: no closing date in the branch table) last reported visits for 2020; it is expected
    # in 2021 and 2022 (it reported in one of the three years before each). The holes of CH (2021), WY
    # (2019-2021) and SI (2018) are followed by later reports: gaps, not reports still due. Circulation is
    # complete through 2022.
    visits = compute(toronto_db, "visits", grain="year", compare=True)
    assert visits.complete_through == dt.date(2020, 12, 31)
    assert [(p.period, p.not_reported) for p in visits.pending] == [("2021", ("MP",)), ("2022", ("MP",))]
    assert visits.table.iloc[-1]["period"] == "2020"
    assert compute(toronto_db, "loans", grain="year").complete_through == dt.date(2022, 12, 31)
    # Chosen explicitly, 2021 and 2022 are counted, as partial years.
    explicit = compute(toronto_db, "visits", Filter(date_to=dt.date(2022, 12, 31), beyond_complete=True), grain="year")
    last = explicit.table.iloc[-1]
    assert (last["period"], bool(last["partial"])) == ("2022", True)
    assert last["value"] == toronto_totals("tpl-visits-annual-by-branch.csv", "Visits")[2022]
