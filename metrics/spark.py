"""The second engine: the metric layer's SQL run on Apache Spark, for a network whose data lives in a lake.

The metric layer writes its queries once, in DuckDB's SQL. For Spark each statement is translated by
SQLGlot (a parser and generator for many SQL dialects) into Spark SQL and run through `spark.sql` with its
values bound as Spark's own positional parameters, never spliced into the text. `SparkConnection` offers the
few methods the metric layer calls on a DuckDB connection (cursor, execute, fetchone, fetchall, df), so the
same functions compute the same rows on either engine (tests/test_spark.py holds them to it).

Where Spark is: `KPI_SPARK_MASTER` or `--spark-master` (local[2] when unset; `spark://host:7077` for a
cluster, `sc://host:15002` for Spark Connect).
"""

from __future__ import annotations

import functools
import os
import shutil

MASTER_ENV = "KPI_SPARK_MASTER"
DEFAULT_MASTER = "local[2]"
LOG_LEVEL = "FATAL"  # Spark's own log: its failures are raised as errors (and reported), not logged
# Small data, two cores: Spark's default of 200 shuffle partitions would cost more than every query.
LOCAL_SETTINGS = {
    "spark.ui.enabled": "false",
    "spark.sql.shuffle.partitions": "2",
    "spark.sql.session.timeZone": "UTC",
    "spark.driver.memory": "2g",
    "spark.sql.ansi.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.log.level": LOG_LEVEL,  # from the start: a master that cannot be reached is reported once, by us
}


class SparkUnavailable(Exception):
    """pyspark or Java is missing, or the Spark master cannot be reached; the message says which and what to do."""


def master(arg: str | None = None) -> str:
    """The Spark master to use: the argument, else KPI_SPARK_MASTER, else local mode on this machine's cores."""
    return arg or os.environ.get(MASTER_ENV) or DEFAULT_MASTER


def session(master_url: str | None = None):
    """A SparkSession for `master_url` (see master()); the one already running in this process when there is one."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise SparkUnavailable("pyspark is not installed; run: pip install -r requirements-spark.txt") from exc
    url = master(master_url)
    if url.startswith("sc://"):
        builder = SparkSession.builder.remote(url)
    elif not shutil.which("java") and not os.environ.get("JAVA_HOME"):
        raise SparkUnavailable("Spark needs a Java runtime; run: sudo apt-get install default-jre-headless")
    else:
        builder = SparkSession.builder.master(url).appName("kpi-dashboard")
        for key, value in LOCAL_SETTINGS.items():
            builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except errors() as exc:
        raise SparkUnavailable(f"Spark could not start on {url}: {first_line(exc)}") from exc
    if not url.startswith("sc://"):
        spark.sparkContext.setLogLevel(LOG_LEVEL)
    return spark


def errors() -> tuple[type[Exception], ...]:
    """What Spark raises when it stops: a PySpark error, or a Java one through Py4J (classic mode)."""
    from pyspark.errors import PySparkException

    try:
        from py4j.protocol import Py4JError
    except ImportError:  # pyspark-client (Spark Connect only) comes without Py4J
        return (PySparkException,)
    return (PySparkException, Py4JError)


def first_line(exc: Exception) -> str:
    """The first line of what Spark said, without Py4J's wrapping."""
    java = getattr(exc, "java_exception", None)
    text = str(java.getMessage()) if java is not None else str(exc)
    return (text.strip().splitlines() or [type(exc).__name__])[0][:200]


# --- translating the metric layer's DuckDB SQL -------------------------------------------------------------


@functools.cache
def _dialects():
    """DuckDB as written here -> Spark SQL: SQLGlot's two dialects, with the DuckDB functions it leaves
    untranslated mapped onto Spark's equivalents."""
    from sqlglot import exp
    from sqlglot.dialects.spark import Spark

    class KpiSpark(Spark):
        class Generator(Spark.Generator):
            TRANSFORMS = {
                **Spark.Generator.TRANSFORMS,
                # to_months(n): an interval of n months (periods.period_sql's fiscal-year shift).
                exp.Anonymous: lambda gen, e: _anonymous(gen, e),
            }

    return KpiSpark


# DuckDB functions SQLGlot passes through by name, and the Spark function taking the same arguments.
RENAMED = {"TO_MONTHS": lambda args: f"MAKE_YM_INTERVAL(0, {args[0]})"}


def _anonymous(gen, e) -> str:
    args = [gen.sql(arg) for arg in e.expressions]
    rename = RENAMED.get(e.name.upper())
    return rename(args) if rename else gen.function_fallback_sql(e)


@functools.cache
def translate(sql: str) -> str:
    """The Spark SQL of one DuckDB statement, placeholders kept (remembered: the metric layer and the import's
    roll-up issue few distinct texts)."""
    import sqlglot

    return sqlglot.transpile(sql, read="duckdb", write=_dialects())[0]


# --- a connection the metric layer can use ----------------------------------------------------------------


class SparkConnection:
    """The metric layer's view of a lake on Spark: `execute(sql, params)` takes DuckDB SQL with `?` values and
    answers as a DuckDB cursor would. Results come back through Arrow and are handed to DuckDB's own
    conversion, so that fetchall() and df() give the same Python and pandas types on both engines."""

    def __init__(self, spark, lake_dir, manifest: dict):
        self.spark = spark
        self.lake_dir = str(lake_dir)
        self.manifest = manifest
        self._result = None

    # The catalogue, from the manifest (data/db.has_table and has_column ask these of a lake connection).
    def has_table(self, table: str) -> bool:
        return table in self.manifest["tables"]

    def table_columns(self, table: str) -> list[str]:
        entry = self.manifest["tables"].get(table)
        return list(entry["columns"]) if entry else []

    def cursor(self) -> SparkConnection:
        return SparkConnection(self.spark, self.lake_dir, self.manifest)

    def execute(self, sql: str, params=None) -> SparkConnection:
        from pyspark.errors import AnalysisException

        try:
            frame = self.spark.sql(translate(sql), args=list(params) if params else None)
            self._result = frame.toArrow()
        except AnalysisException as exc:
            raise _duckdb_error(exc) from exc
        return self

    def _relation(self):
        import duckdb

        if self._result is None:
            raise duckdb.InvalidInputException("no statement has been executed")
        return duckdb.from_arrow(self._result)

    @property
    def description(self) -> list[tuple] | None:
        """(name, type, ...) per column, as DB-API's cursor.description."""
        if self._result is None:
            return None
        return [(field.name, str(field.type), None, None, None, None, None) for field in self._result.schema]

    def fetchall(self) -> list[tuple]:
        return self._relation().fetchall()

    def fetchone(self):
        rows = self._relation().limit(1).fetchall()
        return rows[0] if rows else None

    def df(self):
        return self._relation().df()

    fetchdf = df

    def close(self) -> None:
        self._result = None

    def __enter__(self) -> SparkConnection:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _duckdb_error(exc: Exception) -> Exception:
    """Spark's analysis error as the DuckDB error the metric layer already handles (a missing table or column
    is a CatalogException or BinderException there), so callers need no engine-specific except clauses."""
    import duckdb

    condition = getattr(exc, "getCondition", lambda: None)() or ""
    if condition.startswith("TABLE_OR_VIEW_NOT_FOUND"):
        return duckdb.CatalogException(str(exc).splitlines()[0])
    if condition.startswith("UNRESOLVED_COLUMN"):
        return duckdb.BinderException(str(exc).splitlines()[0])
    return duckdb.Error(f"Spark could not run the query: {str(exc).splitlines()[0]}")


def connect_lake(lake_dir, master_url: str | None = None) -> SparkConnection:
    """A SparkConnection over the lake `lake_dir` (written by `python -m data export --format parquet`): one
    temporary view per table, partition columns left out so every view has the database table's columns."""
    from pathlib import Path

    from data import lake

    root = Path(lake_dir).absolute()
    manifest = lake.read_manifest(root)
    # A session of its own (sharing the running Spark): temporary views belong to a session, so two lakes
    # open in one process never read each other's tables.
    spark = session(master_url).newSession()
    for table, entry in manifest["tables"].items():
        # Exactly the files the manifest lists (as the DuckDB reader does), the year folders found from basePath.
        files = [str(root / name) for name in entry["files"]]
        frame = spark.read.option("basePath", str(root / entry["path"])).parquet(*files)
        frame.select(*entry["columns"]).createOrReplaceTempView(table)
    con = SparkConnection(spark, root, manifest)
    lake.register(con, manifest)
    return con
