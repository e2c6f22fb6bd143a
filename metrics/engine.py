"""The comparison engine: a metric by period (calendar or fiscal), optionally by a dimension, with
year-over-year by date offset, partial periods, like-for-like branch sets, contribution and ranking.

How a comparison is made:
- The window runs from the filter's start (or the first data) to the filter's end, cut at the data's
  end (the last day the metric's table covers, its "as of" date). A period the window cuts short is
  `partial`, and it is compared with the same span one year earlier, never with a whole year.
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

from metrics import periods, satisfaction
from metrics.filters import Filter, branch_sql, fact_sql
from metrics.registry import Metric, dimensions, get
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
    excluded: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # period -> {"new"|"gone": ids}
    gone: pd.DataFrame = field(default_factory=pd.DataFrame)  # rows with a prior value and no current one
    notes: list[str] = field(default_factory=list)


def data_span(con, metric: Metric, grain: str = "year") -> tuple[dt.date | None, dt.date | None]:
    """(first day, last day) covered by the metric's data, counting rows usable at this grain."""
    usable = periods.USABLE_ROW_GRAINS[grain]
    tables = ("surveys", "events") if metric.compute == "satisfaction" else (_table(metric),)
    spans = []
    cursor = con.cursor()
    try:
        for table in tables:
            # Table names come from the registry; the reported-row conditions are constants above.
            sql = (
                f"SELECT min(f.date), max(f.date + CAST(CASE f.grain WHEN 'day' THEN INTERVAL 0 DAY "
                f"WHEN 'month' THEN INTERVAL 1 MONTH - INTERVAL 1 DAY "
                f"WHEN 'quarter' THEN INTERVAL 3 MONTH - INTERVAL 1 DAY ELSE INTERVAL 1 YEAR - INTERVAL 1 DAY END "
                f"AS INTERVAL)) FROM {table} f WHERE {REPORTED.get(table, 'true')} "
                f"AND f.grain IN ({', '.join('?' for _ in usable)})"
            )
            first, last = cursor.execute(sql, list(usable)).fetchone()
            if first is not None:
                spans.append((first, last.date() if isinstance(last, dt.datetime) else last))
    finally:
        cursor.close()
    if not spans:
        return None, None
    return min(f for f, _ in spans), max(last for _, last in spans)


def _table(metric: Metric) -> str:
    return get(metric.base).table if metric.base else metric.table


# A row's date moved onto the date it is compared with: one calendar year (29 February → 28 February)
# or 52 weeks (same weekday).
SHIFTS = {None: "f.date", "year": "CAST(f.date + INTERVAL 1 YEAR AS DATE)", "weeks": "f.date + 364"}


def _period_sql(grain: str, moved: str) -> tuple[str, int]:
    """SQL for the start of the period containing the date `moved`, and how many parameters it binds
    (the fiscal year's first month, twice, or the window's start)."""
    if grain == "day":
        return moved, 0
    if grain == "week":
        return f"CAST(date_trunc('week', {moved}) AS DATE)", 0
    if grain == "month":
        return f"CAST(date_trunc('month', {moved}) AS DATE)", 0
    if grain == WINDOW:
        return "CAST(? AS DATE)", 1
    # Quarters and years start in the fiscal year's first month: move back, truncate, move forward.
    return f"CAST(date_trunc('{grain}', {moved} - to_months(?)) + to_months(?) AS DATE)", 2


def fetch(
    con,
    metric: Metric,
    flt: Filter,
    by: str | None,
    grain: str,
    fiscal_start: int = 1,
    window_start: dt.date | None = None,
    shift: str | None = None,
) -> pd.DataFrame:
    """The metric's numerator and denominator summed per period, branch and `by` value, inside DuckDB:
    columns period_start, branch_id, dim, num, den. With `shift`, rows are first moved a year (or 52
    weeks) forward, so a year-earlier window lands on the periods it is compared with."""
    base = get(metric.base) if metric.base else metric
    dim_sql = DIMENSION_SQL[by] if by else "NULL"
    b_cond, b_params = branch_sql(flt, "b")
    f_cond, f_params = fact_sql(flt, base.table, "f")
    usable = periods.USABLE_ROW_GRAINS[grain]
    conditions = [f"({base.where})", f"f.grain IN ({', '.join('?' for _ in usable)})", *b_cond, *f_cond]
    if shift == "year" and grain in ("day", "week"):
        conditions.append("NOT (month(f.date) = 2 AND day(f.date) = 29)")  # no counterpart a year later
    period, binds = _period_sql(grain, SHIFTS[shift])
    period_params = {0: [], 1: [window_start], 2: [fiscal_start - 1, fiscal_start - 1]}[binds]
    # Identifiers come from the registry and the allow-lists above; every value is bound.
    table = base.table
    if table == "circulation" and by not in ("item_type", "patron_category"):
        table = "circulation_daily"  # the smallest table that answers: no item or patron breakdown
    sql = (
        f"SELECT {period} AS period_start, f.branch_id, {dim_sql} AS dim, sum({base.numerator}) AS num, "
        f"sum({base.denominator or 'NULL'}) AS den FROM {table} f JOIN branches b ON b.branch_id = f.branch_id "
        f"WHERE {' AND '.join(conditions)} GROUP BY ALL"
    )
    cursor = con.cursor()
    try:
        frame = cursor.execute(sql, [*period_params, *usable, *b_params, *f_params]).df()
    finally:
        cursor.close()
    frame["period_start"] = pd.to_datetime(frame["period_start"]).dt.date
    return frame


def window(
    con, metric: Metric, flt: Filter, grain: str, fiscal_start: int = 1
) -> tuple[dt.date | None, dt.date | None, dt.date | None]:
    """(from, to, as_of): the filter's dates, cut at the end of the data.

    Only the end of the data makes a period partial: a series that starts mid-period simply has no
    earlier data. Event and survey data run to the end of the month of their last held event.
    """
    first, last = data_span(con, metric, grain)
    if first is None:
        return None, None, None
    if _table(metric) in ("events", "surveys"):
        last = periods.period_end(last.replace(day=1), "month")
    if flt.date_from:
        start = flt.date_from
    else:  # the first data's period; the whole window (one period) simply starts with the data
        start = first if grain == WINDOW else periods.period_start(first, grain, fiscal_start)
    end = min(flt.date_to, last) if flt.date_to else last
    return start, end, last


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
) -> Result:
    """The metric per period (and per `by`), with the year-over-year comparison when asked."""
    metric = get(metric_id)
    flt = flt or Filter()
    if by and by not in dimensions(metric):
        raise ValueError(f"{metric_id} cannot be broken down by {by}; choose from {', '.join(dimensions(metric))}")
    if grain not in periods.GRAINS and grain != WINDOW:
        raise ValueError(f"unknown grain {grain!r}; choose from {', '.join(periods.GRAINS)}")
    if fiscal_start not in range(1, 13):
        raise ValueError(f"fiscal_start must be a month number 1-12, not {fiscal_start!r}")
    start, end, as_of = window(con, metric, flt, grain, fiscal_start)
    result = Result(metric, grain, by, _empty(by), as_of)
    if start is None and grain != "year" and data_span(con, metric, "year")[0] is not None:
        result.notes.append(f"the data is reported by coarser periods than a {grain}; choose a coarser --grain")
    if start is None or start > end:
        return result
    comparing = compare or like_for_like
    if metric.compute == "satisfaction":
        current, prior = _satisfaction_values(con, metric, flt, by, grain, fiscal_start, start, end, comparing)
        if like_for_like:
            result.notes.append("like-for-like does not apply to satisfaction; all responses are used")
    else:
        current, prior, result.excluded = _sum_values(
            con, metric, flt, by, grain, fiscal_start, start, end, comparing, like_for_like, same_weekday
        )
    result.table, result.gone = _assemble(con, current, prior, by, grain, fiscal_start, start, end, flt.date_to)
    if metric.compute in ("per_capita", "target"):
        result.notes.append(_derived_note(metric))
    return result


def _prior_window(start: dt.date, end: dt.date, same_weekday: bool = False) -> tuple[dt.date, dt.date]:
    """The window one year earlier (52 weeks earlier when weekdays are aligned)."""
    if same_weekday:
        return start - dt.timedelta(days=364), end - dt.timedelta(days=364)
    prior_end = periods.one_year_earlier(end)
    if end == periods.period_end(end.replace(day=1), "month"):
        # A window ending on a month's last day is compared with that whole month a year earlier:
        # 28 February 2025 with 29 February 2024, or the leap day would be left out of February.
        prior_end = periods.period_end(prior_end.replace(day=1), "month")
    return periods.one_year_earlier(start), prior_end


def _sum_values(con, metric, flt, by, grain, fiscal_start, start, end, comparing, like_for_like, same_weekday):
    """(current values, prior values or None, like-for-like exclusions) for sum, ratio and derived metrics."""
    current = fetch(con, metric, flt.with_dates(start, end), by, grain, fiscal_start, start)
    prior, excluded = None, {}
    if comparing:
        prior_flt = flt.with_dates(*_prior_window(start, end, same_weekday))
        prior = fetch(con, metric, prior_flt, by, grain, fiscal_start, start, "weeks" if same_weekday else "year")
    if like_for_like and prior is not None:
        current, prior, excluded = _like_for_like(current, prior, grain, fiscal_start)
    prior_values = _values(con, metric, prior, by, years_back=1, scope=flt.scope) if prior is not None else None
    return _values(con, metric, current, by, scope=flt.scope), prior_values, excluded


def _values(
    con, metric: Metric, frame: pd.DataFrame, by: str | None, years_back: int = 0, scope: tuple | None = None
) -> pd.DataFrame:
    """period_start, dim, value from periodised sums.

    A ratio counts a branch in a period only when it has both numerator and denominator there (a
    resolved count without the received count cannot be combined with the others). years_back: 1 for
    prior-year rows moved onto this year's periods, so that attainment uses the prior year's target.
    """
    if metric.compute == "per_capita":
        frame = _per_capita(con, frame)
    rule = _value_rule(metric)
    table = _value(frame.dropna(subset=["num", "den"] if rule.is_ratio else ["num"]), rule, ["period_start", "dim"])
    if metric.compute == "target":
        table = _attainment(con, metric, table, by, years_back, scope)
    return table


SATISFACTION_VALUE = {"satisfaction": "mean", "satisfied_share": "satisfied_share", "responses": "n"}


def _satisfaction_values(con, metric, flt, by, grain, fiscal_start, start, end, comparing):
    """(current, prior or None) values of a satisfaction metric; the prior is moved a year forward."""
    column = SATISFACTION_VALUE[metric.id]

    def values(window_flt: Filter, shift: bool) -> pd.DataFrame:
        if grain == WINDOW:
            trend = satisfaction.trend(con, window_flt, "year", fiscal_start, by, whole_window=True)
            trend["period_start"] = start
        else:
            trend = satisfaction.trend(con, window_flt, grain, fiscal_start, by)
        dim = trend[by] if by else None
        frame = pd.DataFrame({"period_start": trend["period_start"], "dim": dim, "value": trend[column]})
        if shift and not frame.empty and grain != WINDOW:
            moved = frame["period_start"].map(lambda d: _moved(d, grain))
            frame = frame.assign(period_start=moved).dropna(subset=["period_start"])
        return frame.dropna(subset=["value"])

    current = values(flt.with_dates(start, end), shift=False)
    prior = values(flt.with_dates(*_prior_window(start, end)), shift=True) if comparing else None
    return current, prior


def _moved(start: dt.date, grain: str) -> dt.date | None:
    """A prior-year period's start moved onto the period it is compared with."""
    if grain == "week":
        return start + dt.timedelta(days=364)
    if grain == "day" and start.month == 2 and start.day == 29:
        return None
    return periods.add_months(start, 12)


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
    return pd.DataFrame(columns=_columns(by))


def _like_for_like(current: pd.DataFrame, prior: pd.DataFrame, grain: str, fiscal_start: int):
    """Keep only branches reporting in both a period and its prior; list the others per period."""
    now = current.dropna(subset=["num"]).groupby("period_start")["branch_id"].agg(set)
    before = prior.dropna(subset=["num"]).groupby("period_start")["branch_id"].agg(set)
    excluded, keep = {}, {}
    for start in now.index:
        both = now[start] & before.get(start, set())
        keep[start] = both
        gone = before.get(start, set()) - now[start]
        excluded[periods.label(start, grain, fiscal_start)] = {
            "new": sorted(now[start] - both),
            "gone": sorted(gone),
        }

    def mask(frame: pd.DataFrame) -> pd.Series:
        # A Series, not a list: an empty list would select no columns instead of no rows.
        kept = [row.branch_id in keep.get(row.period_start, set()) for row in frame.itertuples()]
        return pd.Series(kept, index=frame.index, dtype=bool)

    return current[mask(current)], prior[mask(prior)] if not prior.empty else prior, excluded


def _value(frame: pd.DataFrame, metric: Metric, keys: list[str]) -> pd.DataFrame:
    """Per keys: the metric's value from summed numerator and denominator."""
    if frame.empty:
        return pd.DataFrame(columns=[*keys, "value"])
    sums = frame.groupby(keys, dropna=False)[["num", "den"]].sum(min_count=1).reset_index()
    if metric.is_ratio:
        den = sums["den"].where(sums["den"] != 0)
        sums["value"] = sums["num"] / den * metric.scale
    else:
        sums["value"] = sums["num"] * metric.scale
    return sums[[*keys, "value"]]


def _assemble(
    con, current, prior, by, grain, fiscal_start, start, end, requested_end=None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(table, gone): one row per period and `by` value with data in the current window, and the rows
    that had data only in the prior year (a branch that closed), which contribution() needs."""
    keys = ["period_start", "dim"]
    table = current.dropna(subset=["value"])
    gone = pd.DataFrame(columns=[*keys, "value", "prior_value"])
    if prior is not None:
        before = prior.dropna(subset=["value"]).rename(columns={"value": "prior_value"})
        merged = table.merge(before, on=keys, how="outer", indicator=True)
        gone = merged[merged["_merge"] == "right_only"].drop(columns=["_merge"])
        table = merged[merged["_merge"] != "right_only"].drop(columns=["_merge"])
    else:
        table = table.assign(prior_value=float("nan"))
    return _finish(con, table, by, grain, fiscal_start, start, end, requested_end), _finish(
        con, gone.assign(value=0.0), by, grain, fiscal_start, start, end, requested_end
    )


def _finish(con, table: pd.DataFrame, by, grain, fiscal_start, start, end, requested_end=None) -> pd.DataFrame:
    """Change, YoY percent, clipped period span, partial flag, label and display names."""
    table = table.copy()
    table["value"] = table["value"].astype(float)
    table["prior_value"] = table["prior_value"].astype(float)
    table["change"] = table["value"] - table["prior_value"]
    denominator = table["prior_value"].where(table["prior_value"] != 0)
    table["yoy_pct"] = table["change"] / denominator * 100
    if grain == WINDOW:
        table["period_end"] = end
        table["partial"] = requested_end is not None and end < requested_end
        table["period"] = f"{start.isoformat()}..{end.isoformat()}"
    else:
        table["period_end"] = [min(periods.period_end(s, grain), end) for s in table["period_start"]]
        table["partial"] = [
            s < start or e < periods.period_end(s, grain)
            for s, e in zip(table["period_start"], table["period_end"], strict=True)
        ]
        table["period_start"] = [max(s, start) for s in table["period_start"]]
        table["period"] = [
            periods.label(periods.period_start(s, grain, fiscal_start), grain, fiscal_start)
            for s in table["period_start"]
        ]
    table = table.rename(columns={"dim": by}) if by else table.drop(columns=["dim"])
    if by == "branch":
        names = branch_names(con)
        table[by] = table[by].map(lambda b: names.get(b, b))
    order = _columns(by)
    return table[order].sort_values(["period_start", *([by] if by else [])]).reset_index(drop=True)


PER_CAPITA = Metric("per_capita", "", "", "", "", "", "", "dec2", True, "", "num", "den", compute="ratio")


def _value_rule(metric: Metric) -> Metric:
    """The metric whose numerator/denominator rule turns sums into values."""
    if metric.compute == "per_capita":
        return PER_CAPITA  # numerator over the population put in `den` by _per_capita
    return get(metric.base) if metric.base else metric


def _per_capita(con, frame: pd.DataFrame) -> pd.DataFrame:
    """Numerator per branch and period, with the branch's service population as denominator."""
    if frame.empty:
        return frame
    cursor = con.cursor()
    try:
        population = dict(
            cursor.execute("SELECT branch_id, service_population FROM branches WHERE service_population > 0").fetchall()
        )
    finally:
        cursor.close()
    frame = frame[frame["branch_id"].isin(population)]
    return frame.assign(den=frame["branch_id"].map(population).astype(float))


def _attainment(
    con, metric: Metric, table: pd.DataFrame, by: str | None, years_back: int = 0, scope: tuple | None = None
) -> pd.DataFrame:
    """Value as a percent of the year's target (network-wide target when no branch breakdown); the
    target is that of the period's year minus years_back. Within a user's scope there is no network-wide
    target to compare with (nor is the network's target theirs to see): attainment is by branch only."""
    if table.empty:
        return table
    if scope is not None and by != "branch":
        return table.assign(value=None)
    target_metric = metric.base
    cursor = con.cursor()
    rows = cursor.execute(
        "SELECT year, coalesce(branch_id, '') AS branch_id, target FROM targets WHERE metric = ?", [target_metric]
    ).fetchall()
    cursor.close()
    targets = {(year, branch): target for year, branch, target in rows}

    def target_for(row) -> float | None:
        year = row.period_start.year - years_back
        branch = row.dim if by == "branch" else ""
        if by not in (None, "branch"):
            return None
        return targets.get((year, branch))

    found = [target_for(row) for row in table.itertuples()]
    table = table.assign(value=[v / t * 100 if t else None for v, t in zip(table["value"], found, strict=True)])
    return table


def _derived_note(metric: Metric) -> str:
    if metric.compute == "per_capita":
        return "per capita: only branches with a service population are counted"
    return f"attainment of the year's {metric.base} target; periods shorter than a year are compared with it too"


def branch_names(con, lang: str = "en") -> dict[str, str]:
    """branch_id -> display name (Chinese name in Chinese when the data has one)."""
    column = "coalesce(name_zh, name)" if lang == "zh" else "name"
    cursor = con.cursor()
    try:
        return dict(cursor.execute(f"SELECT branch_id, {column} FROM branches").fetchall())
    finally:
        cursor.close()


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
    table = result.table
    if table.empty:
        return table
    period = period or table["period"].iloc[-1]
    rows = table[table["period"] == period].sort_values("value", ascending=not result.metric.higher_is_better)
    rows = rows.assign(rank=range(1, len(rows) + 1))
    if not result.metric.is_ratio and result.metric.compute == "sum":
        rows["share"] = rows["value"] / rows["value"].sum() * 100
    return rows.reset_index(drop=True)
