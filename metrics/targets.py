"""Targets: which row of the targets table a figure is measured against, how much of it the figure has reached,
and how much of it should be reached by now. The rules live here; metrics.engine.attainments() applies them to
the engine's figures, for the registered *_target_attainment metrics, the dashboard's cards and ranking, the
annual report and `python -m metrics query --target` alike.

The targets table holds (year, branch_id or NULL for the network, metric, target) for any registered metric. A
fiscal year's target is stored under the calendar year in which the fiscal year starts (FY2026/27 under 2026),
as the engine labels its years.

Which target (target_for):
- With no branch, district or kind chosen and no user scope: the network's target (branch_id NULL). Within a
  user's scope the network's target is never used: it is not theirs to be measured against.
- Otherwise, for a metric whose parts add up to its total (a sum: visits, loans, events, attendance, new
  registrations...): the sum of the own targets of the service points the filter selects that are open in the
  year, when every one of them has one; none when one lacks a target (a sum of some of them would make the rest
  look like over-achievement). A service point's target is its own rows' target, as a ranking by branch counts
  them: a branch chosen with its reading rooms has a target only when each room has one too.
- For a ratio, mean or share (satisfaction, a resolution rate, a per-capita figure): the network's target for
  the network, a service point's own target for that service point alone, and none for a selection of several
  (targets of levels do not add up, and an average of them would be a target nobody set).
- None when the filter narrows the metric itself (an event category, audience or format; a survey question
  other than the overall one): the target is the whole metric's.

Attainment = value / target x 100, for every metric. For a sum it is the share of the year's target reached so
far. For a ratio, mean or share it is the value against the level to hold (93.1 against 95 is 98.0%), and
`reached` says whether the level is held (at or above it; at or below for a metric where lower is better).

Expected by now, for sums only (a level applies on every day of the year): the share of the year's target the
span counted would have brought had the year run like the last one. For a span from the (fiscal) year's start
to day d: last year's value from its start to the same day / last year's whole-year value x 100; for any span,
last year's value over the same span a year earlier / last year's whole-year value. Last year gives this shape
when the selection's data begins on or before last year's first day and both last-year values exist and the
whole year's is above zero; otherwise the expected share is the share of the year's days the span covers.
`ahead_pts` is the attainment minus the expected share in percentage points, both taken as written (one
decimal), so that "83.9% ... expected 81.2% (ahead 2.7 pts)" adds up; positive is ahead: for a metric where
lower is better (complaints), being below the expected share is ahead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from metrics import memo as memos
from metrics import periods
from metrics.filters import DIMENSION_COLUMNS, Filter, branch_ids, branch_sql
from metrics.registry import Metric, get
from metrics.satisfaction import DEFAULT_QUESTION

NETWORK = ""  # the branch key of a network-wide target (branch_id NULL)
SEASONAL = "last_year"  # expected_basis: weighted by last year's months
DAYS = "days"  # expected_basis: the share of the year's days


@dataclass(frozen=True)
class Attainment:
    """A figure against its target, as the cards, the ranking, the report and the command line show it."""

    metric: str
    period: str  # the engine's label of the (fiscal) year: 2026, FY2026/27
    date_from: dt.date  # the span counted: the part of the filter's window inside the year, to the data's end
    date_to: dt.date
    partial: bool
    value: float
    target: float
    attainment_pct: float
    cumulative: bool  # a sum, reached over the year; False: a level to hold (ratio, mean, share)
    reached: bool
    expected_pct: float | None = None  # sums only
    expected_basis: str | None = None  # SEASONAL or DAYS; None for a level
    ahead_pts: float | None = None  # attainment_pct - expected_pct as written, positive when ahead


def cumulative(metric: Metric) -> bool:
    """Whether a target of the metric is reached over the year (a sum) rather than held (a level)."""
    return metric.is_additive


def year_span(year: int, fiscal_start: int = 1) -> tuple[dt.date, dt.date]:
    """First and last day of the (fiscal) year starting in month `fiscal_start` of `year`."""
    start = dt.date(year, fiscal_start, 1)
    return start, periods.period_end(start, "year")


def stored(con, metric_id: str) -> dict[tuple[int, str], float]:
    """(year, branch_id or NETWORK) -> target of a metric, remembered per database state."""

    def read() -> dict[tuple[int, str], float]:
        cursor = con.cursor()
        try:
            rows = cursor.execute(
                "SELECT year, coalesce(branch_id, '') AS branch_id, target FROM targets WHERE metric = ?", [metric_id]
            ).fetchall()
        finally:
            cursor.close()
        return {(year, branch): float(target) for year, branch, target in rows}

    return memos.memo(con).get(("targets", metric_id), read)


def known(con, metric_id: str) -> bool:
    """Whether the targets table holds any target of the metric (the cheap test before any figure is computed)."""
    return bool(stored(con, metric_id))


def narrowed(metric: Metric, flt: Filter) -> bool:
    """Whether the filter counts only part of the metric (an event category, audience or format; a survey
    question other than the overall one), which a target of the whole metric does not measure."""
    base = get(metric.base) if metric.base else metric
    table = "surveys" if base.compute == "satisfaction" else base.table
    columns = DIMENSION_COLUMNS.get(table, set())
    chosen = {"category": flt.categories, "audience": flt.audiences, "format": flt.formats}
    if any(values and name in columns for name, values in chosen.items()):
        return True
    return base.compute == "satisfaction" and flt.question != DEFAULT_QUESTION


def target_for(con, metric: Metric, flt: Filter, year: int, fiscal_start: int = 1) -> float | None:
    """The target the filter's figure of `year` is measured against (the module's rule), or None."""
    if narrowed(metric, flt):
        return None
    targets = stored(con, metric.id)
    if not targets:
        return None
    if not branch_sql(flt, "b")[0]:  # neither a choice of branches nor a scope: the network
        return targets.get((year, NETWORK))
    points = open_in(con, branch_ids(con, flt), *year_span(year, fiscal_start))
    if not points:
        return None
    if not cumulative(metric):
        return targets.get((year, points[0])) if len(points) == 1 else None
    own = [targets.get((year, point)) for point in points]
    return None if any(target is None for target in own) else sum(own)


def own_target(con, metric: Metric, flt: Filter, year: int, branch_id: str | None) -> float | None:
    """A service point's own target of `year` (a row of a breakdown by branch), or None."""
    if branch_id is None or narrowed(metric, flt):
        return None
    return stored(con, metric.id).get((year, branch_id))


def open_in(con, ids, start: dt.date, end: dt.date) -> list[str]:
    """The service points of `ids` open at some time from `start` to `end` (opened by its end, not closed
    before its start; a missing date does not exclude)."""

    def read() -> dict[str, tuple]:
        cursor = con.cursor()
        try:
            rows = cursor.execute("SELECT branch_id, opened_on, closed_on FROM branches").fetchall()
        finally:
            cursor.close()
        return {branch: (opened, closed) for branch, opened, closed in rows}

    dates = memos.memo(con).get("branch_dates", read)
    return [
        b
        for b in ids
        if (dates.get(b, (None, None))[0] or start) <= end and (dates.get(b, (None, None))[1] or end) >= start
    ]


def percent(value, target: float | None) -> float | None:
    """value / target x 100, or None without a (positive) target or a value."""
    if not target or target <= 0 or value is None or value != value:
        return None
    return float(value) / target * 100


def expected_share(
    span: tuple[dt.date, dt.date],
    year: tuple[dt.date, dt.date],
    last_span: float | None = None,
    last_year: float | None = None,
) -> tuple[float, str]:
    """(expected percent of the year's target, basis) for a span of the year: last year's value over the same
    span (`last_span`) over last year's whole-year value (`last_year`) when the caller found last year able to
    give the shape (both given, the whole year above zero); else the share of the year's days the span covers."""
    if last_span is not None and last_year and last_year > 0 and last_span == last_span:
        return float(last_span) / last_year * 100, SEASONAL
    days = (span[1] - span[0]).days + 1
    return days / ((year[1] - year[0]).days + 1) * 100, DAYS


def assess(
    metric: Metric,
    period: str,
    span: tuple[dt.date, dt.date],
    partial: bool,
    value: float,
    target: float,
    year: tuple[dt.date, dt.date],
    last: tuple[float | None, float | None] = (None, None),
) -> Attainment:
    """The figure `value` over `span` against `target` of the (fiscal) year `year`; `last` is (last year's value
    over the same span, last year's whole-year value) when the selection's data covers the whole last year."""
    pct = float(value) / target * 100
    reached = value >= target if metric.higher_is_better else value <= target
    if not cumulative(metric):
        return Attainment(metric.id, period, *span, partial, float(value), target, pct, False, bool(reached))
    expected, basis = expected_share(span, year, *last)
    ahead = round(round(pct, 1) - round(expected, 1), 1)
    if not metric.higher_is_better:
        ahead = -ahead
    return Attainment(
        metric.id, period, *span, partial, float(value), target, pct, True, bool(reached), expected, basis, ahead
    )
