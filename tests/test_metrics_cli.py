"""`python -m metrics`: the output contract scripts rely on (columns, labels, sorting, empty cells)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, load, write
from test_metrics_engine import monthly_rows

from data import db

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def monthly_file(tmp_path):
    """A closed database file holding the hand-counted monthly fixture of test_metrics_engine."""
    path = tmp_path / "kpi.duckdb"
    con = db.connect(path)
    load(con, FIXTURES / "import" / "branches.csv")
    load(con, write(tmp_path, "monthly.csv", monthly_rows()))
    con.close()
    return path


def run(*args):
    result = subprocess.run(
        [sys.executable, "-m", "metrics", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    return result


def test_list_names_every_metric():
    result = run("list")
    assert result.returncode == 0
    assert "visits" in result.stdout and "到馆人次" in result.stdout and "complaint_resolution_rate" in result.stdout


def test_yearly_yoy_csv(monthly_file):
    result = run("query", "--db", str(monthly_file), "--metric", "visits", "--grain", "year", "--compare", "yoy")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "period,value,prior_value,yoy_pct,partial",
        "2023,1800,,,false",
        "2024,1610,1800,-10.555556,false",
        "2025,520,550,-5.454545,true",
    ]


def test_by_branch_sorted_with_display_names(monthly_file):
    result = run(
        "query",
        "--db",
        str(monthly_file),
        "--metric",
        "visits",
        "--grain",
        "year",
        "--by",
        "branch",
        "--compare",
        "yoy",
        "--from",
        "2024-01-01",
    )
    lines = result.stdout.splitlines()
    assert lines[0] == "period,branch,value,prior_value,yoy_pct,partial"
    assert lines[1:4] == [
        "2024,Albany Park,1210,1200,0.833333,false",
        "2024,Chinatown,300,600,-50.0,false",
        "2024,Riverside Reading Room,100,,,false",  # opened in 2024: no prior, no percentage
    ]
    assert lines[4:] == ["2025,Albany Park,480,330,45.454545,true", "2025,Riverside Reading Room,40,20,100.0,true"]


def test_quarters_fiscal_labels_branch_names_and_json(monthly_file):
    result = run(
        "query",
        "--db",
        str(monthly_file),
        "--metric",
        "visits",
        "--grain",
        "quarter",
        "--fiscal-start",
        "7",
        "--branch",
        "ALBANY PARK*",
        "--format",
        "json",
        "--compare",
        "yoy",
        "--like-for-like",
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["as_of"] == "2025-04-30"
    periods = [row["period"] for row in data["rows"]]
    # Like-for-like: the quarters of 2023 have no prior year, so the first row is January-March 2024.
    assert periods[0] == "FY2023/24-Q3" and periods[-1] == "FY2024/25-Q4"
    assert data["excluded"]["FY2022/23-Q3"] == {"new": ["albany"], "gone": []}
    # April 2025: albany 120 + its reading room riverside 10, against 110 + 10.
    assert data["rows"][-1] == {
        "period": "FY2024/25-Q4",
        "value": 130,
        "prior_value": 120,
        "yoy_pct": 8.333333,
        "partial": True,
    }


def test_bad_requests_fail_clearly(monthly_file):
    result = run("query", "--db", str(monthly_file), "--metric", "visits", "--branch", "Nowhere")
    assert result.returncode == 2 and "unknown branch 'Nowhere'" in result.stderr
    result = run("query", "--db", str(monthly_file), "--metric", "visits", "--by", "category")
    assert result.returncode == 2 and "cannot be broken down by category" in result.stderr
    result = run("query", "--db", str(monthly_file.parent / "none.duckdb"), "--metric", "visits")
    assert result.returncode == 2 and "no database" in result.stderr
    # One metric per query: a second --metric stops the command instead of silently answering for the last.
    result = run("query", "--db", str(monthly_file), "--metric", "visits", "--metric", "loans")
    assert result.returncode == 2 and "--metric given twice" in result.stderr and not result.stdout


def test_yearly_data_at_month_grain_gives_the_header_and_a_note(tmp_path):
    path = tmp_path / "kpi.duckdb"
    con = db.connect(path)
    load(con, FIXTURES / "import" / "branches.csv")
    load(con, write(tmp_path, "yearly.csv", "year,branch,visits\n2023,Bezazian,1200\n2024,Bezazian,1300\n"))
    con.close()
    result = run("query", "--db", str(path), "--metric", "visits", "--grain", "month", "--compare", "yoy")
    assert result.returncode == 0
    assert result.stdout.splitlines() == ["period,value,prior_value,yoy_pct,partial"]
    assert "coarser periods than a month" in result.stderr
    result = run("query", "--db", str(path), "--metric", "visits", "--grain", "year", "--compare", "yoy")
    assert result.stdout.splitlines()[-1] == "2024,1300,1200,8.333333,false"
