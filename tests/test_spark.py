"""Every Spark test, in one module with one Spark session (starting one costs about 5 s): the lake, the
metric layer's parity with DuckDB, and the transaction roll-up on Spark."""

from __future__ import annotations

import pytest

from metrics import spark as spark_engine


@pytest.fixture(scope="module")
def spark():
    """One local Spark session for the whole module."""
    session = spark_engine.session("local[2]")
    yield session
    session.stop()


def test_the_session_runs_spark_sql(spark):
    assert spark.sql("SELECT 1 + 1 AS two").collect()[0]["two"] == 2
