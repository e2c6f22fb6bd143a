"""The import baselines, each run as its own process under /usr/bin/time by bench/run.py:

    python -m bench.baseline duckdb FILE        # DuckDB's bare aggregate scan of the transaction CSV
    python -m bench.baseline duckdb-dims FILE   # the same scan keeping item type and patron category too
    python -m bench.baseline pandas FILE        # pandas read_csv and groupby

`duckdb` and `pandas` produce what the issue's baseline names: transactions counted per day, branch and
action. `duckdb-dims` also keeps the two dimensions DESIGN.md requires the import to keep (item type, patron
category), so its groups are those the import has to build, and keeps them in a DuckDB table as the import
does; it shows how much of the gap is the data kept.
Each prints the number of groups and the transactions counted, so a run can be checked.
"""

from __future__ import annotations

import sys

DUCKDB_SQL = "SELECT CAST(timestamp AS DATE) AS d, branch, action, count(*) AS n FROM read_csv(?) GROUP BY ALL"
DUCKDB_DIMS_SQL = (
    "SELECT CAST(timestamp AS DATE) AS d, branch, action, item_type, patron_category, count(*) AS n "
    "FROM read_csv(?) GROUP BY ALL"
)


def duckdb_scan(path: str) -> tuple[int, int]:
    import duckdb

    frame = duckdb.connect().execute(DUCKDB_SQL, [path]).df()
    return len(frame), int(frame["n"].sum())


def duckdb_dims_scan(path: str) -> tuple[int, int]:
    """The groups kept in a DuckDB table, as the import keeps them (3M+ rows would cost more to turn into a
    DataFrame than to compute)."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"CREATE TEMP TABLE groups AS {DUCKDB_DIMS_SQL}", [path])
    groups, rows = con.execute("SELECT count(*), sum(n) FROM groups").fetchone()
    return groups, int(rows)


def pandas_groupby(path: str) -> tuple[int, int]:
    import pandas as pd

    frame = pd.read_csv(path, usecols=["timestamp", "branch", "action"])
    day = pd.to_datetime(frame["timestamp"], format="%Y-%m-%d %H:%M:%S").dt.normalize()
    counts = frame.groupby([day, frame["branch"], frame["action"]]).size()
    return len(counts), int(counts.sum())


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    tools = {"duckdb": duckdb_scan, "duckdb-dims": duckdb_dims_scan, "pandas": pandas_groupby}
    if len(argv) != 2 or argv[0] not in tools:
        print(__doc__, file=sys.stderr)
        return 2
    groups, rows = tools[argv[0]](argv[1])
    print(f"{argv[0]}: {groups} groups, {rows} transactions")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
