"""Every Spark test, in one module with one Spark session (starting one costs about 5 s): the lake, the
metric layer's parity with DuckDB, and the transaction roll-up on Spark."""

from __future__ import annotations

import contextlib
import datetime as dt
import io

import duckdb
import pandas as pd
import pytest
from conftest import FIXTURES, load, table_snapshot
from test_import_fastpath import SPELLINGS, transactions

from data import cli as data_cli
from data import db, fastpath, sparkpath, store
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


# --- the transaction roll-up on Spark


@pytest.fixture(scope="module")
def loans(tmp_path_factory):
    """A transaction export over the planner's head, with holds (skipped actions) and several spellings of one
    branch and one item type, as the DuckDB fast path's tests use it."""
    path = tmp_path_factory.mktemp("loans") / "loans.csv"
    transactions(path, 30_000, **SPELLINGS)
    return path


@pytest.fixture(scope="module")
def imported(loans, spark, tmp_path_factory):
    """The same export imported by the default engine and with --engine spark, each into its own database
    with the fixture branch list: {engine: (connection, report)}."""
    found = {}
    for engine_name in ("duckdb", "spark"):
        con = db.connect(tmp_path_factory.mktemp(engine_name) / "kpi.duckdb")
        assert load(con, FIXTURES / "import" / "branches.csv").status == "loaded"
        found[engine_name] = (con, load(con, loans, engine=engine_name))
    yield found
    for con, _ in found.values():
        con.close()


def _rows(con, table: str) -> list[tuple]:
    # The table name is one of two fixed names.
    return con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()


def test_spark_rolls_up_the_same_daily_rows_as_duckdb(imported):
    (duck, duck_report), (spark_con, spark_report) = imported["duckdb"], imported["spark"]
    assert duck_report.status == spark_report.status == "loaded"
    assert sparkpath.NOTE in spark_report.notes and fastpath.NOTE in duck_report.notes
    for table in ("circulation", "circulation_daily"):
        assert _rows(spark_con, table) == _rows(duck, table) != []
    assert (spark_report.rows_read, spark_report.rows_accepted, spark_report.rows_stored) == (
        duck_report.rows_read,
        duck_report.rows_accepted,
        duck_report.rows_stored,
    )


def test_spark_counts_the_same_skipped_actions_with_their_lines(imported, loans):
    duck_report, spark_report = imported["duckdb"][1], imported["spark"][1]
    reason = "action 'hold' is not a checkout, renewal or return"
    assert spark_report.skip_counts == duck_report.skip_counts and spark_report.skip_count(reason) > 0
    assert spark_report.skipped == duck_report.skipped
    first = spark_report.skipped[reason][0]
    assert loans.read_text().splitlines()[first - 1].split(",")[2] == "hold"


@pytest.mark.parametrize(
    "engines", [("duckdb", "spark"), ("spark", "duckdb")], ids=["duckdb-then-spark", "spark-first"]
)
def test_reimport_with_the_other_engine_is_recognised(imported, loans, engines):
    con = imported[engines[0]][0]
    before = table_snapshot(con)
    again = load(con, loans, engine=engines[1])
    assert again.status == "unchanged" and again.message.startswith("already imported")
    assert table_snapshot(con) == before


def test_a_bad_date_falls_back_to_the_row_path_with_its_line(spark, branches_db, tmp_path):
    path = tmp_path / "loans.csv"
    transactions(path, 8_000, extra="2024-02-30 10:00:00,Albany Park,checkout,Book,Adult\r\n")
    before = table_snapshot(branches_db)
    report = load(branches_db, path, engine="spark")
    assert report.status == "rejected"
    assert [p.line for p in report.problems] == [8_002]
    assert report.problems[0].reason.startswith("no such date (2024-02-30)")
    assert any(note.startswith("--engine spark: Spark did not roll this file up") for note in report.notes)
    assert table_snapshot(branches_db) == before


def test_a_date_only_spark_would_read_goes_where_duckdb_sends_it(spark, branches_db, tmp_path):
    """Spark's cast takes `2024-03` as March 1st where DuckDB's reads no date: Spark does not roll the file up,
    and the rows are those the default engine gives."""
    path = tmp_path / "loans.csv"
    transactions(path, 8_000, extra="2024-03,Albany Park,checkout,Book,Adult\r\n")
    report = load(branches_db, path, engine="spark")
    assert sparkpath.NOTE not in report.notes
    other = db.connect(tmp_path / "other.duckdb")
    load(other, FIXTURES / "import" / "branches.csv")
    duck_report = load(other, path)
    assert fastpath.NOTE not in duck_report.notes
    assert (report.status, report.rows_accepted) == (duck_report.status, duck_report.rows_accepted)
    assert _rows(branches_db, "circulation") == _rows(other, "circulation") != []
    other.close()


def test_a_row_with_a_cell_too_many_falls_back_with_what_spark_said(spark, branches_db, tmp_path):
    path = tmp_path / "loans.csv"
    transactions(path, 8_000, extra="2024-03-01 10:00:00,Albany Park,checkout,Book,Adult,extra\r\n")
    report = load(branches_db, path, engine="spark")
    assert sparkpath.NOTE not in report.notes
    assert any(note.startswith("Spark stopped reading the file") for note in report.notes)


def test_the_command_line_takes_engine_spark_and_says_when_it_does_not_apply(spark, loans, tmp_path, capsys):
    database = str(tmp_path / "kpi.duckdb")
    branches = str(FIXTURES / "import" / "branches.csv")
    assert data_cli.main(["import", "--db", database, "--engine", "spark", "--spark-master", "local[2]", branches]) == 0
    out = capsys.readouterr().out
    assert "--engine spark applies to transaction-level circulation exports" in out
    assert data_cli.main(["import", "--db", database, "--engine", "spark", str(loans)]) == 0
    assert sparkpath.NOTE in capsys.readouterr().out
    assert data_cli.main(["import", "--db", database, "--spark-master", "local[2]", str(loans)]) == 2


def test_line_numbers_hold_across_spark_partitions(spark, branches_db, tmp_path):
    """A file read in several partitions: each skipped action keeps its line, the last line's included."""
    path = tmp_path / "loans.csv"
    transactions(path, 30_000, extra="2024-03-01 10:00:00,Albany Park,lost,Book,Adult\r\n")
    spark.conf.set("spark.sql.files.maxPartitionBytes", "200000")
    try:
        assert spark.read.text(str(path)).rdd.getNumPartitions() > 4
        report = load(branches_db, path, engine="spark")
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")
    assert sparkpath.NOTE in report.notes
    assert report.skipped["action 'lost' is not a checkout, renewal or return"] == [30_002]
    holds = report.skipped["action 'hold' is not a checkout, renewal or return"]
    lines = path.read_text().splitlines()
    assert len(holds) == fastpath.SKIPPED_LINES_KEPT and all(lines[n - 1].split(",")[2] == "hold" for n in holds)
