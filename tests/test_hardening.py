"""Issue 16, items 3-8: what the security review found beside sign-in, each as a test that failed before.

- 3. hand-made links and upload names get a translated message, never an exception; no traceback details
  reach a browser outside development;
- 4. an export's name is a name, never a glob pattern (DuckDB's readers would expand `mob?.csv`);
- 5. everything under the database's folder is owner-only, on every write;
- 6. formula-leading text is refused in branch lists and events, and `metrics query --format csv`
  neutralises it like the downloads;
- 7. suggestions for an unknown branch name only branches in the user's scope; `metrics users` warns when
  a supervisor's list holds a main library;
- 8. `make run` binds to 127.0.0.1 and says what it installs; secrets are git-ignored.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import shutil
import subprocess
import tomllib
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from conftest import FIXTURES, table_snapshot
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest
from test_dashboard import app_env, open_app, sample_db, title  # noqa: F401 (fixtures)
from test_import_fastpath import transactions

from data import cli as data_cli
from data import db, fastpath, store
from metrics import cli as metrics_cli
from pages import PAGES, _data
from pages._i18n import STRINGS

ROOT = Path(__file__).resolve().parents[1]

# ------------------------------------------------------------------- 3. no tracebacks, hostile links

LONG = "x" * 5000
HOSTILE_LINKS = {
    "year-1": ({"period": "custom", "date_from": "0001-01-01"}, ["date_from"]),
    "year-9999": ({"period": "custom", "date_to": "9999-12-31"}, ["date_to"]),
    "reversed": ({"period": "custom", "date_from": "2026-03-01", "date_to": "2025-03-01"}, ["date_from", "date_to"]),
    "numbers": ({"fy": "0", "lfl": "maybe"}, ["fy", "lfl"]),
    "huge-int": ({"fy": "9" * 5000}, ["fy"]),
    "long-list": ({"branches": ",".join(["north"] * 600), "districts": LONG}, ["branches", "districts"]),
    "long-text": ({"metric": LONG, "lang": LONG, "drill": LONG, "date_from": LONG}, ["lang", "date_from"]),
}


def warnings(at: AppTest) -> list[str]:
    return [w.value for w in at.warning]


# The review's link, with the other hostile values of a query string, on every page.
EVERY_PAGE_LINK = (
    {"period": "custom", "date_from": "0001-01-01", "fy": "0", "lfl": "maybe", "branches": LONG},
    ["date_from", "fy", "lfl", "branches"],
)


@pytest.mark.parametrize(
    ("page", "case"),
    [(key, "every-page") for _, key, _, _ in PAGES] + [("overview", case) for case in HOSTILE_LINKS],
)
@pytest.mark.usefixtures("app_env")
def test_hostile_links_render_a_message_never_an_exception(page, case):
    query, named = HOSTILE_LINKS.get(case, EVERY_PAGE_LINK)
    at = open_app(page, query)  # asserts that no exception was raised
    assert [t.value for t in at.title] == [title(page)]
    said = [w for w in warnings(at) if w.startswith(STRINGS["link_ignored"][0].split("{")[0])]
    assert len(said) == 1, warnings(at)
    for key in named:
        assert key in said[0]
    assert LONG not in said[0]
    assert not set(query) & set(at.query_params) - {"period"}  # the link is rewritten without them


@pytest.mark.usefixtures("app_env")
def test_the_message_is_translated_and_goes_once_the_view_changes():
    at = open_app("overview", {"lang": "zh", "period": "custom", "date_from": "0001-01-01"})
    assert warnings(at) == [STRINGS["link_ignored"][1].format(names="date_from")]
    at.sidebar.selectbox(key="period").set_value("last_year")
    at.run()
    assert not at.exception and warnings(at) == []


@pytest.mark.usefixtures("app_env")
def test_a_good_link_says_nothing_and_reversed_picks_are_named():
    at = open_app("overview", {"period": "custom", "date_from": "1900-01-01", "date_to": "2100-12-31", "fy": "12"})
    assert warnings(at) == []
    at.sidebar.date_input(key="date_from").set_value("2100-12-31")
    at.sidebar.date_input(key="date_to").set_value("2100-01-01")
    at.run()
    assert not at.exception and warnings(at) == [STRINGS["dates_reversed"][0]]


def test_tracebacks_are_off_outside_development():
    """The shipped config shows no error details (`false` would still show the stack trace), and under it
    an exception's message and trace, with the server's paths, never reach the browser."""
    shipped = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert shipped["client"]["showErrorDetails"] == "none"
    before = st_config.get_option("client.showErrorDetails")
    st_config.set_option("client.showErrorDetails", shipped["client"]["showErrorDetails"])
    try:
        at = AppTest.from_string("raise ValueError('/srv/secret/path/kpi.duckdb is broken')").run()
    finally:
        st_config.set_option("client.showErrorDetails", before)
    assert len(at.exception) == 1
    shown = at.exception[0]
    assert "/srv/secret" not in shown.message and not any("/srv/secret" in line for line in shown.stack_trace)
    assert not shown.stack_trace


@pytest.mark.parametrize(
    "name",
    ["v" * 300 + ".csv", "访" * 80 + ".csv", "visits\x00.csv", "bad\nname.csv", "..", " "],
    ids=["300-latin", "80-chinese", "nul", "newline", "dots", "blank"],
)
def test_unusable_upload_names_are_refused_before_anything_is_written(tmp_path, name):
    assert _data.upload_name_problem(name)
    with pytest.raises(ValueError, match="name"):
        _data.import_uploads(str(tmp_path / "kpi.duckdb"), [(name, b"date,branch,visits\n")], False, False)
    assert list(tmp_path.iterdir()) == []


def test_ordinary_upload_names_pass():
    for name in ("visits_2024.csv", "到馆人次2024年.csv", "v" * 96 + ".csv", "访" * 69 + ".csv", "C:\\x\\loans.csv"):
        assert not _data.upload_name_problem(name), name


@pytest.fixture(autouse=True)
def _clear_caches():
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


# ------------------------------------------------------------------- 4. an export's name is a name


def _tables(path: Path) -> dict:
    con = db.connect(path, read_only=True)
    try:
        snapshot = table_snapshot(con)
    finally:
        con.close()
    return {name: rows for name, rows in snapshot.items() if name not in ("imports", "rejected_rows")}


@pytest.mark.parametrize("name", ["mob?.csv", "mob[A].csv", "mob*.csv", "mob\\?.csv"])
def test_a_glob_character_in_a_name_reads_that_file_only(tmp_path, name):
    """The review's case: `mob?.csv` beside `mobA.csv` read 8,001 rows, then refused `mobA.csv` as a
    double count, and `rebuild` no longer reproduced the data."""
    folder = tmp_path / "exports"
    folder.mkdir()
    glob_named, beside = folder / name, folder / "mobA.csv"
    transactions(glob_named, 8000)  # large enough for the DuckDB fast path
    header = "Transaction Date,Location,Transaction Type,Material Type,Borrower Type\n"
    beside.write_text(header + "2023-06-01 10:00:00,BEZAZIAN,Checkout,Book,Adult\n", encoding="utf-8")
    target = tmp_path / "kpi.duckdb"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert data_cli.main(["import", "--db", str(target), str(FIXTURES / "import" / "branches.csv")]) == 0
        assert data_cli.main(["import", "--db", str(target), str(glob_named)]) == 0, out.getvalue()
        assert data_cli.main(["import", "--db", str(target), str(beside)]) == 0, out.getvalue()
    con = db.connect(target, read_only=True)
    try:
        logged = con.execute("SELECT source_file, rows_read FROM imports WHERE kind = 'circulation' ORDER BY 1")
        assert sorted(logged.fetchall()) == sorted([(name, 8000), ("mobA.csv", 1)])
        events = con.execute("SELECT sum(checkouts + renewals + returns) FROM circulation").fetchone()[0]
    finally:
        con.close()
    acted = sum(1 for line in glob_named.read_text().splitlines()[1:] if line.split(",")[2].lower() != "hold")
    assert events == acted + 1
    before = _tables(target)
    with contextlib.redirect_stdout(out):
        assert data_cli.main(["rebuild", "--db", str(target)]) == 0, out.getvalue()
    assert _tables(target) == before


def test_exact_file_names_are_escaped_not_copied(tmp_path):
    plain = tmp_path / "loans.csv"
    with fastpath.exact_file(str(plain)) as name:
        assert name == str(plain)
    with fastpath.exact_file(str(tmp_path / "a[1]*?.csv")) as name:
        assert name.endswith("a[[]1[]][*][?].csv")


# ------------------------------------------------------------------- 6. formula-safe everywhere

FORMULA = '=HYPERLINK("http://x.invalid","Bay")'
BRANCH_HEADER = "branch_id,name,name_zh,kind,parent_id,district,service_population,opened_on,closed_on,aliases\n"


def _branch_list(folder: Path, district: str) -> Path:
    path = folder / "more_branches.csv"
    cell = '"' + district.replace('"', '""') + '"'
    path.write_text(
        BRANCH_HEADER
        + f"harbour,Harbour Branch,港湾分馆,branch,central,{cell},1200,2020-01-01,,Harbour\n"
        + "hill,Hill Branch,山丘分馆,branch,central,Hill,900,2020-01-01,,\n",
        encoding="utf-8",
    )
    return path


def _cli(module_main, *argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = module_main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def small_db(tmp_path) -> Path:
    """The hand-made branch list (central is the main library) and a month of visits, by the data CLI."""
    target = tmp_path / "kpi.duckdb"
    visits = tmp_path / "visits.csv"
    visits.write_text(
        "date,branch,visits\n2024-05-01,Albany Park,10\n2024-05-01,Bezazian,20\n2024-05-01,Chinatown,30\n",
        encoding="utf-8",
    )
    assert _cli(data_cli.main, "import", "--db", str(target), str(FIXTURES / "import" / "branches.csv"))[0] == 0
    assert _cli(data_cli.main, "import", "--db", str(target), str(visits))[0] == 0
    return target


def test_a_formula_district_in_a_branch_list_is_refused_with_its_place(small_db, tmp_path):
    before = _tables(small_db)
    listed = _branch_list(tmp_path, FORMULA)
    code, out, _ = _cli(data_cli.main, "import", "--db", str(small_db), str(listed))
    assert code == 1
    assert f"{listed}:2, column 'district'" in out and "not a district: a spreadsheet formula" in out
    assert _tables(small_db) == before


def test_metrics_query_csv_neutralises_formula_cells_as_the_downloads_do(small_db, tmp_path):
    """A database an older importer wrote may hold formula text; the CLI's CSV neutralises it."""
    import hostile_data

    with hostile_data.formulas_let_through():
        assert _cli(data_cli.main, "import", "--db", str(small_db), str(_branch_list(tmp_path, FORMULA)))[0] == 0
    visits = tmp_path / "harbour.csv"
    visits.write_text("date,branch,visits\n2024-05-02,Harbour Branch,7\n", encoding="utf-8")
    assert _cli(data_cli.main, "import", "--db", str(small_db), str(visits))[0] == 0
    code, out, err = _cli(
        metrics_cli.main, "query", "--db", str(small_db), "--metric", "visits", "--grain", "year", "--by", "district"
    )
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(out)))
    districts = [row[1] for row in rows[1:]]
    assert "'" + FORMULA in districts and FORMULA not in districts
    frame = pd.DataFrame({"district": [FORMULA, "North", "-5 Street", "＠x"], "value": [7, 30, -1, 2]})
    assert list(to_csv_rule(frame)["district"]) == [f"'{FORMULA}", "North", "'-5 Street", "'＠x"]
    assert [metrics_cli_neutralised(v) for v in frame["district"]] == list(to_csv_rule(frame)["district"])


def to_csv_rule(frame):
    from pages._export import neutralise

    return neutralise(frame)


def metrics_cli_neutralised(value) -> str:
    """One cell as `metrics query --format csv` writes it."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        metrics_cli._write_csv([{"district": value}], ["district"])
    return next(csv.reader(io.StringIO(buffer.getvalue().splitlines()[1])))[0]


# ------------------------------------------------------------------- 7. scope in every corner


def _users_file(folder: Path, branches: list[str], mode: int = 0o600) -> Path:
    path = folder / "users.toml"
    listed = ", ".join(f'"{b}"' for b in branches)
    path.write_text(
        f'[users.sup]\nrole = "supervisor"\nbranches = [{listed}]\nemail = "sup@example.org"\n'
        '[users.dir]\nrole = "director"\nemail = "dir@example.org"\n',
        encoding="utf-8",
    )
    path.chmod(mode)
    return path


def test_closest_names_are_only_branches_in_the_users_scope(small_db, tmp_path):
    users_file = _users_file(tmp_path, ["albany"])
    base = ["query", "--db", str(small_db), "--metric", "visits", "--users", str(users_file)]
    code, _, err = _cli(metrics_cli.main, *base, "--branch", "Bezazan")
    assert code == 2 and "bezazian" in err.lower()  # without a user: the whole network
    for typo in ("Bezazan", "Chinatwn", "Central Libary"):
        code, _, err = _cli(metrics_cli.main, *base, "--as-user", "sup", "--branch", typo)
        assert code == 2 and "unknown branch" in err
        suggested = err.lower().partition("closest")[2]
        assert not any(name in suggested for name in ("bezazian", "chinatown", "central", "main")), err
    code, _, err = _cli(metrics_cli.main, *base, "--as-user", "sup", "--branch", "Albany Prk")
    assert code == 2 and "albany park" in err.lower()
    code, _, err = _cli(metrics_cli.main, *base, "--as-user", "dir", "--branch", "Chinatwn")
    assert code == 2 and "chinatown" in err.lower()


def test_metrics_users_warns_of_a_main_library_and_a_readable_file(small_db, tmp_path):
    quiet = _users_file(tmp_path, ["albany"])
    code, out, err = _cli(metrics_cli.main, "users", "--users", str(quiet), "--db", str(small_db))
    assert code == 0 and "sup" in out and err == ""
    everything = _users_file(tmp_path, ["central", "albany"], mode=0o644)
    code, out, err = _cli(metrics_cli.main, "users", "--users", str(everything), "--db", str(small_db))
    assert code == 0
    assert "sup's branches include central, a main library: it brings every service point under it (5)" in err
    assert f"{everything} can be read by every user of this machine (mode 0644)" in err and "chmod 600" in err


# ------------------------------------------------------------------- 5. private by default


def _modes(folder: Path) -> dict[str, str]:
    """Every folder and file under `folder` (itself included) with its permission bits; links skipped."""
    found = {".": oct(folder.stat().st_mode & 0o777)}
    for path in sorted(folder.rglob("*")):
        if not path.is_symlink():
            found[str(path.relative_to(folder))] = oct(path.stat().st_mode & 0o777)
    return found


@pytest.fixture
def umask_022():
    before = os.umask(0o022)
    yield
    os.umask(before)


@pytest.mark.usefixtures("umask_022")
def test_everything_under_the_database_folder_is_owner_only(tmp_path):
    exports = tmp_path / "exports"
    exports.mkdir()
    good = exports / "visits.csv"
    good.write_text("date,branch,visits\n2024-05-01,Albany Park,10\n2024-05-02,Bezazian,20\n", encoding="utf-8")
    mixed = exports / "visits_mixed.csv"
    mixed.write_text("date,branch,visits\n2024-06-01,Albany Park,10\n2024-06-02,Nowhere Branch,5\n", encoding="utf-8")
    folder = tmp_path / "db"
    target = folder / "kpi.duckdb"
    assert _cli(data_cli.main, "import", "--db", str(target), str(FIXTURES / "import" / "branches.csv"))[0] == 0
    assert _cli(data_cli.main, "import", "--db", str(target), str(good))[0] == 0
    assert _cli(data_cli.main, "import", "--db", str(target), "--quarantine", str(mixed))[0] == 0
    upload = b"date,branch,visits\n2024-07-01,Chinatown,3\n"
    [(_, report)] = _data.import_uploads(str(target), [("july.csv", upload)], False, False)
    assert report.ok
    modes = _modes(folder)
    assert {"kpi_rejected/visits_mixed.rejected.csv", "kpi_uploads", "kpi.duckdb.imports.jsonl"} <= set(modes)
    assert {"kpi.duckdb.lock", "kpi.duckdb.d"} <= set(modes) and len(modes) >= 9
    wide = {name: mode for name, mode in modes.items() if mode not in ("0o700", "0o600")}
    assert wide == {}
    assert all(mode == "0o700" for name, mode in modes.items() if (folder / name).is_dir())

    # Files an older version left at 0644 are tightened by the next write; a rebuild keeps them private.
    for path in (store.current_file(target), store.journal_path(target), folder / "kpi.duckdb.lock"):
        path.chmod(0o644)
    store.generations(target).chmod(0o755)
    later = exports / "visits_august.csv"
    later.write_text("date,branch,visits\n2024-08-01,Albany Park,4\n", encoding="utf-8")
    assert _cli(data_cli.main, "import", "--db", str(target), str(later))[0] == 0
    assert _cli(data_cli.main, "rebuild", "--db", str(target))[0] == 0
    assert {name: mode for name, mode in _modes(folder).items() if mode not in ("0o700", "0o600")} == {}


# ------------------------------------------------------------------- 8. deployment defaults


def _make_dry_run(*args) -> list[str]:
    result = subprocess.run(["make", "-n", *args], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_listens_on_this_machine_only_unless_told(tmp_path):
    served = [line for line in _make_dry_run("run") if "streamlit run" in line]
    assert len(served) == 1 and "--server.address 127.0.0.1" in served[0]
    served = [line for line in _make_dry_run("run", "ADDRESS=0.0.0.0") if "streamlit run" in line]
    assert "--server.address 0.0.0.0" in served[0]
    venv = tmp_path / "venv"
    install = _make_dry_run(f"VENV={venv}", f"{venv}/.installed")
    assert not any("--quiet" in line for line in install)
    pip_steps = [i for i, line in enumerate(install) if " -m pip install" in line or " -m venv" in line]
    assert len(pip_steps) == 3
    for step in pip_steps:  # each step is announced on the line before it
        assert install[step - 1].startswith("echo "), install


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_secrets_and_users_files_are_git_ignored():
    ignored = [".streamlit/secrets.toml", "users.toml", "deploy/users-prod.toml", "cookie.secret", ".env"]
    kept = ["tests/fixtures/users/users.toml", "README.md", ".streamlit/config.toml"]
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", *ignored, *kept], cwd=ROOT, capture_output=True, text=True
    )
    assert result.stdout.split() == ignored


def test_a_formula_item_type_in_a_large_transaction_export_is_refused_with_its_lines(tmp_path):
    """The fast path hands such a file to the row path, which names the lines and the column."""
    target = tmp_path / "kpi.duckdb"
    export = tmp_path / "loans.csv"
    transactions(export, 8000, items=("Book", "=1+1"))
    assert _cli(data_cli.main, "import", "--db", str(target), str(FIXTURES / "import" / "branches.csv"))[0] == 0
    before = _tables(target)
    code, out, _ = _cli(data_cli.main, "import", "--db", str(target), str(export))
    assert code == 1 and "not an item type: a spreadsheet formula" in out and "column 'Material Type'" in out
    assert _tables(target) == before
