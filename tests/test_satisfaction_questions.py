"""The question dimension of the satisfaction metrics: a question filter (default overall), --by question,
and a note instead of a silently empty figure when the chosen question has no answers."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, load, write

from data import db
from metrics import satisfaction as sat
from metrics.engine import compute
from metrics.filters import Filter

ROOT = Path(__file__).resolve().parents[1]
SHAPES = FIXTURES / "shapes"

# Hand counts of tests/fixtures/shapes/city_survey_respondents.csv (see test_import_columns_layouts.py):
# overall: 10 scores, sum 39 -> mean 3.9 of 5 = 78.0; top two boxes 7 of 10 = 70 %
# hours:   10 scores, sum 31 -> mean 3.1 of 5 = 62.0; top two boxes 4 of 10 = 40 %
# staff:   10 scores, sum 44 -> mean 4.4 of 5 = 88.0; top two boxes 9 of 10 = 90 %
MEANS = {"hours": 62.0, "overall": 78.0, "staff": 88.0}
SHARES = {"hours": 40.0, "overall": 70.0, "staff": 90.0}
STAFF_ONLY = "Respondent ID,Date,Branch,Staff,Cleanliness\nA1,2024-03-02,Bezazian,4,5\nA2,2024-03-02,Bezazian,2,3\n"


def _survey(con, tmp_path):
    for name in ("city_survey_respondents.csv", "city_survey_respondents.mapping.toml"):
        shutil.copy(SHAPES / name, tmp_path / name)
    report = load(con, tmp_path / "city_survey_respondents.csv")
    assert report.status == "loaded", report.problems


def _staff_only(con, tmp_path):
    mapping = write(tmp_path, "exit.toml", 'scale_max = 5\n[questions]\nStaff = "staff"\nCleanliness = "clean"\n')
    report = load(con, write(tmp_path, "exit_survey.csv", STAFF_ONLY), mapping=mapping)
    assert report.status == "loaded", report.problems


@pytest.fixture
def survey_db(branches_db, tmp_path):
    _survey(branches_db, tmp_path)
    return branches_db


def values(result, column: str | None = None) -> dict:
    table = result.table
    return {row[column] if column else row["period"]: row["value"] for _, row in table.iterrows()}


def test_default_is_overall_and_a_question_can_be_chosen(survey_db):
    assert values(compute(survey_db, "satisfaction")) == {"2023": pytest.approx(MEANS["overall"])}
    for question, mean in MEANS.items():
        flt = Filter(question=question)
        assert values(compute(survey_db, "satisfaction", flt)) == {"2023": pytest.approx(mean)}
        assert values(compute(survey_db, "satisfied_share", flt)) == {"2023": pytest.approx(SHARES[question])}
        assert values(compute(survey_db, "responses", flt)) == {"2023": 10}
    assert sat.questions(survey_db) == ["hours", "overall", "staff"]


def test_by_question(survey_db):
    result = compute(survey_db, "satisfaction", by="question")
    assert values(result, "question") == pytest.approx(MEANS)
    assert result.notes == []
    shares = compute(survey_db, "satisfied_share", Filter(question="staff"), by="question")
    assert values(shares, "question") == pytest.approx(SHARES)  # grouped by question: every question


def test_no_overall_answers_give_a_note_not_silence(branches_db, tmp_path):
    _staff_only(branches_db, tmp_path)
    result = compute(branches_db, "satisfaction")
    assert result.table.empty
    assert result.notes == [
        "no survey answers to question 'overall' here; the questions answered are: clean, staff "
        "(choose one with --question ID, or --by question)"
    ]
    # staff 4 and 2 of 5: (80 + 40) / 2 = 60
    assert values(compute(branches_db, "satisfaction", Filter(question="staff"))) == {"2024": pytest.approx(60.0)}


def test_event_ratings_count_as_overall_only(survey_db, tmp_path):
    events = (
        "Event ID,Date,Branch,Title,Attendance,Satisfaction,Responses,Scale max\n"
        "E1,2023-05-04,Central Library,Author talk,50,4.5,20,5\n"  # 90 on 0-100, 20 responses
    )
    assert load(survey_db, write(tmp_path, "events.csv", events)).status == "loaded"
    # overall: (10 answers x 78 + 20 x 90) / 30 = (780 + 1800) / 30 = 86.0; staff: surveys alone, 88.0
    assert values(compute(survey_db, "satisfaction")) == {"2023": pytest.approx(86.0)}
    assert values(compute(survey_db, "satisfaction", Filter(question="staff"))) == {"2023": pytest.approx(88.0)}


def run(*args):
    return subprocess.run([sys.executable, "-m", "metrics", *args], cwd=ROOT, capture_output=True, text=True)


def test_cli_question_and_by_question(tmp_path):
    path = tmp_path / "kpi.duckdb"
    con = db.connect(path)
    load(con, FIXTURES / "import" / "branches.csv")
    _survey(con, tmp_path)
    _staff_only(con, tmp_path)
    con.close()
    staff = run("query", "--db", str(path), "--metric", "satisfaction", "--question", "staff")
    assert staff.returncode == 0, staff.stderr
    # 2023: 88.0 (city survey); 2024: 60.0 (exit survey)
    assert staff.stdout.splitlines() == ["period,value", "2023,88.0", "2024,60.0"]
    by = run("query", "--db", str(path), "--metric", "satisfaction", "--by", "question", "--to", "2023-12-31")
    assert by.stdout.splitlines() == [
        "period,question,value",
        "2023,hours,62.0",
        "2023,overall,78.0",
        "2023,staff,88.0",
    ]
    note = run("query", "--db", str(path), "--metric", "responses", "--from", "2024-01-01", "--format", "json")
    assert note.returncode == 0 and json.loads(note.stdout)["rows"] == []
    expected = "no survey answers to question 'overall' here; the questions answered are: clean, staff"
    assert expected in json.loads(note.stdout)["notes"][0] and f"note: {expected}" in note.stderr


def test_satisfaction_page_question_selector(sample_app):
    from dataclasses import replace

    from test_dashboard import cards, expected_cards, ok, open_app, view_filter

    from metrics.engine import data_span
    from metrics.registry import get
    from pages import _data

    at = open_app("satisfaction")
    picker = at.selectbox(key="sat_question")
    assert picker.options == ["Overall satisfaction", "staff"] and picker.value == "overall"
    con = db.connect(sample_app, read_only=True)
    try:
        as_of = max(e for e in (data_span(con, get(m), "year")[1] for m in _data.HEADLINE) if e)
        flt = view_filter(as_of)
        metrics = ("satisfaction", "satisfied_share", "responses")
        assert cards(at) == expected_cards(con, metrics, flt)
        picker.set_value("staff")
        at = ok(at.run())
        assert cards(at) == expected_cards(con, metrics, replace(flt, question="staff"))
        assert cards(at) != expected_cards(con, metrics, flt)  # the staff answers are not the overall ones
    finally:
        con.close()
