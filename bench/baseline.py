"""The import baselines, each run as its own process under /usr/bin/time by bench/run.py:

    python -m bench.baseline duckdb FILE   # DuckDB's bare aggregate scan of the transaction CSV
    python -m bench.baseline pandas FILE   # pandas read_csv and groupby

Both produce what the importer's roll-up needs at least: transactions counted per day, branch and action.
They print the number of groups and the transactions counted, so a run can be checked.
"""

from __future__ import annotations

import sys

DUCKDB_SQL = "SELECT CAST(timestamp AS DATE) AS d, branch, action, count(*) AS n FROM read_csv(?) GROUP BY ALL"


def duckdb_scan(path: str) -> tuple[int, int]:
    import duckdb

    frame = duckdb.connect().execute(DUCKDB_SQL, [path]).df()
    return len(frame), int(frame["n"].sum())


def pandas_groupby(path: str) -> tuple[int, int]:
    import pandas as pd

    frame = pd.read_csv(path, usecols=["timestamp", "branch", "action"])
    day = pd.to_datetime(frame["timestamp"], format="%Y-%m-%d %H:%M:%S").dt.normalize()
    counts = frame.groupby([day, frame["branch"], frame["action"]]).size()
    return len(counts), int(counts.sum())


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2 or argv[0] not in ("duckdb", "pandas"):
        print(__doc__, file=sys.stderr)
        return 2
    groups, rows = (duckdb_scan if argv[0] == "duckdb" else pandas_groupby)(argv[1])
    print(f"{argv[0]}: {groups} groups, {rows} transactions")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
