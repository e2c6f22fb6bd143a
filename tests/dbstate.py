"""What a database holds, as one digest, for tests that check an import changed nothing (or exactly
what it should). Every table's rows are hashed in a fixed order; the import time stamp is left out, so
the same imports done twice give the same digest."""

from __future__ import annotations

import hashlib
import os

import duckdb

from data import store

VOLATILE = {"imported_at"}  # when an import ran, not what it loaded


def digest(source: str | os.PathLike | duckdb.DuckDBPyConnection) -> str:
    """The digest of every table in a database file (its current generation) or an open connection."""
    if isinstance(source, duckdb.DuckDBPyConnection):
        return _digest(source)
    con, _ = store.open_reader(source)
    try:
        return _digest(con)
    finally:
        con.close()


def _digest(con: duckdb.DuckDBPyConnection) -> str:
    out = hashlib.sha256()
    tables = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "AND table_catalog = current_database() ORDER BY 1"
        ).fetchall()
    ]
    for table in tables:
        columns = [
            r[0]
            for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                "AND table_catalog = current_database() ORDER BY ordinal_position",
                [table],
            ).fetchall()
            if r[0] not in VOLATILE
        ]
        listed = ", ".join(f'"{c}"' for c in columns)  # names from the catalog, never from input
        out.update(f"{table}({listed})\n".encode())
        for row in con.execute(f'SELECT {listed} FROM "{table}" ORDER BY ALL').fetchall():
            out.update(repr(row).encode())
    return out.hexdigest()
