"""Every Spark test, in one module with one Spark session (starting one costs about 5 s): the lake, the
metric layer's parity with DuckDB, and the transaction roll-up on Spark."""

from __future__ import annotations

import contextlib
import datetime as dt
import io

import duckdb
import pandas as pd
import pytest

from data import cli as data_cli
from data import store
from metrics import cli as metrics_cli
from metrics import engine, registry
from metrics import spark as spark_engine
from metrics.filters import Filter


@pytest.fixture(scope="module")
def spark():
    """One local Spark session for the whole module."""
    session = spark_engine.session("local[2]")
    yield session
    session.stop()


def test_the_session_runs_spark_sql(spark):
    assert spark.sql("SELECT 1 + 1 AS two").collect()[0]["two"] == 2


# --- the metric layer on Spark: the same rows as on DuckDB, from a lake the data CLI wrote


@pytest.fixture(scope="module")
def sample_lake(sample_db_path, tmp_path_factory):
    """The sample database exported by the data CLI's command, as a user would."""
    folder = tmp_path_factory.mktemp("lake") / "lake"
    with contextlib.redirect_stdout(io.StringIO()):
        assert data_cli.main(["export", "--db", str(sample_db_path), "--format", "parquet", "--out", str(folder)]) == 0
    return folder


@pytest.fixture(scope="module")
def on_spark(spark, sample_lake):
    return spark_engine.connect_lake(sample_lake)


@pytest.fixture(scope="module")
def on_duckdb(sample_db_path):
    con, _ = store.open_reader(sample_db_path)
    yield con
    con.close()


def _same(a: engine.Result, b: engine.Result) -> None:
    """Everything a reader sees of a result: the table, the rows gone, the notes and the trust facts."""
    pd.testing.assert_frame_equal(a.table, b.table)
    pd.testing.assert_frame_equal(a.gone, b.gone)
    assert (a.as_of, a.complete_through, a.pending, a.excluded, a.notes) == (
        b.as_of,
        b.complete_through,
        b.pending,
        b.excluded,
        b.notes,
    )


@pytest.mark.parametrize("metric_id", [m.id for m in registry.METRICS])
def test_every_metric_gives_the_same_rows_on_spark(metric_id, on_duckdb, on_spark):
    """Year and month grain, year over year, for the network and by branch where the metric breaks down so."""
    metric = registry.get(metric_id)
    bys = [None, "branch"] if "branch" in registry.breakdowns(metric) else [None]
    for grain in ("year", "month"):
        for by in bys:
            expected = engine.compute(on_duckdb, metric_id, Filter(), grain=grain, by=by, compare=True)
            got = engine.compute(on_spark, metric_id, Filter(), grain=grain, by=by, compare=True)
            _same(expected, got)


def test_the_parity_is_not_vacuous(on_duckdb):
    """Nearly every metric has rows on the sample (e-media loans have none), so equal tables mean something."""
    with_rows = [
        m.id for m in registry.METRICS if not engine.compute(on_duckdb, m.id, Filter(), grain="month").table.empty
    ]
    assert len(with_rows) >= len(registry.METRICS) - 2


def test_filters_and_other_comparisons_agree(on_duckdb, on_spark):
    """A district and a kind, like-for-like, a fiscal year, a months-back comparison and quarters by district."""
    flt = Filter(districts=("North",), date_from=dt.date(2024, 1, 1))
    cases = [
        dict(metric_id="visits", flt=flt, grain="month", like_for_like=True),
        dict(metric_id="loans", flt=Filter(kinds=("branch",)), grain="year", fiscal_start=4),
        dict(metric_id="loans", flt=Filter(), grain="quarter", by="district"),
        dict(metric_id="events", flt=Filter(), grain="window", months_back=3),
        dict(metric_id="satisfaction", flt=Filter(), grain="quarter", by="district"),
    ]
    for case in cases:
        metric_id, case_flt = case.pop("metric_id"), case.pop("flt")
        _same(
            engine.compute(on_duckdb, metric_id, case_flt, compare=True, **case),
            engine.compute(on_spark, metric_id, case_flt, compare=True, **case),
        )


def _query(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = metrics_cli.main(["query", *argv])
    return code, out.getvalue(), err.getvalue()


def test_the_query_command_answers_the_same_on_every_engine(sample_db_path, sample_lake, spark):
    """The database, the lake on DuckDB and the lake on Spark print the same CSV and notes."""
    question = ["--metric", "loans", "--grain", "month", "--by", "branch", "--compare", "yoy"]
    answers = [
        _query([*question, "--db", str(sample_db_path)]),
        _query([*question, "--lake", str(sample_lake)]),
        _query([*question, "--lake", str(sample_lake), "--engine", "spark", "--spark-master", "local[2]"]),
    ]
    assert answers[0][0] == 0 and answers[0][1].count("\n") > 100
    assert answers[1] == answers[0]
    assert answers[2] == answers[0]


def test_the_query_command_refuses_what_it_cannot_do(sample_db_path, sample_lake, tmp_path):
    code, _, err = _query(["--metric", "loans", "--engine", "spark"])
    assert code == 2 and "--lake" in err
    code, _, err = _query(["--metric", "loans", "--lake", str(sample_lake), "--db", str(sample_db_path)])
    assert code == 2 and "not both" in err
    code, _, err = _query(["--metric", "loans", "--spark-master", "local[1]", "--db", str(sample_db_path)])
    assert code == 2 and "--engine spark" in err
    code, _, err = _query(["--metric", "loans", "--engine", "spark", "--lake", str(tmp_path / "nowhere")])
    assert code == 2 and "nowhere" in err


def test_spark_errors_arrive_as_the_errors_the_metric_layer_handles(on_spark):
    with pytest.raises(duckdb.CatalogException):
        on_spark.execute("SELECT count(*) FROM no_such_table").fetchall()
    with pytest.raises(duckdb.BinderException):
        on_spark.execute("SELECT no_such_column FROM visits").fetchall()


def test_values_are_bound_not_spliced(on_spark):
    """A value that would break SQL text (a quote, a comment) is only ever a value."""
    hostile = "North'; DROP VIEW visits; --"
    rows = on_spark.execute("SELECT count(*) FROM visits WHERE branch_id = ?", [hostile]).fetchall()
    assert rows == [(0,)]
    assert on_spark.execute("SELECT count(*) > 0 FROM visits").fetchone() == (True,)
