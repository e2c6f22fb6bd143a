"""Branches as columns and survey questions as columns (data/layouts.py), on files whose totals are
counted by hand."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from conftest import FIXTURES, load, table_snapshot, write

from data import mapping as mapping_mod

SHAPES = FIXTURES / "shapes"
MUSEUMS = "musei_civici_visitatori_2023.csv"


def rows(con, sql: str, *params) -> list[tuple]:
    return con.execute(sql, list(params)).fetchall()


def yearly(con) -> dict[str, int]:
    return dict(rows(con, "SELECT b.name, sum(v.visits) FROM visits v JOIN branches b USING (branch_id) GROUP BY 1"))


def ignored_totals(report) -> list[str]:
    """The headers of the columns ignored as totals (whichever list or test recognised them)."""
    return [s.split(" (column")[0] for s in report.ignored_columns if "never trusted" in s]


def copy(name: str, tmp_path):
    return shutil.copy(SHAPES / name, tmp_path / name)


# Hand counts of the museum fixtures (12 months of 2023, one column per museum):
# Museo Civico   1520+1385+1904+2460+2731+2215+1980+2104+2388+2012+1647+1893 = 24239 (12 months)
# Pinacoteca      812+ 744+1026+1390+1508+1177+ 960+1045+1233+1098+ 853+1011 = 12857 (12 months)
# Museo del Mare (blank)+0+1210+1876+2455+3320+4102+4388+2011+1187+694+902   = 22145 (11 months: January blank)
HAND = {"Museo Civico": 24239, "Pinacoteca": 12857, "Museo del Mare": 22145}


def test_museums_as_columns_detected_total_column_ignored(fresh_db, tmp_path):
    path = copy(MUSEUMS, tmp_path)
    before = table_snapshot(fresh_db)
    report = load(fresh_db, path)
    # Unknown museums: one problem per column, against the header line and the header itself.
    assert report.status == "rejected" and report.layout == "branch_columns"
    assert sorted((p.line, p.column, p.value) for p in report.problems) == [
        (2, "Museo Civico", "Museo Civico"),
        (2, "Museo del Mare", "Museo del Mare"),
        (2, "Pinacoteca", "Pinacoteca"),
    ]
    assert all("unknown branch" in p.reason for p in report.problems)
    assert table_snapshot(fresh_db) == before

    report = load(fresh_db, path, allow_new_branches=True)
    assert report.status == "loaded", report.problems
    assert report.kind == "visits" and "kind 'visits' taken from the file name" in report.notes
    assert ignored_totals(report) == ["Totale"] and len(report.ignored_columns) == 1
    assert report.skipped == {"totals row": [15]}  # the Totale line under December
    assert (report.rows_read, report.rows_accepted, report.rows_stored, report.blank_cells) == (13, 12, 35, 1)
    assert report.branches_new == {"museo-civico", "pinacoteca", "museo-del-mare"}
    assert yearly(fresh_db) == HAND
    # 24239 + 12857 + 22145 = 59241: the Totale column (which says the same) was never added on top.
    assert rows(fresh_db, "SELECT sum(visits) FROM visits") == [(59241,)]
    # Blank is not reported (no row); 0 is a 0.
    assert rows(fresh_db, "SELECT date, visits FROM visits WHERE branch_id = 'museo-del-mare' ORDER BY date")[:2] == [
        (dt.date(2023, 2, 1), 0),
        (dt.date(2023, 3, 1), 1210),
    ]
    assert rows(fresh_db, "SELECT DISTINCT grain FROM visits") == [("month",)]
    again = load(fresh_db, path, allow_new_branches=True)
    assert again.status == "unchanged" and yearly(fresh_db) == HAND


def test_museums_as_columns_declared_in_a_mapping(fresh_db, tmp_path):
    """An unknown date header, a total under a name no list knows (it is the sum of the others on every row)
    and a file name that says nothing: the kind must be given."""
    path = copy("musei_export_2023.csv", tmp_path)
    refused = load(fresh_db, path, allow_new_branches=True)
    assert refused.status == "rejected" and "--kind" in refused.message
    mapping = write(tmp_path, "musei.toml", 'kind = "visits"\nlayout = "branches_as_columns"\n')
    report = load(fresh_db, path, allow_new_branches=True, mapping=mapping)
    assert report.status == "loaded", report.problems
    assert report.layout == "branch_columns"
    assert ignored_totals(report) == ["Complessivo"] and len(report.ignored_columns) == 1
    assert yearly(fresh_db) == HAND


def test_one_museum_column_needs_the_declaration(branches_db, tmp_path):
    text = "Periodo,Central Library\n2024-01,310\n2024-02,290\n"
    path = write(tmp_path, "museum_visits.csv", text)
    assert load(branches_db, path).status == "rejected"  # one unknown column could be anything: not guessed
    mapping = write(tmp_path, "one.toml", 'layout = "branches_as_columns"\n')
    report = load(branches_db, path, mapping=mapping)
    assert report.status == "loaded", report.problems
    assert rows(branches_db, "SELECT sum(visits), count(*) FROM visits WHERE branch_id = 'central'") == [(600, 2)]


def test_venues_as_columns_chinese_headers_and_a_sum_column(branches_db, tmp_path):
    text = (
        "臺北市立圖書館 各館入館人次\n"
        "統計期,Central Library,Albany Park,Bezazian,合計\n"
        "2023年1月,1200,340,210,1750\n"
        "2023年2月,1100,,190,1290\n"  # Albany Park blank: not reported
        "2023年3月,1300,0,205,1505\n"
        "製表人：王小明,審核人：李大華,,,\n"  # a signature footer (Traditional), skipped like a totals row
    )
    path = write(tmp_path, "venues_2023.csv", text)
    report = load(branches_db, path, kind="visits")
    assert report.status == "loaded", report.problems
    assert ignored_totals(report) == ["合計"] and len(report.ignored_columns) == 1
    assert report.skipped == {"signature footer": [6]}
    # Central 1200+1100+1300 = 3600; Albany Park 340+0 = 340 (2 rows); Bezazian 210+190+205 = 605
    assert rows(branches_db, "SELECT branch_id, sum(visits), count(*) FROM visits GROUP BY 1 ORDER BY 1") == [
        ("albany", 340, 2),
        ("bezazian", 605, 3),
        ("central", 3600, 3),
    ]


def test_month_names_take_the_year_from_the_file_name(branches_db, tmp_path):
    text = "Mese,Central Library,Albany Park\nJanuary,310,41\nFebruary,290,\nMarch,305,38\n"
    undated = load(branches_db, write(tmp_path, "visits.csv", text))
    assert undated.status == "rejected"
    assert undated.message.startswith("months without a year in column 'Mese'")
    report = load(branches_db, write(tmp_path, "visits_2023.csv", text))
    assert report.status == "loaded", report.problems
    assert "year 2023 taken from the file name" in report.notes
    # Central 310+290+305 = 905; Albany Park 41+38 = 79 (February blank: not reported)
    assert rows(
        branches_db, "SELECT branch_id, sum(visits), min(date), max(date) FROM visits GROUP BY 1 ORDER BY 1"
    ) == [
        ("albany", 79, dt.date(2023, 1, 1), dt.date(2023, 3, 1)),
        ("central", 905, dt.date(2023, 1, 1), dt.date(2023, 3, 1)),
    ]


def test_bad_count_and_bad_date_name_line_and_column(branches_db, tmp_path):
    months = [f"2024-{m:02d},{300 + m},{40 + m}\n" for m in range(1, 11)]
    months[1], months[2] = "2024-02,310,12o\n", "2024-13,290,40\n"  # a typo and a month that does not exist
    path = write(tmp_path, "museum_visits.csv", "Month,Central Library,Albany Park\n" + "".join(months))
    before = table_snapshot(branches_db)
    report = load(branches_db, path)
    assert report.status == "rejected"
    assert sorted((p.line, p.column, p.value) for p in report.problems) == [
        (3, "Albany Park", "12o"),
        (4, "Month", "2024-13"),
    ]
    assert table_snapshot(branches_db) == before


def test_branches_as_columns_without_a_kind_is_refused(branches_db, tmp_path):
    path = write(tmp_path, "export.csv", "Date,Central Library,Albany Park\n2024-01-05,31,12\n2024-01-06,29,14\n")
    report = load(branches_db, path)
    assert report.status == "rejected"
    assert "one column per branch" in report.message and "--kind" in report.message
    loaded = load(branches_db, path, kind="visits")
    assert loaded.status == "loaded", loaded.problems
    assert rows(branches_db, "SELECT sum(visits), min(grain) FROM visits") == [(86, "day")]  # 31+12+29+14


# Hand counts of city_survey_respondents.csv (12 respondents; 9 = don't know; blank = not answered):
# overall 5,4,4,3,5,(9),2,4,5,( ),4,3 -> 10 scores, sum 39, mean 3.9; 4 or 5: 7; stored 11 (one blank)
# hours   3,(9),4,2,5,3,1,4,(9),3,4,2 -> 10 scores, sum 31, mean 3.1; 4 or 5: 4; stored 12
# staff   5,5,4,4,(9),5,3,5,5,4,( ),4 -> 10 scores, sum 44, mean 4.4; 4 or 5: 9; stored 11 (one blank)
SURVEY = {"hours": (12, 10, 3.1), "overall": (11, 10, 3.9), "staff": (11, 10, 4.4)}


def load_survey(con, tmp_path):
    path = copy("city_survey_respondents.csv", tmp_path)
    copy("city_survey_respondents.mapping.toml", tmp_path)
    return load(con, path)


def test_survey_questions_as_columns(branches_db, tmp_path):
    report = load_survey(branches_db, tmp_path)
    assert report.status == "loaded", report.problems
    assert (report.kind, report.layout, report.rows_accepted, report.rows_stored) == (
        "surveys",
        "question_columns",
        12,
        34,
    )
    assert report.ignored_columns == ["ZIP code (column 4, not a known field)"]
    found = rows(
        branches_db,
        "SELECT question, count(*), count(score), round(avg(score), 6) FROM surveys GROUP BY 1 ORDER BY 1",
    )
    assert {q: (n, scored, mean) for q, n, scored, mean in found} == SURVEY
    # No date and no branch in the file: the mapping's year (a yearly row) and branch.
    assert rows(branches_db, "SELECT DISTINCT date, grain, branch_id, scale_max FROM surveys") == [
        (dt.date(2023, 1, 1), "year", "central", 5.0)
    ]
    # One respondent per row (id from the line), don't-know stored without a score.
    assert rows(branches_db, "SELECT count(DISTINCT respondent_id) FROM surveys") == [(12,)]
    assert rows(branches_db, "SELECT question, score FROM surveys WHERE respondent_id = 'line 7' ORDER BY 1") == [
        ("hours", 3.0),
        ("overall", None),
        ("staff", 5.0),
    ]
    assert load_survey(branches_db, tmp_path).status == "unchanged"


def test_survey_score_outside_the_scale_names_line_and_column(branches_db, tmp_path):
    path = copy("city_survey_respondents.csv", tmp_path)
    copy("city_survey_respondents.mapping.toml", tmp_path)
    text = path.read_text().replace("4,4,4,60601", "4,7,4,60601").replace("3,2,4,60605", "3,x,4,60605")
    path.write_text(text)
    before = table_snapshot(branches_db)
    report = load(branches_db, path)
    assert report.status == "rejected"
    assert [(p.line, p.column, p.value) for p in report.problems] == [
        (4, "Q2 Opening hours", "7"),
        (13, "Q2 Opening hours", "x"),
    ]
    assert "outside the scale 0-5" in report.problems[0].reason
    assert table_snapshot(branches_db) == before


def test_survey_without_overall_is_noted(branches_db, tmp_path):
    text = "Respondent ID,Date,Branch,Staff,Cleanliness\nA1,2024-03-02,Bezazian,4,5\nA2,2024-03-02,Bezazian,9,3\n"
    path = write(tmp_path, "exit_survey.csv", text)
    mapping = write(
        tmp_path,
        "exit.toml",
        'scale_max = 5\ndont_know_codes = ["9"]\n[questions]\nStaff = "staff"\nCleanliness = "cleanliness"\n',
    )
    report = load(branches_db, path, mapping=mapping)
    assert report.status == "loaded", report.problems
    assert any(n.startswith("no 'overall' question in this file (questions: cleanliness, staff)") for n in report.notes)
    assert rows(branches_db, "SELECT respondent_id, question, score FROM surveys ORDER BY 1, 2") == [
        ("A1", "cleanliness", 5.0),
        ("A1", "staff", 4.0),
        ("A2", "cleanliness", 3.0),
        ("A2", "staff", None),
    ]


def test_survey_mapping_must_match_the_file(branches_db, tmp_path):
    path = copy("city_survey_respondents.csv", tmp_path)
    mapping = write(tmp_path, "m.toml", 'branch = "Bezazian"\nyear = 2023\n[questions]\n"Q9 Parking" = "parking"\n')
    report = load(branches_db, path, mapping=mapping)
    assert report.status == "rejected" and "[questions] names columns this file does not have: Q9 Parking" in (
        report.message
    )
    unscaled = write(tmp_path, "n.toml", 'branch = "Bezazian"\nyear = 2023\n[questions]\n"Q2 Opening hours" = "h"\n')
    report = load(branches_db, path, mapping=unscaled)
    assert report.status == "rejected" and "scale_max = 5" in report.message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('layout = "sideways"\n', "layout 'sideways' is not one of branches_as_columns"),
        ("[questions]\nQ1 = 3\n", "[questions] maps each source column to a question id"),
    ],
)
def test_mapping_keys_are_checked(tmp_path, text, message):
    path = write(tmp_path, "bad.toml", text)
    with pytest.raises(mapping_mod.MappingError, match=message.replace("[", r"\[").replace("]", r"\]")):
        mapping_mod.load(path)
