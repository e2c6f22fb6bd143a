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

import os
import shutil

MASTER_ENV = "KPI_SPARK_MASTER"
DEFAULT_MASTER = "local[2]"
# Small data, two cores: Spark's default of 200 shuffle partitions would cost more than every query.
LOCAL_SETTINGS = {
    "spark.ui.enabled": "false",
    "spark.sql.shuffle.partitions": "2",
    "spark.sql.session.timeZone": "UTC",
    "spark.driver.memory": "2g",
    "spark.sql.ansi.enabled": "false",
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
        return SparkSession.builder.remote(url).getOrCreate()
    if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
        raise SparkUnavailable("Spark needs a Java runtime; run: sudo apt-get install default-jre-headless")
    builder = SparkSession.builder.master(url).appName("kpi-dashboard")
    for key, value in LOCAL_SETTINGS.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark
