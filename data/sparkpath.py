"""The import's transaction roll-up on Apache Spark (`python -m data import --engine spark`), for lake-scale files.

The one pass over every row runs on Spark, with the SQL text data/fastpath.py runs on DuckDB (scan_sql,
skipped_sql) translated by SQLGlot, values bound as Spark's positional parameters. Its groups (one per day,
branch, item type and patron category as written: small even for a province) come back as Arrow into the
importer's DuckDB cursor as fastpath.SCANNED, and from there on nothing differs from the DuckDB path:
fastpath.settle labels and checks them, the importer resolves branches, writes a new store generation, logs
the content hash (so a re-import with either engine is recognised), the journal and the report.

What only Spark needs, kept small because Spark's own readers and casts differ from DuckDB's:
- reading: each line is read as text and parsed as CSV by `from_csv` with every cell a string, in FAILFAST
  mode: a row with too few or too many cells, a stray quote, or a quoted cell holding a line break fails the
  read, and the importer's row path takes the file (as when DuckDB rejects a CSV). Reading lines keeps their
  physical positions, so the header and the lines above it are skipped exactly as DuckDB's `skip` does and
  skipped actions are listed with their true line numbers; blank lines are passed over, as DuckDB does.
- dates: Spark's cast of text to a date takes `2024-01` or `+2024` as a date where DuckDB's gives NULL. A
  timestamp reaches the shared SQL only when its first ten characters have the shape both casts read alike
  (DATE_SHAPE); anything else reads as no date, and the file goes to the row path.

Where Spark runs: metrics/spark.session (`--spark-master` / KPI_SPARK_MASTER; local mode by default). The file
must be readable at its path by Spark's executors (on a cluster: a shared mount).
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile

import duckdb

from data import fastpath
from data.reading import Table
from data.rows import Plan

NOTE = "rolled up to daily rows on Spark in one scan of the file"
ROWS = "tx_rows"  # a Spark temporary view: the export's data rows (c0, c1, ..., part, pos)
NUMBERED = "tx_numbered"  # the same with `rn`, each row's number after the header
# The first ten characters of a timestamp that Spark's and DuckDB's casts to DATE read as the same day.
DATE_SHAPE = r"^ *[0-9]{4}-[0-9]{1,2}-[0-9]{1,2} *$"
GLOB = re.compile(r"([\\*?\[\]{}])")  # what Hadoop's path reader would expand


def rollup(
    cursor, path: str, table: Table, plan: Plan, delimiter: str, master: str | None = None, notes: list | None = None
) -> fastpath.Rollup | None:
    """fastpath.rollup on Spark: STAGING on `cursor` and the Rollup, or None to fall back to the row path
    (with why appended to `notes` when Spark itself stopped)."""
    if table.encoding not in ("utf-8", "utf-8-sig"):
        return None
    # The session helper lives with the second engine in metrics/; imported here, when Spark is asked for.
    from metrics import spark as engine

    spark = engine.session(master)
    cols = fastpath.columns(table, plan)
    try:
        with _quiet(spark, engine.LOG_LEVEL), _readable(path) as readable:
            lines = _lines(spark, readable)
            rows = _rows(lines, table, cols, delimiter)
            rows.createOrReplaceTempView(ROWS)
            groups = spark.sql(engine.translate(fastpath.scan_sql(cols, ROWS)), args=fastpath.known_actions()).toArrow()
            cursor.register("tx_groups", groups)
            cursor.execute(f"CREATE OR REPLACE TEMP TABLE {fastpath.SCANNED} AS SELECT * FROM tx_groups")
            cursor.unregister("tx_groups")
            roll = fastpath.settle(cursor)
            if roll is not None and roll.other:
                _numbered(spark, lines, rows, table).createOrReplaceTempView(NUMBERED)
                sql = engine.translate(fastpath.skipped_sql(cols, NUMBERED))
                found = [tuple(row) for row in spark.sql(sql, args=fastpath.known_actions()).collect()]
                roll.skipped, roll.skipped_counts = fastpath.skipped(found, table)
    except duckdb.Error:
        return None
    except engine.errors() as exc:
        if notes is not None:
            notes.append(f"Spark stopped reading the file ({engine.first_line(exc)})")
        return None
    finally:
        for view in (ROWS, NUMBERED):
            spark.catalog.dropTempView(view)
    return roll


def _lines(spark, path: str):
    """Every line of the file as text, with its partition, its position in that partition and the byte of the
    file the partition starts at."""
    from pyspark.sql import functions as F

    # monotonically_increasing_id is the partition number in its top bits and the position within it below.
    part = F.spark_partition_id()
    pos = F.monotonically_increasing_id() - F.shiftleft(part.cast("long"), 33)
    return spark.read.text(path).select(
        "value", part.alias("part"), pos.alias("pos"), F.col("_metadata.file_block_start").alias("block")
    )


def _rows(lines, table: Table, cols: fastpath.Columns, delimiter: str):
    """The data rows of the export: the cells as c0, c1, ... (strings) with each line's partition and position,
    the lines down to the header and blank lines left out."""
    from pyspark.sql import functions as F

    schema = ", ".join(f"{name} STRING" for name in cols.names)
    options = {"sep": delimiter, "quote": '"', "escape": '"', "mode": "FAILFAST"}
    kept = lines.where(~((F.col("block") == 0) & (F.col("pos") < table.header_line)) & (F.trim("value") != ""))
    cells = kept.select(F.from_csv("value", schema, options).alias("row"), "part", "pos")
    when = F.col(f"row.{cols.when}")
    shaped = F.when(F.left(when, F.lit(10)).rlike(DATE_SHAPE), when).alias(cols.when)
    return cells.select(
        *[shaped if name == cols.when else F.col(f"row.{name}").alias(name) for name in cols.names], "part", "pos"
    )


def _numbered(spark, lines, rows, table: Table):
    """`rows` with `rn`, the line number after the header: each partition's lines follow those of the
    partitions that start earlier in the file, counted in one more pass (only when actions were skipped)."""
    from pyspark.sql import functions as F

    sizes = lines.groupBy("part").agg(F.min("block").alias("block"), F.count("*").alias("lines")).collect()
    starts, before = [], 0
    for size in sorted(sizes, key=lambda size: size["block"]):
        starts.append((size["part"], before))
        before += size["lines"]
    offsets = spark.createDataFrame(starts, "part INT, start BIGINT")
    line = F.col("start") + F.col("pos") + 1
    return rows.join(F.broadcast(offsets), "part").withColumn("rn", line - table.header_line)


@contextlib.contextmanager
def _readable(path: str):
    """`path` as Spark's reader opens exactly that file: glob characters escaped, and a name Hadoop cannot
    take at all (a colon, a backslash) read through a symbolic link in a private folder (local mode only)."""
    path = os.path.abspath(path)
    name = os.path.basename(path)
    if ":" not in name and "\\" not in name:
        yield GLOB.sub(r"\\\1", path)
        return
    with tempfile.TemporaryDirectory(prefix="kpi-spark-") as folder:
        link = os.path.join(folder, "export.csv")
        os.symlink(path, link)
        yield link


@contextlib.contextmanager
def _quiet(spark, level: str):
    """Spark's log off while it reads (then back to `level`): a refused file is reported by the row path, not
    by a Java stack trace."""
    context = _context(spark)
    if context is not None:
        context.setLogLevel("OFF")
    try:
        yield
    finally:
        if context is not None:
            context.setLogLevel(level)


def _context(spark):
    """The SparkContext of a classic session; None for Spark Connect, which has none."""
    try:
        return spark.sparkContext
    except Exception:  # noqa: BLE001 - Spark Connect raises its own error for sparkContext
        return None
