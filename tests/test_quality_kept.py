"""Data-quality findings kept in the database: every write through data.store (an import, a removal, a rebuild)
computes the whole network's findings and keeps them in the new generation, and what it keeps must equal what
metrics.quality computes on that generation. Databases without matching findings (older, written outside
data.store, made by other rules) have them computed. Real files imported by the real `python -m data` code."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import FIXTURES, load

from data import cli, db, store
from metrics import quality
from metrics.filters import Filter, matching_branches

D = dt.date
BRANCHES = FIXTURES / "import" / "branches.csv"
QUARTER = [D(2024, 1, 1) + dt.timedelta(days=i) for i in range(91)]  # 1 January .. 31 March 2024
GAP = {D(2024, 1, 10), D(2024, 1, 11), D(2024, 1, 12)}  # Albany Park: no rows
ZEROS = {D(2024, 2, 5), D(2024, 2, 6), D(2024, 2, 7)}  # Albany Park: zeros on open days
SPIKE = {D(2024, 3, 6): 400}  # Central Library: four times its usual Wednesday


def _daily_visits() -> str:
    lines = ["date,branch,visits"]
    for d in QUARTER:
        lines.append(f"{d},Central Library,{SPIKE.get(d, 100)}")
        if d not in GAP:
            lines.append(f"{d},Albany Park,{0 if d in ZEROS else 100 + 10 * d.weekday()}")
    return "\n".join(lines) + "\n"


def _monthly_visits() -> str:
    """Bezazian's 2023 months without May (a missing month)."""
    return "month,branch,visits\n" + "".join(f"2023-{m:02d},Bezazian,1000\n" for m in range(1, 13) if m != 5)


EVENTS = (
    "event_id,date,branch,title,attendance,satisfaction,responses,scale_max,volunteers,volunteer_hours\n"
    "E1,2024-05-04,Central Library,Storytime,10,4.5,12,5,,\n"  # 12 responses from 10 people
    "E2,2024-05-05,Albany Park,Book fair,80,,,,2,60\n"  # 60 hours from 2 volunteers in a day
)
PLANTED = {
    ("visits", "albany", "missing_days"),
    ("visits", "albany", "zero_run"),
    ("visits", "central", "spike"),
    ("visits", "bezazian", "missing_months"),
    ("visits", "bezazian", "not_reported"),  # its months end in 2023, the others' days in March 2024
    ("events", "central", "impossible"),
    ("events", "albany", "impossible"),
}


def _cli(*args: str) -> None:
    assert cli.main(list(args)) == 0


def kinds(found: list[quality.Finding]) -> set[tuple[str, str, str]]:
    return {(f.table, f.branch_id, f.kind) for f in found}


def read(target: Path) -> duckdb.DuckDBPyConnection:
    return store.open_reader(target)[0]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A database with the branch list, daily and monthly visits and events (imports 1-4), each through data.store."""
    folder = tmp_path_factory.mktemp("kept")
    files = {"daily.csv": _daily_visits(), "monthly.csv": _monthly_visits(), "events.csv": EVENTS}
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    target = folder / "db" / "kpi.duckdb"
    _cli("import", "--db", str(target), str(BRANCHES))
    for name in files:
        _cli("import", "--db", str(target), str(folder / name))
    return target


@pytest.fixture
def copy(built, tmp_path) -> Path:
    """A private copy (link, generations, journal) for a test that writes."""
    shutil.copytree(built.parent, tmp_path / "db", symlinks=True)
    return tmp_path / "db" / built.name


def test_kept_after_import_equal_computed(built):
    with read(built) as con:
        kept = quality.stored_findings(con)
        assert kept is not None
        assert kinds(kept) == PLANTED
        assert kept == quality.findings(con)  # same findings, same order, same facts and evidence
        for tables in (("visits",), ("events",), ("circulation",), ("visits", "events")):
            assert quality.stored_findings(con, tables) == quality.findings(con, tables=tables)


def test_kept_findings_are_worded_as_computed_ones_in_both_languages(built):
    with read(built) as con:
        pairs = zip(quality.stored_findings(con), quality.findings(con), strict=True)
        for kept, computed in pairs:
            for language in ("en", "zh"):
                text = quality.explain(kept.explanation, kept.facts, language)
                assert text == quality.explain(computed.explanation, computed.facts, language)
        gap = next(f for f in quality.stored_findings(con) if f.kind == "missing_days")
        assert quality.explain(gap.explanation, gap.facts, "zh") == "2024年1月10日至2024年1月12日没有数据（3 天）"


def test_kept_on_the_sample_equal_computed(sample_db_path):
    with read(sample_db_path) as con:
        kept = quality.stored_findings(con)
        assert kept is not None and len(kept) == 4  # the sample's planted findings (tests/test_quality.py)
        assert kept == quality.findings(con)


def test_views_filter_the_kept_findings_as_the_pages_do(built):
    views = [
        Filter(),
        Filter(districts=("North",)),
        Filter(branches=("central",), include_children=False),
        Filter(date_from=D(2024, 2, 1), date_to=D(2024, 2, 29)),
        Filter(date_from=D(2024, 3, 1), date_to=D(2024, 12, 31), districts=("Centre",)),
        Filter(scope=("albany",)),
    ]
    with read(built) as con:
        every = quality.findings(con)
        for flt in views:
            wanted = matching_branches(con, flt)
            expected = [
                f
                for f in every
                if f.branch_id in wanted
                and not (flt.date_from and f.period_end < flt.date_from)
                and not (flt.date_to and f.period_start > flt.date_to)
            ]
            assert quality.view_findings(con, flt) == expected, flt
        assert kinds(quality.view_findings(con, Filter(districts=("Centre",)))) == {
            ("visits", "central", "spike"),
            ("events", "central", "impossible"),
        }


def test_a_removal_keeps_the_findings_of_what_is_left(copy):
    _cli("remove", "--db", str(copy), "events.csv")
    with read(copy) as con:
        kept = quality.stored_findings(con)
        assert kept == quality.findings(con)
        assert kinds(kept) == PLANTED - {("events", "central", "impossible"), ("events", "albany", "impossible")}


def test_a_rebuild_keeps_the_findings_it_computed(copy):
    _cli("remove", "--db", str(copy), "monthly.csv")
    store.current_file(copy).write_bytes(b"damaged")
    _cli("rebuild", "--db", str(copy))
    with read(copy) as con:
        kept = quality.stored_findings(con)
        assert kept == quality.findings(con)
        assert ("visits", "bezazian", "missing_months") not in kinds(kept) and kept


def test_a_database_written_outside_the_store_has_its_findings_computed(copy, tmp_path):
    plain = tmp_path / "plain.duckdb"
    shutil.copyfile(store.current_file(copy), plain)
    more = tmp_path / "more.csv"
    more.write_text(EVENTS.replace("E1,", "E3,").replace("E2,", "E4,"), encoding="utf-8")
    with db.connect(plain) as con:  # a plain file imported into directly: data.store records nothing
        before = db.data_version(con)
        assert load(con, more).status == "loaded"
        assert db.data_version(con) > before
    with duckdb.connect(str(plain), read_only=True) as con:
        assert quality.stored_findings(con) is None  # the kept ones describe the data before that import
        computed = quality.network_findings(con)
        assert computed == quality.findings(con)
        assert len([f for f in computed if f.kind == "impossible"]) == 4


def test_an_older_database_has_its_findings_computed(copy, tmp_path):
    plain = tmp_path / "old.duckdb"
    shutil.copyfile(store.current_file(copy), plain)
    with duckdb.connect(str(plain)) as con:  # as a version before kept findings wrote it
        con.execute("DROP TABLE quality_findings")
        con.execute("DELETE FROM meta WHERE key = ?", [quality.STAMP_KEY])
    with duckdb.connect(str(plain), read_only=True) as con:
        assert quality.stored_findings(con) is None
        assert kinds(quality.network_findings(con)) == PLANTED
        assert quality.view_findings(con, Filter(districts=("North",))) == [
            f for f in quality.findings(con) if f.branch_id in ("albany", "bezazian")
        ]


def test_findings_kept_by_other_rules_are_not_used(copy, tmp_path):
    plain = tmp_path / "other.duckdb"
    shutil.copyfile(store.current_file(copy), plain)
    with duckdb.connect(str(plain)) as con:
        version = db.data_version(con)
        con.execute("UPDATE meta SET value = ? WHERE key = ?", [f"0000000000000000:{version}", quality.STAMP_KEY])
        con.execute("DELETE FROM quality_findings WHERE kind = 'spike'")
    with duckdb.connect(str(plain), read_only=True) as con:
        assert quality.stored_findings(con) is None
        assert ("visits", "central", "spike") in kinds(quality.network_findings(con))
