"""The KPI database as a lake of Parquet files, for engines that read files where the data lives (Spark on a
cluster; DuckDB itself through `connect_duckdb`).

Layout of a lake folder DIR (`python -m data export --format parquet --out DIR`):
- DIR/manifest.json: the format and its version, when and from which database generation it was written,
  per table its folder, rows, partition columns, column types and files, and the complete-through dates;
- DIR/<table>/: one folder per database table. A table with a `date` column and rows is hive-partitioned by
  year (DIR/visits/year=2024/part-<uuid>.parquet); `year` is the partition key, not a column of the table, and
  readers drop it. Every other table, and an empty one, is a single DIR/<table>/data.parquet with the schema.

An export reads one published generation (data.store.open_reader), writes the whole lake into a hidden folder
beside DIR and renames it into place at the end: a failed export leaves no half lake, and an existing lake is
replaced whole (between its two renames DIR is briefly absent, never half-written). File names are new on
every export, so a reader still holding an older manifest's file list fails loudly instead of reading a mix.
The lake holds the institution's data, so its folder is owner-only like the database's (data/private.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import weakref
from pathlib import Path

import duckdb

from data import completeness, db, private, store

FORMAT = "kpi-lake"
VERSION = 1
MANIFEST = "manifest.json"
PARTITION = "year"  # the hive partition key of dated tables: a folder name, never a table column
SINGLE_FILE = "data.parquet"

# Column types Spark 4 reads natively from Parquet, also as list elements. DuckDB writes TIMESTAMP as a
# microsecond timestamp without time zone, which Spark reads as TIMESTAMP_NTZ: the wall-clock time the
# database holds, whatever the session's time zone.
SPARK_TYPES = re.compile(
    r"^(BOOLEAN|TINYINT|SMALLINT|INTEGER|BIGINT|FLOAT|DOUBLE|DECIMAL\(\d+,\d+\)|VARCHAR|DATE|TIMESTAMP)(\[\])*$"
)
# Types Spark cannot read, and what they are written as: unsigned and 128-bit integers have no Spark type (an
# UBIGINT above 2^63 would read as negative), so they become the smallest signed type or decimal that holds
# their values (a HUGEINT of 39 digits fits no Spark type: the export stops with its column named); other
# timestamp precisions become TIMESTAMP (Spark 4 refuses nanosecond timestamps).
# connect_duckdb casts them back to the database's type. data/schema.sql uses none of them today; a column of
# any other type is refused by name rather than written in a form Spark misreads.
SPARK_CASTS = {
    "HUGEINT": "DECIMAL(38,0)",
    "UBIGINT": "DECIMAL(20,0)",
    "UINTEGER": "BIGINT",
    "USMALLINT": "INTEGER",
    "UTINYINT": "SMALLINT",
    "TIMESTAMP_S": "TIMESTAMP",
    "TIMESTAMP_MS": "TIMESTAMP",
    "TIMESTAMP_NS": "TIMESTAMP",
}
# What names, types and file paths in a manifest may look like: they go into a view's SQL (a view holds no
# parameters), so read_manifest refuses anything else.
NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
TYPE = re.compile(r"^[A-Z][A-Z0-9_]*(\(\d+(,\d+)?\))?(\[\])*$")
FILE = re.compile(r"^[a-z_][a-z0-9_]*/([a-z_][a-z0-9_]*=-?\d+/)?[A-Za-z0-9_.-]+\.parquet$")

_TABLES_SQL = (
    "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main' "
    "ORDER BY table_name"
)
_COLUMNS_SQL = (
    "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() "
    "AND schema_name = 'main' AND table_name = ? ORDER BY column_index"
)
# Connections made by connect_duckdb -> the memo key of their data (see memo_key).
_LAKE_KEYS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class LakeError(Exception):
    """A lake cannot be written or read as asked; the message names the folder or file and what to do."""


# --- writing -----------------------------------------------------------------------------------------------------


def export(db_path: str | os.PathLike | None, out_dir: str | os.PathLike) -> dict:
    """Write every table of the database at `db_path` (None: $KPI_DB or data/kpi.duckdb) as a lake in `out_dir`,
    replacing the lake there; returns its manifest. Raises FileNotFoundError (no database), LakeError (a folder
    it will not overwrite, a column type it cannot write), store.DatabaseDamaged, OSError (cannot write)."""
    source = db.db_path(db_path)
    target = Path(out_dir).absolute()
    _check_replaceable(target)
    con, real = store.open_reader(source)
    work = target.with_name(f".{target.name}.export-{os.getpid()}")
    try:
        with con:
            shutil.rmtree(work, ignore_errors=True)  # left by an export that died with this process id
            private.make_dir(work)
            manifest = {
                "format": FORMAT,
                "version": VERSION,
                "written_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "source": {"path": str(source.absolute()), "file": real.name},
                "generation": generation(real),
                "tables": {table: _write_table(con, table, work) for table in _tables(con)},
                "complete_through": _complete_through(con),
            }
        _write_manifest(work / MANIFEST, manifest)
        _swap_in(work, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return manifest


def generation(real: Path) -> str:
    """The digest of the database generation `real`: the BLAKE2b digest a published generation is named by
    (data/store.py checked it against the bytes on opening), or the same digest computed for a plain database
    file. It names the data, not the file: a copied database keeps it; a write that changed data publishes a
    new generation, and only that changes it."""
    named = store.GENERATION.match(real.name)
    if named:
        return named.group(2)
    with real.open("rb") as handle:
        return hashlib.file_digest(handle, lambda: hashlib.blake2b(digest_size=16)).hexdigest()


def _check_replaceable(target: Path) -> None:
    """Refuse a target that is not a lake of ours (of any version): never delete a folder that merely has the
    name asked for."""
    if target.exists() and not target.is_dir():
        raise LakeError(f"{target} is a file, not a folder; nothing was written. Choose a folder for the lake.")
    if not target.is_dir() or not any(target.iterdir()):
        return
    try:
        found = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        found = "missing"
    except (OSError, ValueError):
        found = None
    if not (isinstance(found, dict) and found.get("format") == FORMAT):
        what = f"has no {MANIFEST}" if found == "missing" else f"has a {MANIFEST} that is not a {FORMAT} manifest"
        raise LakeError(
            f"{target} is not empty and {what}: it is not a lake written by `python -m data export`, and nothing "
            "was written. Choose a new or empty folder, or remove this one yourself."
        )


def _tables(con) -> list[str]:
    return [name for (name,) in con.execute(_TABLES_SQL).fetchall()]


def _write_table(con, table: str, work: Path) -> dict:
    """Write one table into work/<table>/ and return its manifest entry."""
    columns = dict(con.execute(_COLUMNS_SQL, [table]).fetchall())
    select = ", ".join(_written(table, name, kind) for name, kind in columns.items())
    dated = "date" in columns
    # Table and column names come from the database's own catalog, quoted; no value is spliced in.
    span = 'min("date"), max("date")' if dated else "NULL, NULL"
    rows, first, last = con.execute(f'SELECT count(*), {span} FROM "{table}"').fetchall()[0]
    folder = work / table
    folder.mkdir()
    partitioned = dated and rows > 0
    try:
        if partitioned:
            relation = con.sql(f'SELECT {select}, year("date") AS {PARTITION} FROM "{table}"')
            relation.write_parquet(str(folder), partition_by=[PARTITION], filename_pattern="part-{uuid}")
        else:
            con.sql(f'SELECT {select} FROM "{table}"').write_parquet(str(folder / SINGLE_FILE))
    except duckdb.ConversionException as exc:
        raise LakeError(f"{table}: a value does not fit the type Spark reads ({exc}); nothing was written") from None
    except duckdb.IOException as exc:  # a full disk, a folder gone: reported as the OSError it is
        raise OSError(str(exc).strip().splitlines()[0]) from None
    return {
        "path": table,
        "rows": rows,
        "partitioned_by": [PARTITION] if partitioned else [],
        "columns": columns,
        "first_date": _iso(first),
        "last_date": _iso(last),
        "files": sorted(p.relative_to(work).as_posix() for p in folder.rglob("*.parquet")),
    }


def _written(table: str, name: str, kind: str) -> str:
    """The select-list item writing column `name` of type `kind` in a type Spark reads (see SPARK_CASTS)."""
    if SPARK_TYPES.match(kind):
        return f'"{name}"'
    if kind in SPARK_CASTS:
        return f'CAST("{name}" AS {SPARK_CASTS[kind]}) AS "{name}"'
    raise LakeError(f"{table}.{name} is of type {kind}, which Spark cannot read from Parquet; nothing was written")


def _complete_through(con) -> dict:
    """Per table judged for completeness: the date through which every expected branch reported, and the end
    of the last period any branch reported (None when never / no data), as data/completeness.py defines them."""
    return {
        status.table: {"complete_through": _iso(status.complete_through), "last_reported": _iso(status.last_reported)}
        for status in completeness.network(con)
    }


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _write_manifest(path: Path, manifest: dict) -> None:
    with private.open_file(path, "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, ensure_ascii=False, indent=2)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())


def _swap_in(work: Path, target: Path) -> None:
    """Put the finished lake at `target`, replacing the lake there whole (checked by _check_replaceable)."""
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.is_dir() and any(target.iterdir()):
        shutil.rmtree(old, ignore_errors=True)
        os.replace(target, old)
    elif target.is_dir():
        target.rmdir()
    try:
        os.replace(work, target)
    except OSError:
        if old.is_dir():
            os.replace(old, target)  # the lake that was there, back in place
        raise
    shutil.rmtree(old, ignore_errors=True)


# --- reading -----------------------------------------------------------------------------------------------------


def read_manifest(lake_dir: str | os.PathLike) -> dict:
    """The manifest of the lake in `lake_dir`, checked: a missing or unreadable file, another format, a version
    this code does not know, or names that are not plain table and column names raise LakeError naming it."""
    path = Path(lake_dir) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LakeError(f"{path}: no lake manifest (write a lake with `python -m data export --out DIR`)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LakeError(f"{path}: cannot read the lake manifest ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise LakeError(f"{path}: not a {FORMAT} manifest (format {_field(manifest, 'format')})")
    if manifest.get("version") != VERSION:
        raise LakeError(
            f"{path}: {FORMAT} version {_field(manifest, 'version')} is not one this code reads (it reads {VERSION}); "
            "export the lake again with this version"
        )
    problem = _manifest_problem(manifest)
    if problem:
        raise LakeError(f"{path}: {problem}")
    return manifest


def _field(manifest, key: str) -> str:
    value = manifest.get(key) if isinstance(manifest, dict) else None
    return "missing" if value is None else repr(value)


def _manifest_problem(manifest: dict) -> str | None:
    """What makes the manifest's tables unusable, or None."""
    tables = manifest.get("tables")
    if not isinstance(tables, dict) or not tables or not isinstance(manifest.get("generation"), str):
        return "no tables or no generation"
    for table, entry in tables.items():
        try:
            columns, files, partitions = entry["columns"], entry["files"], entry["partitioned_by"]
        except (TypeError, KeyError) as exc:
            return f"table {table!r} lacks {exc}"
        if not NAME.match(table) or not columns or not files or not isinstance(columns, dict):
            return f"table {table!r} has no usable name, columns or files"
        bad = [f"{n} {t}" for n, t in columns.items() if not (NAME.match(n) and isinstance(t, str) and TYPE.match(t))]
        bad += [f for f in files if not (isinstance(f, str) and FILE.match(f) and f.startswith(f"{table}/"))]
        bad += [p for p in partitions if p != PARTITION]
        if bad:
            return f"table {table!r} lists what this reader does not accept: {', '.join(map(str, bad))}"
    return None


def connect_duckdb(lake_dir: str | os.PathLike) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with one view per table of the lake in `lake_dir`, each with the database table's
    columns and types in its order (the partition key dropped, cast types cast back), so that the metric layer
    computes on it exactly as on the database. Its memo (metrics/memo.py) is keyed on the lake's generation."""
    folder = Path(lake_dir).absolute()
    manifest = read_manifest(folder)
    missing = [f for entry in manifest["tables"].values() for f in entry["files"] if not (folder / f).is_file()]
    if missing:
        raise LakeError(f"{folder}: files listed in its manifest are missing: {', '.join(missing[:5])}")
    con = duckdb.connect()
    for table, entry in manifest["tables"].items():
        con.execute(f'CREATE VIEW "{table}" AS {_view_sql(folder, entry)}')
    register(con, manifest)
    return con


def register(con, manifest: dict) -> None:
    """Key the memo of a connection reading this lake (on DuckDB or on Spark, metrics/spark.py) on its generation."""
    _LAKE_KEYS[con] = ("lake", manifest["generation"])


def _view_sql(folder: Path, entry: dict) -> str:
    """The query of one table's view. The file paths are written as quoted literals because a view cannot hold
    parameters; names and types were checked by read_manifest, and quotes in the folder's path are doubled."""
    files = ", ".join("'" + str(folder / f).replace("'", "''") + "'" for f in entry["files"])
    hive = "true" if entry["partitioned_by"] else "false"
    select = ", ".join(
        f'CAST("{name}" AS {kind}) AS "{name}"' if kind in SPARK_CASTS else f'"{name}"'
        for name, kind in entry["columns"].items()
    )
    return f"SELECT {select} FROM read_parquet([{files}], hive_partitioning = {hive})"


def memo_key(con) -> tuple | None:
    """The memo key of a connection connect_duckdb made (its lake's generation: the data cannot change under
    it, as every export writes new file names), or None for any other connection."""
    try:
        return _LAKE_KEYS.get(con)
    except TypeError:  # a connection that cannot be weakly referenced was never ours
        return None
