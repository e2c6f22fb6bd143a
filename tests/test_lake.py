"""The Parquet lake (issue 15, item 2): `python -m data export --format parquet --out DIR` writes every table of
the database (dated tables hive-partitioned by year) with a manifest, and `data.lake.connect_duckdb(DIR)` reads
it back so that the metric layer gives the same rows as on the database. DuckDB only: the Spark reader's tests
are in tests/test_spark.py."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import FIXTURES, load
from data_cli import run

from data import completeness, db, lake, store, systemlines
from data.cli import main
from metrics import memo
from metrics.engine import compute
from metrics.registry import METRICS, breakdowns


@pytest.fixture(scope="module")
def lake_dir(sample_db_path, tmp_path_factory) -> Path:
    """The sample database exported once for the module; tests that change a lake export their own."""
    folder = tmp_path_factory.mktemp("lake") / "lake"
    lake.export(sample_db_path, folder)
    return folder


@pytest.fixture(scope="module")
def source(sample_db_path):
    con, _ = store.open_reader(sample_db_path)
    yield con
    con.close()


@pytest.fixture(scope="module")
def lake_con(lake_dir):
    con = lake.connect_duckdb(lake_dir)
    yield con
    con.close()


def table_names(con) -> list[str]:
    return [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()]


def columns(con, table: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in con.execute(f'DESCRIBE "{table}"').fetchall()]


def rows(con, table: str) -> list[str]:
    return sorted(map(repr, con.execute(f'SELECT * FROM "{table}"').fetchall()))


# --- layout and manifest -----------------------------------------------------------------------------------------


def test_every_table_has_its_folder_and_manifest_entry(lake_dir, source, sample_db_path):
    manifest = json.loads((lake_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format"] == "kpi-lake" and manifest["version"] == 1
    assert dt.datetime.fromisoformat(manifest["written_at"]).utcoffset() == dt.timedelta(0)
    real = store.current_file(sample_db_path)
    assert manifest["source"] == {"path": str(sample_db_path), "file": real.name}
    assert manifest["generation"] == real.name.split("-")[1].removesuffix(".duckdb")  # the digest it is named by
    tables = table_names(source)
    assert sorted(manifest["tables"]) == tables and len(tables) == 14  # quality_findings included
    assert sorted(p.name for p in lake_dir.iterdir() if p.is_dir()) == tables
    for table, entry in manifest["tables"].items():
        count = source.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        assert entry["path"] == table and entry["rows"] == count, table
        assert list(entry["columns"].items()) == columns(source, table), table
        assert all((lake_dir / f).is_file() for f in entry["files"]), table
        dated = "date" in entry["columns"] and count > 0
        assert entry["partitioned_by"] == (["year"] if dated else []), table
        if not dated:
            assert entry["files"] == [f"{table}/data.parquet"], table
        if "date" in entry["columns"]:
            last = source.execute(f"SELECT max(date) FROM {table}").fetchone()[0]
            assert entry["last_date"] == last.isoformat(), table


def test_the_manifest_holds_the_complete_through_dates(lake_dir, source):
    manifest = lake.read_manifest(lake_dir)
    expected = {s.table: (s.complete_through, s.last_reported) for s in completeness.network(source)}
    assert set(manifest["complete_through"]) == {"visits", "circulation", "measures"}
    for table, (through, last) in expected.items():
        assert manifest["complete_through"][table] == {
            "complete_through": through.isoformat(),
            "last_reported": last.isoformat(),
        }
    assert manifest["complete_through"]["visits"]["complete_through"] == "2026-10-31"


def test_dated_tables_have_one_folder_per_year_without_a_year_column(lake_dir, source):
    manifest = lake.read_manifest(lake_dir)
    partitioned = [t for t, e in manifest["tables"].items() if e["partitioned_by"]]
    assert sorted(partitioned) == ["circulation", "circulation_daily", "events", "measures", "surveys", "visits"]
    for table in partitioned:
        per_year = dict(source.execute(f"SELECT year(date), count(*) FROM {table} GROUP BY 1").fetchall())
        folders = sorted(p.name for p in (lake_dir / table).iterdir())
        assert folders == [f"year={y}" for y in sorted(per_year)], table
        for year, count in per_year.items():
            files = [str(p) for p in (lake_dir / table / f"year={year}").glob("*.parquet")]
            read = duckdb.sql("SELECT count(*) FROM read_parquet(?, hive_partitioning = false)", params=[files])
            assert read.fetchall()[0][0] == count, (table, year)
            names = duckdb.sql("SELECT name FROM parquet_schema(?)", params=[files]).fetchall()
            assert ("year",) not in names and ("date",) in names, table


# --- reading it back ---------------------------------------------------------------------------------------------


def test_every_view_has_the_tables_columns_types_and_rows(lake_con, source):
    assert table_names(lake_con) == table_names(source)
    for table in table_names(source):
        assert columns(lake_con, table) == columns(source, table), table
        assert rows(lake_con, table) == rows(source, table), table


def grid():
    """Every registered metric at year and month grain, for the network and by branch where it breaks down so."""
    for metric in METRICS:
        for grain in ("year", "month"):
            for by in (None, "branch") if "branch" in breakdowns(metric) else (None,):
                yield metric.id, grain, by


def test_the_metrics_give_the_same_results_on_the_lake(lake_con, source):
    compared = 0
    for metric_id, grain, by in grid():
        on_db = compute(source, metric_id, grain=grain, by=by, compare=True)
        on_lake = compute(lake_con, metric_id, grain=grain, by=by, compare=True)
        name = f"{metric_id} {grain} by {by}"
        pd.testing.assert_frame_equal(on_lake.table, on_db.table, obj=name)
        pd.testing.assert_frame_equal(on_lake.gone, on_db.gone, obj=name)
        assert (on_lake.as_of, on_lake.complete_through, on_lake.pending, on_lake.excluded, on_lake.notes) == (
            on_db.as_of,
            on_db.complete_through,
            on_db.pending,
            on_db.excluded,
            on_db.notes,
        ), name
        compared += not on_db.table.empty
    assert compared >= 80  # most of the grid has data: the comparison is not of empty tables


def test_the_lake_connection_has_a_memo_keyed_on_its_generation(lake_con, lake_dir, source):
    generation = lake.read_manifest(lake_dir)["generation"]
    assert memo.memo(lake_con).key == ("lake", generation)
    assert memo.memo(source).key not in (None, ("lake", generation))  # the database keeps its own key
    assert memo.memo(duckdb.connect()).key is None  # any other in-memory connection stays without one


def test_system_lines_stay_out_of_branch_figures_on_the_lake(tmp_path):
    path = tmp_path / "plain.duckdb"
    con = db.connect(path)
    assert load(con, FIXTURES / "shapes" / "circulation_by_location_2023.csv", allow_new_branches=True).ok
    con.close()
    manifest = lake.export(path, tmp_path / "lake")
    assert manifest["source"]["file"] == "plain.duckdb"  # a plain file: its digest is computed, not read from a name
    assert manifest["generation"] == lake.generation(path)
    db_con, lake_con = db.connect(path, read_only=True), lake.connect_duckdb(tmp_path / "lake")
    assert systemlines.stored(lake_con) == systemlines.stored(db_con) != {}
    for by in (None, "branch"):
        on_db, on_lake = (compute(c, "loans", grain="month", by=by, compare=True) for c in (db_con, lake_con))
        pd.testing.assert_frame_equal(on_lake.table, on_db.table)


# --- types Spark reads -------------------------------------------------------------------------------------------


def test_types_spark_cannot_read_are_cast_and_cast_back(tmp_path):
    path = tmp_path / "kpi.duckdb"
    con = db.connect(path)
    con.execute("CREATE TABLE counters (date DATE, big HUGEINT, huge UBIGINT, seen_at TIMESTAMP_NS, tags VARCHAR[])")
    con.execute(
        "INSERT INTO counters VALUES (DATE '2025-03-01', 99999999999999999999999999999999999999, "
        "18446744073709551615, TIMESTAMP_NS '2025-03-01 10:00:00.123456', ['a', 'b'])"
    )
    con.close()
    manifest = lake.export(path, tmp_path / "lake")
    files = [str(tmp_path / "lake" / f) for f in manifest["tables"]["counters"]["files"]]
    written = dict(duckdb.sql("SELECT name, type FROM parquet_schema(?)", params=[files]).fetchall())
    assert (written["big"], written["huge"]) == ("FIXED_LEN_BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY")  # decimals
    logical = duckdb.sql("SELECT name, logical_type FROM parquet_schema(?)", params=[files]).fetchall()
    assert "MICROS=MicroSeconds(), NANOS=<null>" in str(dict(logical)["seen_at"])  # microseconds, as Spark reads
    source, on_lake = db.connect(path, read_only=True), lake.connect_duckdb(tmp_path / "lake")
    assert columns(on_lake, "counters") == columns(source, "counters")
    assert rows(on_lake, "counters") == rows(source, "counters")
    source.close()
    con = db.connect(path)
    con.execute("INSERT INTO counters (big) VALUES (170141183460469231731687303715884105727)")  # 39 digits
    con.close()
    with pytest.raises(lake.LakeError, match=r"counters: a value does not fit the type Spark reads .*big"):
        lake.export(path, tmp_path / "lake")
    assert lake.read_manifest(tmp_path / "lake") == manifest  # the lake before is kept whole


def test_an_empty_dated_table_is_one_file_with_its_schema(tmp_path):
    path = tmp_path / "kpi.duckdb"
    db.connect(path).close()
    manifest = lake.export(path, tmp_path / "lake")
    assert manifest["tables"]["visits"] | {"columns": None} == {
        "path": "visits",
        "rows": 0,
        "partitioned_by": [],
        "columns": None,
        "first_date": None,
        "last_date": None,
        "files": ["visits/data.parquet"],
    }
    assert columns(lake.connect_duckdb(tmp_path / "lake"), "visits") == columns(db.connect(path, True), "visits")


def test_a_type_spark_cannot_read_is_refused_and_nothing_is_left(tmp_path):
    path = tmp_path / "kpi.duckdb"
    con = db.connect(path)
    con.execute("CREATE TABLE spans (took INTERVAL)")
    con.close()
    with pytest.raises(lake.LakeError, match="spans.took is of type INTERVAL"):
        lake.export(path, tmp_path / "out" / "lake")
    assert list((tmp_path / "out").iterdir()) == []  # neither a lake nor the folder it was being written in


# --- replacing and refusing --------------------------------------------------------------------------------------


def test_an_export_replaces_the_lake_whole(sample_db_path, lake_dir, tmp_path):
    target = tmp_path / "lake"
    shutil.copytree(lake_dir, target)
    (target / "visits" / "stray.parquet").write_bytes(b"left by hand")
    first = lake.read_manifest(target)
    again = lake.export(sample_db_path, target)
    assert not (target / "visits" / "stray.parquet").exists()
    assert again["generation"] == first["generation"]  # the same data: the same generation
    assert set(again["tables"]["visits"]["files"]).isdisjoint(first["tables"]["visits"]["files"])  # new names
    assert sorted(str(p.relative_to(target)) for p in target.rglob("*.parquet")) == sorted(
        f for entry in again["tables"].values() for f in entry["files"]
    )
    assert [p.name for p in tmp_path.iterdir()] == ["lake"]  # no work or old folder left beside it


def test_the_generation_changes_exactly_when_the_data_changes(sample_db_copy, lake_dir, tmp_path):
    before = lake.export(sample_db_copy, tmp_path / "copy")["generation"]
    assert before == lake.read_manifest(lake_dir)["generation"]  # a copied database is the same data
    assert main(["remove", "targets_2026.csv", "--db", str(sample_db_copy)]) == 0
    after = lake.export(sample_db_copy, tmp_path / "copy")
    assert after["generation"] != before and after["tables"]["targets"]["rows"] == 0


def test_a_folder_that_is_not_a_lake_is_never_overwritten(sample_db_path, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(lake.LakeError, match=r"mine is not empty and has no manifest.json"):
        lake.export(sample_db_path, mine)
    (mine / "manifest.json").write_text('{"name": "a web app"}', encoding="utf-8")
    with pytest.raises(lake.LakeError, match="not a kpi-lake manifest"):
        lake.export(sample_db_path, mine)
    assert sorted(p.name for p in mine.iterdir()) == ["manifest.json", "notes.txt"]
    with pytest.raises(lake.LakeError, match="is a file, not a folder"):
        lake.export(sample_db_path, mine / "notes.txt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]


@pytest.mark.parametrize(
    "manifest, message",
    [
        (None, "no lake manifest"),
        ("{not json", "cannot read the lake manifest"),
        ({"version": 1}, "not a kpi-lake manifest \\(format missing\\)"),
        ({"format": "kpi-lake"}, "kpi-lake version missing is not one this code reads"),
        ({"format": "kpi-lake", "version": 2}, "kpi-lake version 2 is not one this code reads"),
    ],
)
def test_a_bad_manifest_is_named(tmp_path, manifest, message):
    if manifest is not None:
        text = manifest if isinstance(manifest, str) else json.dumps(manifest)
        (tmp_path / "manifest.json").write_text(text, encoding="utf-8")
    with pytest.raises(lake.LakeError, match=f"{tmp_path / 'manifest.json'}: {message}"):
        lake.read_manifest(tmp_path)


def test_names_that_are_not_plain_are_refused(lake_dir, tmp_path):
    manifest = lake.read_manifest(lake_dir)
    manifest["tables"]["visits"]["columns"]['x" FROM y; --'] = "VARCHAR"
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(lake.LakeError, match="table 'visits' lists what this reader does not accept"):
        lake.connect_duckdb(tmp_path)


# --- the command line --------------------------------------------------------------------------------------------


def test_the_command_writes_the_lake_and_says_what_it_wrote(sample_db_path, tmp_path):
    done = run("export", "--db", str(sample_db_path), "--format", "parquet", "--out", str(tmp_path / "lake"))
    assert done.returncode == 0, done.stderr
    manifest = lake.read_manifest(tmp_path / "lake")
    total = sum(entry["rows"] for entry in manifest["tables"].values())
    assert f"wrote {len(manifest['tables'])} tables, {total:,} rows as Parquet to {tmp_path / 'lake'}" in done.stdout
    assert f"generation {manifest['generation']}" in done.stdout
    assert "visits" in done.stdout and f"{manifest['tables']['visits']['rows']:,}" in done.stdout
    assert "visits/year=2021 .. year=2026" in done.stdout


@pytest.mark.parametrize(
    "args, code, message",
    [
        (("--db", "{tmp}/none.duckdb"), 1, "no database at {tmp}/none.duckdb: nothing to export"),
        (("--db", "{db}", "--format", "csv"), 2, "invalid choice: 'csv'"),
        (("--db", "{db}", "--out", "{tmp}/mine"), 1, "{tmp}/mine is not empty and has no manifest.json"),
    ],
)
def test_the_command_refuses_with_a_message_and_writes_nothing(sample_db_path, tmp_path, args, code, message):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me", encoding="utf-8")
    fill = {"tmp": tmp_path, "db": sample_db_path}
    out = () if "--out" in args else ("--out", str(tmp_path / "lake"))
    done = run("export", *(a.format(**fill) for a in args), *out)
    assert done.returncode == code
    assert message.format(**fill) in done.stderr
    assert done.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["notes.txt"]
