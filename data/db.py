"""Opening the KPI database and reading what is loaded in it."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from data import systemlines

DB_ENV_VAR = "KPI_DB"
DEFAULT_DB = Path(__file__).resolve().parent / "kpi.duckdb"
SCHEMA_FILE = Path(__file__).resolve().parent / "schema.sql"
SCHEMA_VERSION = "1"

# Fact tables and the column that dates each row; the status listing and data version walk these.
FACT_TABLES = {
    "visits": "date",
    "circulation": "date",
    "events": "date",
    "surveys": "date",
    "measures": "date",
    "targets": "make_date(year, 1, 1)",
}


def db_path(path: str | os.PathLike | None = None) -> Path:
    """The database file to use: `path` if given, else $KPI_DB, else data/kpi.duckdb."""
    if path:
        return Path(path)
    env = os.environ.get(DB_ENV_VAR)
    return Path(env) if env else DEFAULT_DB


class DatabaseBusy(Exception):
    """Another process (usually the running dashboard) holds the database file."""


def connect(path: str | os.PathLike | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the database (creating it and its schema when writable) and return the connection.

    Raises DatabaseBusy when another process has the file open for writing: DuckDB allows one
    writing process at a time.
    """
    target = db_path(path)
    if not read_only and target.is_symlink():
        # A published generation is immutable (readers check its digest): writes go through data.store.writing.
        raise ValueError(f"{target} is published by data.store; open it with store.writing() to change it")
    try:
        if read_only:
            return duckdb.connect(str(target), read_only=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(target))
    except duckdb.IOException as exc:
        if "lock" not in str(exc).lower():
            raise
        raise DatabaseBusy(
            f"{target} is open in another program (the dashboard, or another import). Import through the "
            "dashboard's Data page, or stop it and run the command again."
        ) from None
    ensure_schema(con)
    return con


# Columns added after databases were first written: schema.sql has them for a new database, and these
# idempotent statements add them to one made by an older version the first time it is written again.
# A read-only connection never migrates, so readers check for such a column (has_column) before using it.
MIGRATIONS = (
    "ALTER TABLE imports ADD COLUMN IF NOT EXISTS removed_at TIMESTAMP",
    "ALTER TABLE imports ADD COLUMN IF NOT EXISTS options VARCHAR",
    "ALTER TABLE imports ADD COLUMN IF NOT EXISTS options_hash VARCHAR",
    "ALTER TABLE branches ADD COLUMN IF NOT EXISTS district_zh VARCHAR",
    "ALTER TABLE events ADD COLUMN IF NOT EXISTS programme VARCHAR",
)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create any missing table or column; a no-op on an up-to-date database."""
    con.execute(SCHEMA_FILE.read_text(encoding="utf-8"))
    for statement in MIGRATIONS:
        con.execute(statement)
    con.execute(
        "INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT DO NOTHING",
        [SCHEMA_VERSION],
    )


def has_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether the database has `table` (one made before the table was added may lack it)."""
    if hasattr(con, "has_table"):  # a lake on Spark (metrics/spark.py): its manifest is the catalogue
        return con.has_table(table)
    # information_schema lists views too: a lake's tables are views (data/lake.py connect_duckdb).
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_catalog = current_database() "
        "AND table_schema = 'main' AND table_name = ?",
        [table],
    ).fetchone()
    return row[0] > 0


def has_column(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    """Whether `table` has `column` (a database from an older version, opened read-only, may lack it)."""
    if hasattr(con, "table_columns"):  # a lake on Spark (metrics/spark.py): its manifest is the catalogue
        return column in con.table_columns(table)
    row = con.execute(
        "SELECT count(*) FROM information_schema.columns WHERE table_catalog = current_database() "
        "AND table_schema = 'main' AND table_name = ? AND column_name = ?",
        [table, column],
    ).fetchone()
    return row[0] > 0


def active_imports(con: duckdb.DuckDBPyConnection) -> str:
    """A condition on `imports` that keeps the imports not taken back (everything on an older database)."""
    return "removed_at IS NULL" if has_column(con, "imports", "removed_at") else "true"


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    """A number that changes whenever an import lands or is taken back; caches key on it. Both only ever
    grow (import ids come from a sequence; a removal is never undone), so their sum never repeats."""
    removed = "count(removed_at)" if has_column(con, "imports", "removed_at") else "0"
    row = con.execute(f"SELECT coalesce(max(import_id), 0) + {removed} FROM imports").fetchone()
    return int(row[0])


def status(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Per table: rows, date range, branches and the last import time (imports taken back left out). The
    branches counted are service points: system-wide lines (data/systemlines.py) are not branches."""
    out = []
    active = active_imports(con)  # a fixed condition, never input
    lines = sorted(systemlines.stored(con))
    for table, date_expr in FACT_TABLES.items():
        # Table names and date expressions come from the constant above, never from input.
        rows, first, last, branches = con.execute(
            f"SELECT count(*), min({date_expr}), max({date_expr}), "
            f"count(DISTINCT branch_id) FILTER (WHERE NOT list_contains(?, branch_id)) FROM {table}",
            [lines],
        ).fetchone()
        last_import = con.execute(
            f"SELECT max(imported_at) FROM imports WHERE kind = ? AND {active}", [table]
        ).fetchone()[0]
        out.append(
            {
                "table": table,
                "rows": rows,
                "first_date": first,
                "last_date": last,
                "branches": branches,
                "last_import": last_import,
            }
        )
    n_branches, n_aliases = con.execute(
        "SELECT (SELECT count(*) FROM branches WHERE NOT list_contains(?, branch_id)), "
        "(SELECT count(*) FROM branch_aliases)",
        [lines],
    ).fetchone()
    last_branch_import = con.execute(
        f"SELECT max(imported_at) FROM imports WHERE kind = 'branches' AND {active}"
    ).fetchone()[0]
    out.insert(
        0,
        {
            "table": "branches",
            "rows": n_branches,
            "first_date": None,
            "last_date": None,
            "branches": n_branches,
            "last_import": last_branch_import,
            "aliases": n_aliases,
        },
    )
    return out
