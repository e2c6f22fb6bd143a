"""Issue 12's shapes together, the way a user meets them: eight exports made apart from the importer's own
fixtures (tests/fixtures/shapes/unseen/, generated once with seeded random counts), imported through the
command line into ONE database as the README says, each stored total compared with a count made from the
generating script's numbers (written here as literals), and every file re-imported unchanged at the end.

The files:
- museums-by-venue.csv: one row per month of 2023, one column per museum (unknown to the branch list), a
  Total column; July of the Maritime Museum blank (closed). `--kind visits --allow-new-branches`.
- taipei-venues.csv: UTF-8 with BOM, CRLF, a title line, Traditional headers (`統計期,總館,北投分館,…,合計`),
  ROC months `111年 1月`..`112年12月`, counts with thousands separators. `--allow-new-branches` (the title
  line, 臺北市立圖書館各館參觀人次統計表, says the counts are visits).
- prestiti-biblioteche-2023.csv: Italian, semicolons, `Mese;Biblioteca;Prestiti;Restituzioni`, month names
  without a year (the year is in the file name); its mapping file beside it names the Italian headers.
- citizen-survey-2024.csv: one row per respondent, one column per question, 9 = don't know, no date and no
  branch: the mapping beside it declares `[questions]`; `--branch "Central Library" --year 2024`.
- 分馆业务统计表2025一季度.csv: GB18030 statistics sheet, title line, 馆代码 + 馆名, 统计月份, five indicators
  (借书/还书/续借册次, 读者到馆人次, 新增读者), a 合计 row and a signature footer. `--allow-new-branches`.
- circulation-by-location-2023.csv: LOCATION, ADDRESS, JANUARY..DECEMBER, YTD; three branches with
  addresses, three renewal channels and an e-media line without. `--allow-new-branches`.
- 到馆人次-2024-2025.xlsx: a merged title row, years merged over month headers, three branches by their
  Chinese names, a 合计 row and a notes sheet (填表说明).
- loans-march-2024.xls: Date/Branch/Checkouts with real date cells and whole numbers stored as floats.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FIXTURES

from data import cli, store

UNSEEN = FIXTURES / "shapes" / "unseen"

# (file, extra options); every file's rows are checked below.
IMPORTS = [
    ("museums-by-venue.csv", ["--kind", "visits", "--allow-new-branches"]),
    ("taipei-venues.csv", ["--allow-new-branches"]),  # 參觀人次 in the title line says visits
    ("prestiti-biblioteche-2023.csv", ["--allow-new-branches"]),
    ("citizen-survey-2024.csv", ["--branch", "Central Library", "--year", "2024"]),
    ("分馆业务统计表2025一季度.csv", ["--allow-new-branches"]),
    ("circulation-by-location-2023.csv", ["--allow-new-branches"]),
    ("到馆人次-2024-2025.xlsx", []),
    ("loans-march-2024.xls", []),
]


def run(capsys, *argv: str) -> tuple[int, str]:
    code = cli.main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """The database with the branch list and all eight exports, and each import's printed report."""
    folder = tmp_path_factory.mktemp("unseen")
    target = folder / "kpi.duckdb"
    outputs = {}
    assert cli.main(["import", "--db", str(target), str(FIXTURES / "import" / "branches.csv")]) == 0
    for name, options in IMPORTS:
        code = cli.main(["import", "--db", str(target), *options, str(UNSEEN / name)])
        outputs[name] = code
    return target, outputs


def rows(target: Path, sql: str, params=()) -> list[tuple]:
    con, _ = store.open_reader(target)
    with con:
        return con.execute(sql, list(params)).fetchall()


def yearly(target: Path, table: str, column: str, source: str) -> dict:
    """{(branch name, year): total} of one source file's rows (table and column are fixed test text)."""
    found = rows(
        target,
        f"SELECT b.name, year(t.date), sum(t.{column}) FROM {table} t JOIN branches b USING (branch_id) "
        "WHERE t.source_file = ? GROUP BY ALL",
        [source],
    )
    return {(name, year): total for name, year, total in found if total is not None}


def test_every_export_imports_with_exit_0(loaded):
    _, outputs = loaded
    assert outputs == {name: 0 for name, _ in IMPORTS}


def test_museums_as_columns(loaded):
    target, _ = loaded
    assert yearly(target, "visits", "visits", "museums-by-venue.csv") == {
        ("City Museum", 2023): 41718,
        ("Art Gallery", 2023): 61172,
        ("Maritime Museum", 2023): 51346,  # July blank: 11 months
    }
    assert rows(target, "SELECT count(*) FROM visits WHERE source_file = 'museums-by-venue.csv'") == [(35,)]


def test_taipei_traditional_roc_venues_as_columns(loaded):
    target, _ = loaded
    got = yearly(target, "visits", "visits", "taipei-venues.csv")
    assert {k: v for k, v in got.items() if k[1] == 2023} == {
        ("總館", 2023): 714521,
        ("北投分館", 2023): 589692,
        ("王貫英先生紀念圖書館", 2023): 647049,
    }
    assert {k[1] for k in got} == {2022, 2023}  # ROC 111 and 112
    names = rows(target, "SELECT name_zh FROM branches WHERE name IN ('總館', '北投分館') ORDER BY name_zh")
    assert names == [("北投分馆",), ("总馆",)]  # the pages show Simplified Chinese


def test_the_title_line_says_what_the_counts_are(tmp_path, capsys):
    target = tmp_path / "kpi.duckdb"
    code, out = run(capsys, "import", "--db", target, "--allow-new-branches", UNSEEN / "taipei-venues.csv")
    assert code == 0, out
    assert "kind 'visits' taken from the title line (臺北市立圖書館各館參觀人次統計表)" in out


def test_italian_months_with_the_year_in_the_file_name(loaded):
    target, _ = loaded
    assert yearly(target, "circulation", "checkouts", "prestiti-biblioteche-2023.csv") == {
        ("Biblioteca Centrale", 2023): 21448,
        ("Biblioteca Nord", 2023): 20805,
    }
    assert yearly(target, "circulation", "returns", "prestiti-biblioteche-2023.csv") == {
        ("Biblioteca Centrale", 2023): 18321,
        ("Biblioteca Nord", 2023): 18595,
    }


def test_survey_questions_as_columns(loaded):
    target, _ = loaded
    found = rows(
        target,
        "SELECT question, round(avg(score), 4), count(score), count(*) - count(score), min(branch_id), "
        "min(date), max(grain) FROM surveys WHERE source_file = 'citizen-survey-2024.csv' GROUP BY 1 ORDER BY 1",
    )
    day = found[0][5]
    assert [r[:5] for r in found] == [
        ("hours", round(122 / 35, 4), 35, 5, "central"),
        ("overall", round(139 / 34, 4), 34, 6, "central"),
        ("staff", round(111 / 36, 4), 36, 4, "central"),
    ]
    assert (day.year, found[0][6]) == (2024, "year")


def test_chinese_statistics_sheet_every_indicator(loaded):
    target, _ = loaded
    source = "分馆业务统计表2025一季度.csv"
    assert yearly(target, "visits", "visits", source) == {
        ("城东分馆", 2025): 8864,
        ("城西分馆", 2025): 7031,
        ("城南分馆", 2025): 5580,
    }
    totals = rows(
        target, "SELECT sum(checkouts), sum(returns), sum(renewals) FROM circulation WHERE source_file = ?", [source]
    )
    assert totals == [(26811, 18430, 30742)]
    assert rows(target, "SELECT measure, sum(value) FROM measures WHERE source_file = ? GROUP BY 1", [source]) == [
        ("new_registrations", 28638.0)
    ]
    assert rows(target, "SELECT branch_id, name FROM branches WHERE branch_id LIKE 'FG%' ORDER BY 1") == [
        ("FG01", "城东分馆"),
        ("FG02", "城西分馆"),
        ("FG03", "城南分馆"),
    ]


def test_system_wide_lines_are_not_branches(loaded, capsys):
    target, _ = loaded
    source = "circulation-by-location-2023.csv"
    lines = rows(target, "SELECT b.name, s.line_type FROM system_lines s JOIN branches b USING (branch_id) ORDER BY 1")
    assert lines == [
        ("Renewals - Online", "renewals"),
        ("Renewals - Phone", "renewals"),
        ("Self-Check Renewals", "renewals"),
        ("eBooks and eAudiobooks (OverDrive)", "e-media"),
    ]
    branches = yearly(target, "circulation", "circulation", source)
    assert {k: v for k, v in branches.items() if "OverDrive" not in k[0]} == {
        ("Albany Park", 2023): 66359,
        ("Bezazian", 2023): 63967,
        ("Chinatown", 2023): 83808,
    }
    from metrics import cli as metrics_cli

    def query(*argv):
        assert (
            metrics_cli.main(["query", "--db", str(target), "--from", "2023-01-01", "--to", "2023-12-31", *argv]) == 0
        )
        return json.loads(capsys.readouterr().out)

    # 2023 loans: the three branches, the Italian file's checkouts and the three renewal channels; e-media apart.
    loans = query("--metric", "loans", "--format", "json")
    renewal_channels = 5861047 + 6137397 + 6696200
    italian = 21448 + 20805
    assert loans["rows"][0]["value"] == 66359 + 63967 + 83808 + italian + renewal_channels
    assert query("--metric", "e_media_loans", "--format", "json")["rows"][0]["value"] == 6425134
    ranked = query("--metric", "loans", "--by", "branch", "--format", "json")["rows"]
    assert {r["branch"] for r in ranked} == {
        "Albany Park",
        "Bezazian",
        "Chinatown",
        "Biblioteca Centrale",
        "Biblioteca Nord",
        "System-wide lines",
    }


def test_excel_workbooks(loaded):
    target, _ = loaded
    assert yearly(target, "visits", "visits", "到馆人次-2024-2025.xlsx") == {
        ("Central Library", 2024): 160320,
        ("Central Library", 2025): 103389,
        ("Albany Park", 2024): 125720,
        ("Albany Park", 2025): 125606,
        ("Bezazian", 2024): 85868,
        ("Bezazian", 2025): 125251,
    }
    assert yearly(target, "circulation", "checkouts", "loans-march-2024.xls") == {
        ("Central Library", 2024): 1797,
        ("Albany Park", 2024): 2049,
    }


def test_everything_again_changes_nothing(loaded, capsys):
    target, _ = loaded
    before = rows(target, "SELECT count(*), max(import_id) FROM imports")
    for name, options in IMPORTS:
        code, out = run(capsys, "import", "--db", target, *options, UNSEEN / name)
        assert code == 0, out
        assert "UNCHANGED" in out and "LOADED" not in out and "REPLACED" not in out, out
    assert rows(target, "SELECT count(*), max(import_id) FROM imports") == before
