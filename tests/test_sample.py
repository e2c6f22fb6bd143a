"""The bundled sample: reproducible, and its planted awkward cases land in the database as intended."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from data import cli, db
from data import make_sample as ms
from data.cli import SAMPLE_DIR, build_sample
from metrics.engine import compute


@pytest.fixture(scope="module")
def sample_con(sample_db_path):
    con = db.connect(sample_db_path, read_only=True)
    yield con
    con.close()


def one(con, sql: str, *params):
    return con.execute(sql, list(params)).fetchone()[0]


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_generator_reproduces_the_committed_files(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "data.make_sample", "--out", str(tmp_path)],
        check=True,
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        timeout=300,
    )
    assert digest(tmp_path) == digest(SAMPLE_DIR)


def test_sample_today_is_fixed_and_only_plans_lie_after_it():
    # The exports were taken the day after their last month (2026-10) closed; a literal, not the clock.
    assert ms.TODAY == dt.date(2026, 11, 1)
    events = pd.read_csv(SAMPLE_DIR / "events.csv", usecols=["date", "planned"], dtype=str)
    later = events[pd.to_datetime(events["date"]).dt.date >= ms.TODAY]
    assert len(later) > 0 and set(later["planned"]) == {"true"}
    assert later["date"].max() == "2026-12-31"


def test_build_sample_imports_as_of_the_sample_today_not_the_real_date(tmp_path, monkeypatch):
    seen = []

    def record(con, paths, options):
        seen.append((paths, options.today))
        return []

    monkeypatch.setattr(cli, "import_paths", record)
    assert build_sample(str(tmp_path / "kpi.duckdb")) == 0
    assert seen == [([SAMPLE_DIR], dt.date(2026, 11, 1))]


def test_sample_is_small_enough_to_commit():
    assert sum(p.stat().st_size for p in SAMPLE_DIR.iterdir()) < 6_000_000


def test_network_shape(sample_con):
    kinds = dict(sample_con.execute("SELECT kind, count(*) FROM branches GROUP BY 1").fetchall())
    assert kinds["main"] == 1 and kinds["branch"] >= 8 and kinds["community"] >= 15 and kinds["mobile"] >= 2
    assert kinds["museum"] >= 1 and kinds["centre"] >= 2
    assert one(sample_con, "SELECT count(*) FROM branches WHERE name_zh IS NULL") == 0


@pytest.mark.parametrize(
    "metric_id", ["visits", "loans", "events", "attendance", "satisfaction", "new_registrations", "plan_completion"]
)
def test_sample_data_ends_on_31_october_2026(sample_con, metric_id):
    # Every table's data ends with END_MONTH (2026-10); the events planned for November and December are
    # not data yet, so the events metrics end there too.
    assert compute(sample_con, metric_id, grain="year").as_of == dt.date(2026, 10, 31)


def test_wide_gb18030_sheet_values_not_its_totals(sample_con):
    # The 2024 sheet's 合计 for the wrong-total room is off by WRONG_TOTAL_DELTA; we sum the months.
    raw = (SAMPLE_DIR / ms.COMMUNITY_FILE_PATTERN.format(year=ms.WRONG_TOTAL_YEAR)).read_bytes()
    sheet = pd.read_csv(io.StringIO(raw.decode("gb18030")), thousands=",", dtype=str)
    name = ms.SITE_BY_ID[ms.WRONG_TOTAL_ROOM].name_zh
    row = sheet[sheet["馆名"].str.rstrip("*") == name].iloc[0]
    months = sum(int(row[f"{m}月"]) for m in range(1, 13))
    assert int(row["合计"]) == months + ms.WRONG_TOTAL_DELTA
    stored = one(
        sample_con,
        "SELECT sum(visits) FROM visits WHERE branch_id = ? AND year(date) = ?",
        ms.WRONG_TOTAL_ROOM,
        ms.WRONG_TOTAL_YEAR,
    )
    assert stored == months


def test_blank_is_missing_and_zero_is_zero(sample_con):
    room, month = ms.NOT_REPORTED_CELL
    assert (
        one(sample_con, "SELECT count(*) FROM visits WHERE branch_id = ? AND strftime(date, '%Y-%m') = ?", room, month)
        == 0
    )
    room, month = ms.REAL_ZERO_CELL
    assert (
        one(sample_con, "SELECT visits FROM visits WHERE branch_id = ? AND strftime(date, '%Y-%m') = ?", room, month)
        == 0
    )


def test_renovation_new_branch_zero_week_and_leap_day(sample_con):
    for month in ms.RENOVATION_MONTHS:
        assert (
            one(
                sample_con,
                "SELECT count(*) FROM visits WHERE branch_id = ? AND strftime(date, '%Y-%m') = ?",
                ms.RENOVATION_BRANCH,
                month,
            )
            == 0
        )
    assert one(sample_con, "SELECT min(date) FROM visits WHERE branch_id = ?", ms.NEW_BRANCH) >= ms.NEW_BRANCH_OPENED
    week = [ms.ZERO_WEEK_START + dt.timedelta(days=i) for i in range(7)]
    zeros = sample_con.execute(
        "SELECT date, visits FROM visits WHERE branch_id = ? AND date BETWEEN ? AND ?",
        [ms.ZERO_WEEK_BRANCH, week[0], week[-1]],
    ).fetchall()
    assert len(zeros) == 7 and {v for _, v in zeros} == {0}
    assert one(sample_con, "SELECT count(*) FROM visits WHERE date = DATE '2024-02-29'") == 11


def test_aliases_and_case_drift_resolve_to_one_branch(sample_con):
    assert one(sample_con, "SELECT count(*) FROM visits WHERE branch_id = ? AND grain = 'day'", ms.ALIAS_BRANCH) > 1000
    years = sample_con.execute("SELECT DISTINCT year(date) FROM visits WHERE branch_id = 'main' ORDER BY 1").fetchall()
    assert [y for (y,) in years] == list(range(ms.START_YEAR, 2027))


def test_sample_totals_equal_an_independent_count(sample_con):
    daily = pd.read_csv(SAMPLE_DIR / "visits_daily.csv")
    assert one(sample_con, "SELECT sum(visits) FROM visits WHERE grain = 'day'") == daily["visits"].sum()
    tx = pd.read_csv(SAMPLE_DIR / "circulation_transactions_mobile.csv")
    counted = tx["action"].value_counts()
    row = sample_con.execute(
        "SELECT sum(checkouts), sum(renewals), sum(returns) FROM circulation WHERE grain = 'day'"
    ).fetchone()
    assert row == (counted["checkout"], counted["renewal"], counted["return"])
    events = pd.read_csv(SAMPLE_DIR / "events.csv")
    assert one(sample_con, "SELECT sum(attendance) FROM events") == events["attendance"].sum()
    surveys = pd.read_csv(SAMPLE_DIR / "surveys.csv")
    answered = surveys[surveys["score"] != int(ms.DONT_KNOW_CODE)]
    assert one(sample_con, "SELECT count(score), sum(score) FROM surveys") == len(answered)
    assert one(sample_con, "SELECT sum(score) FROM surveys") == answered["score"].sum()
