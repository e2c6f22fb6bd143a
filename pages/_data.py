"""The dashboard's data access: one cached database per path, and query results cached as bounded
data keyed by the database path, its data version (which changes with every import) and the filters."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from data import db
from data.cli import build_sample
from metrics import engine, quality, satisfaction
from metrics.filters import matching_branches
from pages._state import from_key

CACHE = {"ttl": 3600, "max_entries": 512, "show_spinner": False}
HEADLINE = ("visits", "loans", "events")  # the tables whose end is the dashboard's "data as of" date


@st.cache_resource(show_spinner="Opening the database…")
def open_db(path: str):
    """The connection for a database file; the bundled sample is imported when the default one is absent."""
    target = db.db_path(path)
    if not target.exists() and target == db.DEFAULT_DB:
        build_sample(str(target))
    if not target.exists():
        return None
    return db.connect(target)


def current() -> tuple[str, object, int]:
    """(path, connection or None, data version) for $KPI_DB or the default database."""
    path = str(db.db_path())
    con = open_db(path)
    if con is None:
        return path, None, 0
    cursor = con.cursor()
    try:
        return path, con, db.data_version(cursor)
    finally:
        cursor.close()


@st.cache_data(**CACHE)
def as_of(path: str, version: int) -> dt.date | None:
    """The last day the headline tables cover."""
    con = open_db(path)
    ends = [engine.data_span(con, engine.get(m), "year")[1] for m in HEADLINE]
    ends = [e for e in ends if e]
    return max(ends) if ends else None


@st.cache_data(**CACHE)
def metric(
    path: str,
    version: int,
    metric_id: str,
    key: tuple,
    grain: str,
    by: str | None,
    fiscal_start: int,
    compare: bool,
    like_for_like: bool,
) -> dict:
    """engine.compute for the filter `key`, as plain data."""
    result = engine.compute(
        open_db(path), metric_id, from_key(key), grain, by, fiscal_start, compare=compare, like_for_like=like_for_like
    )
    return {
        "table": result.table,
        "gone": result.gone,
        "as_of": result.as_of,
        "excluded": result.excluded,
        "notes": result.notes,
    }


@st.cache_data(**CACHE)
def branches(path: str, version: int) -> pd.DataFrame:
    cursor = open_db(path).cursor()
    try:
        return cursor.execute(
            "SELECT branch_id, name, name_zh, kind, parent_id, district, service_population FROM branches "
            "ORDER BY kind, name"
        ).df()
    finally:
        cursor.close()


@st.cache_data(**CACHE)
def choices(path: str, version: int) -> dict[str, list[str]]:
    """The values each filter can take, from the data."""
    cursor = open_db(path).cursor()
    try:
        out = {}
        for name, sql in (
            ("categories", "SELECT DISTINCT category FROM events ORDER BY 1"),
            ("audiences", "SELECT DISTINCT audience FROM events ORDER BY 1"),
            ("formats", "SELECT DISTINCT format FROM events ORDER BY 1"),
            ("districts", "SELECT DISTINCT district FROM branches WHERE district IS NOT NULL ORDER BY 1"),
            ("kinds", "SELECT DISTINCT kind FROM branches ORDER BY 1"),
        ):
            out[name] = [r[0] for r in cursor.execute(sql).fetchall()]
        return out
    finally:
        cursor.close()


@st.cache_data(**CACHE)
def all_findings(path: str, version: int) -> pd.DataFrame:
    """Every data-quality finding, computed once per data version."""
    return quality.findings_frame(open_db(path))


@st.cache_data(**CACHE)
def findings(path: str, version: int, key: tuple) -> pd.DataFrame:
    """The findings for the filter's branches whose period overlaps the filter's dates."""
    flt = from_key(key)
    found = all_findings(path, version)
    keep = found["branch_id"].isin(matching_branches(open_db(path), flt))
    if flt.date_from:
        keep &= found["period_end"] >= flt.date_from
    if flt.date_to:
        keep &= found["period_start"] <= flt.date_to
    return found[keep].reset_index(drop=True)


@st.cache_data(**CACHE)
def estimated_dates(path: str, version: int, key: tuple) -> list:
    return quality.estimated_dates(open_db(path), from_key(key))


@st.cache_data(**CACHE)
def satisfaction_trend(path: str, version: int, key: tuple, grain: str, fiscal_start: int, by: str | None):
    return satisfaction.trend(open_db(path), from_key(key), grain, fiscal_start, by)


@st.cache_data(**CACHE)
def score_distribution(path: str, version: int, key: tuple) -> pd.DataFrame:
    return satisfaction.distribution(open_db(path), from_key(key))


@st.cache_data(**CACHE)
def table_query(path: str, version: int, name: str) -> pd.DataFrame:
    """A fixed listing for the Data page (by name, from LISTINGS)."""
    cursor = open_db(path).cursor()
    try:
        return cursor.execute(LISTINGS[name]).df()
    finally:
        cursor.close()


LISTINGS = {
    "imports": "SELECT imported_at, source_file, kind, layout, rows_read, rows_accepted, rows_skipped, rows_rejected, "
    "date_min, date_max FROM imports ORDER BY import_id DESC LIMIT 500",
    "rejected": "SELECT i.source_file, r.line, r.column_name, r.value, r.reason FROM rejected_rows r "
    "JOIN imports i USING (import_id) ORDER BY r.import_id DESC, r.line LIMIT 2000",
}


@st.cache_data(**CACHE)
def status(path: str, version: int) -> pd.DataFrame:
    cursor = open_db(path).cursor()
    try:
        return pd.DataFrame(db.status(cursor)).drop(columns=["aliases"], errors="ignore")
    finally:
        cursor.close()
