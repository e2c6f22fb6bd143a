"""All or nothing, idempotent, and every problem reported with file, line, column, value and reason."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import TODAY, load, table_snapshot, write

from data.importer import Options, import_paths
from data.report import describe

ROOT = Path(__file__).resolve().parents[1]


def daily_rows(n: int) -> str:
    """n days of visits for the Central Library starting 2020-01-01."""
    import datetime as dt

    start = dt.date(2020, 1, 1)
    return "".join(f"{start + dt.timedelta(days=i)},Central Library,{i % 97}\n" for i in range(n))


def test_bad_last_row_of_a_big_file_writes_nothing(branches_db, tmp_path):
    good = write(tmp_path, "first.csv", "date,branch,visits\n2019-06-01,Bezazian,5\n")
    assert load(branches_db, good).status == "loaded"
    before = table_snapshot(branches_db)
    big = write(tmp_path, "big.csv", "date,branch,visits\n" + daily_rows(2000) + "2025-01-01,Central Library,12x\n")
    report = load(branches_db, big)
    assert report.status == "rejected"
    assert [(p.line, p.column, p.value, p.reason) for p in report.problems] == [(2002, "visits", "12x", "not a number")]
    assert table_snapshot(branches_db) == before


def test_every_problem_is_listed_grouped_and_capped(branches_db, tmp_path):
    rows = "".join(f"2024-01-{d:02d},Nowhere Branch,1\n" for d in range(1, 16))
    path = write(
        tmp_path,
        "many.csv",
        "date,branch,visits\n" + rows + "2023-02-29,Bezazian,1\n2024-01-01,Bezazian,-5\n"
        "2027-01-01,Bezazian,3\n2024-01-02,Bezzazian,3\n",
    )
    report = load(branches_db, path)
    assert report.status == "rejected" and report.rows_rejected == 19
    reasons = {p.reason for p in report.problems}
    assert "no such date (2023-02-29)" in reasons and "negative count" in reasons
    assert "date in the future" in reasons
    text = describe(report)
    assert f"{path}:17, column 'date', value '2023-02-29'" in text
    assert "problem (16 rows): unknown branch" in text
    assert f"{path}:2, 3, 4, 5, 6, 7, 8, 9 and 7 more, column 'branch', value 'Nowhere Branch'" in text
    assert "value 'Bezzazian' (closest known: Bezazian)" in text


def test_same_file_twice_changes_nothing(branches_db, tmp_path):
    path = write(tmp_path, "v.csv", "date,branch,visits\n" + daily_rows(30))
    assert load(branches_db, path).status == "loaded"
    before = table_snapshot(branches_db)
    again = load(branches_db, path)
    assert again.status == "unchanged"
    assert table_snapshot(branches_db) == before


def test_renamed_copy_of_an_imported_file_is_recognised(branches_db, tmp_path):
    path = write(tmp_path, "v.csv", "date,branch,visits\n" + daily_rows(30))
    copy = write(tmp_path, "v (1).csv", path.read_text())
    load(branches_db, path)
    report = load(branches_db, copy)
    assert report.status == "unchanged" and "v.csv" in report.message
    assert branches_db.execute("SELECT count(*) FROM visits").fetchone()[0] == 30


def test_corrected_version_replaces_the_files_rows(branches_db, tmp_path):
    path = write(tmp_path, "v.csv", "date,branch,visits\n2024-01-01,Bezazian,10\n2024-01-02,Bezazian,20\n")
    load(branches_db, path)
    write(tmp_path, "v.csv", "date,branch,visits\n2024-01-01,Bezazian,11\n")
    report = load(branches_db, path)
    assert report.status == "replaced"
    assert branches_db.execute("SELECT sum(visits), count(*) FROM visits").fetchone() == (11, 1)


def test_overlap_with_another_file_is_refused(branches_db, tmp_path):
    monthly = write(tmp_path, "monthly.csv", "month,branch,visits\n2024-01,Bezazian,300\n")
    daily = write(tmp_path, "daily.csv", "date,branch,visits\n2024-01-15,Bezazian,10\n2024-02-01,Bezazian,5\n")
    load(branches_db, monthly)
    before = table_snapshot(branches_db)
    report = load(branches_db, daily)
    assert report.status == "rejected"
    assert report.problems[0].line == 2 and report.problems[0].detail == "loaded from monthly.csv"
    assert table_snapshot(branches_db) == before


def test_duplicate_rows_skipped_conflicting_rows_rejected(branches_db, tmp_path):
    dup = write(tmp_path, "dup.csv", "date,branch,visits\n2024-01-01,Bezazian,10\n2024-01-01,Bezazian,10\n")
    report = load(branches_db, dup)
    assert report.status == "loaded"
    assert report.skipped == {"duplicate of an earlier row (same key and values)": [3]}
    clash = write(tmp_path, "clash.csv", "date,branch,visits\n2024-02-01,Bezazian,10\n2024-02-01,Bezazian,11\n")
    report = load(branches_db, clash)
    assert report.status == "rejected" and "line 2 has the same" in report.problems[0].full_reason


def test_events_with_duplicates_and_stray_dates_quarantined(branches_db, tmp_path):
    path = write(
        tmp_path,
        "events.csv",
        (
            "Event Title,Date,Branch,Category,Audience,Format,Attendees\n"
            "Storytime,2024-03-02,Bezazian,storytime,children_0_5,onsite,12\n"
            "Storytime,2024-03-02,Bezazian,storytime,children_0_5,onsite,12\n"
            "Chess club,2024-03-04,Chinatown,club,teens_12_18,in person,8\n"
            "Lecture,2024-13-01,Chinatown,lecture,adults,onsite,40\n"
            "Webinar,3024-01-01,Central Library,lecture,adults,online,99\n"
        ),
    )
    before = table_snapshot(branches_db)
    report = load(branches_db, path)
    assert report.status == "rejected" and table_snapshot(branches_db) == before
    report = load(branches_db, path, quarantine=True)
    assert report.status == "quarantined"
    assert report.rows_read == report.rows_accepted + report.rows_skipped + report.rows_rejected == 5
    assert branches_db.execute("SELECT sum(attendance), sum(sessions), count(*) FROM events").fetchone() == (20, 2, 2)
    rejected = report.quarantine_file.read_text(encoding="utf-8-sig").splitlines()
    assert rejected[0].endswith("_line,_reason") and len(rejected) == 3
    assert "no such date" in rejected[1] and "date in the future" in rejected[2]
    assert branches_db.execute("SELECT count(*) FROM rejected_rows").fetchone()[0] == 2


def test_unknown_branch_becomes_new_only_when_allowed(branches_db, tmp_path):
    path = write(tmp_path, "v.csv", "date,branch,visits\n2024-01-01,Harbour Branch,4\n")
    report = load(branches_db, path)
    assert report.status == "rejected" and report.problems[0].value == "Harbour Branch"
    report = load(branches_db, path, allow_new_branches=True)
    assert report.status == "loaded" and report.branches_new == {"harbour-branch"}
    assert branches_db.execute("SELECT name FROM branches WHERE branch_id = 'harbour-branch'").fetchone() == (
        "Harbour Branch",
    )


def test_broken_files_give_a_clear_message(branches_db, tmp_path):
    cases = {
        "empty.csv": (b"", "empty file"),
        "binary.csv": (b"\x00\x01\x02PK\x03\x04", "binary file"),
        "latin.csv": ("date,branch,visits\n2024-01-01,Caf\xe9,1\n".encode("cp1252"), "not UTF-8 or GB18030"),
        "header.csv": (b"date,branch,visits\n", None),
        "quote.csv": (b'date,branch,visits\n2024-01-01,"Bezazian,1\n', "malformed CSV"),
    }
    before = table_snapshot(branches_db)
    for name, (content, expected) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        report = load(branches_db, path)
        if expected:
            assert report.status == "rejected", name
            assert expected in report.problems[0].reason, (name, report.problems)
    assert table_snapshot(branches_db) == before


def run_cli(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "data", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )


def test_cli_exit_codes_summary_and_status(tmp_path):
    db_file = tmp_path / "cli.duckdb"
    fixtures = ROOT / "tests" / "fixtures" / "import"
    good = write(tmp_path, "v.csv", "date,branch,visits\n2024-01-01,Bezazian,4\nTotal,,4\n")
    bad = write(tmp_path, "w.csv", "date,branch,visits\n2024-01-02,Bezazian,oops\n")
    result = run_cli("import", "--db", str(db_file), str(fixtures / "branches.csv"), str(good), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "rows read 2; accepted 1; skipped 1; rejected 0" in result.stdout
    result = run_cli("import", "--db", str(db_file), str(bad), cwd=tmp_path)
    assert result.returncode == 1 and f"{bad}:2, column 'visits', value 'oops'" in result.stdout
    result = run_cli("status", "--db", str(db_file), cwd=tmp_path)
    assert result.returncode == 0 and "visits" in result.stdout and "2024-01-01" in result.stdout


def test_folder_import_takes_branch_lists_first_whatever_their_name(fresh_db, tmp_path):
    write(tmp_path, "a_visits.csv", "date,branch,visits\n2024-01-01,Harbour,3\n")
    write(tmp_path, "z_services.csv", "code,name,district\nH1,Harbour,Bay\n")
    reports = import_paths(fresh_db, [tmp_path], Options(today=TODAY))
    assert [(r.source, r.status) for r in reports] == [("z_services.csv", "loaded"), ("a_visits.csv", "loaded")]


def test_a_database_held_by_another_process_gives_a_clear_message(tmp_path):
    db_file = tmp_path / "held.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; held = duckdb.connect({str(db_file)!r}); print('ok', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ok"
        good = write(tmp_path, "v.csv", "date,branch,visits\n2024-01-01,Bezazian,4\n")
        result = run_cli("import", "--db", str(db_file), str(good), cwd=tmp_path)
        assert result.returncode == 3 and "is open in another program" in result.stderr
        assert "Traceback" not in result.stderr
    finally:
        holder.kill()
        holder.wait(timeout=10)
