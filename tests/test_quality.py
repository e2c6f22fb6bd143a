"""Data-quality findings on tiny imported exports whose gaps, zeros and spikes are counted by hand,
and on the bundled sample, whose planted cases must be found (and nothing else)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from conftest import load, write

from data import db
from data import make_sample as ms
from metrics.filters import Filter
from metrics.quality import EXPLANATIONS, Finding, explain, findings, findings_frame

D = dt.date


def days(start: dt.date, end: dt.date) -> list[dt.date]:
    """Every day from start to end inclusive."""
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def import_daily(con, tmp_path, rows: list[tuple[dt.date, str, int]], name: str = "daily.csv") -> None:
    """Import (date, branch name, visits) rows as a long daily visits export."""
    text = "date,branch,visits\n" + "".join(f"{d.isoformat()},{b},{v}\n" for d, b, v in rows)
    report = load(con, write(tmp_path, name, text))
    assert report.status == "loaded", report.problems


def series(branch: str, dates: list[dt.date], value=100, skip=()) -> list[tuple[dt.date, str, int]]:
    """One branch's daily rows; `value` is a number or a function of the date; `skip` dates have no row."""
    pick = value if callable(value) else (lambda _d: value)
    return [(d, branch, pick(d)) for d in dates if d not in skip]


def summary(found: list[Finding]) -> list[tuple]:
    return [(f.table, f.branch_id, f.kind, f.period_start, f.period_end) for f in found]


JANUARY = days(D(2024, 1, 1), D(2024, 1, 31))


def test_three_day_gap_found_two_day_gap_not(branches_db, tmp_path):
    rows = [
        *series("Central Library", JANUARY),
        *series("Albany Park", JANUARY, skip=days(D(2024, 1, 10), D(2024, 1, 12))),
        *series("Bezazian", JANUARY, skip=days(D(2024, 1, 20), D(2024, 1, 21))),
    ]
    import_daily(branches_db, tmp_path, rows)
    found = findings(branches_db)
    assert summary(found) == [("visits", "albany", "missing_days", D(2024, 1, 10), D(2024, 1, 12))]
    (gap,) = found
    assert gap.branch_name == "Albany Park"
    assert gap.evidence == "no rows for 2024-01-10..2024-01-12 (3 days)"
    assert explain(gap.explanation, gap.facts, "en") == gap.evidence
    assert explain(gap.explanation, gap.facts, "zh") == "2024年1月10日至2024年1月12日没有数据（3 天）"
    assert (gap.value, gap.baseline, gap.severity) == (3.0, None, "warning")


def test_holiday_when_every_branch_is_closed_is_not_a_gap(branches_db, tmp_path):
    holiday = days(D(2024, 1, 15), D(2024, 1, 18))  # four days, every branch shut
    rows = [r for b in ("Central Library", "Albany Park", "Bezazian") for r in series(b, JANUARY, skip=holiday)]
    import_daily(branches_db, tmp_path, rows)
    assert findings(branches_db) == []
    # Judged against the whole network even when the filter shows one branch.
    assert findings(branches_db, Filter(branches=("albany",))) == []


def test_days_outside_opened_and_closed_are_not_gaps(branches_db, tmp_path):
    # riverside opened 2024-03-01 and chinatown closed 2025-06-30 (tests/fixtures/import/branches.csv);
    # albany has the same stray early row and is the control: its 9 missing days are reported.
    spring = days(D(2024, 2, 15), D(2024, 3, 20))
    summer = days(D(2025, 6, 15), D(2025, 7, 15))
    after_opening = days(D(2024, 3, 1), D(2024, 3, 20))
    rows = [
        *series("Central Library", spring + summer),
        (D(2024, 2, 20), "Riverside Reading Room", 40),
        *series("Riverside Reading Room", after_opening),
        (D(2024, 2, 20), "Albany Park", 40),
        *series("Albany Park", after_opening),
        *series("Chinatown", days(D(2025, 6, 15), D(2025, 6, 30))),
        (D(2025, 7, 10), "Chinatown", 40),  # a stray row after closing
    ]
    import_daily(branches_db, tmp_path, rows)
    assert summary(findings(branches_db)) == [("visits", "albany", "missing_days", D(2024, 2, 21), D(2024, 2, 29))]


def test_weekdays_a_branch_never_opens_are_not_gaps(branches_db, tmp_path):
    # The bookmobile stops on Tuesdays and Fridays only: Saturday..Monday is not a three-day gap.
    # Its three missed stops in a row (Tuesday 13 Feb to Tuesday 20 Feb) are.
    winter = days(D(2024, 1, 1), D(2024, 3, 31))
    missed = {D(2024, 2, 13), D(2024, 2, 16), D(2024, 2, 20)}
    stops = [d for d in winter if d.weekday() in (1, 4)]
    import_daily(
        branches_db, tmp_path, series("Central Library", winter) + series("Mobile Library 1", stops, skip=missed)
    )
    found = findings(branches_db)
    assert summary(found) == [("visits", "bus1", "missing_days", D(2024, 2, 13), D(2024, 2, 20))]
    assert found[0].evidence == "no rows for 2024-02-13..2024-02-20 (8 days; 3 of them normally open days)"


def test_zero_run_found_with_its_baseline(branches_db, tmp_path):
    quarter = days(D(2024, 1, 1), D(2024, 3, 31))
    zeros = set(days(D(2024, 2, 5), D(2024, 2, 7)))  # Monday..Wednesday
    short = set(days(D(2024, 3, 14), D(2024, 3, 15)))  # two zeros: not a run

    def albany(d: dt.date) -> int:
        return 0 if d in zeros | short else 100 + 10 * d.weekday()

    import_daily(branches_db, tmp_path, series("Albany Park", quarter, albany))
    found = findings(branches_db)
    assert summary(found) == [("visits", "albany", "zero_run", D(2024, 2, 5), D(2024, 2, 7))]
    (run,) = found
    # Monday 100, Tuesday 110, Wednesday 120 in the surrounding weeks: the median of those is 110.
    assert (run.value, run.baseline) == (0.0, 110.0)
    assert run.evidence == "3 open days in a row with 0 visits (same-weekday median 110)"
    assert explain(run.explanation, run.facts, "zh") == "连续 3 个开放日到馆人次为 0（同星期几的中位数为 110）"


def test_zeros_on_normally_closed_weekdays_are_not_a_zero_run(branches_db, tmp_path):
    # Bezazian is shut Monday to Wednesday but its export writes 0 for those days: every week has
    # three zeros in a row, none on a day it normally opens.
    quarter = days(D(2024, 1, 1), D(2024, 3, 31))
    import_daily(branches_db, tmp_path, series("Bezazian", quarter, lambda d: 0 if d.weekday() < 3 else 80))
    assert findings(branches_db) == []


def test_daily_spike_found_small_numbers_ignored(branches_db, tmp_path):
    quarter = days(D(2024, 1, 1), D(2024, 3, 31))
    central = {D(2024, 3, 6): 400, D(2024, 3, 13): 250}  # 4x and 2.5x a median of 100
    bezazian = {D(2024, 3, 6): 50}  # 5x, but a median of 10 is too small to judge

    rows = [
        *series("Central Library", quarter, lambda d: central.get(d, 100)),
        *series("Bezazian", quarter, lambda d: bezazian.get(d, 10)),
    ]
    import_daily(branches_db, tmp_path, rows)
    found = findings(branches_db)
    assert summary(found) == [("visits", "central", "spike", D(2024, 3, 6), D(2024, 3, 6))]
    assert (found[0].value, found[0].baseline) == (400.0, 100.0)
    assert "4.0x the same-weekday median" in found[0].evidence
    assert explain(found[0].explanation, found[0].facts, "zh") == (
        "2024年3月6日到馆人次为 400，是前 8 周同星期几中位数（100）的 4.0 倍"
    )


def test_missing_month_and_monthly_spike(branches_db, tmp_path):
    # Central's total has no May row; the minors segment is sparse but segments are never checked.
    lines = ["month,branch,audience,visits"]
    for month in range(1, 13):
        if month != 5:
            lines.append(f"2023-{month:02d},Central Library,all,{5000 if month == 12 else 1000}")
        if month % 3 == 0:
            lines.append(f"2023-{month:02d},Central Library,minors,300")
    report = load(branches_db, write(tmp_path, "monthly.csv", "\n".join(lines) + "\n"))
    assert report.status == "loaded", report.problems
    found = findings(branches_db)
    assert summary(found) == [
        ("visits", "central", "missing_months", D(2023, 5, 1), D(2023, 5, 31)),
        ("visits", "central", "spike", D(2023, 12, 1), D(2023, 12, 31)),
    ]
    assert found[0].evidence == "no rows for 2023-05 (1 month)"
    assert (found[1].value, found[1].baseline) == (5000.0, 1000.0)
    assert [explain(f.explanation, f.facts, "zh") for f in found] == [
        "2023年5月没有数据（1 个月）",
        "2023年12月到馆人次为 5,000，是前 12 个月月度中位数（1,000）的 5.0 倍",
    ]


def test_impossible_event_rows(branches_db, tmp_path):
    text = (
        "event_id,date,branch,title,attendance,satisfaction,responses,scale_max,volunteers,volunteer_hours\n"
        "E1,2024-05-04,Central Library,Storytime,10,4.5,12,5,,\n"  # 12 responses from 10 people
        "E2,2024-05-05,Albany Park,Book fair,80,,,,2,60\n"  # 60 hours from 2 volunteers in a day
        "E3,2024-05-06,Bezazian,Film club,30,4.2,25,5,3,9\n"  # fine
    )
    report = load(branches_db, write(tmp_path, "events.csv", text))
    assert report.status == "loaded", report.problems
    found = findings(branches_db)
    assert [(f.branch_id, f.kind, f.severity, f.value, f.baseline) for f in found] == [
        ("albany", "impossible", "error", 60.0, 48.0),
        ("central", "impossible", "error", 12.0, 10.0),
    ]
    assert found[1].evidence == "event E1: 12 survey responses but attendance 10"
    assert explain(found[1].explanation, found[1].facts, "zh") == "活动 E1：问卷回复 12 份，但参加人次只有 10"
    assert explain(found[0].explanation, found[0].facts, "zh") == "活动 E2：2 名志愿者服务 60 小时（最多 48 小时）"
    assert found[1].period_start == found[1].period_end == D(2024, 5, 4)
    assert findings(branches_db, tables=("visits", "circulation")) == []


def test_frame_has_the_finding_columns(branches_db):
    frame = findings_frame(branches_db)
    assert frame.empty
    assert list(frame.columns) == [
        "table",
        "branch_id",
        "branch_name",
        "kind",
        "period_start",
        "period_end",
        "evidence",
        "value",
        "baseline",
        "severity",
        "explanation",
        "facts",
    ]


def test_every_explanation_is_worded_in_both_languages():
    # The Chinese wording holds no English word: what it names (a unit, a column) is translated on the way.
    for key, (english, chinese) in EXPLANATIONS.items():
        assert english and chinese, key
        words = re.findall(r"[A-Za-z]{2,}", re.sub(r"\{[a-z_]+\}", "", chinese))
        assert not words, (key, words)


# --- the bundled sample ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_con(sample_db_path):
    con = db.connect(sample_db_path, read_only=True)
    yield con
    con.close()


def test_sample_zero_week_found_once(sample_con):
    runs = [f for f in findings(sample_con) if f.kind == "zero_run" and f.branch_id == ms.ZERO_WEEK_BRANCH]
    assert len(runs) == 1
    (run,) = runs
    assert run.period_start == ms.ZERO_WEEK_START
    assert run.period_end == ms.ZERO_WEEK_START + dt.timedelta(days=6)
    assert run.evidence.startswith("7 open days in a row with 0 visits") and run.baseline > 0


def test_sample_renovation_is_a_gap_covering_its_months(sample_con):
    first = dt.date.fromisoformat(ms.RENOVATION_MONTHS[0] + "-01")
    last_month = dt.date.fromisoformat(ms.RENOVATION_MONTHS[-1] + "-01")
    last = (last_month + dt.timedelta(days=31)).replace(day=1) - dt.timedelta(days=1)
    gaps = {
        (f.table, f.kind): (f.period_start, f.period_end)
        for f in findings(sample_con, Filter(branches=(ms.RENOVATION_BRANCH,), include_children=False))
    }
    assert gaps == {("visits", "missing_days"): (first, last), ("circulation", "missing_months"): (first, last)}


def test_sample_has_only_the_planted_findings(sample_con):
    # How long this takes is a bench figure (bench/robustness.py), not an assertion here.
    found = findings(sample_con)
    room, month = ms.NOT_REPORTED_CELL
    assert {(f.table, f.branch_id, f.kind) for f in found} == {
        ("visits", ms.ZERO_WEEK_BRANCH, "zero_run"),
        ("visits", ms.RENOVATION_BRANCH, "missing_days"),
        ("circulation", ms.RENOVATION_BRANCH, "missing_months"),
        ("visits", room, "missing_months"),
    }
    assert [f.period_start for f in found if f.branch_id == room] == [dt.date.fromisoformat(month + "-01")]


def test_sample_filter_dates_choose_overlapping_findings(sample_con):
    spring_2025 = Filter(date_from=D(2025, 3, 1), date_to=D(2025, 3, 31))
    assert summary(findings(sample_con, spring_2025)) == [
        ("visits", ms.ZERO_WEEK_BRANCH, "zero_run", ms.ZERO_WEEK_START, ms.ZERO_WEEK_START + dt.timedelta(days=6))
    ]
    assert findings(sample_con, Filter(date_from=D(2026, 1, 1))) == []
