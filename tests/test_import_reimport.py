"""--branch and --year, headers a mapping names, month -> date refused, an import's identity (content and
the options that shape it: a corrected mapping replaces the file's rows), problems grouped by kind."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, load, table_snapshot, write

from data import cli, db, store
from data.importer import CONFLICTING_ROW, DUPLICATE_ROW
from data.report import describe

SHAPES = FIXTURES / "shapes"
BRANCHES = FIXTURES / "import" / "branches.csv"
# museo_civico_visitatori.csv: one museum, no branch column, months 1..12 without a year, under a title line.
# Totale visitatori by month: 1052 + 958 + 1345 + 1822 + 2065 + 1655 + 1266 + 1104 + 1440 + 1545 + 1167 + 1312
TOTAL_VISITORS = 16731
# Visitatori paganti (paying visitors only, the wrong column): 812 + 760 + 1034 + 1420 + 1610 + 1288 + 990 + 874
# + 1122 + 1201 + 905 + 1015
PAYING_VISITORS = 13031
MUSEUM_MAPPING = """kind = "visits"
[columns]
"Mese" = "month"
"Visitatori paganti" = "ignore"
"Visitatori gratuiti" = "ignore"
"Totale visitatori" = "visits"
"""


@pytest.fixture
def target(tmp_path) -> Path:
    """A database holding the test branch list (imported through the command line)."""
    path = tmp_path / "db" / "kpi.duckdb"
    assert cli.main(["import", "--db", str(path), str(BRANCHES)]) == 0
    return path


@pytest.fixture
def museum(tmp_path) -> Path:
    folder = tmp_path / "exports"
    folder.mkdir()
    return Path(shutil.copy(SHAPES / "museo_civico_visitatori.csv", folder))


def mapping(folder: Path, text: str, name: str = "museo.mapping.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def run(capsys, *argv: str) -> tuple[int, str]:
    code = cli.main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out + out.err


def query(path: Path, sql: str, params=()) -> list[tuple]:
    con, _ = store.open_reader(path)
    with con:
        return con.execute(sql, list(params)).fetchall()


def visits_by_year(path: Path) -> list[tuple]:
    return query(
        path, "SELECT branch_id, year(date), sum(visits), count(*), min(grain) FROM visits GROUP BY ALL ORDER BY ALL"
    )


# ---------------------------------------------------------------- --branch and --year


def test_branch_and_year_flags_place_a_file_without_those_columns(target, museum, capsys):
    rules = mapping(museum.parent, MUSEUM_MAPPING)
    code, out = run(
        capsys, "import", "--db", target, "--mapping", rules, "--branch", "Bezazian", "--year", 2023, museum
    )
    assert code == 0, out
    assert "LOADED" in out
    assert visits_by_year(target) == [("bezazian", 2023, TOTAL_VISITORS, 12, "month")]
    entry = store.read_journal(target)[-1]
    assert (entry["branch"], entry["year"]) == ("Bezazian", 2023)


def test_without_the_year_the_months_are_refused(target, museum, capsys):
    rules = mapping(museum.parent, MUSEUM_MAPPING)
    code, out = run(capsys, "import", "--db", target, "--mapping", rules, "--branch", "Bezazian", museum)
    assert code == 1
    assert "a month without a year" in out
    assert visits_by_year(target) == []


def test_branch_flag_on_a_file_with_a_branch_column_is_refused(target, tmp_path, capsys):
    path = write(tmp_path, "visits.csv", "date,branch,visits\n2024-01-02,Chinatown,40\n")
    code, out = run(capsys, "import", "--db", target, "--branch", "Bezazian", path)
    assert code == 1
    assert "--branch 'Bezazian' given, but the file has a branch column 'branch' (column 2)" in out
    assert visits_by_year(target) == []


def test_year_flag_on_a_file_with_full_dates_is_refused(target, tmp_path, capsys):
    path = write(tmp_path, "visits.csv", "date,branch,visits\n2024-01-02,Chinatown,40\n")
    code, out = run(capsys, "import", "--db", target, "--year", 2023, path)
    assert code == 1
    assert "--year 2023 given, but the file's dates carry their own year (column 'date' (column 1))" in out
    assert visits_by_year(target) == []


def test_branch_flag_overrides_the_mappings_branch_with_a_note(target, museum, capsys):
    text = MUSEUM_MAPPING.replace('kind = "visits"', 'kind = "visits"\nbranch = "Chinatown"\nyear = 2023')
    rules = mapping(museum.parent, text)
    code, out = run(capsys, "import", "--db", target, "--mapping", rules, "--branch", "Bezazian", museum)
    assert code == 0, out
    assert "note: --branch Bezazian overrides the mapping's branch = 'Chinatown'" in out
    assert visits_by_year(target) == [("bezazian", 2023, TOTAL_VISITORS, 12, "month")]


# ---------------------------------------------------------------- a header only a mapping names


def test_a_header_named_only_by_a_mapping_is_found_below_a_title_line(branches_db, tmp_path):
    path = Path(shutil.copy(SHAPES / "musei_per_comune.csv", tmp_path))
    columns = '"Comune" = "ignore"\n"Museo" = "branch"\n"Mese" = "month"\n"Visitatori" = "visits"\n'
    rules = mapping(tmp_path, f'kind = "visits"\n[columns]\n{columns}')
    report = load(branches_db, path, mapping=rules, allow_new_branches=True)
    assert report.status == "loaded", describe(report)
    assert report.rows_read == 6  # the header is line 2: six data rows below it
    totals = branches_db.execute(
        "SELECT b.name, sum(visits), count(*) FROM visits v JOIN branches b USING (branch_id) GROUP BY ALL ORDER BY 1"
    ).fetchall()
    # Museo Civico 1200 + 1350 + 1500 = 4050; Pinacoteca 430 + 390 + 515 = 1335
    assert totals == [("Museo Civico", 4050, 3), ("Pinacoteca", 1335, 3)]


# ---------------------------------------------------------------- a monthly column mapped to date


@pytest.mark.parametrize(
    "months",
    [
        ["2023-01", "2023-02", "2023-03"],
        ["2023年1月", "2023年2月", "2023年3月"],
        ["Jan 2023", "Feb 2023", "Mar 2023"],
        ["1", "2", "3"],
        ["2023-01-01", "2023-02-01", "2023-03-01"],
    ],
    ids=["iso-month", "chinese-month", "month-name", "month-number", "first-days"],
)
@pytest.mark.parametrize("kind", ["visits", "circulation"])
def test_a_monthly_column_mapped_to_date_is_refused_and_writes_nothing(branches_db, tmp_path, months, kind):
    value = "Visitatori" if kind == "visits" else "Azione"
    cells = [f"{m};Bezazian;{120 + i if kind == 'visits' else 'checkout'}\n" for i, m in enumerate(months)]
    path = write(tmp_path, "musei.csv", f"Mese;Museo;{value}\n" + "".join(cells))
    target = "visits" if kind == "visits" else "action"
    rules = mapping(
        tmp_path, f'kind = "{kind}"\n[columns]\n"Mese" = "date"\n"Museo" = "branch"\n"{value}" = "{target}"\n'
    )
    before = table_snapshot(branches_db)
    report = load(branches_db, path, mapping=rules)
    assert report.status == "rejected"
    assert report.message == (
        f"column 'Mese' (column 1) is mapped to date, but it holds months (e.g. {months[0]!r}): map it to month "
        "(or period) in the mapping file; monthly totals are never stored as days"
    )
    assert str(path) in describe(report)
    assert table_snapshot(branches_db) == before


def test_a_daily_column_mapped_to_date_is_imported(branches_db, tmp_path):
    path = write(tmp_path, "giorni.csv", "Giorno;Museo;Visitatori\n2023-01-01;Bezazian;5\n2023-01-02;Bezazian;7\n")
    rules = mapping(tmp_path, '[columns]\n"Giorno" = "date"\n"Museo" = "branch"\n"Visitatori" = "visits"\n')
    assert load(branches_db, path, mapping=rules).status == "loaded"
    assert branches_db.execute("SELECT sum(visits), min(grain) FROM visits").fetchone() == (12, "day")


def test_the_month_column_mapped_as_month_is_imported(branches_db, tmp_path):
    path = write(tmp_path, "musei.csv", "Mese;Museo;Visitatori\nJan 2023;Bezazian;120\nFeb 2023;Bezazian;121\n")
    rules = mapping(tmp_path, '[columns]\n"Mese" = "month"\n"Museo" = "branch"\n"Visitatori" = "visits"\n')
    assert load(branches_db, path, mapping=rules).status == "loaded"
    assert branches_db.execute("SELECT sum(visits), count(*), min(grain) FROM visits").fetchone() == (241, 2, "month")


# ---------------------------------------------------------------- the import's identity: content and options


def test_the_same_file_with_the_same_options_is_unchanged(target, museum, capsys):
    rules = mapping(museum.parent, MUSEUM_MAPPING)
    argv = ("import", "--db", target, "--mapping", rules, "--branch", "Bezazian", "--year", 2023, museum)
    assert run(capsys, *argv)[0] == 0
    before, journal = store.token(target), store.read_journal(target)
    code, out = run(capsys, *argv)
    assert code == 0
    assert "UNCHANGED" in out and "same content and options as the current museo_civico_visitatori.csv" in out
    assert store.token(target) == before and store.read_journal(target) == journal  # nothing written


def test_a_corrected_mapping_replaces_the_rows(target, museum, capsys):
    wrong = MUSEUM_MAPPING.replace('"Visitatori paganti" = "ignore"', '"Visitatori paganti" = "visits"')
    wrong = wrong.replace('"Totale visitatori" = "visits"', '"Totale visitatori" = "ignore"')
    rules = mapping(museum.parent, wrong)
    argv = ("import", "--db", target, "--mapping", rules, "--branch", "Bezazian", "--year", 2023, museum)
    assert run(capsys, *argv)[0] == 0
    assert visits_by_year(target) == [("bezazian", 2023, PAYING_VISITORS, 12, "month")]
    rules.write_text(MUSEUM_MAPPING, encoding="utf-8")  # corrected in place, as a user would
    code, out = run(capsys, *argv)
    assert code == 0, out
    assert "REPLACED" in out
    assert "replaced: same content, but the mapping or options changed since the last import (columns changed)" in out
    assert visits_by_year(target) == [("bezazian", 2023, TOTAL_VISITORS, 12, "month")]
    statuses = query(
        target, "SELECT count(*) FILTER (options_hash IS NOT NULL), count(*) FROM imports WHERE kind = 'visits'"
    )
    assert statuses == [(2, 2)]


def test_the_right_year_replaces_the_wrong_one(target, museum, capsys):
    rules = mapping(museum.parent, MUSEUM_MAPPING)
    argv = ("import", "--db", target, "--mapping", rules, "--branch", "Bezazian", museum)
    assert run(capsys, *argv, "--year", 2022)[0] == 0
    assert visits_by_year(target) == [("bezazian", 2022, TOTAL_VISITORS, 12, "month")]
    code, out = run(capsys, *argv, "--year", 2023)
    assert code == 0
    assert "(year 2022 -> 2023)" in out
    assert visits_by_year(target) == [("bezazian", 2023, TOTAL_VISITORS, 12, "month")]  # the 2022 rows are gone


def test_the_same_content_under_another_name_with_other_options_is_not_skipped(branches_db, tmp_path):
    first = write(tmp_path, "a.csv", "Mese;Visitatori\n1;10\n2;20\n")
    second = write(tmp_path, "b.csv", "Mese;Visitatori\n1;10\n2;20\n")
    rules = mapping(tmp_path, 'kind = "visits"\nyear = 2023\n[columns]\n"Mese" = "month"\n"Visitatori" = "visits"\n')
    assert load(branches_db, first, mapping=rules, branch="Bezazian").status == "loaded"
    twin = load(branches_db, second, mapping=rules, branch="Bezazian")
    assert (twin.status, twin.message) == (
        "unchanged",
        "already imported (same content already imported as a.csv); nothing changed",
    )
    other = load(branches_db, second, mapping=rules, branch="Chinatown")
    assert other.status == "loaded"
    totals = branches_db.execute("SELECT branch_id, sum(visits) FROM visits GROUP BY 1 ORDER BY 1").fetchall()
    assert totals == [("bezazian", 30), ("chinatown", 30)]  # 10 + 20 each


def test_an_import_logged_before_options_were_kept_counts_as_made_without_options(branches_db, tmp_path):
    path = write(tmp_path, "v.csv", "date,branch,visits\n2024-01-02,Chinatown,40\n")
    assert load(branches_db, path).status == "loaded"
    branches_db.execute("UPDATE imports SET options = NULL, options_hash = NULL")
    assert load(branches_db, path).status == "unchanged"
    rules = mapping(tmp_path, 'missing_codes = ["-"]\n')
    again = load(branches_db, path, mapping=rules)
    assert again.status == "replaced" and "(missing_codes changed)" in again.message
    assert branches_db.execute("SELECT sum(visits) FROM visits").fetchone() == (40,)


def test_an_older_database_gets_the_options_columns(tmp_path):
    path = tmp_path / "old.duckdb"
    con = db.connect(path)
    con.execute("ALTER TABLE imports DROP COLUMN options_hash")
    con.execute("ALTER TABLE imports DROP COLUMN options")
    con.close()
    reader = db.connect(path, read_only=True)
    assert not db.has_column(reader, "imports", "options_hash")
    reader.close()
    con = db.connect(path)
    assert db.has_column(con, "imports", "options_hash") and db.has_column(con, "imports", "options")
    con.close()


def test_the_fast_path_respects_the_options(branches_db, tmp_path):
    from test_import_fastpath import transactions

    path = tmp_path / "loans.csv"
    transactions(path, 8_000)
    first = load(branches_db, path)
    assert first.status == "loaded" and any("inside DuckDB" in n for n in first.notes)
    totals = branches_db.execute("SELECT sum(checkouts), sum(renewals), sum(returns) FROM circulation").fetchone()
    assert load(branches_db, path).status == "unchanged"
    rules = mapping(tmp_path, 'missing_codes = ["n/a"]\n')
    again = load(branches_db, path, mapping=rules)
    assert again.status == "replaced", describe(again)
    assert any("inside DuckDB" in n for n in again.notes)
    assert again.message.startswith("replaced: same content, but the mapping or options changed")
    assert (
        branches_db.execute("SELECT sum(checkouts), sum(renewals), sum(returns) FROM circulation").fetchone() == totals
    )
    assert load(branches_db, path, mapping=rules).status == "unchanged"


def test_rebuild_replays_the_options(target, museum, capsys):
    rules = mapping(museum.parent, MUSEUM_MAPPING)
    argv = ("import", "--db", target, "--mapping", rules, "--branch", "Bezazian", museum)
    assert run(capsys, *argv, "--year", 2022)[0] == 0
    assert run(capsys, *argv, "--year", 2023)[0] == 0
    expected = visits_by_year(target)
    assert expected == [("bezazian", 2023, TOTAL_VISITORS, 12, "month")]
    code, out = run(capsys, "rebuild", "--db", target)
    assert code == 0, out
    assert visits_by_year(target) == expected


def test_rebuild_refuses_a_mapping_changed_since_the_last_import(target, museum, capsys):
    rules = mapping(museum.parent, MUSEUM_MAPPING)
    argv = ("import", "--db", target, "--mapping", rules, "--branch", "Bezazian", "--year", 2023, museum)
    assert run(capsys, *argv)[0] == 0
    rules.write_text(MUSEUM_MAPPING.replace('"Totale visitatori" = "visits"', '"Visitatori gratuiti" = "visits"'))
    code, out = run(capsys, "rebuild", "--db", target)
    assert code == 1
    assert "its mapping file changed since it was imported" in out


def test_a_replaced_file_can_be_removed(target, museum, capsys):
    rules = mapping(museum.parent, MUSEUM_MAPPING)
    argv = ("import", "--db", target, "--mapping", rules, "--branch", "Bezazian", museum)
    assert run(capsys, *argv, "--year", 2022)[0] == 0
    assert run(capsys, *argv, "--year", 2023)[0] == 0
    code, out = run(capsys, "remove", "--db", target, museum)
    assert code == 0, out
    assert visits_by_year(target) == []
    journal = [json.dumps(e) for e in store.read_journal(target)]
    assert len(journal) == 4  # the branch list, two imports, the removal


# ---------------------------------------------------------------- problems grouped by kind, capped


def test_thousands_of_conflicts_print_one_group_of_ten_examples(branches_db, tmp_path):
    start = dt.date(2010, 1, 1)
    days = [start + dt.timedelta(days=i) for i in range(4960)]
    rows = [f"{d},Bezazian,5\n" for d in days] + [f"{d},Bezazian,6\n" for d in days] + [f"{days[0]},Bezazian,5\n"]
    path = write(tmp_path, "conflicts.csv", "date,branch,visits\n" + "".join(rows))
    report = load(branches_db, path)
    assert report.status == "rejected" and report.rows_rejected == 4960
    assert {p.reason for p in report.problems} == {CONFLICTING_ROW}
    assert report.problems[0].detail == f"line 2 has the same date={days[0]}, branch_id=bezazian, audience=all"
    assert report.skipped == {DUPLICATE_ROW: [9922]}  # the last line repeats line 2 exactly
    text = describe(report)
    problems = [line for line in text.splitlines() if line.startswith("  problem")]
    assert problems == [f"  problem (4,960 rows): {CONFLICTING_ROW}"]
    examples = [line for line in text.splitlines() if line.startswith(f"    {path}:")]
    assert len(examples) == 10
    assert examples[0] == f"    {path}:4962 (line 2 has the same date=2010-01-01, branch_id=bezazian, audience=all)"
    assert "    ... and 4,950 more (4,950 rows)" in text
    assert len(text.splitlines()) < 25
    stored = branches_db.execute("SELECT count(*) FROM rejected_rows").fetchone()
    assert stored == (0,)  # rejected: nothing written


def test_many_reasons_are_capped_too(branches_db, tmp_path):
    rows = "".join(f"20{y:02d}-02-30,Bezazian,1\n" for y in range(11, 26))  # 15 different impossible dates
    path = write(tmp_path, "dates.csv", "date,branch,visits\n" + rows)
    text = describe(load(branches_db, path))
    assert len([line for line in text.splitlines() if line.startswith("  problem")]) == 10
    assert "  ... and 5 more reasons (5 problem(s))" in text


def test_quarantined_rows_keep_their_specifics(branches_db, tmp_path):
    path = write(tmp_path, "q.csv", "date,branch,visits\n2024-01-02,Bezazian,5\n2024-01-02,Bezazian,6\n")
    report = load(branches_db, path, quarantine=True)
    assert report.status == "quarantined"
    stored = branches_db.execute("SELECT line, reason FROM rejected_rows").fetchall()
    assert stored == [(3, f"{CONFLICTING_ROW} (line 2 has the same date=2024-01-02, branch_id=bezazian, audience=all)")]
    assert "line 2 has the same" in report.quarantine_file.read_text(encoding="utf-8-sig")


def test_the_mapping_counts_by_its_content_not_its_path(branches_db, tmp_path, museum):
    first = mapping(museum.parent, MUSEUM_MAPPING, "one.toml")
    second = mapping(museum.parent, "# the same rules, reordered and commented\n" + MUSEUM_MAPPING, "two.toml")
    assert load(branches_db, museum, mapping=first, branch="Bezazian", year=2023).status == "loaded"
    assert load(branches_db, museum, mapping=second, branch="Bezazian", year=2023).status == "unchanged"
    beside = mapping(
        museum.parent, MUSEUM_MAPPING.replace('kind = "visits"', "year = 2023"), museum.stem + ".mapping.toml"
    )
    found = load(branches_db, museum, branch="Bezazian")  # the mapping beside the file, now without the kind
    assert found.status == "unchanged", describe(found)
    beside.write_text(MUSEUM_MAPPING.replace('kind = "visits"', "year = 2024"), encoding="utf-8")
    moved = load(branches_db, museum, branch="Bezazian")
    assert moved.status == "replaced" and "year 2023 -> 2024" in moved.message
    assert branches_db.execute("SELECT min(date), sum(visits) FROM visits").fetchone() == (
        dt.date(2024, 1, 1),
        TOTAL_VISITORS,
    )


def test_a_year_that_is_not_one_is_refused_by_the_command_line(target, museum):
    with pytest.raises(SystemExit) as stopped:
        cli.main(["import", "--db", str(target), "--year", "23", str(museum)])
    assert stopped.value.code == 2


def test_many_skip_reasons_are_capped(branches_db, tmp_path):
    actions = [f"hold type {n}" for n in range(12)]  # twelve actions that are not loans: twelve skip reasons
    rows = "".join(f"2024-01-02 10:00,Bezazian,{a}\n" for a in actions) + "2024-01-02 11:00,Bezazian,checkout\n"
    report = load(branches_db, write(tmp_path, "tx.csv", "timestamp,branch,action\n" + rows))
    assert report.status == "loaded" and report.rows_skipped == 12
    text = describe(report)
    assert len([line for line in text.splitlines() if line.startswith("  skipped ")]) == 10
    assert "  ... and 2 more skip reasons (2 rows)" in text


@pytest.mark.parametrize("flag", [["--branch", "Bezazian"], ["--year", "2023"]])
def test_branch_and_year_flags_on_a_branch_list_are_refused(tmp_path, capsys, flag):
    path = tmp_path / "kpi.duckdb"
    code, out = run(capsys, "import", "--db", path, *flag, BRANCHES)
    assert code == 1
    assert "this file is a branch list" in out


def test_a_changed_mapping_replaces_every_kind_of_a_sheet_that_holds_several(fresh_db, tmp_path):
    sheet = Path(shutil.copy(SHAPES / "zh_branch_statistics_gb18030.csv", tmp_path))
    assert load(fresh_db, sheet, allow_new_branches=True).status == "loaded"
    before = fresh_db.execute(
        "SELECT (SELECT sum(visits) FROM visits), (SELECT sum(checkouts) FROM circulation)"
    ).fetchone()
    assert before == (24050, 5220)  # the sheet's hand counts (tests/test_import_zh_sheets.py)
    rules = mapping(tmp_path, 'missing_codes = ["/"]\n')
    again = load(fresh_db, sheet, allow_new_branches=True, mapping=rules)
    assert [(p.kind, p.status) for p in again.parts] == [
        ("visits", "replaced"),
        ("circulation", "replaced"),
        ("measures", "replaced"),
    ]
    assert all("(missing_codes changed)" in p.message for p in again.parts)
    after = fresh_db.execute(
        "SELECT (SELECT sum(visits) FROM visits), (SELECT sum(checkouts) FROM circulation)"
    ).fetchone()
    assert after == before
    assert load(fresh_db, sheet, allow_new_branches=True, mapping=rules).status == "unchanged"


def test_year_flag_on_a_month_column_that_has_its_years_is_refused(target, tmp_path, capsys):
    path = write(tmp_path, "months.csv", "month,branch,visits\n2024-01,Chinatown,40\n2024-02,Chinatown,41\n")
    code, out = run(capsys, "import", "--db", target, "--year", 2023, path)
    assert code == 1
    assert "--year 2023 given, but the file's dates carry their own year (column 'month' (column 1))" in out
    numbers = write(tmp_path, "numbers.csv", "month,branch,visits\n1,Chinatown,40\n2,Chinatown,41\n")
    assert run(capsys, "import", "--db", target, "--year", 2023, numbers)[0] == 0
    assert visits_by_year(target) == [("chinatown", 2023, 81, 2, "month")]  # 40 + 41
