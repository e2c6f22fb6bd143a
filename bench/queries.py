"""What each dashboard page asks the database for, as one table, and how to time it.

CALLS lists, page by page and in the order the page issues them, every call a page makes for its view
through pages/_data.py (metrics.engine.compute with the arguments of pages/_page.py `Context.metric` and
`kpi_card`, metrics.satisfaction, metrics.quality) plus what every page run issues first (the sidebar's
listings in pages/_sidebar.py, the data's as-of date in pages/_page.py `context`). The benchmark calls
these functions directly, so Streamlit's caches play no part: every timing is a cold computation.

A view is the sidebar's state: the default one (this year, year over year, nothing else chosen), or
the filtered one (two districts chosen, and "loans" as the Overview and Branches trend indicator, so the
pages read the circulation table that the transaction exports fill).

For the calls on loans, `raw_sql` gives the same figure computed straight from the raw transaction rows
(a DuckDB table `raw_tx` loaded from the CSV), with the same filter, window and year-earlier window.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

import pandas as pd

from data import db, remove
from metrics import engine, filters, periods, quality, satisfaction
from metrics.filters import Filter, branch_sql, matching_branches

OVERVIEW, BRANCHES, EVENTS, SATISFACTION, DATA = "overview", "branches", "events", "satisfaction", "data"
PAGES = (OVERVIEW, BRANCHES, EVENTS, SATISFACTION, DATA)
ANALYTIC = (OVERVIEW, BRANCHES, EVENTS, SATISFACTION)  # the pages that start from pages/_page.py context()
FILTER_DISTRICTS = ("North", "Riverside")  # the filtered view's districts (bench/generate.py has both)
LOANS = ("loans", "loans_per_capita", "loans_target_attainment")
PER_CAPITA = {"visits": "visits_per_capita", "loans": "loans_per_capita"}
HEADLINE = ("visits", "loans", "events")  # pages/_data.py HEADLINE: the tables that make the as-of date


@dataclass(frozen=True)
class View:
    """The sidebar and page choices the calls depend on (pages/_state.py FIELDS)."""

    name: str
    districts: tuple[str, ...] = ()
    metric: str = "visits"  # Overview and Branches trend indicator
    sat_by: str = "category"  # Satisfaction breakdown
    period: str = "this_year"
    fiscal_start: int = 1
    compare: bool = True  # cmp == "yoy"
    like_for_like: bool = False


DEFAULT = View("default")
FILTERED = View("filtered", districts=FILTER_DISTRICTS, metric="loans")
VIEWS = (DEFAULT, FILTERED)


@dataclass(frozen=True)
class Call:
    """One request a page makes. `metric` may be "$metric" (the view's trend indicator) or
    "$per_capita" (its per-capita twin); `compare` None means the view's comparison setting (the
    default of Context.metric); `only` limits the call to views whose trend indicator is listed."""

    what: str  # metric | sat_trend | distribution | findings | estimated_dates | as_of | branches | choices
    #            | data_version | status | listing | history
    metric: str | None = None
    grain: str = "window"
    by: str | None = None
    compare: bool | None = None
    only: tuple[str, ...] = ()
    whole_network: bool = False  # findings: the Data page shows them for the whole network
    own_table: bool = False  # findings: only those of the trend indicator's table (the Overview's markers)
    name: str | None = None  # listing name (pages/_data.py LISTINGS)


def metric(metric_id: str, grain: str = "window", by: str | None = None, compare: bool | None = None, only=()):
    return Call("metric", metric_id, grain, by, compare, tuple(only))


def _cards(ids, sparkline: bool, targets: dict[str, str] | None = None):
    """pages/_page.py kpi_card: the window value against a year earlier, and the monthly sparkline."""
    out = []
    for metric_id in ids:
        out.append(metric(metric_id))
        if sparkline:
            out.append(metric(metric_id, grain="month", compare=False))
        if targets and metric_id in targets:
            out.append(metric(targets[metric_id], grain="year", compare=False))
    return out


def _on(pages, calls) -> list[tuple[tuple[str, ...], Call]]:
    pages = (pages,) if isinstance(pages, str) else tuple(pages)
    return [(pages, call) for call in calls]


# (pages, call): every call, in the order a page run issues it.
CALLS: list[tuple[tuple[str, ...], Call]] = [
    # dashboard.py and pages/_sidebar.py, on every page run
    *_on(PAGES, [Call("data_version"), Call("branches"), Call("choices")]),
    # pages/_page.py context()
    *_on(ANALYTIC, [Call("as_of")]),
    # pages/overview.py
    *_on(
        OVERVIEW,
        [
            metric("$metric", grain="month", compare=True),
            Call("findings", only=("visits", "loans"), own_table=True),
            Call("estimated_dates", only=("visits",)),
            *_cards(
                ("visits", "loans", "events", "attendance", "satisfaction", "new_registrations"),
                sparkline=True,
                targets={"visits": "target_attainment", "loans": "loans_target_attainment"},
            ),
            Call("sat_trend", grain="month"),
        ],
    ),
    # pages/branches.py (no branch chosen for the drill-down)
    *_on(
        BRANCHES,
        [
            metric("$metric", by="branch"),
            Call("branches"),
            metric("$per_capita", by="branch", compare=False, only=("visits", "loans")),
            Call("findings"),
            metric("$metric", grain="month", by="branch", compare=False),
        ],
    ),
    # pages/events.py
    *_on(
        EVENTS,
        [
            *_cards(
                (
                    "events",
                    "attendance",
                    "online_attendance",
                    "participation",
                    "attendance_per_event",
                    "plan_completion",
                    "volunteer_hours",
                ),
                sparkline=False,
            ),
            *[
                c
                for dim in ("category", "audience", "format")
                for c in (metric("events", by=dim), metric("participation", by=dim))
            ],
            metric("plan_completion", grain="month", compare=False),
            Call("sat_trend", grain="year", by="category"),
        ],
    ),
    # pages/satisfaction.py
    *_on(
        SATISFACTION,
        [
            metric("satisfaction"),
            metric("satisfied_share"),
            metric("responses"),
            Call("sat_trend", grain="month"),
            Call("sat_trend", grain="year", by="$sat_by"),
            Call("distribution"),
        ],
    ),
    # pages/data_status.py (not filtered by the sidebar)
    *_on(
        DATA,
        [
            Call("status"),
            Call("history"),
            Call("listing", name="rejected"),
            Call("findings", whole_network=True),
        ],
    ),
]


def page_calls(page: str, view: View) -> list[Call]:
    """The calls `page` issues for `view`, in order."""
    return [call for pages, call in CALLS if page in pages and (not call.only or view.metric in call.only)]


def resolve(metric_id: str, view: View) -> str:
    if metric_id == "$metric":
        return view.metric
    if metric_id == "$per_capita":
        return PER_CAPITA[view.metric]
    return metric_id


def describe(call: Call, view: View) -> str:
    """A short label: `loans month by branch`, `findings`, ..."""
    if call.what != "metric":
        by = call.by.replace("$sat_by", view.sat_by) if call.by else None
        parts = [call.what, call.name, call.grain if call.what == "sat_trend" else None, f"by {by}" if by else None]
        return " ".join(p for p in parts if p)
    compare = view.compare if call.compare is None else call.compare
    parts = [resolve(call.metric, view), call.grain, f"by {call.by}" if call.by else None, "yoy" if compare else None]
    return " ".join(p for p in parts if p)


# ------------------------------------------------------------------------------------------- our engine


def as_of(con) -> dt.date | None:
    """pages/_data.py as_of: the last day the headline tables cover (complete-through for visits and loans)."""
    return engine.as_of(con, HEADLINE)


def view_filter(view: View, as_of_date: dt.date) -> Filter:
    """pages/_state.py current_filter for the view."""
    from pages._state import period_window  # imports streamlit; only its pure function is used

    date_from, date_to = period_window(view.period, as_of_date, view.fiscal_start)
    return Filter(date_from=date_from, date_to=date_to, districts=view.districts)


def _query_df(con, sql: str, params=()) -> pd.DataFrame:
    cursor = con.cursor()
    try:
        return cursor.execute(sql, list(params)).df()
    finally:
        cursor.close()


def _findings(con, flt: Filter, tables: tuple[str, ...] = quality.DEFAULT_TABLES) -> pd.DataFrame:
    """pages/_data.py findings: every finding of the tables (all_findings: those the import kept), then those
    of the filter's branches and dates."""
    found = quality.as_frame(quality.network_findings(con, tables))
    keep = found["branch_id"].isin(matching_branches(con, flt))
    if flt.date_from:
        keep &= found["period_end"] >= flt.date_from
    if flt.date_to:
        keep &= found["period_start"] <= flt.date_to
    return found[keep].reset_index(drop=True)


def execute(con, call: Call, view: View, flt: Filter):
    """Run one call the way the page's helper in pages/_data.py does (without its cache)."""
    if call.what == "metric":
        compare = view.compare if call.compare is None else call.compare
        return engine.compute(
            con,
            resolve(call.metric, view),
            flt,
            call.grain,
            call.by,
            view.fiscal_start,
            compare=compare,
            like_for_like=view.like_for_like and compare,
        )
    if call.what == "sat_trend":
        by = view.sat_by if call.by == "$sat_by" else call.by
        return satisfaction.trend(con, flt, call.grain, view.fiscal_start, by)
    if call.what == "distribution":
        return satisfaction.distribution(con, flt)
    if call.what == "findings":
        tables = (engine.get(view.metric).table,) if call.own_table else quality.DEFAULT_TABLES
        return _findings(con, Filter() if call.whole_network else flt, tables)
    if call.what == "estimated_dates":
        return quality.estimated_dates(con, flt)
    if call.what == "as_of":
        return as_of(con)
    if call.what == "data_version":
        return db.data_version(con)
    if call.what == "branches":  # pages/_data.py branches
        return filters.branch_list(con, None)
    if call.what == "choices":  # pages/_data.py choices
        return filters.choices(con, None)
    if call.what == "status":  # pages/_data.py status
        cursor = con.cursor()
        try:
            return pd.DataFrame(db.status(cursor))
        finally:
            cursor.close()
    if call.what == "history":  # pages/_data.py import_history
        cursor = con.cursor()
        try:
            return remove.history(cursor)
        finally:
            cursor.close()
    if call.what == "listing":
        from pages._data import LISTINGS  # imports streamlit; only the SQL text is used

        return _query_df(con, LISTINGS[call.name])
    raise ValueError(f"unknown call {call.what}")


@dataclass
class PageTiming:
    total: float  # seconds for the page's whole call set
    calls: list[tuple[str, float]] = field(default_factory=list)  # (label, seconds) in order
    loans: float = 0.0  # seconds spent in the calls that have a raw-rows equivalent
    findings: float = 0.0  # seconds spent in the data checks (the dashboard computes them once per data version)


def time_page(con, page: str, view: View, flt: Filter) -> PageTiming:
    """Run the page's calls once, in order; the time of each and of the whole set."""
    timing = PageTiming(0.0)
    started = time.perf_counter()
    for call in page_calls(page, view):
        t0 = time.perf_counter()
        execute(con, call, view, flt)
        spent = time.perf_counter() - t0
        timing.calls.append((describe(call, view), spent))
        if raw_equivalent(call, view):
            timing.loans += spent
        if call.what == "findings":
            timing.findings += spent
    timing.total = time.perf_counter() - started
    return timing


# ------------------------------------------------------------------------------------------ raw baseline


def raw_equivalent(call: Call, view: View) -> bool:
    """Whether the call computes a loans figure that the raw transaction rows can give directly."""
    return call.what == "metric" and resolve(call.metric, view) in LOANS


RAW_TABLE = "raw_tx"
RAW_LOANS = "r.action IN ('checkout', 'renewal')"  # loans = checkouts + renewals (metrics/registry.py LOANS_ROW)


def load_raw(raw_con, csv_path: str, kpi_db: str) -> None:
    """raw_tx: the transaction CSV as DuckDB reads it; branches: copied from the KPI database, so the
    same branch conditions (metrics.filters.branch_sql) apply."""
    raw_con.execute(f"CREATE OR REPLACE TABLE {RAW_TABLE} AS SELECT * FROM read_csv(?)", [csv_path])
    raw_con.execute(f"ATTACH '{kpi_db}' AS kpi (READ_ONLY)")
    raw_con.execute(
        "CREATE OR REPLACE TABLE branches AS SELECT branch_id, name, kind, parent_id, district, service_population "
        "FROM kpi.branches"
    )
    raw_con.execute("DETACH kpi")


def raw_sql(call: Call, view: View, flt: Filter, last_day: dt.date) -> tuple[str, list] | None:
    """The raw-rows SQL giving the call's figure: loans per period (window, month or year), per branch
    when asked, for the filter's branches and window, with the year-earlier window beside it."""
    if not raw_equivalent(call, view):
        return None
    metric_id = resolve(call.metric, view)
    compare = view.compare if call.compare is None else call.compare
    start = flt.date_from
    end = min(flt.date_to, last_day) if flt.date_to else last_day
    prior_start, prior_end = periods.one_year_earlier(start), periods.one_year_earlier(end)
    conditions, params = branch_sql(flt, "b")
    window = "(r.timestamp >= ? AND r.timestamp < ?)"
    dates = [start, end + dt.timedelta(days=1)]
    if compare:
        window = f"({window} OR (r.timestamp >= ? AND r.timestamp < ?))"
        dates += [prior_start, prior_end + dt.timedelta(days=1)]
    moved = "CASE WHEN r.timestamp >= ? THEN r.timestamp ELSE r.timestamp + INTERVAL 1 YEAR END"
    period = {"window": "NULL", "month": f"date_trunc('month', {moved})", "year": f"date_trunc('year', {moved})"}
    period_params = [] if call.grain == "window" else [start]
    keys = ["period"] + (["b.branch_id"] if call.by == "branch" else [])
    value = "count(*) FILTER (WHERE r.timestamp >= ?)"
    prior = ", count(*) FILTER (WHERE r.timestamp < ?) AS prior_value" if compare else ""
    if metric_id == "loans_per_capita":
        value = f"{value} / any_value(b.service_population)"
        conditions.append("b.service_population > 0")
    sql = (
        f"SELECT {period[call.grain]} AS period{', b.branch_id' if call.by == 'branch' else ''}, {value} AS value"
        f"{prior} FROM {RAW_TABLE} r JOIN branches b ON b.name = r.branch "
        f"WHERE {RAW_LOANS} AND {window}{''.join(' AND ' + c for c in conditions)} "
        f"GROUP BY {', '.join(keys)} ORDER BY {', '.join(keys)}"
    )
    return sql, [*period_params, start, *([start] if compare else []), *dates, *params]


def raw_last_day(raw_con) -> dt.date:
    """The raw rows' data end (what engine.window reads from the circulation table)."""
    last = raw_con.execute(f"SELECT max(timestamp) FROM {RAW_TABLE}").fetchone()[0]
    return last.date() if isinstance(last, dt.datetime) else last


def time_raw_page(raw_con, page: str, view: View, flt: Filter) -> float | None:
    """The page's loans calls computed from the raw rows (each finds the data's end first, as the
    engine's window() does); None when the page has no loans call in this view."""
    calls = [c for c in page_calls(page, view) if raw_equivalent(c, view)]
    if not calls:
        return None
    started = time.perf_counter()
    for call in calls:
        sql, params = raw_sql(call, view, flt, raw_last_day(raw_con))
        cursor = raw_con.cursor()
        try:
            cursor.execute(sql, params).df()
        finally:
            cursor.close()
    return time.perf_counter() - started


def check_raw_matches(con, raw_con, view: View, flt: Filter) -> list[str]:
    """Compare the raw figures with the engine's for each loans call of every page (the window totals
    and, for grouped calls, the sum over groups); the differences found, empty when all match."""
    problems = []
    last = raw_last_day(raw_con)
    for page in PAGES:
        for call in page_calls(page, view):
            if not raw_equivalent(call, view) or resolve(call.metric, view) != "loans":
                continue
            ours = execute(con, call, view, flt).table
            sql, params = raw_sql(call, view, flt, last)
            raw = raw_con.execute(sql, params).df()
            mine, theirs = float(ours["value"].sum()), float(raw["value"].sum())
            if abs(mine - theirs) > 0.5:
                problems.append(f"{page} {describe(call, view)}: engine {mine:,.0f}, raw rows {theirs:,.0f}")
    return problems
