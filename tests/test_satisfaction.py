"""Satisfaction statistics on tiny exports imported by the real importer; every expected value is
worked out by hand in the comment beside it (z = 1.96 throughout)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from conftest import load, write

from metrics import satisfaction as sat
from metrics.filters import Filter

# Branch fixture: central (main, Centre) is the parent of albany and bezazian (both North).
EVENTS = (
    "event_id,date,branch,title,category,audience,format,attendance,satisfaction,responses,scale_max,planned\n"
    "E1,2024-01-10,Bezazian,Author talk,lecture,adults,onsite,50,4.0,10,5,false\n"  # 4/5 = 80, 10 responses
    "E2,2024-01-20,Albany Park,Storytime,storytime,families,onsite,60,5.0,30,5,false\n"  # 5/5 = 100, 30 responses
    "E3,2024-01-25,Albany Park,Planned talk,lecture,adults,onsite,,1.0,5,5,true\n"  # planned: not held, left out
    "E4,2024-01-26,Bezazian,Unrated talk,lecture,adults,onsite,20,,,,false\n"  # no survey run
    "E5,2024-01-27,Bezazian,Nobody answered,lecture,adults,onsite,15,3.0,0,5,false\n"  # 0 responses: left out
)
# 9 is "don't know" (sidecar mapping): stored as no score, so r6 and r7 count nowhere.
SURVEY = (
    "respondent_id,date,branch,question,score,scale_max,audience\n"
    "r1,2024-01-05,Central Library,overall,5,5,adults\n"
    "r1,2024-01-05,Central Library,staff,1,5,adults\n"  # another question: not in the default "overall"
    "r2,2024-01-06,Central Library,overall,5,5,adults\n"
    "r3,2024-01-07,Central Library,overall,4,5,seniors\n"
    "r4,2024-01-08,Central Library,overall,3,5,seniors\n"
    "r5,2024-01-09,Central Library,overall,2,5,adults\n"
    "r6,2024-01-10,Central Library,overall,9,5,adults\n"
    "r7,2024-01-11,Central Library,overall,9,5,adults\n"
)
# Later in 2024: nothing in February; a monthly (not daily) row in March; July on a 10-point scale.
LATER_EVENTS = (
    "event_id,date,branch,title,category,audience,format,attendance,satisfaction,responses,scale_max,planned\n"
    "T1,2024-03-15,Bezazian,March talk,lecture,adults,onsite,30,3.0,20,5,false\n"  # 60, 20 responses
    "T3,2024-03,Bezazian,March workshops (monthly total),training,adults,onsite,40,5.0,10,5,false\n"  # 100, 10
    "T2,2024-07-02,Albany Park,July talk,lecture,adults,onsite,30,9.0,10,10,false\n"  # 9/10 = 90, 10 responses
)


def _load(con, tmp_path, name: str, text: str) -> None:
    report = load(con, write(tmp_path, name, text))
    assert report.status == "loaded", report.problems


@pytest.fixture
def events_db(branches_db, tmp_path):
    _load(branches_db, tmp_path, "events.csv", EVENTS)
    return branches_db


@pytest.fixture
def survey_db(branches_db, tmp_path):
    write(tmp_path, "survey.mapping.toml", 'dont_know_codes = ["9"]\n')
    _load(branches_db, tmp_path, "survey.csv", SURVEY)
    return branches_db


@pytest.fixture
def january_db(survey_db, tmp_path):
    """Events and survey answers, all in January 2024."""
    _load(survey_db, tmp_path, "events.csv", EVENTS)
    return survey_db


@pytest.fixture
def year_db(january_db, tmp_path):
    _load(january_db, tmp_path, "events_later.csv", LATER_EVENTS)
    return january_db


def test_event_means_are_weighted_by_responses(events_db):
    obs = sat.observations(events_db, Filter())
    assert obs["source"].tolist() == ["event", "event"]  # E3 planned, E4 unrated, E5 no responses
    assert obs["weight"].tolist() == [10, 30]
    assert obs["top2"].isna().all() and obs["score_100"].mean() == pytest.approx(90.0)  # naive: (80 + 100) / 2
    result = sat.summarise(obs)
    # (80·10 + 100·30) / 40 = 3800 / 40 = 95.0
    assert result["n"] == 40 and result["mean"] == pytest.approx(95.0)
    # Σw(x - 95)² = 10·15² + 30·5² = 2250 + 750 = 3000; s² = 3000 / 39 = 76.923; s = 8.7706
    # half-width = 1.96 · 8.7706 / √40 = 1.96 · 1.38675 = 2.7180 → [92.282, 97.718]
    assert result["ci_low"] == pytest.approx(92.282, abs=1e-3)
    assert result["ci_high"] == pytest.approx(97.718, abs=1e-3)
    # A mean per event cannot say who was in the top two boxes.
    assert result["satisfied_share"] is None and result["satisfied_n"] == 0
    assert result["sources"] == ["event"] and result["low_confidence"] is False


def test_survey_answers_dont_know_excluded_with_hand_computed_intervals(survey_db):
    obs = sat.observations(survey_db, Filter())
    assert obs["score_100"].tolist() == [100.0, 100.0, 80.0, 60.0, 40.0]  # r6, r7 said "don't know"
    assert obs["top2"].tolist() == [True, True, True, False, False]  # 4 and 5 of 5
    assert obs["format"].isna().all() and (obs["weight"] == 1).all()
    result = sat.summarise(obs)
    # mean (100 + 100 + 80 + 60 + 40) / 5 = 76.0
    assert result["n"] == 5 and result["mean"] == pytest.approx(76.0)
    # deviations 24, 24, 4, -16, -36; squares 576 + 576 + 16 + 256 + 1296 = 2720; s² = 2720 / 4 = 680
    # s = 26.0768; half-width = 1.96 · 26.0768 / √5 = 22.8573 → [53.1427, 98.8573]
    assert result["ci_low"] == pytest.approx(53.1427, abs=1e-3)
    assert result["ci_high"] == pytest.approx(98.8573, abs=1e-3)
    # top two boxes: 3 of 5 = 60 %. Wilson, p = 0.6, m = 5, z² = 3.8416:
    # d = 1 + 3.8416/5 = 1.76832; centre = (0.6 + 3.8416/10) / d = 0.98416 / 1.76832 = 0.556551
    # half = 1.96 · √(0.24/5 + 3.8416/100) / d = 1.96 · √0.086416 / 1.76832 = 0.325831 → [23.07 %, 88.24 %]
    assert result["satisfied_share"] == pytest.approx(60.0) and result["satisfied_n"] == 5
    assert result["satisfied_ci_low"] == pytest.approx(23.072, abs=1e-2)
    assert result["satisfied_ci_high"] == pytest.approx(88.238, abs=1e-2)
    assert result["low_confidence"] is True and result["sources"] == ["survey"]


def test_every_question_on_request(survey_db):
    result = sat.summarise(sat.observations(survey_db, Filter(), question=None))
    # r1's staff answer 1/5 = 20 joins: (380 + 20) / 6 = 66.667; top two 3 of 6 = 50 %
    assert result["n"] == 6 and result["mean"] == pytest.approx(400 / 6)
    assert result["satisfied_share"] == pytest.approx(50.0)
    assert sat.questions(survey_db) == ["overall", "staff"]
    assert sat.summarise(sat.observations(survey_db, Filter(), question="staff"))["mean"] == pytest.approx(20.0)


def test_surveys_and_events_pooled_by_response(january_db):
    result = sat.summarise(sat.observations(january_db, Filter()))
    # (3800 from events + 380 from surveys) / (40 + 5) = 4180 / 45 = 92.889
    assert result["n"] == 45 and result["mean"] == pytest.approx(4180 / 45)
    assert result["satisfied_share"] == pytest.approx(60.0) and result["satisfied_n"] == 5  # surveys only
    assert result["sources"] == ["event", "survey"]


def test_distribution_counts_answered_scores(survey_db):
    got = sat.distribution(survey_db, Filter())
    assert got.to_dict("records") == [
        {"scale_max": 5.0, "score": 2.0, "answers": 1, "top2": False},
        {"scale_max": 5.0, "score": 3.0, "answers": 1, "top2": False},
        {"scale_max": 5.0, "score": 4.0, "answers": 1, "top2": True},
        {"scale_max": 5.0, "score": 5.0, "answers": 2, "top2": True},
    ]
    assert sat.distribution(survey_db, Filter(audiences=("seniors",)))["answers"].tolist() == [1, 1]  # r3, r4


def test_low_confidence_below_30_responses(branches_db, tmp_path):
    text = (
        "event_id,date,branch,category,attendance,satisfaction,responses,scale_max\n"
        "L1,2024-03-05,Bezazian,lecture,40,4.0,29,5\n"
        "L2,2024-04-02,Bezazian,lecture,5,4.0,1,5\n"
    )
    _load(branches_db, tmp_path, "events.csv", text)
    march = sat.summarise(sat.observations(branches_db, Filter(dt.date(2024, 3, 1), dt.date(2024, 3, 31))))
    both = sat.summarise(sat.observations(branches_db, Filter(dt.date(2024, 3, 1), dt.date(2024, 4, 30))))
    assert (march["n"], march["low_confidence"]) == (29, True)
    assert (both["n"], both["low_confidence"]) == (30, False)
    # Every response at the event's mean 80: s = 0, so the interval is the point itself.
    assert (both["mean"], both["ci_low"], both["ci_high"]) == pytest.approx((80.0, 80.0, 80.0))


def test_empty_input():
    empty = pd.DataFrame(columns=sat.OBSERVATION_COLUMNS)
    assert sat.summarise(empty) == {
        "n": 0,
        "mean": None,
        "ci_low": None,
        "ci_high": None,
        "satisfied_share": None,
        "satisfied_ci_low": None,
        "satisfied_ci_high": None,
        "satisfied_n": 0,
        "low_confidence": True,
        "sources": [],
    }


def test_wilson_interval_for_one_of_two():
    # p = 0.5, m = 2: d = 1 + 3.8416/2 = 2.9208; centre = (0.5 + 0.9604) / 2.9208 = 0.5
    # half = 1.96 · √(0.125 + 0.2401) / 2.9208 = 1.96 · 0.604235 / 2.9208 = 0.405471
    assert sat.wilson_interval(1, 2) == pytest.approx((0.094529, 0.905471), abs=1e-6)


@pytest.mark.parametrize(
    ("flt", "n", "mean"),
    [
        (Filter(branches=("bezazian",)), 10, 80.0),  # E1 only
        (Filter(branches=("albany",)), 30, 100.0),  # E2 only
        (Filter(branches=("central",), include_children=False), 5, 76.0),  # the survey answers only
        (Filter(branches=("central",)), 45, 4180 / 45),  # central brings its branches with it
        (Filter(districts=("North",)), 40, 95.0),  # Albany Park and Bezazian
        (Filter(kinds=("main",)), 5, 76.0),
        (Filter(categories=("storytime",)), 30, 100.0),  # E2; the surveys have no category
        (Filter(audiences=("seniors",)), 2, 70.0),  # r3, r4: (80 + 60) / 2
        (Filter(formats=("online",)), 5, 76.0),  # format does not apply to surveys; both events are onsite
        (Filter(dt.date(2024, 1, 8), dt.date(2024, 1, 10)), 12, (60 + 40 + 800) / 12),  # r4, r5, E1
    ],
)
def test_filters(january_db, flt, n, mean):
    result = sat.summarise(sat.observations(january_db, flt))
    assert result["n"] == n and result["mean"] == pytest.approx(mean)


def test_filter_matching_nothing(january_db):
    result = sat.summarise(sat.observations(january_db, Filter(branches=("chinatown",))))
    assert result["n"] == 0 and result["mean"] is None
    assert sat.trend(january_db, Filter(branches=("chinatown",))).empty


def test_monthly_trend_leaves_a_month_without_responses_out(year_db):
    got = sat.trend(year_db, Filter())
    # February has no responses: absent, not a zero.
    assert got["period"].tolist() == ["2024-01", "2024-03", "2024-07"]
    assert got["period_start"].tolist() == [dt.date(2024, 1, 1), dt.date(2024, 3, 1), dt.date(2024, 7, 1)]
    assert got["n"].tolist() == [45, 30, 10]
    # Jan 4180 / 45; Mar (60·20 + 100·10) / 30 = 2200 / 30 = 73.333; Jul 9 of 10 = 90
    assert got["mean"].tolist() == pytest.approx([4180 / 45, 2200 / 30, 90.0])
    assert got["low_confidence"].tolist() == [False, False, True]
    assert list(got.columns) == ["period", "period_start", *sat.SUMMARY_KEYS]


def test_monthly_trend_confidence_bands(year_db):
    # The band the Satisfaction page and the Overview draw: mean ± 1.96·s/√n, s² = Σw(x - mean)² / (n - 1).
    got = sat.trend(year_db, Filter())
    # January: E1 80 x 10, E2 100 x 30, answers 100, 100, 80, 60, 40; n = 45, mean = 4180 / 45 = 92.8889.
    # Σwx² = 10·6400 + 30·10000 + 10000 + 10000 + 6400 + 3600 + 1600 = 395,600; (Σwx)²/n = 4180² / 45
    # = 388,275.556; Σw(x - mean)² = 7,324.444; s² = 7,324.444 / 44 = 166.4646; s²/n = 3.699214;
    # half-width = 1.96 · 1.923334 = 3.769735 → [89.1192, 96.6586].
    # March: T1 60 x 20, T3 100 x 10; n = 30, mean = 73.3333; Σw(x - mean)² = 20·13.3333² + 10·26.6667²
    # = 3,555.556 + 7,111.111 = 10,666.667; s² = 367.8161; s²/n = 12.26054; half-width = 1.96 · 3.501505
    # = 6.862950 → [66.4704, 80.1963].
    # July: one event, 10 responses all at its mean 90: no spread, the band is the point.
    assert got["ci_low"].tolist() == pytest.approx([89.1192, 66.4704, 90.0], abs=1e-3)
    assert got["ci_high"].tolist() == pytest.approx([96.6586, 80.1963, 90.0], abs=1e-3)


def test_quarterly_and_fiscal_year_trends(year_db):
    quarters = sat.trend(year_db, Filter(), grain="quarter")
    assert quarters["period"].tolist() == ["2024-Q1", "2024-Q3"]
    # Q1: (4180 + 2200) / (45 + 30) = 6380 / 75 = 85.067
    assert quarters["n"].tolist() == [75, 10]
    assert quarters["mean"].tolist() == pytest.approx([6380 / 75, 90.0])
    fiscal = sat.trend(year_db, Filter(), grain="year", fiscal_start=7)
    assert fiscal["period"].tolist() == ["FY2023/24", "FY2024/25"]  # Jan-Mar 2024; July 2024
    assert fiscal["period_start"].tolist() == [dt.date(2023, 7, 1), dt.date(2024, 7, 1)]
    assert fiscal["n"].tolist() == [75, 10]
    fiscal_quarters = sat.trend(year_db, Filter(), grain="quarter", fiscal_start=7)
    assert fiscal_quarters["period"].tolist() == ["FY2023/24-Q3", "FY2024/25-Q1"]


def test_weekly_trend_leaves_out_a_monthly_row(year_db):
    weeks = sat.trend(year_db, Filter(), grain="week")
    # T3 is a March total: it belongs to no week. 85 responses in all, less T3's 10.
    assert weeks["n"].sum() == 75
    march = weeks[weeks["period"] == "2024-W11"]  # Friday 15 March 2024 is in the week of Monday 11 March
    assert march["n"].tolist() == [20] and march["mean"].tolist() == pytest.approx([60.0])


@pytest.mark.parametrize(
    ("by", "groups"),
    [
        ("branch", [("Albany Park", 30, 100.0), ("Bezazian", 10, 80.0), ("Central Library", 5, 76.0)]),
        ("district", [("Centre", 5, 76.0), ("North", 40, 95.0)]),
        ("kind", [("branch", 40, 95.0), ("main", 5, 76.0)]),
        ("category", [("lecture", 10, 80.0), ("storytime", 30, 100.0), ("unspecified", 5, 76.0)]),
        ("audience", [("adults", 13, (800 + 100 + 100 + 40) / 13), ("families", 30, 100.0), ("seniors", 2, 70.0)]),
        ("source", [("event", 40, 95.0), ("survey", 5, 76.0)]),
    ],
)
def test_trend_by_group(january_db, by, groups):
    got = sat.trend(january_db, Filter(), by=by)
    assert list(got.columns[:3]) == ["period", "period_start", by]
    assert (got["period"] == "2024-01").all()
    assert list(zip(got[by], got["n"], strict=True)) == [(g, n) for g, n, _ in groups]
    assert got["mean"].tolist() == pytest.approx([m for _, _, m in groups])


def test_trend_rejects_unknown_grouping_and_grain(january_db):
    with pytest.raises(ValueError, match="cannot group"):
        sat.trend(january_db, Filter(), by="title")
    with pytest.raises(ValueError, match="unknown grain"):
        sat.trend(january_db, Filter(), grain="decade")
