"""Golden values for every KPI in the registry, counted by hand on tiny exports imported by the real
importer. Each expected value has its arithmetic in the comment beside it.

Branches (tests/fixtures/import/branches.csv): albany (population 60,000), bezazian (45,000),
chinatown (52,000), bus1 (mobile, no population). visits, visits_per_capita and target_attainment are
covered in test_metrics_engine.py.
"""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import load, write

from metrics.engine import compute
from metrics.filters import Filter


def _load(con, tmp_path, name: str, text: str) -> None:
    report = load(con, write(tmp_path, name, text))
    assert report.status == "loaded", report.problems


def by_period(result, column: str = "value") -> dict:
    """period -> column, missing values as None."""
    return {
        r.period: (None if getattr(r, column) != getattr(r, column) else getattr(r, column))
        for r in result.table.itertuples()
    }


def by_dim(result, dim: str, period: str) -> dict:
    """`by` value -> value in one period."""
    table = result.table[result.table["period"] == period]
    return dict(zip(table[dim], table["value"], strict=True))


# --- Circulation ---------------------------------------------------------------------------------
# Full exports (checkouts, renewals, returns; a blank is "not reported"):
CIRCULATION = (
    "month,branch,item_type,checkouts,renewals,returns\n"
    "2023-01,Albany Park,book,100,20,90\n"
    "2023-01,Albany Park,dvd,10,,12\n"  # renewals not reported: loans 10 + 0
    "2023-06,Bezazian,book,50,5,40\n"
    "2024-01,Albany Park,book,120,30,100\n"
    "2024-01,Albany Park,dvd,,4,\n"  # only renewals: a loan (4), not an initial loan
    "2024-05,Mobile Library 1,book,30,,\n"  # bus1: no service population
    "2024-06,Bezazian,book,,,25\n"  # only returns: no loans at all
    "2024-12,Bezazian,book,60,10,70\n"
)
# An export giving only the circulation total (renewals included): loans count it, loans_initial cannot.
CIRCULATION_TOTAL = "month,branch,circulation\n2023-03,Chinatown,200\n2024-03,Chinatown,150\n"
# By branch and year:
#   loans          2023: albany 120 + 10 = 130, bezazian 55, chinatown 200            = 385
#                  2024: albany 150 + 4 = 154, bus1 30, bezazian 70, chinatown 150   = 404
#   loans_initial  2023: 100 + 10 + 50 = 160;  2024: 120 + 30 + 60 = 210
#   renewals       2023: 20 + 5 = 25;          2024: 30 + 4 + 10 = 44
#   returns        2023: 90 + 12 + 40 = 142;   2024: 100 + 25 + 70 = 195
TARGETS = "year,branch,metric,target\n2023,,loans,400\n2024,,loans,500\n2024,Albany Park,loans,200\n"


@pytest.fixture
def circulation_db(branches_db, tmp_path):
    _load(branches_db, tmp_path, "circulation.csv", CIRCULATION)
    _load(branches_db, tmp_path, "circulation_totals.csv", CIRCULATION_TOTAL)
    _load(branches_db, tmp_path, "targets.csv", TARGETS)
    return branches_db


def test_loans_include_renewals_and_circulation_totals_with_yoy(circulation_db):
    result = compute(circulation_db, "loans", grain="year", compare=True)
    assert result.as_of == dt.date(2024, 12, 31)
    assert by_period(result) == {"2023": 385, "2024": 404}
    assert by_period(result, "prior_value") == {"2023": None, "2024": 385}
    assert by_period(result, "partial") == {"2023": False, "2024": False}
    # 404 - 385 = 19; 19 / 385.
    assert by_period(result, "change")["2024"] == 19
    assert by_period(result, "yoy_pct")["2024"] == pytest.approx(19 / 385 * 100)


def test_loans_by_month_and_item_type(circulation_db):
    months = by_period(compute(circulation_db, "loans", grain="month"))
    # 2023-01: 120 + 10; 2023-03: chinatown total; 2024-01: 150 + 4; June 2024 had only returns: absent.
    assert months["2023-01"] == 130 and months["2023-03"] == 200 and months["2024-01"] == 154
    assert "2024-06" not in months
    items = by_dim(compute(circulation_db, "loans", grain="year", by="item_type"), "item_type", "2024")
    # book: albany 150 + bus1 30 + bezazian 70; dvd: renewals 4; chinatown's total has no item type ('all').
    assert items == {"all": 150, "book": 250, "dvd": 4}


def test_loans_initial_excludes_renewals_and_circulation_only_exports(circulation_db):
    result = compute(circulation_db, "loans_initial", grain="year", compare=True)
    assert by_period(result) == {"2023": 160, "2024": 210}  # 100 + 10 + 50; 120 + 30 + 60
    assert by_period(result, "prior_value")["2024"] == 160
    # chinatown gave only a circulation total: it has no initial loans at all (absent, not zero).
    branches = compute(circulation_db, "loans_initial", grain="year", by="branch")
    assert by_dim(branches, "branch", "2023") == {"Albany Park": 110, "Bezazian": 50}


def test_renewals_and_returns(circulation_db):
    assert by_period(compute(circulation_db, "renewals", grain="year")) == {"2023": 25, "2024": 44}
    assert by_period(compute(circulation_db, "returns", grain="year")) == {"2023": 142, "2024": 195}
    # The circulation total is not split: chinatown has no renewals row.
    renewals = compute(circulation_db, "renewals", grain="year", by="branch")
    assert by_dim(renewals, "branch", "2024") == {"Albany Park": 34, "Bezazian": 10}  # 30 + 4; 10


def test_loans_per_capita_counts_only_branches_with_a_population(circulation_db):
    result = compute(circulation_db, "loans_per_capita", grain="year", compare=True)
    # 2023: 385 over albany 60,000 + bezazian 45,000 + chinatown 52,000 = 157,000.
    # 2024: bus1 (30 loans, no population) left out: 404 - 30 = 374 over the same 157,000.
    assert by_period(result)["2023"] == pytest.approx(385 / 157_000)
    assert by_period(result)["2024"] == pytest.approx(374 / 157_000)
    assert by_period(result, "prior_value")["2024"] == pytest.approx(385 / 157_000)
    assert by_period(result, "yoy_pct")["2024"] == pytest.approx((374 - 385) / 385 * 100)
    branches = compute(circulation_db, "loans_per_capita", grain="year", by="branch")
    assert by_dim(branches, "branch", "2024") == pytest.approx(
        {"Albany Park": 154 / 60_000, "Bezazian": 70 / 45_000, "Chinatown": 150 / 52_000}
    )


def test_loans_target_attainment_against_the_network_target(circulation_db):
    result = compute(circulation_db, "loans_target_attainment", grain="year", compare=True)
    # 2023: 385 / 400 = 96.25 %; 2024: 404 / 500 = 80.8 %.
    assert by_period(result) == pytest.approx({"2023": 96.25, "2024": 80.8})
    assert by_period(result, "prior_value")["2024"] == pytest.approx(96.25)
    assert by_period(result, "yoy_pct")["2024"] == pytest.approx((80.8 - 96.25) / 96.25 * 100)
    # By branch only albany has a target of its own: 154 / 200 = 77 %.
    branches = compute(circulation_db, "loans_target_attainment", grain="year", by="branch")
    assert by_dim(branches, "branch", "2024") == pytest.approx({"Albany Park": 77.0})


# --- Events --------------------------------------------------------------------------------------
EVENT_HEADER = (
    "event_id,date,branch,title,category,audience,format,attendance,satisfaction,responses,scale_max,"
    "volunteers,volunteer_hours,beneficiaries,planned\n"
)
EVENTS = EVENT_HEADER + (
    "A1,2023-03-10,Albany Park,Storytime,storytime,children,onsite,30,4.5,10,5,2,6,30,false\n"
    "A2,2023-05-12,Bezazian,Coding club,training,teens,online,40,,,,,,,false\n"
    "E1,2024-01-15,Albany Park,Storytime,storytime,children,onsite,40,4.0,20,5,3,7.5,40,false\n"
    "E2,2024-02-10,Albany Park,Author talk,lecture,adults,offsite,60,9,10,10,2,4,60,false\n"
    "E3,2024-03-05,Bezazian,Web talk,lecture,adults,online,100,,,,1,2.5,,false\n"
    "E4,2024-03-20,Bezazian,Cancelled talk,lecture,adults,onsite,25,,,,4,10,25,true\n"  # planned, never held
    "E5,2024-04-02,Chinatown,Craft,workshop,children,onsite,,,,,,,,false\n"  # held, attendance not reported
)
# A count-only export: 4 storytime sessions held in May 2024; 2 lectures planned for May but not held.
EVENT_COUNTS = (
    "month,branch,category,audience,format,sessions,attendance,planned\n"
    "2024-05,Albany Park,storytime,children,onsite,4,80,false\n"
    "2024-05,Bezazian,lecture,adults,onsite,2,,true\n"
)
# The last held event is in May 2024, so 2024 runs to 2024-05-31 (partial) and is compared with
# January-May 2023, which holds A1 and A2.
SURVEYS = (
    "respondent_id,date,branch,question,score,scale_max\n"
    "s0,2023-04-01,Albany Park,overall,2,5\n"  # 40, not top two
    "s1,2024-02-01,Albany Park,overall,5,5\n"  # 100, top two
    "s1,2024-02-01,Albany Park,staff,1,5\n"  # another question: not counted
    "s2,2024-02-02,Bezazian,overall,3,5\n"  # 60
    "s3,2024-03-03,Bezazian,overall,4,5\n"  # 80, top two
    "s4,2024-03-04,Chinatown,overall,7,10\n"  # 70; on 0-10 the top two are 9 and 10
)


@pytest.fixture
def events_db(branches_db, tmp_path):
    _load(branches_db, tmp_path, "events.csv", EVENTS)
    _load(branches_db, tmp_path, "event_counts.csv", EVENT_COUNTS)
    return branches_db


@pytest.fixture
def satisfaction_db(events_db, tmp_path):
    _load(events_db, tmp_path, "surveys.csv", SURVEYS)
    return events_db


def test_events_exclude_planned_but_not_held_with_yoy(events_db):
    result = compute(events_db, "events", grain="year", compare=True)
    # 2024: E1, E2, E3, E5 one session each + 4 counted sessions = 8 (E4 and the 2 planned lectures left
    # out); January-May 2023: A1 + A2 = 2.
    assert by_period(result) == {"2023": 2, "2024": 8}
    assert by_period(result, "prior_value")["2024"] == 2
    assert by_period(result, "yoy_pct")["2024"] == pytest.approx(300.0)  # (8 - 2) / 2
    assert by_period(result, "partial")["2024"] and result.as_of == dt.date(2024, 5, 31)


def test_events_and_attendance_target_attainment(events_db, tmp_path):
    targets = "year,branch,metric,target\n2024,,events,10\n2024,Albany Park,events,4\n2024,,attendance,400\n"
    _load(events_db, tmp_path, "event_targets.csv", targets)
    # January-May 2024 (the data's end) against the year's targets: 8 of 10 events = 80 %; Albany Park
    # E1, E2 and 4 counted sessions = 6 of 4 = 150 %; in-person attendance 40 + 60 + 80 = 180 of 400 = 45 %.
    assert by_period(compute(events_db, "events_target_attainment", grain="year")) == pytest.approx({"2024": 80.0})
    branches = compute(events_db, "events_target_attainment", grain="year", by="branch")
    assert by_dim(branches, "branch", "2024") == pytest.approx({"Albany Park": 150.0})
    attendance = compute(events_db, "attendance_target_attainment", grain="year")
    assert by_period(attendance) == pytest.approx({"2024": 45.0})


def test_plans_after_the_last_held_event_do_not_move_the_data_end(events_db, tmp_path):
    # Two plans on the calendar for August and December 2024: the data still ends with May's held events,
    # so 2024 is still January-May (partial) against January-May 2023, and no empty months are added.
    _load(
        events_db,
        tmp_path,
        "plans.csv",
        EVENT_HEADER
        + "P1,2024-08-20,Albany Park,Summer talk,lecture,adults,onsite,,,,,,,,true\n"
        + "P2,2024-12-03,Bezazian,Winter fair,exhibition,general,onsite,,,,,,,,true\n",
    )
    result = compute(events_db, "events", grain="year", compare=True)
    assert result.as_of == dt.date(2024, 5, 31)
    assert by_period(result) == {"2023": 2, "2024": 8}
    assert by_period(result, "partial")["2024"]
    assert by_period(result, "prior_value")["2024"] == 2  # A1 and A2: January-May 2023
    months = by_period(compute(events_db, "events", grain="month"))
    assert max(months) == "2024-05"


def test_events_by_category_audience_and_format(events_db):
    category = by_dim(compute(events_db, "events", grain="year", by="category"), "category", "2024")
    # storytime: E1 + 4; lecture: E2 + E3 (E4 and the planned lectures not held); workshop: E5.
    assert category == {"lecture": 2, "storytime": 5, "workshop": 1}
    audience = by_dim(compute(events_db, "events", grain="year", by="audience"), "audience", "2024")
    assert audience == {"adults": 2, "children": 6}  # E2 + E3; E1 + 4 + E5
    fmt = by_dim(compute(events_db, "events", grain="year", by="format"), "format", "2024")
    assert fmt == {"offsite": 1, "online": 1, "onsite": 6}  # E2; E3; E1 + E5 + 4


def test_attendance_excludes_online_and_planned(events_db):
    result = compute(events_db, "attendance", grain="year", compare=True)
    # 2024: E1 40 + E2 60 (offsite is in person) + 80 counted = 180; E3 online, E4 planned, E5 blank.
    # 2023 (Jan-May): A1 30 (A2 was online).
    assert by_period(result) == {"2023": 30, "2024": 180}
    assert by_period(result, "yoy_pct")["2024"] == pytest.approx(500.0)  # (180 - 30) / 30
    audience = by_dim(compute(events_db, "attendance", grain="year", by="audience"), "audience", "2024")
    assert audience == {"adults": 60, "children": 120}  # E2; E1 40 + 80
    category = by_dim(compute(events_db, "attendance", grain="year", by="category"), "category", "2024")
    assert category == {"lecture": 60, "storytime": 120}  # workshop (E5) reported no attendance: absent
    fmt = by_dim(compute(events_db, "attendance", grain="year", by="format"), "format", "2024")
    assert fmt == {"offsite": 60, "onsite": 120}


def test_online_attendance_is_separate(events_db):
    result = compute(events_db, "online_attendance", grain="year", compare=True)
    assert by_period(result) == {"2023": 40, "2024": 100}  # A2; E3
    assert by_period(result, "prior_value")["2024"] == 40
    months = by_period(compute(events_db, "online_attendance", grain="month"))
    assert months == {"2023-05": 40, "2024-03": 100}


def test_attendance_per_event_skips_sessions_without_attendance(events_db):
    result = compute(events_db, "attendance_per_event", grain="year", compare=True)
    # The Attendance card's attendance (in person) over in-person sessions that reported it:
    # 2024: (40 + 60 + 80) / (1 + 1 + 4) = 180 / 6 = 30 (E3 online, E5 had no attendance). 2023: A1 30 / 1.
    assert by_period(result) == pytest.approx({"2023": 30.0, "2024": 30.0})
    assert by_period(result, "yoy_pct")["2024"] == pytest.approx(0.0)
    category = by_dim(compute(events_db, "attendance_per_event", grain="year", by="category"), "category", "2024")
    # storytime (40 + 80) / 5 = 24; lecture E2 60 / 1 = 60; workshop: no session with attendance.
    assert category == pytest.approx({"lecture": 60.0, "storytime": 24.0})


def test_plan_completion_held_over_held_plus_not_held(events_db):
    result = compute(events_db, "plan_completion", grain="year")
    # 2024: held 8 / (8 held + E4 counted as 1 + 2 planned lectures) = 8 / 11. 2023: 2 / 2.
    assert by_period(result) == pytest.approx({"2023": 100.0, "2024": 8 / 11 * 100})
    category = by_dim(compute(events_db, "plan_completion", grain="year", by="category"), "category", "2024")
    # lecture: held E2 + E3 = 2 of 2 + 1 + 2 = 5 planned; storytime 5 of 5; workshop 1 of 1.
    assert category == pytest.approx({"lecture": 40.0, "storytime": 100.0, "workshop": 100.0})


def test_plan_completion_over_a_whole_window_is_one_ratio_of_sums(events_db):
    # February-April 2024: held E2, E3, E5 = 3 sessions; planned but not held E4 = 1: 3 / (3 + 1) = 75 %
    # (a mean of the months would give (100 + 50 + 100) / 3 = 83.3). A year earlier, February-April
    # 2023: A1 held, nothing planned and not held: 1 / 1 = 100 %. Change -25 points, -25 %.
    window = Filter(date_from=dt.date(2024, 2, 1), date_to=dt.date(2024, 4, 30))
    result = compute(events_db, "plan_completion", window, grain="window", compare=True)
    assert len(result.table) == 1
    row = result.table.iloc[0]
    assert (row["period_start"], row["period_end"]) == (dt.date(2024, 2, 1), dt.date(2024, 4, 30))
    assert row["value"] == pytest.approx(75.0)
    assert row["prior_value"] == pytest.approx(100.0)
    assert row["change"] == pytest.approx(-25.0)
    assert row["yoy_pct"] == pytest.approx(-25.0)
    assert not row["partial"]


def test_volunteer_hours_volunteers_and_beneficiaries(events_db):
    # Held events only: E4 (4 volunteers, 10 hours, 25 beneficiaries) was not held.
    hours = compute(events_db, "volunteer_hours", grain="year", compare=True)
    assert by_period(hours) == pytest.approx({"2023": 6.0, "2024": 14.0})  # A1; 7.5 + 4 + 2.5
    assert by_period(hours, "yoy_pct")["2024"] == pytest.approx((14 - 6) / 6 * 100)
    assert by_period(compute(events_db, "volunteers", grain="year")) == {"2023": 2, "2024": 6}  # 3 + 2 + 1
    assert by_period(compute(events_db, "beneficiaries", grain="year")) == {"2023": 30, "2024": 100}  # 40 + 60
    fmt = by_dim(compute(events_db, "volunteer_hours", grain="year", by="format"), "format", "2024")
    assert fmt == pytest.approx({"offsite": 4.0, "online": 2.5, "onsite": 7.5})


# Satisfaction, 2024 (to 2024-05-31): events E1 80 x 20 responses, E2 9/10 = 90 x 10 responses, and
# survey answers (question overall) 100, 60, 80, 70. n = 20 + 10 + 4 = 34;
# mean = (1,600 + 900 + 100 + 60 + 80 + 70) / 34 = 2,810 / 34.
# January-May 2023: A1 4.5/5 = 90 x 10 responses and s0 40: (900 + 40) / 11 = 940 / 11.


def test_satisfaction_weighted_by_responses_with_yoy(satisfaction_db):
    result = compute(satisfaction_db, "satisfaction", grain="year", compare=True)
    assert by_period(result) == pytest.approx({"2023": 940 / 11, "2024": 2810 / 34})
    assert by_period(result, "prior_value")["2024"] == pytest.approx(940 / 11)
    assert by_period(result, "yoy_pct")["2024"] == pytest.approx((2810 / 34 - 940 / 11) / (940 / 11) * 100)
    audience = by_dim(compute(satisfaction_db, "satisfaction", grain="year", by="audience"), "audience", "2024")
    # children: E1 80; adults: E2 90; survey answers without an audience: (100 + 60 + 80 + 70) / 4 = 77.5.
    assert audience == pytest.approx({"adults": 90.0, "children": 80.0, "unspecified": 77.5})


def test_satisfaction_over_a_whole_window_pools_every_response(satisfaction_db):
    # January-March 2024: E1 80 x 20, E2 90 x 10, answers s1 100, s2 60, s3 80, s4 70:
    # (1,600 + 900 + 100 + 60 + 80 + 70) / 34 = 2,810 / 34 = 82.647 (the months' own means, 80, 88.3
    # and 75, average 81.1). A year earlier, January-March 2023: A1 4.5/5 = 90 x 10 (s0 is in April): 90.
    # Change 2,810 / 34 - 90 = -7.353 points.
    window = Filter(date_from=dt.date(2024, 1, 1), date_to=dt.date(2024, 3, 31))
    result = compute(satisfaction_db, "satisfaction", window, grain="window", compare=True)
    assert len(result.table) == 1
    row = result.table.iloc[0]
    assert row["value"] == pytest.approx(2810 / 34)
    assert row["prior_value"] == pytest.approx(90.0)
    assert row["change"] == pytest.approx(2810 / 34 - 90)
    assert row["yoy_pct"] == pytest.approx((2810 / 34 - 90) / 90 * 100)


def test_satisfied_share_from_survey_answers_only(satisfaction_db):
    result = compute(satisfaction_db, "satisfied_share", grain="year", compare=True)
    # 2024: s1 (5/5) and s3 (4/5) of 4 answers = 50 %; events give no top-two-box counts.
    # 2023: s0 (2/5) of 1 = 0 %, so the year-over-year percentage has no base.
    assert by_period(result) == pytest.approx({"2023": 0.0, "2024": 50.0})
    assert by_period(result, "change")["2024"] == pytest.approx(50.0)
    assert by_period(result, "yoy_pct")["2024"] is None


def test_responses_count_events_and_answers(satisfaction_db):
    result = compute(satisfaction_db, "responses", grain="year", compare=True)
    assert by_period(result) == {"2023": 11, "2024": 34}  # 10 + 1; 20 + 10 + 4
    months = by_period(compute(satisfaction_db, "responses", grain="month"))
    # 2024-02: E2 10 + s1 + s2; 2024-03: s3 + s4 (E3 online, unrated).
    assert months["2024-01"] == 20 and months["2024-02"] == 12 and months["2024-03"] == 2


# --- Other measures ------------------------------------------------------------------------------
MEASURES = (
    "month,branch,measure,value\n"
    "2023-01,Albany Park,new_registrations,10\n"
    "2023-02,Bezazian,新增持证读者,5\n"  # Chinese name of the same measure
    "2023-06,Albany Park,complaints_received,5\n"
    "2023-06,Albany Park,complaints_resolved,4\n"
    "2024-01,Albany Park,new_registrations,12\n"
    "2024-01,Albany Park,complaints_received,4\n"
    "2024-01,Albany Park,complaints_resolved,3\n"
    "2024-02,Bezazian,收到投诉,6\n"
    "2024-02,Bezazian,投诉办结,6\n"
    "2024-12,Albany Park,new_registrations,8\n"
)


@pytest.fixture
def measures_db(branches_db, tmp_path):
    _load(branches_db, tmp_path, "measures.csv", MEASURES)
    return branches_db


def test_new_registrations(measures_db):
    result = compute(measures_db, "new_registrations", grain="year", compare=True)
    assert by_period(result) == {"2023": 15, "2024": 20}  # 10 + 5; 12 + 8
    assert by_period(result, "yoy_pct")["2024"] == pytest.approx((20 - 15) / 15 * 100)


def test_new_registrations_target_attainment(measures_db, tmp_path):
    _load(measures_db, tmp_path, "targets.csv", "year,branch,metric,target\n2024,,new_registrations,25\n")
    # 2024: 12 + 8 = 20 of 25 = 80 %; 2023 has no target.
    result = compute(measures_db, "new_registrations_target_attainment", grain="year")
    assert by_period(result) == pytest.approx({"2024": 80.0})


def test_complaint_resolution_rate_over_a_whole_window(measures_db):
    # January-June 2024: albany 3 of 4, bezazian 6 of 6: (3 + 6) / (4 + 6) = 90 % (the months' rates, 75 and
    # 100, average 87.5). January-June 2023: albany 4 of 5 = 80 %. Change +10 points, +12.5 %.
    window = Filter(date_from=dt.date(2024, 1, 1), date_to=dt.date(2024, 6, 30))
    result = compute(measures_db, "complaint_resolution_rate", window, grain="window", compare=True)
    assert len(result.table) == 1
    row = result.table.iloc[0]
    assert row["value"] == pytest.approx(90.0)
    assert row["prior_value"] == pytest.approx(80.0)
    assert row["change"] == pytest.approx(10.0)
    assert row["yoy_pct"] == pytest.approx(12.5)


def test_complaints_received(measures_db):
    result = compute(measures_db, "complaints_received", grain="year", compare=True)
    assert by_period(result) == {"2023": 5, "2024": 10}  # 5; 4 + 6
    assert not result.metric.higher_is_better


def test_complaint_resolution_rate_resolved_over_received(measures_db):
    result = compute(measures_db, "complaint_resolution_rate", grain="year", compare=True)
    # 2023: 4 / 5 = 80 %; 2024: (3 + 6) / (4 + 6) = 90 %.
    assert by_period(result) == pytest.approx({"2023": 80.0, "2024": 90.0})
    assert by_period(result, "yoy_pct")["2024"] == pytest.approx((90 - 80) / 80 * 100)
    branches = by_dim(compute(measures_db, "complaint_resolution_rate", grain="year", by="branch"), "branch", "2024")
    assert branches == pytest.approx({"Albany Park": 75.0, "Bezazian": 100.0})


def test_complaint_resolution_rate_needs_both_counts_of_a_branch(measures_db, tmp_path):
    # Chinatown reports complaints received but not resolved, and Central resolved ones but not received:
    # neither rate can be worked out, so neither branch counts, in the total as in the breakdown.
    _load(
        measures_db,
        tmp_path,
        "more_measures.csv",
        "month,branch,measure,value\n2024-03,Chinatown,complaints_received,2\n"
        "2024-03,Central Library,complaints_resolved,5\n",
    )
    result = compute(measures_db, "complaint_resolution_rate", grain="year")
    assert by_period(result)["2024"] == pytest.approx(90.0)  # still (3 + 6) / (4 + 6)
    branches = by_dim(compute(measures_db, "complaint_resolution_rate", grain="year", by="branch"), "branch", "2024")
    assert branches == pytest.approx({"Albany Park": 75.0, "Bezazian": 100.0})


# --- Visit segments ------------------------------------------------------------------------------
SEGMENTS = (
    "month,branch,audience,visits\n"
    "2023-01,Albany Park,all,100\n"
    "2023-01,Albany Park,minors,20\n"
    "2024-01,Albany Park,all,100\n"
    "2024-01,Albany Park,minors,30\n"
    "2024-02,Albany Park,all,200\n"
    "2024-02,Albany Park,minors,50\n"
    "2024-01,Chinatown,all,80\n"
    "2024-01,Chinatown,minors,20\n"
    "2023-01,Bezazian,all,300\n"  # no minors segment ever: left out of the share
    "2024-01,Bezazian,all,300\n"
    "2024-02,Bezazian,all,300\n"
)


def test_minors_share_only_over_branches_reporting_the_segment(branches_db, tmp_path):
    _load(branches_db, tmp_path, "museum_visits.csv", SEGMENTS)
    # Chinatown (open until mid-2025) reported January 2024 and not February: by default the visits of the
    # network are complete through January only, 2024 = 100 + 80 + 300 (albany, chinatown, bezazian).
    assert by_period(compute(branches_db, "visits", grain="year"))["2024"] == 480
    # February chosen explicitly (everything below): visits (audience all) still count bezazian and never
    # add the minors segment: 2024 = 100 + 200 + 80 + 600.
    explicit = Filter(beyond_complete=True)
    assert by_period(compute(branches_db, "visits", explicit, grain="year"))["2024"] == 980
    result = compute(branches_db, "minors_share", explicit, grain="year", compare=True)
    # 2024: (30 + 50 + 20) / (100 + 200 + 80) = 100 / 380; January-February 2023: 20 / 100.
    assert by_period(result) == pytest.approx({"2023": 20.0, "2024": 100 / 380 * 100})
    assert by_period(result, "prior_value")["2024"] == pytest.approx(20.0)
    months = by_period(compute(branches_db, "minors_share", explicit, grain="month"))
    assert months == pytest.approx({"2023-01": 20.0, "2024-01": 50 / 180 * 100, "2024-02": 25.0})
    branches = by_dim(compute(branches_db, "minors_share", explicit, grain="year", by="branch"), "branch", "2024")
    assert branches == pytest.approx({"Albany Park": 80 / 300 * 100, "Chinatown": 25.0})
