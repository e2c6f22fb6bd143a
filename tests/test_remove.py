"""Taking an import back (`python -m data remove`, data/remove.py, the Data page's control): real database
files written by the real importer through data.store, counts per table checked by hand against the small
exports below."""

from __future__ import annotations

import json
import re
import shutil
import signal
from pathlib import Path

import duckdb
import pytest
import streamlit as st
from conftest import FIXTURES, table_snapshot
from data_cli import start
from dbstate import digest
from streamlit.testing.v1 import AppTest

from data import cli, db, remove, store
from metrics import users

ROOT = Path(__file__).resolve().parents[1]
ENTRY = str(ROOT / "tests" / "app" / "entry.py")
DATA_PAGE = str(ROOT / "pages" / "data_status.py")
BRANCHES = FIXTURES / "import" / "branches.csv"  # 6 branches, 20 spellings (codes, names, Chinese names, aliases)

# 5 rows: 4 stored (one names a branch the list lacks: created with --allow-new-branches), one negative count
# set aside by --quarantine into rejected_rows.
VISITS = """date,branch,visits
2024-01-01,Central Library,100
2024-02-01,Central Library,110
2024-01-01,Albany Park,50
2024-01-01,Newtown,7
2024-02-01,Albany Park,-5
"""
# 3 circulation rows (two item types on 1 January at Central) -> 2 daily sums in circulation_daily.
LOANS = """date,branch,item type,checkouts
2024-01-01,Central Library,book,10
2024-01-01,Central Library,dvd,4
2024-01-02,Bezazian,book,6
"""


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def state(target: Path) -> dict:
    con, _ = store.open_reader(target)
    with con:
        return table_snapshot(con)


def query(target: Path, sql: str, params=None) -> list[tuple]:
    con, _ = store.open_reader(target)
    with con:
        return con.execute(sql, params or []).fetchall()


@pytest.fixture
def folder(tmp_path) -> Path:
    (tmp_path / "visits.csv").write_text(VISITS, encoding="utf-8")
    (tmp_path / "loans.csv").write_text(LOANS, encoding="utf-8")
    return tmp_path


@pytest.fixture
def target(folder, capsys) -> Path:
    """A database with the branch list (import 1), visits.csv (import 2) and loans.csv (import 3)."""
    path = folder / "kpi.duckdb"
    assert run(capsys, "import", "--db", str(path), str(BRANCHES))[0] == 0
    flags = ("--allow-new-branches", "--quarantine")
    assert run(capsys, "import", "--db", str(path), *flags, str(folder / "visits.csv"))[0] == 0
    assert run(capsys, "import", "--db", str(path), str(folder / "loans.csv"))[0] == 0
    assert query(path, "SELECT import_id, source_file FROM imports ORDER BY 1") == [
        (1, "branches.csv"),
        (2, "visits.csv"),
        (3, "loans.csv"),
    ]
    return path


def counts(output: str) -> dict[str, int]:
    """The `table  N rows` lines of a removal's report."""
    found = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == "rows":
            found[parts[0]] = int(parts[1].replace(",", ""))
    return found


# ---------------------------------------------------------------- the command


def test_remove_by_the_path_given_on_import(target, folder, capsys):
    before = store.token(target)
    code, out, err = run(capsys, "remove", "--db", str(target), str(folder / "visits.csv"))
    assert code == 0, err
    # 4 visits rows, the 1 quarantined row, and Newtown (created by this file, named by no other) with its 1 spelling.
    assert counts(out) == {"visits": 4, "rejected_rows": 1, "branches": 1, "branch_aliases": 1}
    assert "1 import(s) removed, 7 row(s) in all" in out
    assert store.token(target) != before
    assert query(target, "SELECT count(*) FROM visits") == [(0,)]
    assert query(target, "SELECT count(*) FROM branches WHERE branch_id = 'newtown'") == [(0,)]
    assert query(target, "SELECT count(*) FROM branches") == [(6,)]  # the list's branches stay
    assert query(target, "SELECT count(*), sum(checkouts) FROM circulation") == [(3, 20)]  # loans.csv untouched
    removed = query(target, "SELECT import_id FROM imports WHERE removed_at IS NOT NULL")
    assert removed == [(2,)] and query(target, "SELECT count(*) FROM imports") == [(3,)]  # kept, marked
    entry = store.read_journal(target)[-1]
    assert entry["action"] == "remove" and entry["source_file"] == "visits.csv" and entry["kind"] == "visits"


def test_remove_by_import_id_takes_the_daily_sums_too(target, capsys):
    code, out, err = run(capsys, "remove", "--db", str(target), "3")
    assert code == 0, err
    assert counts(out) == {"circulation": 3, "circulation_daily": 2}
    assert query(target, "SELECT count(*) FROM circulation") == [(0,)]
    assert query(target, "SELECT count(*) FROM circulation_daily") == [(0,)]
    assert query(target, "SELECT count(*) FROM visits") == [(4,)]


def test_a_relative_path_a_bare_name_and_a_moved_file_all_match(target, folder, capsys, monkeypatch):
    monkeypatch.chdir(folder)
    assert run(capsys, "remove", "--db", str(target), "--dry-run", "visits.csv")[0] == 0  # relative, and its name
    moved = folder / "elsewhere" / "renamed.csv"
    moved.parent.mkdir()
    shutil.move(folder / "loans.csv", moved)
    code, out, _ = run(capsys, "remove", "--db", str(target), "elsewhere/renamed.csv")  # by its content
    assert code == 0 and counts(out)["circulation"] == 3


def test_dry_run_counts_and_changes_nothing(target, folder, capsys):
    before, snapshot = store.token(target), state(target)
    code, out, _ = run(capsys, "remove", "--db", str(target), "--dry-run", str(folder / "visits.csv"), "3")
    assert code == 0 and "WOULD REMOVE" in out and "dry run: nothing changed" in out
    assert counts(out) == {
        "visits": 4,
        "rejected_rows": 1,
        "branches": 1,
        "branch_aliases": 1,
        "circulation": 3,
        "circulation_daily": 2,
    }
    assert store.token(target) == before and state(target) == snapshot


@pytest.mark.parametrize("wanted", ["nowhere.csv", "99", "branches"])
def test_a_name_that_matches_nothing_is_refused_and_changes_nothing(target, folder, capsys, wanted):
    before, snapshot, journal = store.token(target), state(target), store.read_journal(target)
    # visits.csv is removable: nothing is removed all the same, because one of the names is not.
    code, out, err = run(capsys, "remove", "--db", str(target), str(folder / "visits.csv"), wanted)
    assert code == 1
    assert f"{wanted}: no import" in err and "nothing was removed" in err and out == ""
    assert store.token(target) == before and state(target) == snapshot and store.read_journal(target) == journal


def test_no_database_is_an_error(tmp_path, capsys):
    code, _, err = run(capsys, "remove", "--db", str(tmp_path / "none.duckdb"), "1")
    assert code == 1 and "no database" in err and not (tmp_path / "none.duckdb").exists()


def test_removing_twice_says_it_was_already_removed(target, capsys):
    assert run(capsys, "remove", "--db", str(target), "2")[0] == 0
    before = store.token(target)
    code, _, err = run(capsys, "remove", "--db", str(target), "2")
    assert code == 1 and "already removed" in err and store.token(target) == before


def test_status_shows_the_removed_import(target, capsys):
    assert run(capsys, "remove", "--db", str(target), "2")[0] == 0
    code, out, _ = run(capsys, "status", "--db", str(target))
    assert code == 0
    assert "imports: 3 in the history: 2 in use, 0 replaced by a later version of the file, 1 removed" in out
    history = out.split("imports: ", 1)[1].splitlines()[1:]
    assert [line.split()[:2] for line in history] == [["3", "in"], ["2", "REMOVED"], ["1", "in"]]
    assert history[1].split("  ")[-1].startswith("visits.csv (visits), removed ")
    visits_line = next(line for line in out.splitlines() if line.startswith("visits "))
    assert visits_line.split()[1] == "0" and visits_line.rstrip().endswith("0")  # no rows, no current import


def test_reimport_after_removal_loads_it_again(target, folder, capsys):
    loaded = state(target)
    assert run(capsys, "remove", "--db", str(target), "2")[0] == 0
    code, out, _ = run(
        capsys, "import", "--db", str(target), "--allow-new-branches", "--quarantine", str(folder / "visits.csv")
    )
    assert code == 0 and "visits.csv: QUARANTINED" in out  # loaded again, not "already imported"
    assert query(target, "SELECT count(*), sum(visits) FROM visits") == [(4, 267)]
    assert query(target, "SELECT import_id FROM imports WHERE source_file = 'visits.csv' AND removed_at IS NULL") == [
        (4,)
    ]
    again = state(target)
    assert again["visits"] == loaded["visits"] and again["branches"] == loaded["branches"]
    # And the import that is in the database now can be removed in its turn.
    assert run(capsys, "remove", "--db", str(target), str(folder / "visits.csv"))[0] == 0


def test_an_earlier_version_of_a_file_points_at_the_later_one(target, folder, capsys):
    (folder / "loans.csv").write_text(LOANS.replace(",6\n", ",9\n"), encoding="utf-8")
    assert run(capsys, "import", "--db", str(target), str(folder / "loans.csv"))[0] == 0  # import 4 replaces 3
    before = store.token(target)
    code, _, err = run(capsys, "remove", "--db", str(target), "3")
    assert code == 1 and "followed by import 4" in err and "rows were replaced" in err and "Remove import 4" in err
    assert store.token(target) == before
    code, out, _ = run(capsys, "remove", "--db", str(target), str(folder / "loans.csv"))
    assert code == 0 and "import 3, 4" in out and counts(out) == {"circulation": 3, "circulation_daily": 2}
    # Neither version is in the database: the first one imports again.
    (folder / "loans.csv").write_text(LOANS, encoding="utf-8")
    code, out, _ = run(capsys, "import", "--db", str(target), str(folder / "loans.csv"))
    assert code == 0 and "LOADED" in out


def test_a_branch_list_goes_only_when_nothing_names_its_branches(target, folder, capsys):
    before = store.token(target)
    code, _, err = run(capsys, "remove", "--db", str(target), str(BRANCHES))
    # visits.csv names Central twice and Albany Park once, loans.csv Central twice and Bezazian once.
    assert code == 1 and "branches.csv: 3 of its branches are still named by 6 row(s)" in err
    assert store.token(target) == before
    # The facts and the list together: everything goes, facts first.
    code, out, err = run(capsys, "remove", "--db", str(target), "1", "2", "3")
    assert code == 0, err
    assert query(target, "SELECT (SELECT count(*) FROM branches), (SELECT count(*) FROM branch_aliases)") == [(0, 0)]
    assert re.search(r"branch_aliases +20 rows", out)  # the list's own spellings


def test_a_branch_another_file_still_names_is_kept(target, folder, capsys):
    other = folder / "more.csv"
    other.write_text("date,branch,visits\n2024-03-01,Newtown,8\n", encoding="utf-8")
    assert run(capsys, "import", "--db", str(target), str(other))[0] == 0
    code, out, _ = run(capsys, "remove", "--db", str(target), "2")
    assert code == 0 and "kept 1 branch(es) it created that other files still name: newtown" in out
    assert "branches" not in counts(out)
    assert query(target, "SELECT visits FROM visits") == [(8,)]


@pytest.mark.parametrize(
    ("name", "text", "kind", "rows"),
    [
        (
            "events.csv",
            "event_id,date,branch,title,attendance\ne1,2024-01-05,Bezazian,Talk,30\n"
            "e2,2024-01-06,Central Library,Story,12\n",
            "events",
            2,
        ),
        (
            "survey.csv",
            "respondent_id,date,branch,question,score,scale_max\nr1,2024-01-01,Bezazian,overall,5,5\n"
            "r2,2024-01-01,Bezazian,overall,4,5\nr3,2024-01-02,Albany Park,overall,3,5\n",
            "surveys",
            3,
        ),
        ("targets.csv", "year,branch,metric,target\n2026,,visits,1000\n2026,Bezazian,loans,50\n", "targets", 2),
        ("measures.csv", "月份,分馆,指标,数值\n2024年1月,中心馆,新增持证读者,12\n", "measures", 1),
    ],
)
def test_every_fact_table_gives_its_rows_back(target, folder, capsys, name, text, kind, rows):
    (folder / name).write_text(text, encoding="utf-8")
    assert run(capsys, "import", "--db", str(target), str(folder / name))[0] == 0
    before = state(target)
    code, out, _ = run(capsys, "remove", "--db", str(target), name)
    assert code == 0 and counts(out) == {kind: rows}
    after = state(target)
    # Besides the table and the audit log, only the data checks kept for the new data and their stamp may change.
    moved = (kind, "imports", "meta", "quality_findings")
    assert after[kind] == [] and {t: v for t, v in after.items() if t not in moved} == {
        t: v for t, v in before.items() if t not in moved
    }


@pytest.mark.parametrize("step", ["imported", "linked"])
def test_a_removal_killed_before_it_is_published_changes_nothing(target, capsys, step):
    """The same writer as imports: killed before the rename, the database and its journal are as before, and
    the next removal cleans up after the dead one."""
    before, journal = digest(target), store.read_journal(target)
    proc = start("remove", "--db", str(target), "2", env={store.PAUSE_ENV: step})
    try:
        assert proc.stderr.readline().strip() == f"paused at {step}"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert digest(target) == before and store.read_journal(target) == journal
    assert run(capsys, "remove", "--db", str(target), "2")[0] == 0
    assert not [p for p in store.generations(target).iterdir() if p.name.startswith("work-")]


# ---------------------------------------------------------------- rebuild


def test_rebuild_replays_the_removal(target, folder, capsys):
    assert run(capsys, "remove", "--db", str(target), str(folder / "visits.csv"))[0] == 0
    removed = digest(target)
    store.current_file(target).write_bytes(b"damaged")
    code, out, err = run(capsys, "rebuild", "--db", str(target))
    assert code == 0, err
    assert "from 3 export(s) and 1 removal(s)" in out
    assert digest(target) == removed  # every table, the removal mark and its time included


def test_rebuild_replays_import_remove_import_in_order(target, folder, capsys):
    assert run(capsys, "remove", "--db", str(target), "2")[0] == 0
    flags = ("--allow-new-branches", "--quarantine")
    assert run(capsys, "import", "--db", str(target), *flags, str(folder / "visits.csv"))[0] == 0
    assert run(capsys, "remove", "--db", str(target), "3")[0] == 0
    expected = digest(target)
    assert [e.get("action", "import") for e in store.read_journal(target)] == [
        "import",
        "import",
        "import",
        "remove",
        "import",
        "remove",
    ]
    assert run(capsys, "rebuild", "--db", str(target))[0] == 0
    assert digest(target) == expected


def test_rebuild_stops_when_the_journal_removes_what_it_did_not_import(target, capsys):
    assert run(capsys, "remove", "--db", str(target), "3")[0] == 0
    journal = store.journal_path(target)
    entries = [json.loads(line) for line in journal.read_text().splitlines()]
    entries[-1]["sha256"] = "0" * 64
    journal.write_text("".join(json.dumps(e) + "\n" for e in entries))
    before = store.token(target)
    code, _, err = run(capsys, "rebuild", "--db", str(target))
    assert code == 1 and "does not hold that version" in err and store.token(target) == before


# ---------------------------------------------------------------- a database from the version before removal


def test_an_older_database_is_read_as_is_and_migrated_when_written(folder, capsys):
    plain = folder / "old.duckdb"
    con = db.connect(plain)
    con.execute("ALTER TABLE imports DROP COLUMN removed_at")  # the imports table as older versions made it
    con.execute(
        "INSERT INTO imports (source_file, path, content_hash, kind, layout, rows_read, rows_accepted, rows_skipped, "
        "rows_rejected) VALUES ('a.csv', 'a.csv', 'x', 'visits', 'long', 1, 1, 0, 0)"
    )
    con.close()
    reader = duckdb.connect(str(plain), read_only=True)
    assert list(remove.history(reader)["status"]) == ["active"]
    assert db.data_version(reader) == 1 and db.status(reader)[1]["table"] == "visits"
    reader.close()
    assert run(capsys, "status", "--db", str(plain))[0] == 0
    code, out, _ = run(capsys, "remove", "--db", str(plain), "--dry-run", "1")
    assert code == 0 and "WOULD REMOVE" in out
    assert run(capsys, "remove", "--db", str(plain), "1")[0] == 0  # the first write adds the column
    assert query(plain, "SELECT removed_at IS NOT NULL FROM imports") == [(True,)]


# ---------------------------------------------------------------- the Data page


@pytest.fixture
def page_env(target, monkeypatch):
    monkeypatch.setenv("KPI_DB", str(target))
    monkeypatch.delenv(users.USERS_ENV_VAR, raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield target
    st.cache_data.clear()
    st.cache_resource.clear()


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.message for e in at.exception]
    return at


def data_page() -> AppTest:
    at = ok(AppTest.from_file(ENTRY, default_timeout=60).run())
    at.switch_page(DATA_PAGE)
    return ok(at.run())


def history_statuses(at: AppTest, column: str = "Status") -> dict[int, str]:
    frame = next(d.value for d in at.dataframe if column in d.value.columns)
    key = frame.columns[0]
    return dict(zip(frame[key], frame[column], strict=True))


def test_a_director_removes_an_import_from_the_data_page(page_env):
    at = data_page()
    assert "Take an import back" in [h.value for h in at.subheader]
    assert history_statuses(at) == {3: "in use", 2: "in use", 1: "in use"}
    at.selectbox(key="remove_pick").set_value(2)
    at = ok(at.button(key="remove_ask").click().run())
    # The confirmation says what goes, counted before anything changes.
    assert at.warning and "Removing this import takes 7 rows" in at.warning[0].value
    assert [c.value for c in at.code] == ["visits.csv"]
    shown = next(d.value for d in at.dataframe if list(d.value.columns) == ["Table", "Rows"])
    assert shown.values.tolist() == [
        ["Visits", "4"],
        ["Rejected rows", "1"],
        ["Branches", "1"],
        ["Branch spellings", "1"],
    ]
    assert query(page_env, "SELECT count(*) FROM visits") == [(4,)]
    at = ok(at.button(key="remove_confirm").click().run())
    assert at.success and "The import was removed: 7 rows left the database." in at.success[0].value
    assert [c.value for c in at.code] == ["visits.csv"]
    assert history_statuses(at) == {3: "in use", 2: "removed", 1: "in use"}
    assert query(page_env, "SELECT count(*) FROM visits") == [(0,)]
    assert store.read_journal(page_env)[-1]["action"] == "remove"
    assert not [o for o in at.selectbox(key="remove_pick").options if o.startswith("2 ·")]  # nothing left to remove


def test_cancel_removes_nothing_and_a_branch_list_in_use_is_refused_in_chinese(page_env):
    at = data_page()
    at.selectbox(key="remove_pick").set_value(3)
    at = ok(at.button(key="remove_ask").click().run())
    before = store.token(page_env)
    at = ok(at.button(key="remove_cancel").click().run())
    assert not at.warning and store.token(page_env) == before
    at.sidebar.button_group(key="lang").set_value("zh")
    at = ok(at.run())
    assert history_statuses(at, "状态") == {3: "使用中", 2: "使用中", 1: "使用中"}
    at.selectbox(key="remove_pick").set_value(1)
    at = ok(at.button(key="remove_ask").click().run())
    assert at.error and "无法撤销此分馆名单：其他文件仍有 6 行" in at.error[0].value
    assert not [b for b in at.button if b.key == "remove_confirm"] and store.token(page_env) == before


@pytest.mark.parametrize("role", ["viewer", "sup"])
def test_viewers_and_supervisors_get_no_remove_control(page_env, monkeypatch, tmp_path, role):
    from test_auth import PASSWORDS, signing_in, submit

    signing_in(monkeypatch, tmp_path)
    at = submit(ok(AppTest.from_file(ENTRY, default_timeout=60).run()), role, PASSWORDS[role])
    at.switch_page(DATA_PAGE)
    at = ok(at.run())
    assert at.title and at.title[0].value == "Data"
    headers = [h.value for h in at.subheader]
    assert "Take an import back" not in headers and "Import history" not in headers
    assert not [s for s in at.selectbox if s.key == "remove_pick"]
    assert not [b for b in at.button if b.key in ("remove_ask", "remove_confirm")]
