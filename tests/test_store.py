"""Database generations (data/store.py) inside one process, the way the dashboard uses them: a reader
keeps its generation while newer ones are published, only two generations stay on disk, an import that
changes nothing publishes nothing, uploads are kept for rebuilding, and a damaged database stops the
dashboard with the reason instead of figures."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import streamlit as st
from dbstate import digest
from streamlit.testing.v1 import AppTest

from data import cli, db, store
from data.importer import Options, import_file

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
ENTRY = str(ROOT / "tests" / "app" / "entry.py")


def import_text(target: Path, name: str, text: str) -> None:
    export = target.parent / name
    export.write_text(text, encoding="utf-8")
    with store.writing(target) as session:
        assert import_file(session.con, export, Options()).ok


@pytest.fixture
def target(tmp_path) -> Path:
    path = tmp_path / "kpi.duckdb"
    assert cli.main(["import", "--db", str(path), str(SAMPLE / "branches.csv")]) == 0
    return path


def test_a_reader_keeps_its_generation_while_newer_ones_are_published(target):
    con, first = store.open_reader(target)
    for month in (1, 2, 3):
        import_text(target, f"v{month}.csv", f"date,branch,visits\n2024-0{month}-01,North Branch,{month}\n")
    assert con.execute("SELECT count(*) FROM visits").fetchone()[0] == 0  # still the first generation
    con.close()
    newest, _ = store.open_reader(target)
    with newest:
        assert newest.execute("SELECT sum(visits) FROM visits").fetchone()[0] == 6
    kept = sorted(p.name for p in store.generations(target).iterdir())
    assert len(kept) == 2 and store.current_file(target).name == kept[-1] and first.name not in kept


def test_an_import_that_changes_nothing_publishes_nothing(target):
    before = store.token(target)
    assert cli.main(["import", "--db", str(target), str(SAMPLE / "branches.csv")]) == 0  # unchanged
    assert store.token(target) == before


def test_writing_in_place_to_a_published_database_is_refused(target):
    with pytest.raises(ValueError, match="store.writing"):
        db.connect(target)


def test_a_writer_caps_duckdbs_memory_and_spills_to_a_private_folder_it_removes(target):
    folder = store.generations(target)
    dead = folder / "work-999999.duckdb.tmp"  # the spill folder of a writer that was killed
    dead.mkdir()
    (dead / "duckdb_temp_storage.tmp").write_bytes(b"rows")
    with duckdb.connect() as plain:
        plain.execute("SET memory_limit = ?", [store.WRITER_MEMORY])
        expected = plain.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    with store.writing(target) as session:
        limit, spill = session.con.execute(
            "SELECT current_setting('memory_limit'), current_setting('temp_directory')"
        ).fetchone()
        spill = Path(spill)
        assert limit == expected
        assert spill.parent == folder and spill.is_dir() and spill.stat().st_mode & 0o777 == 0o700
        assert not dead.exists()
    assert not spill.exists()


def test_uploads_that_land_are_kept_and_the_journal_can_rebuild_from_them(target, monkeypatch):
    from pages import _data

    good = b"date,branch,visits\n2024-01-01,North Branch,7\n"
    bad = b"date,branch,visits\n2024-01-01,Nowhere At All,7\n"
    results = _data.import_uploads(str(target), [("good.csv", good), ("bad.csv", bad)], False, False)
    assert [(name, report.status) for name, report in results] == [("good.csv", "loaded"), ("bad.csv", "rejected")]
    kept = sorted(p.name for p in (target.parent / "kpi_uploads").iterdir())
    assert len(kept) == 1 and kept[0].endswith("-good.csv")
    assert [e["path"].rsplit("/", 1)[-1] for e in store.read_journal(target)][-1] == kept[0]
    loaded = digest(target)
    store.current_file(target).write_bytes(b"not a database")
    assert cli.main(["rebuild", "--db", str(target)]) == 0
    assert digest(target) == loaded


def test_the_dashboard_says_the_database_is_damaged_and_shows_no_figures(target, monkeypatch):
    import_text(target, "v.csv", "date,branch,visits\n2024-01-01,North Branch,5\n")
    damaged = store.current_file(target)
    with damaged.open("r+b") as handle:
        handle.seek(damaged.stat().st_size // 2)
        handle.write(b"\xff" * 4096)
    monkeypatch.setenv("KPI_DB", str(target))
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(ENTRY, default_timeout=60).run()
    assert at.error and "python -m data rebuild" in at.error[0].value
    assert not at.metric and not at.exception
