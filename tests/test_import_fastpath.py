"""Large transaction exports take the DuckDB fast path; its result equals the row-by-row path's, and
anything it cannot vouch for goes to the row path, which reports every problem with its line."""

from __future__ import annotations

import datetime as dt
import random
import shutil

import pytest
from conftest import FIXTURES, TODAY, load, table_snapshot

from data import db
from data import mapping as mapping_mod
from data.importer import HEAD_BYTES, FileReport, Options, _import_rows

FAST_NOTE = "rolled up to daily rows inside DuckDB in one scan of the file"
NAMES = ["Albany Park", "BEZAZIAN", "Chinatown*", "Bookmobile"]


def transactions(path, rows: int, seed: int = 3, extra: str = "", names=NAMES, items=("Book", "DVD")) -> None:
    """A transaction export well over the head the planner reads, with holds among the actions."""
    rng = random.Random(seed)
    start = dt.datetime(2024, 1, 1)
    with path.open("w", newline="") as out:
        out.write("Transaction Date,Location,Transaction Type,Material Type,Borrower Type\r\n")
        for _ in range(rows):
            when = start + dt.timedelta(minutes=rng.randint(0, 60 * 24 * 600))
            action = rng.choice(["Checkout", "checkout", "Renewal", "RETURN", "hold"])
            out.write(
                f"{when:%Y-%m-%d %H:%M:%S},{rng.choice(names)},{action},{rng.choice(items)},"
                f"{rng.choice(['Adult', 'Child'])}\r\n"
            )
        out.write(extra)
    assert path.stat().st_size > HEAD_BYTES


def circulation(con):
    return con.execute(
        "SELECT date, branch_id, item_type, patron_category, checkouts, renewals, returns FROM circulation ORDER BY ALL"
    ).fetchall()


@pytest.fixture
def other_db(tmp_path):
    con = db.connect(tmp_path / "other.duckdb")
    load(con, FIXTURES / "import" / "branches.csv")
    yield con
    con.close()


SPELLINGS = {  # several spellings of one branch and of one item type: their rows must be summed together
    "names": ["Albany Park", "ALBANY PARK", " Albany Park", "BEZAZIAN", "Chinatown*", "Chinatown"],
    "items": ("Book", "book", "Book ", "DVD", ""),
}


@pytest.mark.parametrize("spellings", [{}, SPELLINGS], ids=["one spelling each", "several spellings"])
def test_fast_path_equals_the_row_path(branches_db, other_db, tmp_path, spellings):
    path = tmp_path / "loans.csv"
    transactions(path, 30_000, **spellings)
    fast = load(branches_db, path)
    assert fast.status == "loaded" and FAST_NOTE in fast.notes
    rows = _import_rows(
        other_db, FileReport(path=path, source=path.name), path, mapping_mod.Mapping(), Options(today=TODAY)
    )
    assert rows.status == "loaded" and FAST_NOTE not in rows.notes
    assert circulation(branches_db) == circulation(other_db)
    assert (fast.rows_read, fast.rows_accepted, fast.rows_skipped) == (
        rows.rows_read,
        rows.rows_accepted,
        rows.rows_skipped,
    )
    reason = "action 'hold' is not a checkout, renewal or return"
    assert fast.skip_count(reason) == len(rows.skipped[reason])
    assert fast.skipped[reason][:50] == rows.skipped[reason][:50]


# Timestamp spellings the row path reads as a day: the fast path's CSV reader reads the same day from each
# (a zone offset is dropped, never applied: 23:30-08:00 stays on its own day).
STAMPS = ("{:%Y-%m-%d %H:%M:%S}", "{:%Y-%m-%dT%H:%M:%S}Z", "{:%Y-%m-%d %H:%M}", "{d.year}-{d.month}-{d.day} 9:05")
OFFSET_STAMPS = ("{:%Y-%m-%dT23:30:00-08:00}", "{:%Y-%m-%d 00:15:00+08:00}", "{:%Y-%m-%d}")


@pytest.mark.parametrize("stamps", [STAMPS, OFFSET_STAMPS], ids=["times", "zone offsets"])
def test_timestamp_spellings_give_the_row_paths_days(branches_db, other_db, tmp_path, stamps):
    path = tmp_path / "loans.csv"
    transactions(path, 8_000)
    lines = path.read_text().splitlines()
    for i in range(1, len(lines)):
        stamp, rest = lines[i].split(",", 1)
        day = dt.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S")
        lines[i] = stamps[i % len(stamps)].format(day, d=day) + "," + rest
    path.write_text("\r\n".join(lines) + "\r\n")
    fast = load(branches_db, path)
    assert fast.status == "loaded" and FAST_NOTE in fast.notes
    rows = _import_rows(
        other_db, FileReport(path=path, source=path.name), path, mapping_mod.Mapping(), Options(today=TODAY)
    )
    assert rows.status == "loaded"
    assert circulation(branches_db) == circulation(other_db)


def test_reimport_and_renamed_copy_are_unchanged(branches_db, tmp_path):
    path = tmp_path / "loans.csv"
    transactions(path, 8_000)
    load(branches_db, path)
    before = table_snapshot(branches_db)
    assert load(branches_db, path).status == "unchanged"
    copy = tmp_path / "loans copy.csv"
    shutil.copy(path, copy)
    assert load(branches_db, copy).status == "unchanged"
    assert table_snapshot(branches_db) == before


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ("2024-02-30 10:00:00,Albany Park,checkout,Book,Adult\r\n", "no such date (2024-02-30)"),
        ("2024-03-01 10:00:00,Nowhere,checkout,Book,Adult\r\n", "unknown branch"),
        ("2099-03-01 10:00:00,Albany Park,checkout,Book,Adult\r\n", "date in the future"),
    ],
    ids=["bad-date", "unknown-branch", "future"],
)
def test_a_bad_last_row_goes_to_the_row_path_and_writes_nothing(branches_db, tmp_path, extra, reason):
    path = tmp_path / "loans.csv"
    transactions(path, 8_000, extra=extra)
    before = table_snapshot(branches_db)
    report = load(branches_db, path)
    assert report.status == "rejected"
    assert [p.line for p in report.problems] == [8_002]
    assert report.problems[0].reason.startswith(reason)
    assert table_snapshot(branches_db) == before
