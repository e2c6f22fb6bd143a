"""Shared fixtures: real DuckDB files built by the real importer, never mocks."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import shutil
import tempfile
from pathlib import Path

import pytest

from data import db
from data.cli import build_sample
from data.importer import Options, import_file

FIXTURES = Path(__file__).parent / "fixtures"
TODAY = dt.date(2026, 11, 21)  # fixed so that "future date" checks do not drift with the calendar


@pytest.fixture(scope="session")
def sample_db_path(tmp_path_factory) -> Path:
    """The database built from data/sample/ exactly as the run command builds it, once per test session.

    Shared by every module: open it read-only. A test that writes (an import, a removal) takes its own
    copy with `sample_db_copy` instead.
    """
    path = tmp_path_factory.mktemp("sample_db") / "kpi.duckdb"
    with contextlib.redirect_stdout(io.StringIO()):  # the import report of every sample file
        assert build_sample(str(path)) == 0
    return path


@pytest.fixture
def sample_db_copy(sample_db_path, tmp_path) -> Path:
    """A private copy of the sample database (the link, its generations and its journal) for a test that writes."""
    folder = tmp_path / "sample_db"
    shutil.copytree(sample_db_path.parent, folder, symlinks=True)
    return folder / sample_db_path.name


@pytest.fixture
def sample_app(sample_db_path, monkeypatch):
    """$KPI_DB at the bundled sample for a page under AppTest, with Streamlit's caches empty before and after."""
    import streamlit as st

    monkeypatch.setenv("KPI_DB", str(sample_db_path))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield sample_db_path
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def fresh_db(tmp_path):
    """An empty database file with the schema."""
    con = db.connect(tmp_path / "kpi.duckdb")
    yield con
    con.close()


@pytest.fixture
def branches_db(fresh_db):
    """A database holding the small hand-made branch list of tests/fixtures/import/branches.csv."""
    report = import_file(fresh_db, FIXTURES / "import" / "branches.csv", Options(today=TODAY))
    assert report.status == "loaded", report.problems
    return fresh_db


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8", newline: str = "\n") -> Path:
    """Write a small export for one test, with the encoding and line endings it needs."""
    path = tmp_path / name
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    return path


def load(con, path: Path, **options) -> object:
    """Import one file with a fixed today; returns the report."""
    return import_file(con, path, Options(today=TODAY, quarantine_dir=path.parent / "rejected", **options))


def table_snapshot(con) -> dict:
    """Every table's full content, to prove that a rejected import changed nothing."""
    tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()]
    return {t: sorted(map(repr, con.execute(f"SELECT * FROM {t}").fetchall())) for t in tables}


def _full_error_details() -> None:
    """The shipped .streamlit/config.toml shows users no error details (`none`); the tests want them in
    their failure messages (tests/test_hardening.py checks the shipped value separately)."""
    from streamlit import config

    config.set_option("client.showErrorDetails", "full")


_full_error_details()


_BRANCHES_ONLY: list[bytes] = []


@contextlib.contextmanager
def branches_database(files: dict[str, str]):
    """A fresh database file holding the fixture branch list and the exports {file name: text}, imported by
    the real importer; for hypothesis examples, which function-scoped fixtures do not reset. The branch list
    is imported once per session and its database file copied for each example."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "kpi.duckdb"
        if not _BRANCHES_ONLY:
            con = db.connect(path)
            assert load(con, FIXTURES / "import" / "branches.csv").status == "loaded"
            con.close()
            _BRANCHES_ONLY.append(path.read_bytes())
        path.write_bytes(_BRANCHES_ONLY[0])
        con = db.connect(path)
        try:
            for name, text in files.items():
                report = load(con, write(Path(folder), name, text))
                assert report.status == "loaded", (name, report.problems)
            yield con
        finally:
            con.close()
