"""Every export layout and encoding, on tiny files whose totals are counted by hand."""

from __future__ import annotations

import datetime as dt

from conftest import load, write


def total(con, sql: str, *params):
    return con.execute(sql, list(params)).fetchone()[0]


def test_long_daily_visits_with_aliases_and_case_drift(branches_db, tmp_path):
    path = write(
        tmp_path,
        "daily.csv",
        (
            "Date,Branch,Visitors\n"
            "2024-02-28,Central Library,100\n"
            "2024-02-29,CENTRAL LIBRARY,50\n"  # leap day; case drift
            "2024-03-01,Main Library,25\n"  # an alias
            "2024-03-01,Albany Park*,7\n"  # footnote marker
            ",,\n"  # all-empty row
            "2024-03-02,,9\n"  # nameless row
        ),
    )
    report = load(branches_db, path)
    assert report.status == "loaded", report.problems
    assert (report.rows_read, report.rows_accepted, report.rows_skipped) == (6, 4, 2)
    assert report.skipped == {"empty row": [6], "no branch name": [7]}
    assert total(branches_db, "SELECT sum(visits) FROM visits WHERE branch_id = 'central'") == 175
    assert total(branches_db, "SELECT visits FROM visits WHERE date = DATE '2024-02-29'") == 50
    assert total(branches_db, "SELECT count(*) FROM visits WHERE grain = 'day'") == 4


def test_wide_monthly_english_ytd_ignored_blank_is_not_zero(branches_db, tmp_path):
    months = ",".join(
        [
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
    )
    path = write(
        tmp_path,
        "Libraries_-_2019_Visitors_by_Location.csv",
        (
            f"LOCATION,ADDRESS,CITY,ZIP CODE,{months},YTD,LOCATION\n"
            'Albany Park*,1 Main St,Chicago,60625,10,10,10,10,10,10,10,10,10,10,10,10,999999,"(41.9, -87.7)"\n'
            'Bezazian,2 Side St,Chicago,60640,"1,000",0,,5,5,5,5,5,5,5,5,5,1,"(41.9, -87.6)"\n'
            "TOTAL,,,,1010,10,10,15,15,15,15,15,15,15,15,15,1,\n"
        ),
        newline="\r\n",
    )
    report = load(branches_db, path)
    assert report.status == "loaded", report.problems
    assert (report.kind, report.layout) == ("visits", "wide")
    assert report.skipped == {"totals row": [4]}
    assert report.blank_cells == 1
    assert any("YTD" in c and "never trusted" in c for c in report.ignored_columns)
    assert any("second 'branch' column" in c for c in report.ignored_columns)
    # Albany Park: 12 x 10; Bezazian: 1,000 + 0 + (blank) + 9 x 5 = 1,045.
    assert total(branches_db, "SELECT sum(visits) FROM visits WHERE branch_id = 'albany'") == 120
    assert total(branches_db, "SELECT sum(visits) FROM visits WHERE branch_id = 'bezazian'") == 1045
    assert total(branches_db, "SELECT count(*) FROM visits WHERE branch_id = 'bezazian'") == 11
    assert total(branches_db, "SELECT visits FROM visits WHERE branch_id = 'bezazian' AND date = '2019-02-01'") == 0
    assert total(branches_db, "SELECT count(*) FROM visits WHERE branch_id = 'bezazian' AND date = '2019-03-01'") == 0


def test_header_drift_between_years_meets_the_same_branch(fresh_db, tmp_path):
    old = write(
        tmp_path, "visitors_2011.csv", 'LOCATION,ADDRESS,JANUARY,FEBRUARY,YTD,LOCATION\nAlbany Park,x,5,6,11,"(1, 2)"\n'
    )
    new = write(tmp_path, "visitors_2012.csv", "BRANCH,ADDRESS,JANUARY,FEBRUARY,YTD\nALBANY PARK*,x,7,8,15\n")
    assert load(fresh_db, old, allow_new_branches=True).status == "loaded"
    report = load(fresh_db, new, allow_new_branches=True)
    assert report.status == "loaded" and not report.branches_new
    rows = fresh_db.execute(
        "SELECT year(date), sum(visits), count(DISTINCT branch_id) FROM visits GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert rows == [(2011, 11, 1), (2012, 15, 1)]


def test_partial_final_year_stores_only_reported_months(branches_db, tmp_path):
    path = write(
        tmp_path,
        "visits_2026.csv",
        "Branch,Jan,Feb,Mar,Apr,May,Jun,Jul,Aug,Sep,Oct,Nov,Dec\nBezazian,1,2,3,4,5,6,7,8,9,10,,\n",
    )
    report = load(branches_db, path)
    assert report.status == "loaded", report.problems
    assert report.blank_cells == 2 and report.date_max == dt.date(2026, 10, 1)
    assert total(branches_db, "SELECT sum(visits) FROM visits") == 55


def test_gb18030_wide_chinese_headers_crlf_title_line(branches_db, tmp_path):
    text = (
        "2024年各馆到馆人次统计表,,,,\n"
        "馆名,1月,2月,3月,合计\n"
        '中心馆,"1,200",800,-,9\n'
        "奥尔巴尼公园分馆*,30,0,20,50\n"
        '合计,"1,230",800,20,2050\n'
        "注：*2月闭馆维修,,,,\n"
    )
    path = write(tmp_path, "2024年到馆人次.csv", text, encoding="gb18030", newline="\r\n")
    report = load(branches_db, path)
    assert report.status == "loaded", report.problems
    assert (report.encoding, report.kind, report.layout) == ("gb18030", "visits", "wide")
    assert report.skipped == {"totals row": [5], "footnote row": [6]}
    assert total(branches_db, "SELECT sum(visits) FROM visits WHERE branch_id = 'central'") == 2000
    assert total(branches_db, "SELECT sum(visits) FROM visits WHERE branch_id = 'albany'") == 50
    assert total(branches_db, "SELECT count(*) FROM visits") == 5  # the '-' cell is "not reported"


def test_utf8_bom_and_chinese_long_headers(branches_db, tmp_path):
    path = write(
        tmp_path, "借阅.csv", "\ufeff日期,分馆,外借册次,续借册次\n2024-01-01,唐人街分馆,10,2\n2024/1/2,唐人街分馆,5,\n"
    )
    report = load(branches_db, path)
    assert report.status == "loaded", report.problems
    assert report.encoding == "utf-8-sig"
    row = branches_db.execute("SELECT sum(checkouts), sum(renewals), count(renewals) FROM circulation").fetchone()
    assert row == (15, 2, 1)  # the blank renewal is missing, not zero


def test_transactions_rolled_up_to_days(branches_db, tmp_path):
    path = write(
        tmp_path,
        "loans.csv",
        (
            "timestamp,branch,action,item_type,patron_category\n"
            "2024-05-01 09:00:00,Bookmobile,checkout,book,adult\n"
            "2024-05-01 09:05:00,Bookmobile,checkout,book,adult\n"
            "2024-05-01 09:06:00,Bookmobile,renewal,book,adult\n"
            "2024-05-01 10:00:00,Bookmobile,return,book,child\n"
            "2024-05-02 10:00:00,Mobile Library 1,checkout,dvd,adult\n"
            "2024-05-02 11:00:00,Mobile Library 1,hold,dvd,adult\n"
        ),
    )
    report = load(branches_db, path)
    assert report.status == "loaded", report.problems
    assert report.layout == "transactions"
    assert (report.rows_read, report.rows_accepted, report.rows_skipped) == (6, 5, 1)
    rows = branches_db.execute(
        "SELECT date, item_type, patron_category, checkouts, renewals, returns, grain FROM circulation ORDER BY ALL"
    ).fetchall()
    assert rows == [
        (dt.date(2024, 5, 1), "book", "adult", 2, 1, 0, "day"),
        (dt.date(2024, 5, 1), "book", "child", 0, 0, 1, "day"),
        (dt.date(2024, 5, 2), "dvd", "adult", 1, 0, 0, "day"),
    ]


def test_museum_segment_and_measures_and_targets(branches_db, tmp_path):
    visits = write(
        tmp_path,
        "museum.csv",
        "month,branch,audience,visits\n2024-01,Central Library,all,300\n2024-01,Central Library,minors,100\n",
    )
    measures = write(tmp_path, "measures.csv", "月份,分馆,指标,数值\n2024年1月,中心馆,新增持证读者,12\n")
    targets = write(tmp_path, "targets.csv", "year,branch,metric,target\n2026,,visits,1000\n2026,Bezazian,loans,50\n")
    for path in (visits, measures, targets):
        assert load(branches_db, path).status == "loaded"
    assert branches_db.execute("SELECT audience, visits FROM visits ORDER BY 1").fetchall() == [
        ("all", 300),
        ("minors", 100),
    ]
    assert branches_db.execute("SELECT measure, value, grain FROM measures").fetchall() == [
        ("new_registrations", 12.0, "month")
    ]
    assert branches_db.execute("SELECT branch_id, metric, target FROM targets ORDER BY 2").fetchall() == [
        ("bezazian", "loans", 50.0),
        (None, "visits", 1000.0),
    ]


def test_surveys_dont_know_codes_from_sidecar_mapping(branches_db, tmp_path):
    path = write(
        tmp_path,
        "survey.csv",
        "respondent_id,date,branch,question,score,scale_max\nr1,2024-01-01,Bezazian,overall,5,5\n"
        "r2,2024-01-01,Bezazian,overall,9,5\nr3,2024-01-01,Bezazian,overall,不知道,5\n",
    )
    write(tmp_path, "survey.mapping.toml", 'dont_know_codes = ["9"]\n')
    report = load(branches_db, path)
    assert report.status == "loaded", report.problems
    assert branches_db.execute("SELECT count(*), count(score), sum(score) FROM surveys").fetchone() == (3, 1, 5.0)


def test_mapping_file_names_columns_the_synonyms_miss(branches_db, tmp_path):
    path = write(tmp_path, "odd.csv", "Authority,When,Count\nBezazian,2024-02,7\n")
    mapping = write(
        tmp_path,
        "odd-map.toml",
        'kind = "events"\n[columns]\nAuthority = "branch"\nWhen = "month"\nCount = "sessions"\n',
    )
    report = load(branches_db, path, mapping=mapping)
    assert report.status == "loaded", report.problems
    assert branches_db.execute("SELECT sessions, grain FROM events").fetchall() == [(7, "month")]


def test_kind_from_headers_or_a_clear_error(branches_db, tmp_path):
    path = write(tmp_path, "mystery.csv", "Branch,Month,Number\nBezazian,2024-01,3\n")
    report = load(branches_db, path)
    assert report.status == "rejected"
    assert "cannot tell what this file holds" in report.problems[0].reason
