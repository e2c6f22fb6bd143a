"""Chinese statistics sheets: a GB18030 branch-network sheet with a title line, code and name columns, a
month column, loans, returns, renewals, visits and new registrations side by side, a 合计 row and a
signature footer. Every kind it holds is imported in one go, all or nothing; totals counted by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import FIXTURES, load, table_snapshot, write

from data import cli, remove, store
from data.names import sign_off_row
from metrics.engine import compute

SHEET = FIXTURES / "shapes" / "zh_branch_statistics_gb18030.csv"
# The sheet, line by line (line 1 is the title, line 2 the header):
#   3 FG01 城东分馆 2025年11月 借书1200 还书1100 续借150 到馆5400 新增读者32
#   4 FG01 城东分馆 2025年12月      1350     1280      170     6100       41
#   5 FG02 城西分馆 2025年11月       860      820       90     3900       18
#   6 FG02 城西分馆 2025年12月       910      870      105     4200       25
#   7 FG03 开发区分馆 2025年11月     430      400       60     2100        9
#   8 FG03 开发区分馆 2025年12月     470      455       66     2350       12
#   9 合计 (5220, 4925, 641, 24050, 137); 10 and 11 the signature footer.
VISITS = 5400 + 6100 + 3900 + 4200 + 2100 + 2350  # 24,050
CHECKOUTS = 1200 + 1350 + 860 + 910 + 430 + 470  # 5,220
RETURNS = 1100 + 1280 + 820 + 870 + 400 + 455  # 4,925
RENEWALS = 150 + 170 + 90 + 105 + 60 + 66  # 641
REGISTRATIONS = 32 + 41 + 18 + 25 + 9 + 12  # 137
SKIPPED = {"totals row": [9], "signature footer": [10, 11]}


def total(con, sql: str, *params):
    return con.execute(sql, list(params)).fetchone()[0]


def sheet_text() -> str:
    return SHEET.read_bytes().decode("gb18030")


def copy_sheet(tmp_path: Path, name: str, text: str | None = None) -> Path:
    """The sheet (or a changed text of it) under another name, in GB18030 as exported."""
    path = tmp_path / name
    path.write_bytes((text if text is not None else sheet_text()).encode("gb18030"))
    return path


def test_every_kind_of_the_sheet_is_imported_with_hand_counted_totals(fresh_db):
    report = load(fresh_db, SHEET, allow_new_branches=True)
    assert report.status == "loaded", report.problems
    assert [(p.kind, p.status, p.encoding) for p in report.parts] == [
        ("visits", "loaded", "gb18030"),
        ("circulation", "loaded", "gb18030"),
        ("measures", "loaded", "gb18030"),
    ]
    for part in report.parts:  # each kind reads the same 6 branch-months and skips the same 3 lines
        assert (part.rows_read, part.rows_accepted, part.rows_stored) == (9, 6, 6)
        assert part.skipped == SKIPPED
        assert part.ignored_columns == []
    assert total(fresh_db, "SELECT sum(visits) FROM visits") == VISITS == 24050
    assert total(fresh_db, "SELECT sum(checkouts) FROM circulation") == CHECKOUTS == 5220
    assert total(fresh_db, "SELECT sum(returns) FROM circulation") == RETURNS == 4925
    assert total(fresh_db, "SELECT sum(renewals) FROM circulation") == RENEWALS == 641
    assert total(fresh_db, "SELECT sum(value) FROM measures WHERE measure = 'new_registrations'") == 137
    assert REGISTRATIONS == 137
    assert total(fresh_db, "SELECT sum(checkouts + renewals) FROM circulation_daily") == 5220 + 641
    # City East in December: one row per kind, all monthly.
    assert fresh_db.execute(
        "SELECT v.visits, c.checkouts, c.returns, c.renewals, m.value, v.grain FROM visits v "
        "JOIN circulation c USING (branch_id, date) JOIN measures m USING (branch_id, date) "
        "WHERE branch_id = 'FG01' AND date = DATE '2025-12-01'"
    ).fetchall() == [(6100, 1350, 1280, 170, 41, "month")]
    # The metric that reads registrations sees them: 137 in 2025.
    result = compute(fresh_db, "new_registrations", grain="year")
    assert result.table[["period", "value"]].values.tolist() == [["2025", 137]]
    # One audit row per kind, all for the one file.
    assert fresh_db.execute("SELECT kind, rows_accepted, rows_skipped FROM imports ORDER BY import_id").fetchall() == [
        ("visits", 6, 3),
        ("circulation", 6, 3),
        ("measures", 6, 3),
    ]


def test_codes_are_ids_and_names_are_names_both_aliases(fresh_db, tmp_path):
    report = load(fresh_db, SHEET, allow_new_branches=True)
    visits, circulation, measures = report.parts
    assert visits.branches_new == {"FG01", "FG02", "FG03"}  # created once, by the first kind
    assert circulation.branches_new == measures.branches_new == set()
    assert circulation.branches_matched == {"FG01", "FG02", "FG03"}
    assert fresh_db.execute("SELECT branch_id, name, name_zh FROM branches ORDER BY 1").fetchall() == [
        ("FG01", "城东分馆", "城东分馆"),
        ("FG02", "城西分馆", "城西分馆"),
        ("FG03", "开发区分馆", "开发区分馆"),
    ]
    aliases = dict(fresh_db.execute("SELECT alias_key, branch_id FROM branch_aliases").fetchall())
    assert aliases == {
        "fg01": "FG01",
        "城东分馆": "FG01",
        "fg02": "FG02",
        "城西分馆": "FG02",
        "fg03": "FG03",
        "开发区分馆": "FG03",
    }
    # A later sheet naming a branch by its name only (no code column) meets the same branch.
    later = write(tmp_path, "later.csv", "馆名,统计月份,读者到馆人次\n城西分馆,2025年10月,3800\n")
    assert load(fresh_db, later).status == "loaded"
    assert total(fresh_db, "SELECT visits FROM visits WHERE source_file = 'later.csv' AND branch_id = 'FG02'") == 3800


def test_code_of_one_branch_beside_the_name_of_another_is_a_problem(branches_db, tmp_path):
    path = write(
        tmp_path,
        "mixed.csv",
        "馆代码,馆名,统计月份,借书册次\n"
        "albany,奥尔巴尼公园分馆,2025年11月,10\n"  # code and name agree
        "bezazian,唐人街分馆,2025年11月,20\n"  # Bezazian's code, Chinatown's name
        "NEW1,贝扎齐安分馆,2025年12月,30\n",  # an unknown code beside a known name: the name decides
    )
    report = load(branches_db, path)
    assert report.status == "rejected"
    assert [(p.line, p.column, p.value) for p in report.problems] == [(3, "馆名", "唐人街分馆")]
    assert "names branch bezazian" in report.problems[0].reason
    assert "names branch chinatown" in report.problems[0].reason
    fixed = write(
        tmp_path,
        "fixed.csv",
        "馆代码,馆名,统计月份,借书册次\nalbany,奥尔巴尼公园分馆,2025年11月,10\nNEW1,贝扎齐安分馆,2025年12月,30\n",
    )
    assert load(branches_db, fixed).status == "loaded"
    assert branches_db.execute("SELECT branch_id, checkouts FROM circulation ORDER BY 1").fetchall() == [
        ("albany", 10),
        ("bezazian", 30),
    ]


def test_one_name_under_two_new_codes_makes_two_branches(fresh_db, tmp_path):
    path = write(
        tmp_path,
        "rooms.csv",
        "馆代码,馆名,统计月份,读者到馆人次\nS01,社区图书室,2025年11月,10\nS02,社区图书室,2025年11月,20\n"
        "S01,社区图书室,2025年12月,30\nS02,社区图书室,2025年12月,40\n",
    )
    report = load(fresh_db, path, allow_new_branches=True)
    assert report.status == "loaded", report.problems
    assert fresh_db.execute("SELECT branch_id, sum(visits) FROM visits GROUP BY 1 ORDER BY 1").fetchall() == [
        ("S01", 10 + 30),
        ("S02", 20 + 40),
    ]
    assert fresh_db.execute("SELECT alias_key FROM branch_aliases ORDER BY 1").fetchall() == [("s01",), ("s02",)]


def test_reimport_is_unchanged_for_every_kind(fresh_db):
    assert load(fresh_db, SHEET, allow_new_branches=True).status == "loaded"
    before = table_snapshot(fresh_db)
    again = load(fresh_db, SHEET, allow_new_branches=True)
    assert again.status == "unchanged"
    assert [(p.kind, p.status) for p in again.parts] == [
        ("visits", "unchanged"),
        ("circulation", "unchanged"),
        ("measures", "unchanged"),
    ]
    assert table_snapshot(fresh_db) == before


def test_a_bad_visits_cell_rejects_the_whole_file(fresh_db, tmp_path):
    path = copy_sheet(tmp_path, "bad.csv", sheet_text().replace(",4200,", ",42OO,"))  # letter O for zero, line 6
    before = table_snapshot(fresh_db)
    report = load(fresh_db, path, allow_new_branches=True)
    assert report.status == "rejected"
    assert [(p.kind, p.status) for p in report.parts] == [
        ("visits", "rejected"),
        ("circulation", "rejected"),
        ("measures", "rejected"),
    ]
    visits, circulation, _ = report.parts
    assert [(p.line, p.column, p.value) for p in visits.problems] == [(6, "读者到馆人次", "42OO")]
    assert "nothing of this file was written" in visits.message
    assert circulation.problems == [] and "visits columns have problems" in circulation.message
    assert table_snapshot(fresh_db) == before  # no circulation, no registrations, no branches either
    assert report.content_hash is None


def test_quarantine_sets_a_bad_row_aside_in_every_kind(fresh_db, tmp_path):
    path = copy_sheet(tmp_path, "bad.csv", sheet_text().replace(",4200,", ",42OO,"))
    report = load(fresh_db, path, allow_new_branches=True, quarantine=True)
    assert report.status == "quarantined"
    assert {p.rows_stored for p in report.parts} == {5}  # line 6 (FG02, December) left out of every kind
    assert total(fresh_db, "SELECT sum(visits) FROM visits") == VISITS - 4200
    assert total(fresh_db, "SELECT sum(checkouts) FROM circulation") == CHECKOUTS - 910
    assert total(fresh_db, "SELECT sum(value) FROM measures") == REGISTRATIONS - 25
    rejected = report.parts[0].quarantine_file
    assert rejected and all(p.quarantine_file == rejected for p in report.parts)
    lines = rejected.read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 2 and lines[1].startswith("FG02,城西分馆,2025年12月") and "读者到馆人次" in lines[1]


def test_kind_restricts_to_one_kind_with_a_note(fresh_db):
    report = load(fresh_db, SHEET, allow_new_branches=True, kind="circulation")
    assert report.status == "loaded" and report.parts == []
    assert report.kind == "circulation"
    assert any("读者到馆人次 (visits)" in n and "新增读者 (measures)" in n for n in report.notes), report.notes
    assert total(fresh_db, "SELECT count(*) FROM visits") == 0
    assert total(fresh_db, "SELECT count(*) FROM measures") == 0
    assert total(fresh_db, "SELECT sum(checkouts) FROM circulation") == CHECKOUTS
    # The other kinds come later, on their own: circulation stays unchanged.
    rest = load(fresh_db, SHEET, allow_new_branches=True)
    assert [(p.kind, p.status) for p in rest.parts] == [
        ("visits", "loaded"),
        ("circulation", "unchanged"),
        ("measures", "loaded"),
    ]
    assert total(fresh_db, "SELECT sum(visits) FROM visits") == VISITS


def test_measures_kind_alone_reads_the_registrations_column(fresh_db):
    report = load(fresh_db, SHEET, allow_new_branches=True, kind="measures")
    assert report.status == "loaded", report.problems
    assert total(fresh_db, "SELECT sum(value) FROM measures WHERE measure = 'new_registrations'") == REGISTRATIONS


def test_remove_by_file_removes_every_kind(tmp_path, capsys):
    target = tmp_path / "kpi.duckdb"
    sheet = copy_sheet(tmp_path, "分馆业务统计表.csv")
    assert cli.main(["import", "--db", str(target), "--allow-new-branches", str(sheet)]) == 0
    out = capsys.readouterr().out
    assert "LOADED (3 kinds in one file: visits, circulation, measures; gb18030)" in out
    assert out.count("stored 6 ") == 3  # each kind's own summary
    con, _ = store.open_reader(target)
    with con:
        assert total(con, "SELECT count(*) FROM imports WHERE removed_at IS NULL") == 3
    assert cli.main(["remove", "--db", str(target), str(sheet)]) == 0
    capsys.readouterr()
    con, _ = store.open_reader(target)
    with con:
        for table in ("visits", "circulation", "circulation_daily", "measures", "branches", "branch_aliases"):
            assert total(con, f"SELECT count(*) FROM {table}") == 0, table
        assert total(con, "SELECT count(*) FROM imports WHERE removed_at IS NULL") == 0
        assert remove.history(con, limit=None)["status"].tolist() == ["removed"] * 3


def test_rebuild_takes_every_kind_again(tmp_path, capsys):
    target = tmp_path / "kpi.duckdb"
    sheet = copy_sheet(tmp_path, "sheet.csv")
    assert cli.main(["import", "--db", str(target), "--allow-new-branches", str(sheet)]) == 0
    assert [e["kind"] for e in store.read_journal(target)] == ["visits", "circulation", "measures"]
    assert cli.main(["rebuild", "--db", str(target)]) == 0
    capsys.readouterr()
    con, _ = store.open_reader(target)
    with con:
        assert total(con, "SELECT sum(visits) FROM visits") == VISITS
        assert total(con, "SELECT sum(returns) FROM circulation") == RETURNS
        assert total(con, "SELECT sum(value) FROM measures") == REGISTRATIONS
        assert (
            total(con, "SELECT string_agg(name, ',' ORDER BY branch_id) FROM branches")
            == "城东分馆,城西分馆,开发区分馆"
        )


def test_cli_exits_1_when_a_kind_is_rejected(tmp_path, capsys):
    target = tmp_path / "kpi.duckdb"
    sheet = copy_sheet(tmp_path, "sheet.csv", sheet_text().replace(",41\r\n", ",四十一\r\n"))  # line 4, registrations
    assert cli.main(["import", "--db", str(target), "--allow-new-branches", str(sheet)]) == 1
    out = capsys.readouterr().out
    assert "REJECTED (3 kinds in one file" in out
    assert "rejected with the rest of the file: the measures columns have problems" in out
    assert f"{sheet}:4, column '新增读者', value '四十一'" in out


@pytest.mark.parametrize(
    "footer",
    [
        "制表人：张三,,审核人：李四,,制表日期：2026年1月5日,,,",  # the usual footer, label in the code column
        ",,,,,,单位负责人:王五,联系电话: 0571-12345678",  # ASCII colons, far right, code column blank
        "填报单位：XX市图书馆（盖章）,,,,,,,",
        "填表人： 赵六  统计人：钱七,,,,,,,",  # several labels in one cell
        "报送日期：2026-01-05,,,,,,,",
        "製表人：張三,,審核人：李四,,聯絡電話：02-2345-6789,,,",  # Traditional labels (through OpenCC)
    ],
)
def test_signature_footers_are_skipped_wherever_they_are(fresh_db, tmp_path, footer):
    lines = sheet_text().split("\r\n")
    lines.insert(5, footer)  # between data rows (line 6), not only at the end
    report = load(fresh_db, copy_sheet(tmp_path, "f.csv", "\r\n".join(lines)), allow_new_branches=True)
    assert report.status == "loaded", report.problems
    assert report.parts[0].skipped == {"totals row": [10], "signature footer": [6, 11, 12]}
    assert total(fresh_db, "SELECT sum(visits) FROM visits") == VISITS


def test_sign_off_rows_and_branch_rows_told_apart():
    assert sign_off_row(["审核人：李四"]) and sign_off_row(["", "负责人:"]) and sign_off_row(["联系人 ： 孙八"])
    assert not sign_off_row(["城东分馆", "2025年11月", "1200"])
    assert not sign_off_row(["制表人张三"])  # no colon: not a label
    assert not sign_off_row(["审核人员培训中心"])  # a name that starts like a label


def test_one_kind_plus_registrations_is_two_kinds(fresh_db, tmp_path):
    path = write(
        tmp_path, "loans.csv", "馆名,统计月份,外借册次,新办证\n城东分馆,2025-11,100,7\n城西分馆,2025-11,50,3\n"
    )
    report = load(fresh_db, path, allow_new_branches=True)
    assert [(p.kind, p.rows_stored) for p in report.parts] == [("circulation", 2), ("measures", 2)]
    assert total(fresh_db, "SELECT sum(checkouts) FROM circulation") == 100 + 50
    assert total(fresh_db, "SELECT sum(value) FROM measures WHERE measure = 'new_registrations'") == 7 + 3


@pytest.mark.parametrize(
    ("header", "field", "meaning"),
    [
        ("借还册次", "circulation", "借还册次 read as circulation (loans including renewals)"),
        ("流通人次", "visits", "流通人次 read as visits"),
    ],
)
def test_ambiguous_headers_say_which_meaning_they_took(fresh_db, tmp_path, header, field, meaning):
    path = write(tmp_path, "a.csv", f"馆名,统计月份,{header}\n城东分馆,2025-11,100\n")
    report = load(fresh_db, path, allow_new_branches=True)
    assert report.status == "loaded" and report.kind == ("visits" if field == "visits" else "circulation")
    assert any(n.startswith(meaning) for n in report.notes), report.notes
    table = "visits" if field == "visits" else "circulation"
    assert total(fresh_db, f"SELECT sum({field}) FROM {table}") == 100


@pytest.mark.parametrize(
    "header",
    [
        "读者到馆人次",
        "到馆读者人次",
        "进馆人次",
        "入馆人次",
        "接待人次",
        "接待读者人次",
        "参观人次",
        "观众人次",
        "总流通人次",
    ],
)
def test_chinese_visit_headers(fresh_db, tmp_path, header):
    path = write(tmp_path, "v.csv", f"馆名,统计月份,{header}\n城东分馆,2025年11月,321\n", encoding="gb18030")
    assert load(fresh_db, path, allow_new_branches=True).status == "loaded"
    assert total(fresh_db, "SELECT visits FROM visits WHERE date = ?", dt.date(2025, 11, 1)) == 321


def test_a_corrected_sheet_replaces_every_kind(fresh_db, tmp_path):
    assert load(fresh_db, copy_sheet(tmp_path, "sheet.csv"), allow_new_branches=True).status == "loaded"
    corrected = sheet_text().replace(",2350,12", ",2450,13")  # FG03 December: visits +100, registrations +1
    report = load(fresh_db, copy_sheet(tmp_path, "sheet.csv", corrected), allow_new_branches=True)
    assert [(p.kind, p.status) for p in report.parts] == [
        ("visits", "replaced"),
        ("circulation", "replaced"),
        ("measures", "replaced"),
    ]
    assert total(fresh_db, "SELECT sum(visits) FROM visits") == VISITS + 100
    assert total(fresh_db, "SELECT sum(checkouts) FROM circulation") == CHECKOUTS
    assert total(fresh_db, "SELECT sum(value) FROM measures") == REGISTRATIONS + 1
    assert total(fresh_db, "SELECT count(*) FROM branches") == 3
