"""One definition everywhere: participation (in person plus online) is a metric of its own, and attendance
per event divides the same in-person attendance as the Attendance card. Golden values counted by hand on a
tiny export imported by the real importer; each expected value has its arithmetic beside it."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import load, write

from metrics import registry
from metrics.engine import compute
from metrics.filters import Filter

EVENTS = (
    "event_id,date,branch,title,category,audience,format,attendance,planned\n"
    "P6,2023-01-15,Albany Park,Storytime,storytime,children_0_5,onsite,20,false\n"
    "P7,2023-02-10,Bezazian,Webinar,lecture,adults,online,60,false\n"
    "P1,2024-01-10,Albany Park,Storytime,storytime,children_0_5,onsite,25,false\n"
    "P2,2024-01-20,Albany Park,Author talk,lecture,adults,offsite,35,false\n"
    "P3,2024-02-05,Bezazian,Webinar,lecture,adults,online,120,false\n"
    "P4,2024-02-15,Bezazian,Cancelled webinar,lecture,adults,online,50,true\n"  # planned, never held
    "P5,2024-03-01,Chinatown,Craft,training,general,onsite,,false\n"  # held, attendance not reported
)
# The last held event is P5 (1 March 2024): 2024 runs to 31 March (partial) and is compared with
# January-March 2023 (P6, P7).
#                       in person (attendance)   online (online_attendance)   participation
#   2024 (Jan-Mar)      P1 25 + P2 35 = 60        P3 120                       180
#   2023 (Jan-Mar)      P6 20                     P7 60                        80


@pytest.fixture
def events_db(branches_db, tmp_path):
    report = load(branches_db, write(tmp_path, "events.csv", EVENTS))
    assert report.status == "loaded", report.problems
    return branches_db


def year(con, metric_id: str, column: str = "value", **options) -> dict:
    table = compute(con, metric_id, grain="year", compare=True, **options).table
    key = options.get("by") or "period"
    rows = table if "by" not in options else table[table["period"] == "2024"]
    return {k: (None if v != v else v) for k, v in zip(rows[key], rows[column], strict=True)}


def test_participation_is_attendance_plus_online_attendance(events_db):
    assert year(events_db, "participation") == {"2023": 80, "2024": 180}  # 20 + 60; 60 + 120
    assert year(events_db, "participation", "prior_value")["2024"] == 80
    assert year(events_db, "participation", "yoy_pct")["2024"] == pytest.approx(125.0)  # (180 - 80) / 80
    assert year(events_db, "attendance") == {"2023": 20, "2024": 60}
    assert year(events_db, "online_attendance") == {"2023": 60, "2024": 120}
    # By format: every format, online included; by category: P5 (training) reported no attendance.
    assert year(events_db, "participation", by="format") == {"offsite": 35, "online": 120, "onsite": 25}
    assert year(events_db, "participation", by="category") == {"lecture": 155, "storytime": 25}  # 35 + 120


def test_participation_over_the_whole_window(events_db):
    flt = Filter(date_from=dt.date(2024, 1, 1), date_to=dt.date(2024, 12, 31))
    table = compute(events_db, "participation", flt, grain="window", compare=True).table
    # The window is cut at the data's end (31 March 2024) and compared with January-March 2023.
    assert table[["period", "value", "prior_value", "partial"]].values.tolist() == [
        ["2024-01-01..2024-03-31", 180, 80, True]
    ]


def test_attendance_per_event_divides_the_cards_attendance(events_db):
    # In person only, sessions with attendance reported: 2024 (25 + 35) / (P1 + P2) = 30 (P3 is online, P5
    # reported none); 2023 P6 20 / 1. The old all-formats figure would have been (25 + 35 + 120) / 3 = 60.
    assert year(events_db, "attendance_per_event") == pytest.approx({"2023": 20.0, "2024": 30.0})
    assert year(events_db, "attendance_per_event", "change")["2024"] == pytest.approx(10.0)
    by_format = year(events_db, "attendance_per_event", by="format")
    assert by_format == pytest.approx({"offsite": 35.0, "onsite": 25.0})  # no online row at all


def test_the_ratio_reads_the_same_attendance_as_the_card():
    attendance, per_event = registry.get("attendance"), registry.get("attendance_per_event")
    assert (per_event.table, per_event.numerator, per_event.where) == (
        attendance.table,
        attendance.numerator,
        attendance.where,
    )
    participation = registry.get("participation")
    assert participation.compute == "sum" and participation.is_additive
    assert registry.dimensions(participation) == registry.dimensions(attendance)
