"""Spark against DuckDB on a page's query set: from what size does the second engine pay off?

    python -m bench.engines --db PATH [--lake DIR] [--repeat 5] [--spark-master local[2]]

The Overview's engine calls for the default view (bench/queries.py CALLS: the trend chart, every card with its
sparkline and target, the satisfaction trend, the as-of date) are timed on three readers of the same data:
the DuckDB database the dashboard reads, the lake written from it by `python -m data export` read through
DuckDB (data/lake.py), and the same lake on Spark (metrics/spark.py). One untimed pass first (it fills the
per-database memo and, on Spark, compiles and caches what it can), then the median of `repeat` passes.
Every call's result is also compared across the three: a faster engine that answers differently is no answer.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import statistics
import time
from pathlib import Path

import pandas as pd

from bench import queries

ENGINES = ("duckdb", "duckdb lake", "spark lake")
PAGE = queries.OVERVIEW
# The Overview's calls that go through the metric layer (the data checks are computed at import, the listings
# read the branch list: neither grows with the transaction count).
KINDS = ("metric", "sat_trend", "as_of")


def _calls(view: queries.View) -> list[queries.Call]:
    return [call for call in queries.page_calls(PAGE, view) if call.what in KINDS]


def _frame(result) -> pd.DataFrame | object:
    """What a call answers, comparable across engines."""
    return getattr(result, "table", result)


def _pass(con, calls, view, flt) -> tuple[float, list]:
    started, answers = time.perf_counter(), []
    for call in calls:
        answers.append(_frame(queries.execute(con, call, view, flt)))
    return time.perf_counter() - started, answers


def _equal(a, b) -> bool:
    if isinstance(a, pd.DataFrame):
        try:
            pd.testing.assert_frame_equal(a, b)
        except AssertionError:
            return False
        return True
    return a == b


def measure(db_path: Path, lake_dir: Path, repeat: int = 5, spark_master: str | None = None) -> dict:
    """Export the lake (timed), then the Overview's query set on each engine: {engine: median seconds, ...}."""
    from data import lake, store
    from metrics import spark

    started = time.perf_counter()
    lake.export(db_path, lake_dir)
    exported = time.perf_counter() - started
    duck, _ = store.open_reader(db_path)
    started = time.perf_counter()
    readers = {"duckdb": duck, "duckdb lake": lake.connect_duckdb(lake_dir)}
    readers["spark lake"] = spark.connect_lake(lake_dir, spark_master)
    spark_start = time.perf_counter() - started
    view = queries.DEFAULT
    flt = queries.view_filter(view, queries.as_of(duck))
    calls = _calls(view)
    out = {"export_s": exported, "spark_start_s": spark_start, "calls": len(calls), "times": {}, "differ": []}
    reference = None
    for name, con in readers.items():
        _, answers = _pass(con, calls, view, flt)  # warm-up
        if reference is None:
            reference = answers
        else:
            out["differ"] += [
                f"{name}: {queries.describe(call, view)}"
                for call, a, b in zip(calls, reference, answers, strict=True)
                if not _equal(a, b)
            ]
        out["times"][name] = statistics.median(_pass(con, calls, view, flt)[0] for _ in range(repeat))
    return out


def section(results: dict[int, dict]) -> str:
    """The Markdown section: per size, the query set on each engine and Spark's ratio to DuckDB."""
    lines = [
        "## Spark vs DuckDB: a page's query set",
        "",
        "The Overview's query set for the default view (the metric-layer calls of bench/queries.py: trend, cards "
        "with sparklines and targets, satisfaction trend, as-of date), median of the passes after one warm-up, on "
        "the database, on the lake written from it read by DuckDB, and on the same lake on local Spark "
        "(`local[2]`, this machine's two cores). *Same answers* compares every call's table across the three.",
        "",
        "| rows | calls | lake export | Spark session + views | DuckDB database | DuckDB on the lake "
        "| Spark on the lake | Spark / DuckDB | same answers |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for rows, r in sorted(results.items()):
        if r.get("error") or not r.get("times"):
            lines.append(f"| {rows / 1e6:g}M | failed: {r.get('error')} |||||||||")
            continue
        t = r["times"]
        label = f"{rows / 1e6:g}M" + (f" ({r['scope']})" if r.get("scope") else "")
        same = "yes" if not r["differ"] else "no: " + "; ".join(r["differ"][:3])
        lines.append(
            f"| {label} | {r['calls']} | {r['export_s']:.2f} s | {r['spark_start_s']:.1f} s "
            f"| {t['duckdb'] * 1000:.0f} ms | {t['duckdb lake'] * 1000:.0f} ms | {t['spark lake'] * 1000:.0f} ms "
            f"| {t['spark lake'] / t['duckdb']:.1f}× | {same} |"
        )
    ratios = {rows: r["times"]["spark lake"] / r["times"]["duckdb"] for rows, r in results.items() if r.get("times")}
    if ratios:
        largest = max(ratios)
        verdict = (
            f"DuckDB answered faster at every size measured, up to {largest / 1e6:g}M transactions: the pages read "
            "rolled-up tables, which stay small, so on one machine Spark never pays off for them."
            if all(r > 1 for r in ratios.values())
            else "Spark answered faster at "
            + ", ".join(f"{rows / 1e6:g}M" for rows, r in sorted(ratios.items()) if r <= 1)
            + " transactions."
        )
        lines += ["", verdict]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.engines", description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="a KPI database (e.g. bench/work/<size>/.../kpi.duckdb)")
    parser.add_argument("--lake", type=Path, help="where to write the lake (default: beside the database)")
    parser.add_argument("--rows", type=int, default=0, help="the transaction count, for the table's first column")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--spark-master")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line (bench/run.py)")
    args = parser.parse_args(argv)
    lake_dir = args.lake or args.db.parent / "lake"
    with contextlib.redirect_stdout(io.StringIO()):
        result = measure(args.db, lake_dir, args.repeat, args.spark_master)
    print(json.dumps(result) if args.json else section({args.rows: result}))
    return 1 if result["differ"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
