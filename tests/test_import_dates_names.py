"""Dates and names from exports of other places: ROC (民國) years, month names in other languages (CLDR,
through Babel), Traditional Chinese headers and branch names (OpenCC), the year from the file name."""

from __future__ import annotations

import datetime as dt
import shutil
import time

import pytest
from conftest import FIXTURES, load, write

from data import calendars
from data.headers import field_for, header_key, month_column, months_in_context
from data.names import name_key, non_branch_reason
from data.values import parse_date, parse_month, parse_year

SHAPES = FIXTURES / "shapes"


def yearly(con, table: str = "visits") -> dict[tuple[str, int], int]:
    rows = con.execute(f"SELECT branch_id, year(date), sum(visits) FROM {table} GROUP BY ALL").fetchall()
    return {(branch, year): total for branch, year, total in rows}


# --- ROC (民國) years -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("87年1月", (dt.date(1998, 1, 1), "month")),
        ("87年 1月", (dt.date(1998, 1, 1), "month")),
        ("民國87年1月", (dt.date(1998, 1, 1), "month")),
        ("民国87年1月", (dt.date(1998, 1, 1), "month")),
        ("087/01", (dt.date(1998, 1, 1), "month")),
        ("112年12月", (dt.date(2023, 12, 1), "month")),
        ("87年1月15日", (dt.date(1998, 1, 15), "day")),
        ("民國87年1月15日", (dt.date(1998, 1, 15), "day")),
        ("087/01/15", (dt.date(1998, 1, 15), "day")),
        ("113.02.29", (dt.date(2024, 2, 29), "day")),
        ("2024年1月", (dt.date(2024, 1, 1), "month")),  # four digits: Gregorian
        ("2024年1月31日", (dt.date(2024, 1, 31), "day")),
    ],
)
def test_roc_dates(cell, expected):
    assert parse_date(cell) == expected


@pytest.mark.parametrize("cell", ["112.5", "105-12", "113.02-04"])
def test_decimals_are_not_roc_months(cell):
    with pytest.raises(ValueError, match="not a date"):
        parse_date(cell)
    assert month_column(cell) is None


def test_roc_months_and_years():
    assert parse_month("87年 1月", None) == dt.date(1998, 1, 1)
    assert parse_month("民國88年2月", None) == dt.date(1999, 2, 1)
    assert parse_year("112年") == 2023
    assert parse_year("民國87年") == 1998
    assert parse_year("87年度") == 1998
    assert parse_year("2016年") == 2016
    assert parse_year("2016/17") == 2016


def test_a_short_unmarked_year_is_refused_not_guessed():
    # `24年` is ROC 24 (1935) or a shortened 2024: neither is taken silently; 民國 makes it certain.
    for cell in ("24年1月", "24年1月5日"):
        with pytest.raises(ValueError, match="ROC year 24 .1935. or a shortened year"):
            parse_date(cell)
    with pytest.raises(ValueError, match="ROC year 24"):
        parse_month("24年1月", None)
    with pytest.raises(ValueError, match="ROC year 24"):
        parse_year("24年")
    assert parse_date("民國24年1月")[0] == dt.date(1935, 1, 1)


def test_roc_month_headers_of_wide_files():
    assert month_column("112年1月") == (2023, 1)
    assert month_column("民國87年12月") == (1998, 12)
    assert month_column("087/01") == (1998, 1)
    assert month_column("2024-01") == (2024, 1)
    assert month_column("2024-01-05") is None  # a day, not a month


def test_us_dates_still_read_month_first():
    assert parse_date("1/31/24") == (dt.date(2024, 1, 31), "day")
    assert parse_date("12/1/23") == (dt.date(2023, 12, 1), "day")
    assert parse_date("31/1/24", "dmy") == (dt.date(2024, 1, 31), "day")


# --- month names from CLDR ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "month"),
    [
        ("Gennaio", 1),
        ("gen", 1),
        ("DICEMBRE", 12),
        ("janv.", 1),
        ("févr.", 2),
        ("fevrier", 2),
        ("août", 8),
        ("März", 3),
        ("Marz", 3),
        ("Maerz", 3),
        ("Mär", 3),
        ("Dezember", 12),
        ("enero", 1),
        ("setembro", 9),
        ("mrt", 3),
        ("październik", 10),
        ("kesäkuu", 6),
        ("January", 1),
        ("Sept", 9),
        ("一月", 1),
        ("十二月", 12),
        ("1月", 1),
    ],
)
def test_month_names_in_many_languages(word, month):
    assert month_column(word) == (None, month)
    assert parse_month(word, 2023) == dt.date(2023, month, 1)


def test_a_word_that_is_two_months_is_never_guessed():
    # In CLDR, `lip` is lipanj (June) in Croatian and lipiec (July) in Polish; `listopad` is October in
    # Croatian and November in Czech and Polish.
    assert calendars.month_meanings("lip").keys() == {6, 7}
    assert calendars.month_number("lip") is None
    assert month_column("lip") is None
    assert month_column("listopad") is None
    with pytest.raises(ValueError, match=r"'lip' is June \(Croatian\) or July \(Polish\)"):
        parse_month("lip", 2023)
    with pytest.raises(ValueError, match="'listopad' is October .Croatian. or November .Czech, Polish."):
        parse_date("3 listopad 2023")
    assert parse_month("lipiec", 2023) == dt.date(2023, 7, 1)  # Polish only: one month


def test_ambiguous_month_headers_are_settled_by_the_other_headers_language():
    polish = "Branch,sty,lut,mar,kwi,maj,cze,lip,sie,wrz,paź,lis,gru".split(",")
    croatian = "Branch,sij,velj,ožu,tra,svi,lip,srp,kol,ruj,lis,stu,pro".split(",")
    czech = "Branch,led,úno,bře,dub,kvě,čvn,čvc,srp,zář,říj,lis,pro".split(",")
    every_month = {i: (None, i) for i in range(1, 13)}  # column i holds month i
    assert months_in_context(polish) == every_month  # lip = July, lis = November
    assert months_in_context(croatian) == every_month  # lip = June, srp = July, lis = October
    assert months_in_context(czech) == every_month  # srp = August, lis = November
    assert months_in_context("Branch,Jan,Feb,lip".split(",")) == {1: (None, 1), 2: (None, 2)}  # English: no say


def test_a_lone_foreign_abbreviation_is_not_a_month_column():
    # `Out` is October only as a Portuguese abbreviation: beside no other month it stays an unknown header.
    assert month_column("Out") == (None, 10)
    assert months_in_context(["Date", "Branch", "In", "Out"]) == {}
    assert months_in_context(["Branch", "Mai"]) == {1: (None, 5)}  # a full name (German, French)
    assert months_in_context(["Branch", "Dec"]) == {1: (None, 12)}  # English
    assert months_in_context(["Branch", "Set", "Out"]) == {1: (None, 9), 2: (None, 10)}


def test_a_lone_foreign_abbreviation_header_is_reported_not_imported_as_october(branches_db, tmp_path):
    path = write(tmp_path, "visits.csv", "Date,Branch,Visitors,Out\n2024-01-05,Bezazian,7,3\n")
    report = load(branches_db, path)
    assert report.status == "loaded", report.problems
    assert report.layout == "long"
    assert any(c.startswith("Out (column 4, not a known field") for c in report.ignored_columns)
    assert branches_db.execute("SELECT date, visits FROM visits").fetchall() == [(dt.date(2024, 1, 5), 7)]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("3 marzo 2023", (dt.date(2023, 3, 3), "day")),
        ("3. März 2023", (dt.date(2023, 3, 3), "day")),
        ("3 de marzo de 2023", (dt.date(2023, 3, 3), "day")),
        ("1er janv. 2023", (dt.date(2023, 1, 1), "day")),
        ("März 2023", (dt.date(2023, 3, 1), "month")),
        ("janv. 2023", (dt.date(2023, 1, 1), "month")),
        ("Gennaio 2023", (dt.date(2023, 1, 1), "month")),
        ("March 5, 2024", (dt.date(2024, 3, 5), "day")),
        ("05-Mar-2024", (dt.date(2024, 3, 5), "day")),
    ],
)
def test_named_dates(cell, expected):
    assert parse_date(cell) == expected


def test_not_a_month_word_stays_an_error():
    with pytest.raises(ValueError, match="not a date"):
        parse_date("Totale 2023")
    with pytest.raises(ValueError, match="not a month"):
        parse_month("Totale", 2023)


# --- Traditional Chinese --------------------------------------------------------------------------


def test_traditional_headers_and_names_meet_simplified_ones():
    assert header_key("統計期") == header_key("统计期") == "统计期"
    assert field_for("統計期") == "period"
    assert field_for("參觀人次") == field_for("参观人次") == "visits"
    assert field_for("館別") == "branch"
    assert field_for("資料年月") == "period"
    assert name_key("臺北總館") == name_key("台北总馆")
    assert name_key("天母分館") == name_key("天母分馆")
    assert non_branch_reason("合計") == non_branch_reason("總計") == "totals row"
    assert name_key("Albany Park") == "albany park"  # ASCII untouched


def test_name_key_is_cached_for_per_row_use():
    # 100,000 rows of 50 names: measured ~0.04 s cached against ~1.1 s uncached (OpenCC ~4 µs a name).
    name_key.cache_clear()
    names = [f"臺北市立圖書館分館{i % 50}" for i in range(100_000)]
    start = time.perf_counter()
    keys = {name_key(n) for n in names}
    elapsed = time.perf_counter() - start
    assert len(keys) == 50 and name_key.cache_info().misses == 50
    assert elapsed < 2.0


# --- whole files ----------------------------------------------------------------------------------


def test_taipei_roc_traditional_monthly_file(fresh_db):
    report = load(fresh_db, SHAPES / "taipei_branches.csv")
    assert report.status == "loaded", report.problems
    report = load(fresh_db, SHAPES / "taipei-visits-roc.csv")
    assert report.status == "loaded", report.problems
    assert (report.kind, report.layout) == ("visits", "long")
    # 31 rows below the header: 24 of 1998, a 合計 row, 2 of 88年 1月, 3 of 民國88年2月 (天母 `-`, 總計), a source line.
    assert (report.rows_read, report.rows_accepted) == (31, 27)
    assert report.skipped["totals row"] == [27, 32]  # 合計, 總計 (Traditional) are totals
    assert report.skipped["no values reported (blank cells)"] == [31]
    assert fresh_db.execute("SELECT DISTINCT grain FROM visits").fetchall() == [("month",)]
    assert yearly(fresh_db) == {
        # 總館 1998: 12,000+11,500+13,200+12,800+12,100+11,900+14,500+15,200+12,300+12,600+11,800+13,100
        ("tp-main", 1998): 153_000,
        ("tp-main", 1999): 12_500 + 11_700,
        # 天母 1998: 3,100+2,950+3,320+3,010+2,890+3,050+3,600+3,720+2,980+3,040+2,870+3,170
        ("tianmu", 1998): 37_700,
        ("tianmu", 1999): 3_200,  # February is `-`: not reported, no row
    }
    assert (report.branches_matched, report.branches_new) == ({"tp-main", "tianmu"}, set())  # 臺北總館 = 台北总馆


def test_italian_monthly_file_takes_its_year_from_the_name(fresh_db):
    assert load(fresh_db, SHAPES / "musei_branches.csv").status == "loaded"
    report = load(fresh_db, SHAPES / "museo-visitatori-2023.csv")
    assert report.status == "loaded", report.problems
    assert "year 2023 taken from the file name" in report.notes
    assert report.rows_accepted == 24
    assert yearly(fresh_db) == {
        # Gennaio..Dicembre: 1,840+1,765+2,310+2,980+3,420+3,655+4,120+4,380+3,290+2,870+1,990+2,240
        ("ducale", 2023): 34_860,
        # gen..dic: 620+585+710+940+1,080+1,150+1,320+1,410+1,010+890+0+705
        ("civico", 2023): 10_420,
    }
    november = "SELECT visits FROM visits WHERE branch_id = 'civico' AND date = '2023-11-01'"
    assert fresh_db.execute(november).fetchone()[0] == 0  # 0 is stored as 0


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("museo-visitatori.csv", "months without a year: add a Year column, a year to the file name, --year YYYY"),
        ("museo-visitatori-2019-2023.csv", "the file name names several years (2019, 2023)"),
    ],
)
def test_month_names_without_one_year_are_refused(fresh_db, tmp_path, name, message):
    assert load(fresh_db, SHAPES / "musei_branches.csv").status == "loaded"
    path = tmp_path / name
    shutil.copy(SHAPES / "museo-visitatori-2023.csv", path)
    shutil.copy(SHAPES / "museo-visitatori-2023.mapping.toml", tmp_path / name.replace(".csv", ".mapping.toml"))
    report = load(fresh_db, path)
    assert report.status == "rejected"
    assert message in report.message
    assert fresh_db.execute("SELECT count(*) FROM visits").fetchone()[0] == 0


def test_a_fiscal_year_name_gives_its_first_year(fresh_db, tmp_path):
    assert load(fresh_db, SHAPES / "musei_branches.csv").status == "loaded"
    path = tmp_path / "museo-visitatori-2023-2024.csv"
    shutil.copy(SHAPES / "museo-visitatori-2023.csv", path)
    shutil.copy(SHAPES / "museo-visitatori-2023.mapping.toml", tmp_path / "museo-visitatori-2023-2024.mapping.toml")
    report = load(fresh_db, path)
    assert report.status == "loaded", report.problems
    assert "year 2023 taken from the file name" in report.notes
    assert yearly(fresh_db) == {("ducale", 2023): 34_860, ("civico", 2023): 10_420}


def test_month_cells_with_their_own_year_need_none_from_the_name(branches_db, tmp_path):
    path = write(tmp_path, "visits-2020.csv", "Month,Branch,Visits\n2024-01,Bezazian,5\nFeb 2024,Bezazian,6\n")
    report = load(branches_db, path)
    assert report.status == "loaded", report.problems
    assert not any("file name" in n for n in report.notes)
    assert branches_db.execute("SELECT sum(visits) FROM visits WHERE year(date) = 2024").fetchone()[0] == 11


@pytest.mark.parametrize(
    "months",
    [
        "gen,feb,mar,apr,mag,giu,lug,ago,set,ott,nov,dic",
        "Gennaio,Febbraio,Marzo,Aprile,Maggio,Giugno,Luglio,Agosto,Settembre,Ottobre,Novembre,Dicembre",
        "janv.,févr.,mars,avr.,mai,juin,juil.,août,sept.,oct.,nov.,déc.",
        "Januar,Februar,März,April,Mai,Juni,Juli,August,September,Oktober,November,Dezember",
        "sty,lut,mar,kwi,maj,cze,lip,sie,wrz,paź,lis,gru",  # lip and lis settled as Polish by the others
    ],
)
def test_wide_file_with_month_headers_in_other_languages(branches_db, tmp_path, months):
    path = write(tmp_path, "visits-2023.csv", f"Branch,{months}\nBezazian,1,2,3,4,5,6,7,8,9,10,11,12\n")
    report = load(branches_db, path)
    assert report.status == "loaded", report.problems
    assert report.layout == "wide"
    rows = branches_db.execute("SELECT month(date), visits FROM visits WHERE year(date) = 2023 ORDER BY 1").fetchall()
    assert rows == [(m, m) for m in range(1, 13)]  # each month's column holds its own number: 1+...+12 = 78


def test_wide_file_with_an_unsettled_month_header_is_refused(branches_db, tmp_path):
    path = write(tmp_path, "visits-2023.csv", "Branch,Jan,Feb,lip\nBezazian,1,2,3\n")
    report = load(branches_db, path)
    assert report.status == "rejected"
    assert "'lip' is June (Croatian) or July (Polish)" in report.message
    assert branches_db.execute("SELECT count(*) FROM visits").fetchone()[0] == 0


def test_wide_traditional_file_with_roc_month_headers(branches_db, tmp_path):
    text = "館別,112年1月,112年2月,112年3月,合計\n中心館,100,200,300,600\n貝扎齊安分館,1,2,,3\n"
    path = write(tmp_path, "visits.csv", text)
    report = load(branches_db, path)
    assert report.status == "loaded", report.problems
    # 中心館 / 貝扎齊安分館 are the Traditional spellings of the branch list's 中心馆 / 贝扎齐安分馆.
    assert yearly(branches_db) == {("central", 2023): 600, ("bezazian", 2023): 3}


def test_a_long_file_with_an_ambiguous_month_cell_names_both_readings(branches_db, tmp_path):
    path = write(tmp_path, "visits-2023.csv", "Month,Branch,Visits\nlipiec,Bezazian,5\nlip,Bezazian,6\n")
    report = load(branches_db, path)
    assert report.status == "rejected"
    reasons = [p.reason for p in report.problems]
    assert any("'lip' is June (Croatian) or July (Polish)" in r for r in reasons), reasons
    assert branches_db.execute("SELECT count(*) FROM visits").fetchone()[0] == 0


def test_mixed_date_column_keeps_us_dates(branches_db, tmp_path):
    path = write(
        tmp_path,
        "daily.csv",
        "Date,Branch,Visitors\n1/31/24,Bezazian,10\n12/1/23,Bezazian,20\n2024-02-01,Bezazian,30\n"
        "3 Feb 2024,Bezazian,40\n113/02/04,Bezazian,50\n5 febbraio 2024,Bezazian,60\n",
    )
    report = load(branches_db, path)
    assert report.status == "loaded", report.problems
    rows = branches_db.execute("SELECT date, visits FROM visits ORDER BY date").fetchall()
    assert rows == [
        (dt.date(2023, 12, 1), 20),
        (dt.date(2024, 1, 31), 10),
        (dt.date(2024, 2, 1), 30),
        (dt.date(2024, 2, 3), 40),
        (dt.date(2024, 2, 4), 50),  # ROC 113 = 2024
        (dt.date(2024, 2, 5), 60),
    ]


def test_a_note_in_the_month_column_does_not_stop_the_year_from_the_name(fresh_db, tmp_path):
    assert load(fresh_db, SHAPES / "musei_branches.csv").status == "loaded"
    text = "Mese;Museo;Visitatori\nGennaio;Palazzo Ducale;1840\nFonte: ufficio statistica;;\n"
    path = write(tmp_path, "museo-visitatori-2023.csv", text)
    shutil.copy(SHAPES / "museo-visitatori-2023.mapping.toml", tmp_path)
    report = load(fresh_db, path)
    assert report.status == "loaded", report.problems
    assert "year 2023 taken from the file name" in report.notes
    assert report.skipped == {"no branch name": [3]}
    assert yearly(fresh_db) == {("ducale", 2023): 1840}
