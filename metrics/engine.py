"""The comparison engine: a metric by period (calendar or fiscal), optionally by a dimension, with
year-over-year by date offset, partial periods, like-for-like branch sets, contribution and ranking.

How a comparison is made:
- The window runs from the filter's start (or the first data) to the filter's end, cut at the data's
  end (the last day the metric's table covers, its "as of" date). For the tables whose branches report
  every period (visits, circulation, measures) it is also cut at the complete-through date of the
  filter's branches (data/completeness.py): the end of the last period every expected branch reported,
  so that an early upload from two branches never makes the network look like a decline. A filter whose
  end was chosen explicitly beyond it (Filter.beyond_complete) counts the later data; its periods are
  partial and the result lists the branches that have not reported them. A period the window cuts short
  is `partial`, and it is compared with the same span one year earlier, never with a whole year.
- The prior value of a period is computed from the rows of the window moved one year back, each row
  moved forward by the same offset and assigned to a period: never the previous row (`lag`), so a
  missing month never shifts the comparison. 29 February has no counterpart at day grain; at coarser
  grains it simply belongs to its month. With `same_weekday`, the offset is 364 days (52 weeks).
- Like-for-like keeps, per period, only branches with data in both the period and its prior; the
  branches left out are listed with the result.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from data import completeness, db
from metrics import display, periods, satisfaction, targets
from metrics import memo as memos
from metrics.filters import (
    SYSTEM_LINES,
    Filter,
    branch_ids,
    branch_key,
    branch_sql,
    counted_lines_sql,
    fact_branch_sql,
    fact_sql,
    system_lines,
)
from metrics.memo import Memo
from metrics.registry import Metric, breakdowns, get
from metrics.satisfaction import UNSPECIFIED

# What a --by value reads; identifiers come only from this allow-list.
DIMENSION_SQL = {
    "branch": "f.branch_id",
    "district": f"coalesce(b.district, '{UNSPECIFIED}')",
    "kind": "b.kind",
    "category": "f.category",
    "audience": "f.audience",
    "format": "f.format",
    "item_type": "f.item_type",
    "patron_category": "f.patron_category",
}
BRANCH_DIMENSIONS = ("district", "kind")  # dimensions read from the branches table (the others need no join)
# The name shown for the row of system-wide lines (filters.SYSTEM_LINES) in a breakdown; rankings and
# per-branch views leave that row out (service_points_only).
SYSTEM_LINES_LABEL = {"en": "System-wide lines", "zh": "全网系统线"}
WINDOW = "window"  # a pseudo-grain: the whole filter window as one period, for headline figures
# Rows that count as reported data when finding where a table's data ends (future plans do not).
REPORTED = {"events": "NOT f.planned"}


@dataclass
class Result:
    """A metric table plus what a reader must know to trust it."""

    metric: Metric
    grain: str
    by: str | None
    table: pd.DataFrame  # period, period_start, period_end, [by], value, prior_value, change, yoy_pct, partial
    as_of: dt.date | None
    # The filter's branches' complete-through date for the metric's table (None: not judged, or no data),
    # and the periods after it that some branches reported and some expected ones did not.
    complete_through: dt.date | None = None
    pending: tuple[completeness.Pending, ...] = ()
    excluded: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # period -> {"new"|"gone": ids}
    gone: pd.DataFrame = field(default_factory=pd.DataFrame)  # rows with a prior value and no current one
    notes: list[str] = field(default_factory=list)


def data_span(
    con, metric: Metric, grain: str = "year", memo: Memo | None = None
) -> tuple[dt.date | None, dt.date | None]:
    """(first day, last day) covered by the metric's data, counting rows usable at this grain."""
    memo = memo or memos.memo(con)
    tables = ("surveys", "events") if metric.compute == "satisfaction" else (_table(metric),)
    spans = [memo.get(("span", table, grain), lambda table=table: _table_span(con, table, grain)) for table in tables]
    spans = [span for span in spans if span[0] is not None]
    if not spans:
        return None, None
    return min(f for f, _ in spans), max(last for _, last in spans)


def completeness_of(con, metric: Metric, flt: Filter, memo: Memo | None = None) -> completeness.Completeness | None:
    """The completeness of the metric's table for the filter's branches, or None for a table whose rows are
    events or answers (nothing there is "not reported")."""
    table = _table(metric)
    if metric.compute == "satisfaction" or table not in completeness.TABLES:
        return None
    return table_completeness(con, table, flt, memo)


def table_completeness(con, table: str, flt: Filter, memo: Memo | None = None) -> completeness.Completeness:
    """The completeness of one of completeness.TABLES for the filter's branches, remembered per database
    state and branch selection."""
    memo = memo or memos.memo(con)
    known = memo.get(("histories", table), lambda: completeness.histories(con, table))
    key = ("completeness", table, *branch_key(flt))
    return memo.get(key, lambda: completeness.assess(table, known, branch_ids(con, flt)))


def as_of(con, metric_ids, flt: Filter | None = None, memo: Memo | None = None) -> dt.date | None:
    """The last day the metrics' tables cover for the filter's branches (its dates do not matter): for a
    table judged for completeness its complete-through date, so that period presets end where every
    expected branch has reported; for events and surveys the end of their data. The latest of them."""
    flt, memo = flt or Filter(), memo or memos.memo(con)
    ends = []
    for metric_id in metric_ids:
        metric = get(metric_id)
        status = completeness_of(con, metric, flt, memo)
        if status is None:
            ends.append(data_span(con, metric, "year", memo)[1])
        else:
            ends.append(status.complete_through or status.last_reported)
    ends = [e for e in ends if e]
    return max(ends) if ends else None


def _table_span(con, table: str, grain: str) -> tuple[dt.date | None, dt.date | None]:
    """(first day, last day) of one table's reported rows usable at `grain`: a row of a month, quarter or year
    covers its whole period (the arithmetic is done here, so the SQL stays the same on every engine)."""
    usable = periods.USABLE_ROW_GRAINS[grain]
    # Table names come from the registry; the reported-row conditions are constants above.
    sql = (
        f"SELECT f.grain, min(f.date), max(f.date) FROM {table} f WHERE {REPORTED.get(table, 'true')} "
        f"AND f.grain IN ({', '.join('?' for _ in usable)}) GROUP BY f.grain"
    )
    cursor = con.cursor()
    try:
        rows = cursor.execute(sql, list(usable)).fetchall()
    finally:
        cursor.close()
    if not rows:
        return None, None
    first = min(row[1] for row in rows)
    last = max(periods.period_end(row[2], row[0]) for row in rows)
    return first, last


def _table(metric: Metric) -> str:
    return get(metric.base).table if metric.base else metric.table


# A row's date moved onto the date it is compared with: one calendar year (29 February → 28 February)
# or 52 weeks (same weekday).
SHIFTS = {None: "f.date", "year": "CAST(f.date + INTERVAL 1 YEAR AS DATE)", "weeks": "f.date + 364"}
# A comparison with the window some whole months earlier (`months_back`): its rows move forward by that many
# months, the number bound as a parameter.
MONTHS_SHIFT = "CAST(f.date + to_months(CAST(? AS INTEGER)) AS DATE)"


def _shift_sql(shift) -> tuple[str, list]:
    """(SQL moving a prior row's date onto the period it is compared with, its parameters): `shift` is
    "year", "weeks" or a number of months."""
    if isinstance(shift, int):
        return MONTHS_SHIFT, [shift]
    return SHIFTS[shift], []


def _branch_sums(
    con,
    metric: Metric,
    flt: Filter,
    by: str | None,
    grain: str,
    fiscal_start: int,
    window: tuple[dt.date, dt.date],
    prior_window: tuple[dt.date, dt.date] | None = None,
    shift: str | int = "year",
    per_branch: bool = True,
) -> list[tuple]:
    """The metric's numerator and denominator summed per period, branch and `by` value, inside DuckDB, in
    one statement: rows (prior, period_start, branch_id, dim, num, den). The rows of `prior_window` (when
    given) are first moved a year (or with `shift` "weeks", 52 weeks) forward, so that they land on the
    periods they are compared with; their `prior` is True.

    per_branch False: the branches' sums are added up inside DuckDB as _values() would add them, one row
    per period and `by` value with branch_id NULL, so that far fewer rows travel to Python; _values() gives
    the same values from them. A sum needs no branch grouping at all; a ratio counts a branch only with both
    numerator and denominator, so its branches are summed first."""
    base = get(metric.base) if metric.base else metric
    dim_sql, dim_params = DIMENSION_SQL[by] if by else "NULL", []
    line_cond, line_params = counted_lines_sql(con, flt, base.system_lines, base.service_points, "f")
    if by in ("branch", *BRANCH_DIMENSIONS) and system_lines(con):
        dim_sql = f"CASE WHEN list_contains(?, f.branch_id) THEN ? ELSE {dim_sql} END"
        dim_params = [sorted(system_lines(con)), SYSTEM_LINES]
    if by in BRANCH_DIMENSIONS:
        join, (b_cond, b_params) = "JOIN branches b ON b.branch_id = f.branch_id", branch_sql(flt, "b")
    else:
        join, (b_cond, b_params) = "", fact_branch_sql(con, flt, "f")
    usable = periods.USABLE_ROW_GRAINS[grain]
    # Rows of every grain count towards a year or the whole window: no condition to plan and check then.
    grain_cond, grain_params = (
        ([], []) if usable == periods.ROW_GRAINS else ([f"f.grain IN ({', '.join('?' for _ in usable)})"], usable)
    )
    table = base.table
    if table == "circulation" and by not in ("item_type", "patron_category"):
        table = "circulation_daily"  # the smallest table that answers: no item or patron breakdown
    is_ratio = _value_rule(metric).is_ratio
    branch_column = "f.branch_id" if per_branch or is_ratio else "NULL"
    parts, params = [], []
    for prior, dates in ((False, window), (True, prior_window)):
        if dates is None:
            continue
        f_cond, f_params = fact_sql(flt.with_dates(*dates), base.table, "f")
        conditions = [f"({base.where})", *grain_cond, *b_cond, *f_cond, *line_cond]
        if prior and shift == "year" and grain in ("day", "week"):
            conditions.append("NOT (month(f.date) = 2 AND day(f.date) = 29)")  # no counterpart a year later
        if grain == WINDOW:  # the whole window is one period, starting with the window
            period, period_params = "CAST(? AS DATE)", [window[0]]
        else:
            day, day_params = _shift_sql(shift) if prior else (SHIFTS[None], [])
            period, period_params = periods.period_sql(grain, day, fiscal_start)
            period_params = [*day_params, *period_params]  # the day expression comes first in the SQL
        # Identifiers come from the registry and the allow-lists above; every value is bound.
        parts.append(
            f"SELECT {prior} AS prior, {period} AS period_start, {branch_column} AS branch_id, {dim_sql} AS dim, "
            f"sum({base.numerator}) AS num, sum({base.denominator or 'NULL'}) AS den "
            f"FROM {table} f {join} WHERE {' AND '.join(conditions)} GROUP BY ALL"
        )
        params += [*period_params, *dim_params, *grain_params, *b_params, *f_params, *line_params]
    sql = " UNION ALL ".join(parts)
    if not per_branch and is_ratio:
        sql = (
            f"SELECT prior, period_start, NULL AS branch_id, dim, sum(num), sum(den) FROM ({sql}) "
            "WHERE num IS NOT NULL AND den IS NOT NULL GROUP BY prior, period_start, dim"
        )
    cursor = con.cursor()
    try:
        return cursor.execute(sql, params).fetchall()
    finally:
        cursor.close()


def window(
    con, metric: Metric, flt: Filter, grain: str, fiscal_start: int = 1, memo: Memo | None = None
) -> tuple[dt.date | None, dt.date | None, dt.date | None, completeness.Completeness | None]:
    """(from, to, as_of, completeness): the filter's dates, cut at the end of the data and, unless the filter
    chose a later end explicitly, at the complete-through date of its branches.

    Only the end of the data makes a period partial: a series that starts mid-period simply has no
    earlier data. Event and survey data run to the end of the month of their last held event.
    """
    first, last = data_span(con, metric, grain, memo)
    if first is None:
        return None, None, None, None
    status = completeness_of(con, metric, flt, memo)
    if _table(metric) in ("events", "surveys"):
        last = periods.period_end(last.replace(day=1), "month")
    if flt.date_from:
        start = flt.date_from
    else:  # the first data's period; the whole window (one period) simply starts with the data
        start = first if grain == WINDOW else periods.period_start(first, grain, fiscal_start)
    end = min(flt.date_to, last) if flt.date_to else last
    if status and status.complete_through and not flt.beyond_complete:
        end = min(end, status.complete_through)
    return start, end, last, status


def compute(
    con,
    metric_id: str,
    flt: Filter | None = None,
    grain: str = "year",
    by: str | None = None,
    fiscal_start: int = 1,
    compare: bool = False,
    like_for_like: bool = False,
    same_weekday: bool = False,
    months_back: int | None = None,
) -> Result:
    """The metric per period (and per `by`), with the year-over-year comparison when asked; with
    `months_back`, compared instead with the same window that many whole months earlier (3: the quarter
    before; the window's own length: the period just before it)."""
    metric = get(metric_id)
    flt = flt or Filter()
    if by and by not in breakdowns(metric):
        raise ValueError(f"{metric_id} cannot be broken down by {by}; choose from {', '.join(breakdowns(metric))}")
    if grain not in periods.GRAINS and grain != WINDOW:
        raise ValueError(f"unknown grain {grain!r}; choose from {', '.join(periods.GRAINS)}")
    if fiscal_start not in range(1, 13):
        raise ValueError(f"fiscal_start must be a month number 1-12, not {fiscal_start!r}")
    if months_back is not None and (not isinstance(months_back, int) or not 1 <= months_back <= 1200):
        raise ValueError(f"months_back must be a whole number of months 1-1200, not {months_back!r}")
    if months_back is not None and grain in ("day", "week"):
        raise ValueError("a comparison some months earlier needs a month, quarter, year or window grain")
    if months_back is not None and same_weekday:
        raise ValueError("same_weekday compares with 52 weeks earlier; it cannot be combined with months_back")
    shift = months_back if months_back not in (None, 12) else ("weeks" if same_weekday else "year")
    memo = memos.memo(con)
    start, end, as_of, status = window(con, metric, flt, grain, fiscal_start, memo)
    result = Result(metric, grain, by, _empty(by), as_of)
    if status is not None:
        result.complete_through, result.pending = status.complete_through, status.pending
        if status.complete_through is None and status.last_reported is not None:
            result.notes.append("no period in which every expected branch reported; all data is counted")
    if start is None and grain != "year" and data_span(con, metric, "year", memo)[0] is not None:
        result.notes.append(f"the data is reported by coarser periods than a {grain}; choose a coarser --grain")
    if start is None or start > end:
        return result
    comparing = compare or like_for_like
    if metric.compute == "satisfaction":
        current, prior = _satisfaction_values(con, metric, flt, by, grain, fiscal_start, start, end, comparing, shift)
        if like_for_like:
            result.notes.append("like-for-like does not apply to satisfaction; all responses are used")
        note = None if by == "question" else satisfaction.question_note(con, flt.with_dates(start, end))
        if note:
            result.notes.append(note)
    else:
        current, prior, result.excluded = _sum_values(
            con, memo, metric, flt, by, grain, fiscal_start, start, end, comparing, like_for_like, shift
        )
    names = _branch_names(con, memo) if by == "branch" else {}
    incomplete_after = status.complete_through if status and flt.beyond_complete else None
    span = (grain, fiscal_start, start, end, flt.date_to, incomplete_after)
    table, gone = _assemble(current, prior)
    result.table, result.gone = _finish(table, by, names, *span), _finish(gone, by, names, *span)
    if metric.compute in ("per_capita", "target"):
        result.notes.append(_derived_note(metric))
    return result


def prior_window(start: dt.date, end: dt.date, shift: str | int = "year") -> tuple[dt.date, dt.date]:
    """The window a comparison compares with: one year earlier, 52 weeks earlier (`shift` "weeks") or a number
    of whole months earlier (`shift` an int; a window ending on a month's last day ends on one there too)."""
    if shift == "weeks":
        return start - dt.timedelta(days=364), end - dt.timedelta(days=364)
    months = 12 if shift == "year" else shift
    prior_end = periods.add_months(end, -months)
    if end == periods.period_end(end.replace(day=1), "month"):
        # A window ending on a month's last day is compared with that whole month a year earlier:
        # 28 February 2025 with 29 February 2024, or the leap day would be left out of February.
        prior_end = periods.period_end(prior_end.replace(day=1), "month")
    return periods.add_months(start, -months), prior_end


# Values per period and `by` value: {(period_start, dim): value}; a value may be None or NaN (no value).
Values = dict[tuple[dt.date, object], float | None]


def _sum_values(con, memo, metric, flt, by, grain, fiscal_start, start, end, comparing, like_for_like, shift):
    """(current values, prior values or None, like-for-like exclusions) for sum, ratio and derived metrics."""
    prior_dates = prior_window(start, end, shift) if comparing else None
    # Like-for-like and per-capita figures need each branch's sums; the others only their totals.
    per_branch = like_for_like or metric.compute == "per_capita"
    rows = _branch_sums(con, metric, flt, by, grain, fiscal_start, (start, end), prior_dates, shift, per_branch)
    current = [row[1:] for row in rows if not row[0]]
    prior = [row[1:] for row in rows if row[0]] if comparing else None
    excluded = {}
    if like_for_like and prior is not None:
        current, prior, excluded = _like_for_like(current, prior, grain, fiscal_start)
    selection = (flt, fiscal_start)
    years_back = start.year - prior_dates[0].year if prior_dates else 0  # the year whose target the prior meets
    prior_values = _values(con, memo, metric, prior, by, years_back, selection) if prior is not None else None
    return _values(con, memo, metric, current, by, 0, selection), prior_values, excluded


def _values(
    con,
    memo: Memo,
    metric: Metric,
    rows: list[tuple],
    by: str | None,
    years_back: int = 0,
    selection: tuple[Filter, int] = (Filter(), 1),
) -> Values:
    """Values from periodised sums, rows (period_start, branch_id, dim, num, den).

    A ratio counts a branch in a period only when it has both numerator and denominator there (a
    resolved count without the received count cannot be combined with the others). years_back: 1 for
    prior-year rows moved onto this year's periods, so that attainment uses the prior year's target;
    selection: the filter and fiscal start month, which choose the target (metrics/targets.py).
    """
    if metric.compute == "per_capita":
        population = memo.get("population", lambda: _population(con))
        rows = [(s, branch, d, num, population[branch]) for s, branch, d, num, _ in rows if branch in population]
    rule = _value_rule(metric)
    sums: dict[tuple, list] = {}
    for s, _branch, d, num, den in rows:
        if num is None or (rule.is_ratio and den is None):
            continue
        total = sums.setdefault((s, d), [0, None])
        total[0] += num
        if den is not None:
            total[1] = den if total[1] is None else total[1] + den
    if rule.is_ratio:
        values = {key: float(num) / den * rule.scale if den else NAN for key, (num, den) in sums.items()}
    else:
        values = {key: float(num) * rule.scale for key, (num, _den) in sums.items()}
    if metric.compute == "target":
        values = _attainment(con, metric, values, by, years_back, *selection)
    return values


SATISFACTION_VALUE = {"satisfaction": "mean", "satisfied_share": "satisfied_share", "responses": "n"}


def _satisfaction_values(con, metric, flt, by, grain, fiscal_start, start, end, comparing, shift="year"):
    """(current, prior or None) values of a satisfaction metric, from one statement; the prior is moved a
    year (or `shift` months) forward."""
    column = SATISFACTION_VALUE[metric.id]
    whole = grain == WINDOW
    rows = satisfaction.period_statistics(
        con,
        flt.with_dates(start, end),
        "year" if whole else grain,
        fiscal_start,
        by,
        whole_window=whole,
        prior=flt.with_dates(*prior_window(start, end, shift)) if comparing else None,
    )
    current, prior = {}, {} if comparing else None
    for is_prior, s, d, stats in rows:
        if whole:
            s = start
        elif is_prior:
            s = _moved(s, grain, shift)
        value = stats[column]
        if s is not None and not _missing(value):
            (prior if is_prior else current)[(s, d)] = value
    return current, prior


def _moved(start: dt.date, grain: str, shift: str | int = "year") -> dt.date | None:
    """A prior period's start moved onto the period it is compared with (a year, or `shift` months, later)."""
    if isinstance(shift, int):
        return periods.add_months(start, shift) if grain not in ("day", "week") else None
    if grain == "week":
        return start + dt.timedelta(days=364)
    if grain == "day" and start.month == 2 and start.day == 29:
        return None
    return periods.add_months(start, 12)


def _missing(value) -> bool:
    return value is None or value != value  # None or NaN


def _columns(by: str | None) -> list[str]:
    """The result table's columns, in order."""
    return [
        "period",
        "period_start",
        "period_end",
        *([by] if by else []),
        "value",
        "prior_value",
        "change",
        "yoy_pct",
        "partial",
    ]


def _empty(by: str | None) -> pd.DataFrame:
    return pd.DataFrame({column: [] for column in _columns(by)}, dtype=object)


def _like_for_like(current: list[tuple], prior: list[tuple], grain: str, fiscal_start: int):
    """Keep only branches reporting in both a period and its prior; list the others per period.
    Rows are (period_start, branch_id, dim, num, den)."""

    def reporting(rows: list[tuple]) -> dict[dt.date, set[str]]:
        found: dict[dt.date, set[str]] = {}
        for s, branch, _dim, num, _den in rows:
            if num is not None:
                found.setdefault(s, set()).add(branch)
        return found

    now, before = reporting(current), reporting(prior)
    excluded, keep = {}, {}
    for start in sorted(now):
        both = now[start] & before.get(start, set())
        keep[start] = both
        excluded[periods.label(start, grain, fiscal_start)] = {
            "new": sorted(now[start] - both),
            "gone": sorted(before.get(start, set()) - now[start]),
        }

    def kept(rows: list[tuple]) -> list[tuple]:
        return [row for row in rows if row[1] in keep.get(row[0], ())]

    return kept(current), kept(prior), excluded


def _assemble(current: Values, prior: Values | None) -> tuple[list[tuple], list[tuple]]:
    """(table, gone) rows (period_start, dim, value, prior_value): one per period and `by` value with a
    value in the current window, and those that had one only in the prior year (a branch that closed,
    value 0), which contribution() needs."""
    now = {key: value for key, value in current.items() if not _missing(value)}
    before = {key: value for key, value in (prior or {}).items() if not _missing(value)}
    table = [(s, d, value, before.get((s, d), NAN)) for (s, d), value in now.items()]
    gone = [(s, d, 0.0, value) for (s, d), value in before.items() if (s, d) not in now]
    return table, gone


def _finish(
    rows: list[tuple], by, names: dict, grain, fiscal_start, start, end, requested_end=None, incomplete_after=None
) -> pd.DataFrame:
    """The result table from rows (period_start, dim, value, prior_value): change, YoY percent, clipped
    period span, partial flag, label and display names, sorted by period and `by` value. A period ending
    after `incomplete_after` (a complete-through date the window was asked to go beyond) is partial too."""
    spans: dict[dt.date, tuple] = {}  # per period start: (label, clipped start, end, partial), worked out once

    def span(s: dt.date) -> tuple:
        late = incomplete_after is not None and end > incomplete_after
        if grain == WINDOW:
            cut = requested_end is not None and end < requested_end
            return f"{start.isoformat()}..{end.isoformat()}", s, end, cut or late
        full_end = periods.period_end(s, grain)
        period_end = min(full_end, end)
        clipped = max(s, start)
        label = periods.label(periods.period_start(clipped, grain, fiscal_start), grain, fiscal_start)
        late = incomplete_after is not None and period_end > incomplete_after
        return label, clipped, period_end, s < start or period_end < full_end or late

    out = []
    for s, dim, value, prior_value in rows:
        value, prior_value = float(value), NAN if _missing(prior_value) else float(prior_value)
        change = value - prior_value
        yoy_pct = change / prior_value * 100 if prior_value != 0 else NAN
        if s not in spans:
            spans[s] = span(s)
        label, clipped, period_end, partial = spans[s]
        shown = names.get(dim, dim) if by == "branch" else dim
        out.append((label, clipped, period_end, shown, value, prior_value, change, yoy_pct, partial))
    out.sort(key=lambda row: (row[1], row[3] is None, row[3] or ""))
    columns = _columns(by)
    if not by:
        out = [row[:3] + row[4:] for row in out]
    return pd.DataFrame(out, columns=columns) if out else _empty(by)


PER_CAPITA = Metric("per_capita", "", "", "", "", "", "", "dec2", True, "", "num", "den", compute="ratio")
NAN = float("nan")


def _value_rule(metric: Metric) -> Metric:
    """The metric whose numerator/denominator rule turns sums into values."""
    if metric.compute == "per_capita":
        return PER_CAPITA  # numerator over the population put in `den` by _values
    return get(metric.base) if metric.base else metric


def _population(con) -> dict[str, int]:
    """branch_id -> service population, for the branches that have one."""
    cursor = con.cursor()
    try:
        return dict(
            cursor.execute("SELECT branch_id, service_population FROM branches WHERE service_population > 0").fetchall()
        )
    finally:
        cursor.close()


def _attainment(
    con, metric: Metric, values: Values, by: str | None, years_back: int, flt: Filter, fiscal_start: int
) -> Values:
    """A registered attainment metric: each value as a percent of its period's (fiscal) year's target minus
    years_back, the target chosen by metrics/targets.py (by branch each service point's own, otherwise the
    filter's selection's), so that it always equals attainment() of its base metric over a year."""
    base = get(metric.base)
    out = {}
    for (s, dim), value in values.items():
        year = periods.fiscal_year_of(s, fiscal_start) - years_back
        if by == "branch":
            target = targets.own_target(con, base, flt, year, dim)
        else:
            target = targets.target_for(con, base, flt, year, fiscal_start) if by is None else None
        out[(s, dim)] = targets.percent(value, target)
    return out


def _derived_note(metric: Metric) -> str:
    if metric.compute == "per_capita":
        return "per capita: only branches with a service population are counted"
    return f"attainment of the year's {metric.base} target; periods shorter than a year are compared with it too"


TARGET_COLUMNS = ("target", "attainment_pct", "expected_pct", "expected_basis", "ahead_pts", "reached")


def attainment(con, metric_id: str, flt: Filter | None = None, fiscal_start: int = 1) -> targets.Attainment | None:
    """The filter's figure against its target (metrics/targets.py): for the (fiscal) year in which the filter's
    window ends as counted (cut at the data's end), over the part of the window inside that year, with what
    should be reached by then. None when that year has no target for the selection. What a card says."""
    found = attainments(con, metric_id, flt, None, fiscal_start, only_targeted=True)[1]
    return found[-1] if found else None


def attainment_table(
    con,
    metric_id: str,
    flt: Filter | None = None,
    by: str | None = None,
    fiscal_start: int = 1,
    only_targeted: bool = False,
) -> Result:
    """The metric by (fiscal) year, and by branch when `by` is "branch", with the year-over-year comparison
    and, per row, TARGET_COLUMNS (empty where the row has no target): the ranking's target columns and
    `python -m metrics query --target`. only_targeted: no rows at all when no year of the filter's dates has
    a target for the view."""
    result, found = attainments(con, metric_id, flt, by, fiscal_start, only_targeted)
    columns = {name: [getattr(a, name) if a else None for a in found] for name in TARGET_COLUMNS}
    result.table = result.table.assign(**{name: pd.Series(values, dtype=object) for name, values in columns.items()})
    for name in ("target", "attainment_pct", "expected_pct", "ahead_pts"):
        result.table[name] = result.table[name].astype(float)
    return result


def attainments(
    con,
    metric_id: str,
    flt: Filter | None = None,
    by: str | None = None,
    fiscal_start: int = 1,
    only_targeted: bool = False,
) -> tuple[Result, list[targets.Attainment | None]]:
    """compute() of the metric by (fiscal) year (by branch when asked), compared with a year earlier, and the
    Attainment of each of its rows (None where the row has no target). A row's target is that of its (fiscal)
    year; its expected share comes from last year's same span (the row's prior_value) over last year's whole
    year, when the row's selection reported from last year's first day (metrics/targets.py). only_targeted:
    nothing is computed (no rows) when no year of the filter's dates has a target for the view."""
    metric = get(metric_id)
    if metric.compute == "target":
        raise ValueError(f"{metric_id} is an attainment itself: ask for {metric.base} against its target")
    if by not in (None, "branch"):
        raise ValueError(f"targets are compared for the whole selection or by branch, not by {by}")
    flt = flt or Filter()
    targeted = _may_have_target(con, metric, flt, by, fiscal_start)
    if only_targeted and not targeted:  # spare the figures of a view without a target
        return Result(metric, "year", by, _empty(by), None), []
    result = compute(con, metric_id, flt, "year", by, fiscal_start, compare=True)
    if result.table.empty or not targeted:
        return result, [None] * len(result.table)
    memo = memos.memo(con)
    ids = {name: branch for branch, name in _branch_names(con, memo).items()} if by else {}
    whole = _whole_years_before(con, metric, flt, by, fiscal_start, result.table) if targets.cumulative(metric) else {}
    firsts = _first_reported(con, memo, _table(metric)) if whole else {}
    found = []
    for row in result.table.to_dict("records"):
        year = periods.fiscal_year_of(row["period_start"], fiscal_start)
        branch = ids.get(row[by]) if by else None
        if by:
            target = targets.own_target(con, metric, flt, year, branch)
        else:
            target = targets.target_for(con, metric, flt, year, fiscal_start)
        if target is None or _missing(row["value"]) or target <= 0:
            found.append(None)
            continue
        year_span = targets.year_span(year, fiscal_start)
        last_start = periods.add_months(year_span[0], -12)
        began = firsts.get(branch) if by else _selection_began(con, flt, firsts)
        last_year = whole.get((last_start, row[by] if by else None))
        last = (row["prior_value"], last_year) if began is not None and began <= last_start else (None, None)
        span = (row["period_start"], row["period_end"])
        found.append(
            targets.assess(metric, row["period"], span, bool(row["partial"]), row["value"], target, year_span, last)
        )
    return result, found


def _may_have_target(con, metric: Metric, flt: Filter, by: str | None, fiscal_start: int) -> bool:
    """Whether a (fiscal) year the filter's dates touch has a target for the view (for every year when a date is
    open): a test on the remembered targets table, made before any figure is computed."""
    if not targets.known(con, metric.id) or targets.narrowed(metric, flt):
        return False
    if flt.date_from is None or flt.date_to is None:
        return True
    first, last = (periods.fiscal_year_of(day, fiscal_start) for day in (flt.date_from, flt.date_to))
    if by == "branch":
        return any(year in range(first, last + 1) and branch for year, branch in targets.stored(con, metric.id))
    return any(targets.target_for(con, metric, flt, year, fiscal_start) for year in range(first, last + 1))


def _whole_years_before(con, metric: Metric, flt: Filter, by: str | None, fiscal_start: int, table) -> dict:
    """{(first day of a (fiscal) year, branch name or None): its whole-year value} for the years before those
    of `table`'s rows; a year the data's end cuts short is left out (it cannot give a whole year's shape)."""
    firsts = [periods.period_start(s, "year", fiscal_start) for s in table["period_start"]]
    start, end = periods.add_months(min(firsts), -12), max(firsts) - dt.timedelta(days=1)
    before = compute(con, metric.id, flt.with_dates(start, end), "year", by, fiscal_start).table
    return {
        (row["period_start"], row[by] if by else None): row["value"]
        for row in before.to_dict("records")
        if not row["partial"] and not _missing(row["value"])
    }


def _first_reported(con, memo: Memo, table: str) -> dict[str | None, dt.date]:
    """branch_id -> the first day of its reported rows of a fact table, and None -> the table's first day."""

    def read() -> dict[str | None, dt.date]:
        cursor = con.cursor()
        try:
            # The table name comes from the registry; the reported-row conditions are constants above.
            rows = cursor.execute(
                f"SELECT f.branch_id, min(f.date) FROM {table} f WHERE {REPORTED.get(table, 'true')} GROUP BY ALL"
            ).fetchall()
        finally:
            cursor.close()
        firsts = dict(rows)
        return {**firsts, None: min(firsts.values())} if firsts else {}

    return memo.get(("first_reported", table), read)


def _selection_began(con, flt: Filter, firsts: dict) -> dt.date | None:
    """The first day of the filter's branches' data: the table's for the network, else their earliest."""
    if not branch_sql(flt, "b")[0]:
        return firsts.get(None)
    days = [firsts[b] for b in branch_ids(con, flt) if b in firsts]
    return min(days) if days else None


def branch_names(con, lang: str = "en") -> dict[str, str]:
    """branch_id -> display name (Chinese name in Chinese when the data has one)."""
    return dict(_branch_names(con, memos.memo(con), lang))


def _branch_names(con, memo: Memo, lang: str = "en") -> dict[str, str]:
    """branch_names() as remembered for the database state; not to be changed by the caller."""

    def read() -> dict[str, str]:
        column = "coalesce(name_zh, name)" if lang == "zh" else "name"
        cursor = con.cursor()
        try:
            names = dict(cursor.execute(f"SELECT branch_id, {column} FROM branches").fetchall())
        finally:
            cursor.close()
        return {**names, SYSTEM_LINES: SYSTEM_LINES_LABEL.get(lang, SYSTEM_LINES_LABEL["en"])}

    return memo.get(("names", lang), read)


def district_names(con, lang: str = "en") -> dict[str, str]:
    """district (as stored, what filters and links use) -> display name: the branch list's district_zh in
    Chinese when it gives one, else the district as written. The rows a breakdown by district may hold
    besides districts (no district, system-wide lines) are named too."""

    def read() -> dict[str, str]:
        # A database of an older version opened read-only may lack the column (data/db.py MIGRATIONS).
        chinese = lang == "zh" and db.has_column(con, "branches", "district_zh")
        column = "coalesce(min(district_zh), district)" if chinese else "district"
        cursor = con.cursor()
        try:
            names = dict(
                cursor.execute(
                    f"SELECT district, {column} FROM branches WHERE district IS NOT NULL GROUP BY district"
                ).fetchall()
            )
        finally:
            cursor.close()
        extra = {
            UNSPECIFIED: display.code_label(UNSPECIFIED, lang),
            SYSTEM_LINES: SYSTEM_LINES_LABEL.get(lang, SYSTEM_LINES_LABEL["en"]),
        }
        return {**extra, **names}

    return dict(memos.memo(con).get(("districts", lang), read))


def contribution(result: Result) -> pd.DataFrame:
    """Each `by` value's share of the total change, per period (needs compare=True and a `by`)."""
    if not result.by:
        return result.table.assign(share_of_change=pd.Series(dtype=float)).iloc[0:0]
    return contribution_of(result.table, result.gone)


def contribution_of(table: pd.DataFrame, gone: pd.DataFrame) -> pd.DataFrame:
    """contribution() from a result's table and its gone rows (values that only existed a year earlier)."""
    rows = pd.concat([table, gone], ignore_index=True).dropna(subset=["change"])
    if rows.empty:
        return rows.assign(share_of_change=pd.Series(dtype=float))
    totals = rows.groupby("period")["change"].transform("sum")
    return rows.assign(share_of_change=rows["change"] / totals.where(totals != 0) * 100)


def ranking(result: Result, period: str | None = None) -> pd.DataFrame:
    """The `by` values of one period (the last by default) ranked by value, with their share of the total."""
    return rank(result.table, result.metric, period)


def service_points_only(table: pd.DataFrame) -> pd.DataFrame:
    """A breakdown by branch, district or kind without its row of system-wide lines (SYSTEM_LINES, by id or
    shown name): what rankings and per-branch views show."""
    marks = {SYSTEM_LINES, *SYSTEM_LINES_LABEL.values()}
    for column in ("branch", *BRANCH_DIMENSIONS):
        if column in table.columns:
            return table[~table[column].isin(marks)]
    return table


def rank(table: pd.DataFrame, metric: Metric, period: str | None = None) -> pd.DataFrame:
    """ranking() of a result's table (as the pages hold it): the rows of one period (the last by default),
    best first, numbered in `rank`, with `share`, each row's percent of the period's total; the share is
    left empty (NaN) for a metric whose parts do not add up to a total (a ratio, a mean, a per-capita)."""
    table = service_points_only(table)
    if table.empty:
        return table.assign(rank=pd.Series(dtype=int), share=pd.Series(dtype=float))
    period = period or table["period"].iloc[-1]
    rows = table[table["period"] == period].sort_values("value", ascending=not metric.higher_is_better)
    rows = rows.assign(rank=range(1, len(rows) + 1))
    total = rows["value"].sum()
    rows["share"] = rows["value"] / total * 100 if metric.is_additive and total else NAN
    return rows.reset_index(drop=True)
