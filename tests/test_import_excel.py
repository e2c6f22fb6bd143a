"""Excel workbooks (.xlsx, .xls): each sheet with data imported as its CSV export would be, with the sheet's
own row numbers; title, notes and totals left out and reported; totals stored equal hand counts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from conftest import FIXTURES, TODAY, table_snapshot

from data import cli, store
from data.importer import Options, import_any, import_paths
from data.report import describe
from data.workbook import cell_text, year_over_month

SHAPES = FIXTURES / "shapes"


def total(con, sql: str, *params):
    return con.execute(sql, list(params)).fetchone()[0]


def load(con, path: Path, **options) -> list:
    return import_any(con, path, Options(today=TODAY, quarantine_dir=path.parent / "rejected", **options))


def wide_book(path: Path, central_feb: object = 400) -> Path:
    """A branch statistics sheet as Chinese libraries export it: a title merged across the sheet, a year row
    (each year merged over its months) above a month row, a 合计 column and row, and a notes sheet."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "到馆人次"
    sheet["A1"] = "2023-2024年各分馆到馆人次统计表"
    sheet.merge_cells("A1:F1")
    sheet["A2"] = "分馆"
    sheet.merge_cells("A2:A3")
    sheet["B2"] = "2023年"
    sheet.merge_cells("B2:C2")
    sheet["D2"] = "2024年"
    sheet.merge_cells("D2:E2")
    sheet["F2"] = "合计"
    sheet.merge_cells("F2:F3")
    for column, month in zip("BCDE", ["11月", "12月", "1月", "2月"], strict=True):
        sheet[f"{column}3"] = month
    rows = [
        ["Central Library", 100, 200.0, 300, central_feb],  # 200.0: a whole number stored as a float
        ["Albany Park", 10, None, 30, 40],  # a blank month: not reported
        ["Bezazian", 1, 2, 3, 4],
        ["合计", 111, 202, 333, 444],
    ]
    for row in rows:
        numbers = [v for v in row[1:] if isinstance(v, (int, float))]
        sheet.append([*row, sum(numbers)])
    notes = book.create_sheet("填表说明")
    notes["A1"] = "填表说明"
    notes["A2"] = "1. 到馆人次按月填报，以门禁计数为准。"
    notes["A3"] = "2. 合计行由公式计算。"
    book.create_sheet("Sheet3")  # empty
    book.save(path)
    return path


def long_book(path: Path, bad: object = None) -> Path:
    """Two data sheets of long layout: real date cells, counts stored as whole floats."""
    book = openpyxl.Workbook()
    visits = book.active
    visits.title = "visits"
    visits.append(["Date", "Branch", "Visitors"])
    visits.append([dt.datetime(2024, 3, 1), "Central Library", 120.0])
    visits.append([dt.date(2024, 3, 2), "Central Library", 80.0])
    visits.append([dt.date(2024, 3, 2), "Albany Park", 15])
    visits.append([dt.date(2024, 3, 3), "Albany Park", bad if bad is not None else 5.0])
    loans = book.create_sheet("loans")
    loans.append(["日期", "分馆", "借出册次", "归还册次"])
    loans.append([dt.date(2024, 3, 1), "Central Library", 40.0, 30.0])
    loans.append([dt.date(2024, 3, 1), "Bezazian", 7, 2])
    book.save(path)
    return path


def test_cells_become_the_text_a_csv_export_holds():
    assert [cell_text(v) for v in (1234.0, 1234, 3.25, -0.0, None, "  a b ", True)] == [
        "1234",
        "1234",
        "3.25",
        "0",
        "",
        "a b",
        "TRUE",
    ]
    assert [cell_text(v) for v in (1233.9999999999998, 0.1 + 0.2, 12.5)] == ["1234", "0.3", "12.5"]
    assert cell_text(dt.datetime(2024, 1, 5)) == "2024-01-05"
    assert cell_text(dt.datetime(2024, 1, 5, 14, 30)) == "2024-01-05 14:30:00"
    assert cell_text(dt.date(2024, 1, 5)) == "2024-01-05"


def test_a_year_row_over_a_month_row_is_one_header_per_column():
    top = ["分馆", "2023年", "", "2024年", "", "合计"]
    bottom = ["", "11月", "12月", "1月", "2月", ""]
    assert year_over_month(top, bottom) == ["分馆", "2023年 11月", "2023年 12月", "2024年 1月", "2024年 2月", "合计"]
    # Months with no year above them are a two-row header only below the detected header row.
    assert year_over_month(["分馆", "到馆人次", "", ""], ["", "1月", "2月", "3月"]) is None
    assert year_over_month(["分馆", "到馆人次", "", ""], ["", "1月", "2月", "3月"], need_year=False) == [
        "分馆",
        "1月",
        "2月",
        "3月",
    ]


def test_wide_sheet_with_title_two_header_rows_totals_and_notes(branches_db, tmp_path):
    path = wide_book(tmp_path / "分馆到馆.xlsx")
    [report] = load(branches_db, path)
    assert report.status == "loaded", describe(report)
    assert (report.kind, report.layout, report.sheet, report.source) == ("visits", "wide", "到馆人次", path.name)
    # Excel's row numbers: the title is row 1, the headers rows 2-3, the data rows 4-6, the 合计 row 7.
    assert report.skipped == {"totals row": [7]}
    assert report.blank_cells == 1
    assert any("'填表说明' skipped: no data table" in n for n in report.notes)
    assert any("'Sheet3' skipped: empty" in n for n in report.notes)
    text = describe(report)
    assert f"{path} [到馆人次]: LOADED" in text and "填表说明" in text
    # Central 100 + 200 + 300 + 400 = 1,000; Albany 10 + 30 + 40 = 80; Bezazian 1 + 2 + 3 + 4 = 10.
    assert total(branches_db, "SELECT sum(visits) FROM visits WHERE branch_id = 'central'") == 1000
    assert total(branches_db, "SELECT sum(visits) FROM visits WHERE branch_id = 'albany'") == 80
    assert total(branches_db, "SELECT sum(visits) FROM visits WHERE branch_id = 'bezazian'") == 10
    assert total(branches_db, "SELECT sum(visits) FROM visits WHERE year(date) = 2023") == 100 + 200 + 10 + 1 + 2
    assert total(branches_db, "SELECT count(*) FROM visits") == 11  # 4 + 3 + 4 months
    assert total(branches_db, "SELECT min(date) FROM visits") == dt.date(2023, 11, 1)
    assert total(branches_db, "SELECT max(date) FROM visits") == dt.date(2024, 2, 1)
    assert total(branches_db, "SELECT DISTINCT source_file FROM visits") == path.name


def test_long_sheets_with_date_cells_and_whole_floats(branches_db, tmp_path):
    path = long_book(tmp_path / "march.xlsx")
    reports = load(branches_db, path)
    assert [(r.sheet, r.status, r.kind) for r in reports] == [
        ("visits", "loaded", "visits"),
        ("loans", "loaded", "circulation"),
    ]
    assert [r.source for r in reports] == ["march.xlsx [visits]", "march.xlsx [loans]"]
    # 120 + 80 + 15 + 5 = 220 visits; loans 40 + 7 = 47, returns 30 + 2 = 32.
    assert total(branches_db, "SELECT sum(visits) FROM visits") == 220
    assert total(branches_db, "SELECT count(*) FROM visits WHERE grain = 'day'") == 4
    assert total(branches_db, "SELECT visits FROM visits WHERE date = DATE '2024-03-01'") == 120
    assert total(branches_db, "SELECT sum(checkouts), sum(returns) FROM circulation") == 47
    assert total(branches_db, "SELECT sum(returns) FROM circulation") == 32


def test_the_xls_fixture(branches_db):
    path = SHAPES / "branch_visits_2023.xls"
    [report] = load(branches_db, path)
    assert report.status == "loaded", describe(report)
    assert report.encoding == "Excel .xls"
    assert report.skipped == {"totals row": [6]}  # title row 1, header row 2, data rows 3-5
    assert any("'说明' skipped" in n for n in report.notes)
    # Central 1,200 + 1,350 + 1,410 = 3,960; Albany 210 + 190 + 0 = 400; Bezazian 95 + 0 = 95
    # (the blank March cell of Bezazian is not reported and not stored).
    assert total(branches_db, "SELECT sum(visits) FROM visits WHERE branch_id = 'central'") == 3960
    assert total(branches_db, "SELECT sum(visits) FROM visits WHERE branch_id = 'albany'") == 400
    assert total(branches_db, "SELECT sum(visits) FROM visits WHERE branch_id = 'bezazian'") == 95
    assert total(branches_db, "SELECT count(*) FROM visits") == 8
    assert total(branches_db, "SELECT max(date) FROM visits") == dt.date(2023, 3, 1)


def test_a_bad_cell_rejects_the_whole_workbook_naming_sheet_row_and_column(branches_db, tmp_path):
    path = long_book(tmp_path / "march.xlsx", bad=5.5)  # a count that is not whole, on row 5 of 'visits'
    before = table_snapshot(branches_db)
    reports = load(branches_db, path)
    assert [r.status for r in reports] == ["rejected", "rejected"]
    bad, other = reports
    assert [(p.line, p.column, p.value) for p in bad.problems] == [(5, "Visitors", "5.5")]
    assert f"{path} [visits]:5, column 'Visitors', value '5.5'" in describe(bad)
    assert "sheet 'visits' of this workbook was rejected; nothing from it was written" in other.message
    assert table_snapshot(branches_db) == before


def test_sheet_option_imports_one_sheet_and_an_unknown_sheet_names_those_there_are(branches_db, tmp_path):
    path = long_book(tmp_path / "march.xlsx")
    [report] = load(branches_db, path, sheet="loans")
    assert (report.status, report.source) == ("loaded", "march.xlsx [loans]")
    assert total(branches_db, "SELECT count(*) FROM visits") == 0
    assert total(branches_db, "SELECT sum(checkouts) FROM circulation") == 47
    [missing] = load(branches_db, path, sheet="Loans 2024")
    assert missing.status == "rejected"
    assert missing.message == "no sheet named 'Loans 2024' in this workbook; its sheets are 'visits', 'loans'"
    [notes] = load(branches_db, wide_book(tmp_path / "wide.xlsx"), sheet="填表说明")
    assert notes.status == "rejected" and "holds no data table" in notes.message


@pytest.fixture
def target(tmp_path) -> Path:
    path = tmp_path / "kpi.duckdb"
    assert cli.main(["import", "--db", str(path), str(FIXTURES / "import" / "branches.csv")]) == 0
    return path


def stored(path: Path, sql: str):
    con, _ = store.open_reader(path)
    with con:
        return con.execute(sql).fetchone()[0]


def test_command_line_reimport_change_remove_and_rebuild(target, tmp_path, capsys):
    book = long_book(tmp_path / "march.xlsx")
    assert cli.main(["import", "--db", str(target), str(book)]) == 0
    assert stored(target, "SELECT sum(visits) FROM visits") == 220
    generation = store.token(target)
    capsys.readouterr()
    # The same workbook again: every sheet unchanged, nothing published.
    assert cli.main(["import", "--db", str(target), str(book)]) == 0
    out = capsys.readouterr().out
    assert out.count("UNCHANGED") == 2 and store.token(target) == generation
    # The journal carries each sheet: a rebuild from it gives the same rows.
    assert cli.main(["rebuild", "--db", str(target)]) == 0
    assert "rebuilt" in capsys.readouterr().out
    assert stored(target, "SELECT sum(visits) FROM visits") == 220
    assert stored(target, "SELECT sum(checkouts) FROM circulation") == 47
    # A changed workbook replaces its sheets' rows: Central's 1 March is now 150 (150 + 80 + 15 + 5 = 250).
    changed = openpyxl.load_workbook(book)
    changed["visits"]["C2"] = 150
    changed.save(book)
    assert cli.main(["import", "--db", str(target), str(book)]) == 0
    assert "march.xlsx [visits]: REPLACED" in capsys.readouterr().out
    assert stored(target, "SELECT sum(visits) FROM visits") == 250
    assert stored(target, "SELECT sum(checkouts) FROM circulation") == 47
    # Removing the workbook by its file name takes back what every sheet brought.
    assert cli.main(["remove", "--db", str(target), "march.xlsx"]) == 0
    assert "2 import(s) removed" in capsys.readouterr().out
    assert stored(target, "SELECT count(*) FROM visits") == 0
    assert stored(target, "SELECT count(*) FROM circulation") == 0


def test_command_line_exit_codes(target, tmp_path, capsys):
    book = long_book(tmp_path / "march.xlsx")
    assert cli.main(["import", "--db", str(target), "--sheet", "nope", str(book)]) == 1
    assert "its sheets are 'visits', 'loans'" in capsys.readouterr().out
    assert cli.main(["import", "--db", str(target), str(long_book(tmp_path / "bad.xlsx", bad="lots"))]) == 1
    assert (
        cli.main(["import", "--db", str(target), "--sheet", "visits", str(FIXTURES / "import" / "branches.csv")]) == 1
    )
    assert "names a sheet of an Excel workbook; this is a text file" in capsys.readouterr().out
    assert stored(target, "SELECT count(*) FROM visits") == 0
    assert cli.main(["import", "--db", str(target), "--sheet", "visits", str(book)]) == 0
    assert stored(target, "SELECT sum(visits) FROM visits") == 220
    assert stored(target, "SELECT count(*) FROM circulation") == 0


def test_a_folder_picks_up_workbooks(fresh_db, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    branches = openpyxl.Workbook()  # the branch list as a workbook too: imported first all the same
    for line in (FIXTURES / "import" / "branches.csv").read_text(encoding="utf-8").splitlines():
        branches.active.append(line.split(","))
    branches.save(folder / "z_branches.xlsx")
    wide_book(folder / "a_visits.xlsx")
    reports = import_paths(fresh_db, [folder], Options(today=TODAY))
    assert [(r.path.name, r.status) for r in reports] == [("z_branches.xlsx", "loaded"), ("a_visits.xlsx", "loaded")]
    assert total(fresh_db, "SELECT sum(visits) FROM visits") == 1090  # 1,000 + 80 + 10


def test_uploads_accept_workbooks(target):
    from pages import _data

    book = Path(wide_book(target.parent / "upload.xlsx"))
    results = _data.import_uploads(str(target), [("到馆.xlsx", book.read_bytes())], False, False)
    assert [(name, report.status, report.sheet) for name, report in results] == [("到馆.xlsx", "loaded", "到馆人次")]
    assert stored(target, "SELECT sum(visits) FROM visits") == 1090


def test_month_headers_stored_as_dates_and_a_workbook_named_csv(branches_db, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Branch", dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 1)])  # shown as Jan-24...
    sheet.append(["Central Library", 5, 6, 7])
    sheet.append(["Albany Park", 1, None, 2])
    path = tmp_path / "visits export.csv"  # saved from Excel under the wrong name
    book.save(path)
    [report] = load(branches_db, path, kind="visits")
    assert (report.status, report.layout, report.source) == ("loaded", "wide", path.name), describe(report)
    assert "this .csv file is an Excel workbook: read as one" in report.notes
    # Central 5 + 6 + 7 = 18, Albany 1 + 2 = 3.
    assert total(branches_db, "SELECT sum(visits) FROM visits") == 21
    assert total(branches_db, "SELECT count(*) FROM visits WHERE date = DATE '2024-02-01'") == 1


def test_a_sheet_per_year_takes_its_year_from_the_sheet_name(branches_db, tmp_path):
    book = openpyxl.Workbook()
    for index, (year, counts) in enumerate([("2023年", [3, 4]), ("2024年", [30, 40])]):
        sheet = book.active if index == 0 else book.create_sheet()
        sheet.title = year
        sheet.append(["分馆", "1月", "2月"])
        sheet.append(["Central Library", *counts])
    path = tmp_path / "到馆人次.xlsx"
    book.save(path)
    reports = load(branches_db, path)
    assert [(r.sheet, r.status) for r in reports] == [("2023年", "loaded"), ("2024年", "loaded")]
    assert all(any("year" in n and "file name" in n for n in r.notes) for r in reports)
    # 2023: 3 + 4 = 7; 2024: 30 + 40 = 70.
    assert total(branches_db, "SELECT sum(visits) FROM visits WHERE year(date) = 2023") == 7
    assert total(branches_db, "SELECT sum(visits) FROM visits WHERE year(date) = 2024") == 70


def test_hidden_sheets_are_skipped_unless_named_and_a_sheet_gone_is_noted(branches_db, tmp_path):
    path = long_book(tmp_path / "march.xlsx")
    book = openpyxl.load_workbook(path)
    book["loans"].sheet_state = "hidden"
    book.save(path)
    [report] = load(branches_db, path)
    assert (report.sheet, report.source, report.status) == ("visits", "march.xlsx", "loaded")
    assert any("'loans' skipped: a hidden sheet" in n for n in report.notes)
    assert total(branches_db, "SELECT count(*) FROM circulation") == 0
    [loans] = load(branches_db, path, sheet="loans")
    assert (loans.status, loans.source) == ("loaded", "march.xlsx [loans]")
    # A later version of a workbook without one of its sheets: the sheet's rows stay, and a note says so.
    other = long_book(tmp_path / "april.xlsx")
    assert [r.status for r in load(branches_db, other, sheet="visits")] == ["rejected"]  # march.xlsx has March
    book = openpyxl.load_workbook(other)
    for sheet in book.worksheets:
        for row in sheet.iter_rows(min_row=2):
            row[0].value = row[0].value.replace(month=4)
    book.save(other)
    assert [r.status for r in load(branches_db, other)] == ["loaded", "loaded"]
    del book["loans"]
    book.create_sheet("events").append(["Date", "Branch", "Events", "Attendance"])
    book["events"].append([dt.date(2024, 4, 2), "Central Library", 2, 35])
    book.save(other)
    reports = load(branches_db, other)
    assert [(r.source, r.status) for r in reports] == [
        ("april.xlsx [visits]", "replaced"),
        ("april.xlsx [events]", "loaded"),
    ]
    assert any("april.xlsx [loans] was imported before and is no longer a data sheet" in n for n in reports[0].notes)
    # March: 40 + 7 loans (march.xlsx [loans]); April: the same 47 from april.xlsx [loans], still there.
    assert total(branches_db, "SELECT sum(checkouts) FROM circulation") == 94


def test_sheets_giving_the_same_branch_and_period_reject_the_workbook(branches_db, tmp_path):
    path = long_book(tmp_path / "march.xlsx")
    book = openpyxl.load_workbook(path)
    summary = book.create_sheet("汇总")  # a monthly summary beside the daily sheet: the same visits twice
    summary.append(["月份", "分馆", "到馆人次"])
    summary.append(["2024-03", "Central Library", 200])
    summary.append(["2024-04", "Central Library", 90])
    book.save(path)
    before = table_snapshot(branches_db)
    reports = load(branches_db, path)
    assert [(r.sheet, r.status) for r in reports] == [
        ("visits", "rejected"),
        ("loans", "rejected"),
        ("汇总", "rejected"),
    ]
    summary_report = reports[2]
    assert [(p.line, p.value) for p in summary_report.problems] == [(2, "central")]
    assert "sheet 'visits' of this workbook gives the same branch and period" in summary_report.problems[0].reason
    assert table_snapshot(branches_db) == before
    [alone] = load(branches_db, path, sheet="汇总")
    assert alone.status == "loaded"
    assert total(branches_db, "SELECT sum(visits) FROM visits") == 290  # 200 + 90


def test_a_measure_merged_over_month_columns_leaves_the_months_as_the_header(branches_db, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "2024年"
    sheet.append(["分馆", "到馆人次", None, None])
    sheet.merge_cells("B1:D1")
    sheet.append([None, "1月", "2月", "3月"])
    sheet.append(["Central Library", 5, 6, 7])
    sheet.append(["Bezazian", 1, 2, 3])
    path = tmp_path / "visits.xlsx"
    book.save(path)
    [report] = load(branches_db, path)
    assert (report.status, report.layout) == ("loaded", "wide"), describe(report)
    assert report.skipped == {}  # the month row is part of the header, not a row without a branch
    # Central 5 + 6 + 7 = 18, Bezazian 1 + 2 + 3 = 6; the year from the sheet's name.
    assert total(branches_db, "SELECT sum(visits) FROM visits") == 24
    assert total(branches_db, "SELECT min(date) FROM visits") == dt.date(2024, 1, 1)


def test_quarantine_sets_a_sheets_bad_rows_aside_and_a_moved_workbook_is_removed_by_content(target, tmp_path):
    book = long_book(tmp_path / "march.xlsx", bad=5.5)
    assert cli.main(["import", "--db", str(target), "--quarantine", str(book)]) == 0
    # 120 + 80 + 15 = 215 (row 5's 5.5 set aside); the loans sheet whole: 40 + 7 = 47.
    assert stored(target, "SELECT sum(visits) FROM visits") == 215
    assert stored(target, "SELECT sum(checkouts) FROM circulation") == 47
    written = store.rejected_dir(target) / "march [visits].rejected.csv"
    assert written.read_text(encoding="utf-8-sig").splitlines() == [
        "Date,Branch,Visitors,_line,_reason",
        "2024-03-03,Albany Park,5.5,5,Visitors: not a whole number",
    ]
    moved = tmp_path / "elsewhere" / "renamed.xlsx"
    moved.parent.mkdir()
    book.rename(moved)
    assert cli.main(["remove", "--db", str(target), str(moved)]) == 0
    assert stored(target, "SELECT count(*) FROM visits") + stored(target, "SELECT count(*) FROM circulation") == 0


def statistics_book(path: Path, bad: object = None) -> Path:
    """The GB18030 branch-network statistics sheet of tests/fixtures/shapes/, as the workbook it was exported
    from: a merged title, several indicators, a 合计 row and a signature footer; a notes sheet beside it."""
    source = (SHAPES / "zh_branch_statistics_gb18030.csv").read_bytes().decode("gb18030").splitlines()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "分馆统计"
    for line in source:
        sheet.append([int(c) if c.isdigit() else (c or None) for c in line.split(",")])
    sheet.merge_cells("A1:H1")
    if bad is not None:
        sheet["G5"] = bad  # 读者到馆人次 of 城西分馆, 2025年11月
    book.create_sheet("填表说明")["A1"] = "到馆人次以门禁计数为准。"
    book.save(path)
    return path


def test_a_statistics_sheet_of_several_kinds_in_a_workbook(fresh_db, tmp_path):
    # A bad cell in one kind's column of a sheet: nothing of the workbook is written.
    bad = statistics_book(tmp_path / "bad.xlsx", bad="3,9OO")
    book = openpyxl.load_workbook(bad)
    book.create_sheet("visits 2024").append(["Date", "Branch", "Visitors"])
    book["visits 2024"].append([dt.date(2024, 5, 1), "城东分馆", 12])
    book.save(bad)
    before = table_snapshot(fresh_db)
    reports = load(fresh_db, bad, allow_new_branches=True)
    assert [r.status for r in reports] == ["rejected", "rejected"]
    assert [(p.line, p.column, p.value) for p in reports[0].problems] == [(5, "读者到馆人次", "3,9OO")]
    assert "sheet '分馆统计' of this workbook was rejected" in reports[1].message
    assert table_snapshot(fresh_db) == before
    path = statistics_book(tmp_path / "分馆业务统计.xlsx")
    [report] = load(fresh_db, path, allow_new_branches=True)
    assert report.status == "loaded", describe(report)
    assert [(p.kind, p.status, p.sheet) for p in report.parts] == [
        ("visits", "loaded", "分馆统计"),
        ("circulation", "loaded", "分馆统计"),
        ("measures", "loaded", "分馆统计"),
    ]
    assert report.parts[0].skipped == {"totals row": [9], "signature footer": [10, 11]}  # Excel's rows
    assert any("'填表说明' skipped" in n for n in report.parts[0].notes)
    # The hand counts of tests/test_import_zh_sheets.py: the sheet's rows, not its 合计 row.
    assert total(fresh_db, "SELECT sum(visits) FROM visits") == 24050
    assert total(fresh_db, "SELECT sum(checkouts) FROM circulation") == 5220
    assert total(fresh_db, "SELECT sum(returns) FROM circulation") == 4925
    assert total(fresh_db, "SELECT sum(renewals) FROM circulation") == 641
    assert total(fresh_db, "SELECT sum(value) FROM measures WHERE measure = 'new_registrations'") == 137
    assert total(fresh_db, "SELECT name FROM branches WHERE branch_id = 'FG01'") == "城东分馆"
    [again] = load(fresh_db, path, allow_new_branches=True)
    assert [p.status for p in again.parts] == ["unchanged"] * 3


def test_a_changed_mapping_replaces_a_workbooks_rows(branches_db, tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["分馆", "1月", "2月"])  # months with no year: the mapping gives it
    book.active.append(["Central Library", 5, 6])
    path = tmp_path / "visits.xlsx"
    book.save(path)
    mapping = tmp_path / "visits.mapping.toml"
    mapping.write_text("year = 2023\n", encoding="utf-8")
    [first] = load(branches_db, path)
    assert first.status == "loaded", describe(first)
    assert [r.status for r in load(branches_db, path)] == ["unchanged"]
    mapping.write_text("year = 2024\n", encoding="utf-8")  # the year corrected: the rows move, never doubled
    [again] = load(branches_db, path)
    assert again.status == "replaced", describe(again)
    # 5 + 6 = 11, all in 2024 now.
    assert total(branches_db, "SELECT sum(visits) FROM visits WHERE year(date) = 2024") == 11
    assert total(branches_db, "SELECT count(*) FROM visits WHERE year(date) = 2023") == 0
