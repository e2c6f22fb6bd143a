"""Acceptance: a series of exports shaped like real open-data releases, imported with no hand editing.

Wide yearly visitor files with header drift (LOCATION, then BRANCH, and a later LOCATION column holding
coordinates), name drift (footnote stars, case), total and footer rows, multi-line quoted cells and a
partial final year; an event-level export with duplicate rows and stray dates. The stored yearly
totals must equal an independent count made here with the csv module, and every row the importer did
not store must be accounted for in its report.
"""

from __future__ import annotations

import csv
import io
import random

from conftest import TODAY, load, write

MONTHS = [
    "JANUARY",
    "FEBRUARY",
    "MARCH",
    "APRIL",
    "MAY",
    "JUNE",
    "JULY",
    "AUGUST",
    "SEPTEMBER",
    "OCTOBER",
    "NOVEMBER",
    "DECEMBER",
]
NAMES = ["Albany Park", "Altgeld", "Back of the Yards", "Beverly", "Brainerd", "Bucktown-Wicker Park"]


def yearly_sheet(year: int, rng: random.Random, months_reported: int = 12) -> str:
    """One year's wide export; the header style drifts with the year."""
    first = "LOCATION" if year < 2019 else "BRANCH"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([first, "ADDRESS", "CITY", "ZIP CODE" if year < 2019 else "ZIP", *MONTHS, "YTD", "LOCATION"])
    for index, name in enumerate(NAMES):
        shown = name + "*" if (year, index) in ((2019, 0), (2020, 2)) else name.upper() if year == 2018 else name
        values = [str(rng.randint(500, 9000)) if m < months_reported else "" for m in range(12)]
        if year == 2018 and index == 3:
            values[4] = ""  # not reported
        ytd = sum(int(v) for v in values if v) + (7 if index == 1 else 0)  # a wrong YTD, never trusted
        writer.writerow(
            [
                shown,
                f"{index} Main St.",
                "Chicago",
                "60600",
                *values,
                ytd,
                f"{index} Main St.\nChicago, IL\n(41.9, -87.{index})",
            ]
        )
    writer.writerow(["TOTAL", "", "", "", *[""] * 12, "", ""])
    writer.writerow(["* Closed for renovation part of the year", *[""] * 17])
    writer.writerow([""] * 18)
    return out.getvalue()


def independent_wide_totals(text: str) -> tuple[int, int]:
    """(sum of month cells over branch rows, number of branch rows), counted without the importer."""
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    months = [header.index(m) for m in MONTHS]
    total = count = 0
    for row in rows[1:]:
        if not row or not row[0].strip() or row[0].startswith("*") or row[0] == "TOTAL":
            continue
        count += 1
        total += sum(int(row[i]) for i in months if row[i].strip())
    return total, count


def test_wide_yearly_series_with_drift_matches_an_independent_count(fresh_db, tmp_path):
    rng = random.Random(7)
    expected = {}
    for year in range(2017, 2022):
        partial = year == 2021
        text = yearly_sheet(year, rng, months_reported=5 if partial else 12)
        path = write(tmp_path, f"Libraries_-_{year}_Visitors_by_Location.csv", text)
        report = load(fresh_db, path, allow_new_branches=True)
        assert report.status == "loaded", report.problems
        expected[year], branch_rows = independent_wide_totals(text)
        assert report.rows_accepted == branch_rows
        assert report.rows_read == report.rows_accepted + report.rows_skipped + report.rows_rejected
        assert set(report.skipped) == {"totals row", "footnote row", "empty row"}
    stored = dict(fresh_db.execute("SELECT year(date), sum(visits) FROM visits GROUP BY 1").fetchall())
    assert stored == expected
    assert fresh_db.execute("SELECT count(*) FROM branches").fetchone()[0] == len(NAMES)
    assert fresh_db.execute("SELECT max(date) FROM visits").fetchone()[0].isoformat() == "2021-05-01"


def test_event_export_with_duplicates_and_stray_dates(fresh_db, tmp_path):
    text = (
        "Program Name,Start Date,Location,Program Type,Age Group,Number of Attendees\n"
        "Toddler Time,03/04/2023,Altgeld,Storytime,Children,14\n"
        "Toddler Time,03/04/2023,Altgeld,Storytime,Children,14\n"  # exact duplicate
        "Toddler Time,03/11/2023,Altgeld,Storytime,Children,11\n"
        "Resume Lab,2023-03-15,Beverly,Workshop,Adults,6\n"
        'Resume Lab,"March 22, 2023",Beverly,Workshop,Adults,\n'  # attendance not reported
        "Chess,02/30/2023,Beverly,Club,Teens,9\n"  # no such date
        "Chess,12/01/2099,Beverly,Club,Teens,9\n"  # stray future date
    )
    path = write(tmp_path, "program_attendance.csv", text)
    rejected = load(fresh_db, path, allow_new_branches=True)
    assert rejected.status == "rejected" and rejected.rows_rejected == 2
    report = load(fresh_db, path, allow_new_branches=True, quarantine=True)
    assert report.status == "quarantined"
    assert report.skipped == {"duplicate of an earlier row (same key and values)": [3]}
    assert report.rows_read == report.rows_accepted + report.rows_skipped + report.rows_rejected == 7
    row = fresh_db.execute("SELECT count(*), sum(attendance), min(date), max(date) FROM events").fetchone()
    assert row[:2] == (4, 14 + 11 + 6) and str(row[2]) == "2023-03-04" and str(row[3]) == "2023-03-22"
    assert max(str(d) for (d,) in fresh_db.execute("SELECT date FROM events").fetchall()) <= str(TODAY)


def test_future_months_exported_as_zero_are_not_reported(fresh_db, tmp_path):
    path = write(tmp_path, "visits_2026.csv", "Branch,Jan,Feb,Nov,Dec\nAltgeld,5,6,0,0\n")
    report = load(fresh_db, path, allow_new_branches=True)
    assert report.status == "loaded" and report.blank_cells == 2
    assert fresh_db.execute("SELECT count(*), sum(visits) FROM visits").fetchone() == (2, 11)
