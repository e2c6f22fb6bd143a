"""Spark vs DuckDB for the import's transaction roll-up: the same generated file through `python -m data import`
with the default engine and with `--engine spark` (local[2] unless told otherwise).

    python -m bench.spark_import [--sizes 1000000] [--repeat 1] [--master local[2]] [--work DIR] [--out FILE]

For each size (bench/generate.py writes the file once) and repetition: a fresh database with the branch list,
then the transactions file imported by each engine, each run its own process under `/usr/bin/time -v` (wall
time, peak RSS as it reports it), the engines' order alternating by repetition. The Spark figure includes
starting the JVM and the session, measured on its own too (`session_s`), as a scheduled job pays it once per
run. After each pair the two databases' circulation rows are compared, so a figure never stands for an import
that went another way. Ratios are within one run; bench/run.py calls this with `--spark-sizes` and puts
section() into bench/RESULTS.md. Prints one JSON object on its last line.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
from pathlib import Path

from bench import generate as gen
from bench.run import log, run_timed

ENGINES = ("duckdb", "spark")
TITLE = "## Spark vs DuckDB: import roll-up"
DEFAULT_MASTER = "local[2]"
SESSION = "from metrics import spark; spark.session({master!r}).stop()"


def measure(sizes: list[int], repeat: int = 1, work: Path = gen.WORK, master: str = DEFAULT_MASTER) -> dict:
    """{"master", "session_s", "sizes": {rows: {"file_mb", "runs": {engine: [run]}, "same_rows": bool}}}."""
    found = {"master": master, "sizes": {}}
    session = run_timed([sys.executable, "-c", SESSION.format(master=master)], timeout=600)
    found["session_s"] = session.get("wall") if not session.get("error") else None
    for rows in sizes:
        files = gen.generate(rows, work)
        size = {"file_mb": files.transactions.stat().st_size / 1e6, "runs": {e: [] for e in ENGINES}, "same": []}
        for rep in range(repeat):
            order = ENGINES if rep % 2 == 0 else ENGINES[::-1]
            databases = {
                engine: _import(files, engine, master, work / f"spark_import_{engine}", size) for engine in order
            }
            size["same"].append(_circulation(databases["duckdb"]) == _circulation(databases["spark"]))
            log(f"  spark vs duckdb {rows:,} {rep + 1}/{repeat}: " + ", ".join(_brief(size, e) for e in ENGINES))
        size["same_rows"] = all(size.pop("same"))
        found["sizes"][str(rows)] = size
    return found


def _import(files: gen.Files, engine: str, master: str, folder: Path, size: dict) -> Path:
    """A fresh database with the branch list, then the timed import of the transactions with `engine`."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    database = folder / "kpi.duckdb"
    command = [sys.executable, "-m", "data", "import", "--db", str(database)]
    prepared = run_timed([*command, str(files.branches)], timeout=600)
    if prepared.get("error"):
        raise RuntimeError(f"branch list import failed: {prepared}")
    spark = ["--engine", "spark", "--spark-master", master] if engine == "spark" else []
    size["runs"][engine].append(run_timed([*command, *spark, str(files.transactions)], timeout=7200))
    return database


def _circulation(database: Path) -> tuple | None:
    """A fingerprint of the imported rows: count, sums and the sum of each row's hash."""
    import duckdb

    if not database.exists():
        return None
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(
            "SELECT count(*), sum(checkouts), sum(renewals), sum(returns), "
            "sum(hash(date, branch_id, item_type, patron_category, checkouts, renewals, returns)) FROM circulation"
        ).fetchone()


def _median(size: dict, engine: str, key: str = "wall") -> float | None:
    values = [run[key] for run in size["runs"][engine] if run.get(key) is not None and not run.get("error")]
    return statistics.median(values) if values else None


def _brief(size: dict, engine: str) -> str:
    run = size["runs"][engine][-1]
    return f"{engine} {run['wall']:.1f} s" + (f" ({run['error']})" if run.get("error") else "")


def _seconds(value: float | None) -> str:
    return f"{value:,.1f} s" if value is not None else "n/a"


def section(found: dict | None) -> list[str]:
    """The Markdown section for bench/RESULTS.md; nothing when it was not measured."""
    if not found:
        return []
    lines = [
        "",
        TITLE,
        "",
        f"`python -m data import` of the generated transactions file into a fresh database holding the branch "
        f"list, with the default engine and with `--engine spark --spark-master {found['master']}` (data/sparkpath.py: "
        "the fast path's scan on Spark, its groups settled and written by the importer as for DuckDB), each its own "
        "process, medians of wall time; peak RSS as `/usr/bin/time` reports it (Spark's JVM, a child process, may "
        "not be counted). Starting the "
        f"JVM and a Spark session alone took {_seconds(found.get('session_s'))}; it is part of every Spark figure.",
        "",
        "| rows | file | DuckDB | its RSS | Spark | its RSS | Spark / DuckDB | same rows |",
        "|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for rows, size in sorted(found["sizes"].items(), key=lambda item: int(item[0])):
        duck, spark = _median(size, "duckdb"), _median(size, "spark")
        rss = {engine: _median(size, engine, "rss_mb") for engine in ENGINES}
        ratio = f"{spark / duck:.1f}×" if duck and spark else "n/a"
        lines.append(
            f"| {int(rows):,} | {size['file_mb']:,.0f} MB | {_seconds(duck)} | {rss['duckdb'] or 0:,.0f} MB | "
            f"{_seconds(spark)} | {rss['spark'] or 0:,.0f} MB | {ratio} | {'yes' if size['same_rows'] else 'NO'} |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.spark_import", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000000", help="transaction counts, comma separated (default 1000000)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--master", default=DEFAULT_MASTER, help="the Spark master (default %(default)s)")
    parser.add_argument("--work", type=Path, default=gen.WORK, help="folder for the generated files and databases")
    parser.add_argument("--out", type=Path, help="also write the Markdown section to this file")
    args = parser.parse_args(argv)
    found = measure([int(s) for s in args.sizes.split(",")], args.repeat, args.work.resolve(), args.master)
    if args.out:
        args.out.write_text("\n".join(section(found)).lstrip() + "\n", encoding="utf-8")
    print(json.dumps(found, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
