"""Reporting completeness: which branches reported which periods, and the date through which a table's
data is complete for a set of branches (its "complete-through" date).

It applies to the tables whose exports report every branch every period (visits, circulation, measures).
Event- and respondent-level tables have no "not reported" state and are not judged here.

Definitions (DESIGN.md, December additions):
- A branch's *period* is that of its most recent rows: a month for daily or monthly rows (a day without a
  row is not a missing report: libraries shut on Sundays, a mobile route serves two days a week), a
  quarter for quarterly rows, a year for yearly rows.
- A branch *reported* a period when it has any row in it: a blank cell is stored as no row (not
  reported), a 0 as a row (a report). A coarser row (a yearly total) reports every period it covers.
- A branch is *expected* in a period when it is open for the whole of it (opened_on / closed_on) and it
  reported in any of the LOOKBACK periods before. A branch that stopped reporting is expected for three
  more periods, then no longer; a branch reporting for the first time is welcome but was not expected.
- The *complete-through* date is the end of the last period in which every expected branch reported.
  Only the ends of reported periods are candidates (after the data there is nothing to compare); with
  branches of different periods, each is judged by its last period ending on or before the candidate.
  Completeness is about reports still to come: a branch holds a period back only when it has reported
  nothing since (each branch's last report counts). A hole followed by later reports (a year without
  figures in the middle of a series) is a gap for the data checks, not a report still due; without this,
  one such hole anywhere in the last years would hold a whole network's figures back for good.
- The periods after it that hold reports are *pending*: some expected branches have not reported them
  yet (an early upload from two branches), and they are listed with the branches still missing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

from data import systemlines

# Table judged -> the table read (circulation's daily sums: the same branches and dates from fewer rows).
TABLES = {"visits": "visits", "circulation": "circulation_daily", "measures": "measures"}
LOOKBACK = 3
# A row's grain -> the period a branch reporting at that grain is judged by.
PERIOD_OF_GRAIN = {"day": "month", "week": "month", "month": "month", "quarter": "quarter", "year": "year"}
MONTHS = {"month": 1, "quarter": 3, "year": 12}
FINENESS = ("day", "week", "month", "quarter", "year")

_ROWS_SQL = (
    "SELECT f.branch_id, f.grain, CAST(date_trunc('month', f.date) AS DATE) AS month "
    "FROM {table} f GROUP BY ALL ORDER BY 1, 3"
)
_BRANCHES_SQL = "SELECT branch_id, opened_on, closed_on FROM branches"


@dataclass(frozen=True)
class History:
    """What one branch reported to one table."""

    branch_id: str
    period: str  # month | quarter | year
    reported: frozenset[dt.date]  # the starts of the periods it reported
    opened_on: dt.date | None
    closed_on: dt.date | None

    @cached_property
    def last(self) -> dt.date:
        """The start of the last period it reported."""
        return max(self.reported)

    def is_open(self, start: dt.date) -> bool:
        """Open for the whole period starting at `start`."""
        end = period_end(start, self.period)
        return (self.opened_on is None or self.opened_on <= start) and (self.closed_on is None or self.closed_on >= end)

    def expected(self, start: dt.date) -> bool:
        """Open for the period and reported in any of the LOOKBACK periods before it."""
        before = (add_periods(start, self.period, -n) for n in range(1, LOOKBACK + 1))
        return self.is_open(start) and any(p in self.reported for p in before)


@dataclass(frozen=True)
class Pending:
    """A period after the complete-through date that some branches reported and some expected ones did not."""

    period: str  # label: 2026-11, 2026-Q4 or 2026
    start: dt.date
    end: dt.date
    reported: tuple[str, ...]  # branch ids that reported it
    not_reported: tuple[str, ...]  # expected branch ids that did not

    @property
    def expected_count(self) -> int:
        """Branches that reported or were expected to."""
        return len(self.reported) + len(self.not_reported)


@dataclass(frozen=True)
class Completeness:
    """A table's completeness for a set of branches."""

    table: str
    complete_through: dt.date | None  # None: no branch in the set has data, or no period was ever complete
    last_reported: dt.date | None  # the end of the last period any branch in the set reported
    pending: tuple[Pending, ...] = ()  # oldest first


# --- periods (calendar months, quarters and years) -------------------------------------------------------------


def period_start(day: dt.date, period: str) -> dt.date:
    """The first day of the month, calendar quarter or year holding `day`."""
    month = (day.month - 1) // MONTHS[period] * MONTHS[period] + 1 if period != "year" else 1
    return dt.date(day.year, month, 1)


def add_periods(start: dt.date, period: str, count: int) -> dt.date:
    """The start of the period `count` periods after the one starting at `start` (negative: before)."""
    index = start.year * 12 + start.month - 1 + count * MONTHS[period]
    return dt.date(index // 12, index % 12 + 1, 1)


def period_end(start: dt.date, period: str) -> dt.date:
    return add_periods(start, period, 1) - dt.timedelta(days=1)


def label(start: dt.date, period: str) -> str:
    if period == "year":
        return str(start.year)
    if period == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return f"{start.year}-{start.month:02d}"


def last_period_by(day: dt.date, period: str) -> dt.date:
    """The start of the last period ending on or before `day`."""
    start = period_start(day, period)
    return start if period_end(start, period) <= day else add_periods(start, period, -1)


# --- reading -------------------------------------------------------------------------------------------------


def histories(con, table: str) -> dict[str, History]:
    """Every branch's reporting history in `table` (one of TABLES), keyed by branch id. A system-wide line
    (data/systemlines.py) is no service point: it is never expected to report, and never holds a period back."""
    if table not in TABLES:
        raise ValueError(f"completeness is judged for {', '.join(TABLES)}, not {table!r}")
    cursor = con.cursor()
    try:
        # The table name comes from TABLES above, never from input.
        rows = cursor.execute(_ROWS_SQL.format(table=TABLES[table])).fetchall()
        spans = {b: (opened, closed) for b, opened, closed in cursor.execute(_BRANCHES_SQL).fetchall()}
    finally:
        cursor.close()
    by_branch: dict[str, list[tuple[str, dt.date]]] = {}
    lines = systemlines.stored(con)
    for branch_id, grain, month in rows:
        if branch_id in lines:
            continue
        by_branch.setdefault(branch_id, []).append((grain, month))
    out = {}
    for branch_id, branch_rows in by_branch.items():
        # The most recent rows decide the branch's period; of two grains on the same month, the finer one.
        latest = max(month for _, month in branch_rows)
        grain = min((g for g, month in branch_rows if month == latest), key=FINENESS.index)
        period = PERIOD_OF_GRAIN[grain]
        reported = set()
        for row_grain, month in branch_rows:
            row_end = period_end(month, row_grain) if row_grain in MONTHS else month
            start, last = period_start(month, period), period_start(row_end, period)
            while start <= last:
                reported.add(start)
                start = add_periods(start, period, 1)
        opened, closed = spans.get(branch_id, (None, None))
        out[branch_id] = History(branch_id, period, frozenset(reported), opened, closed)
    return out


def of_network(con, table: str) -> Completeness:
    """The completeness of one table in TABLES for all branches."""
    known = histories(con, table)
    return assess(table, known, list(known))


def network(con) -> list[Completeness]:
    """of_network() of every table in TABLES (what `python -m data status` shows)."""
    return [of_network(con, table) for table in TABLES]


# --- judging -------------------------------------------------------------------------------------------------


def assess(table: str, known: dict[str, History], branch_ids) -> Completeness:
    """The completeness of `table` for the branches `branch_ids`, from their histories (see histories())."""
    scope = [known[b] for b in sorted(branch_ids) if b in known]
    if not scope:
        return Completeness(table, None, None)
    candidates = sorted({period_end(s, h.period) for h in scope for s in h.reported}, reverse=True)
    pending: list[Pending] = []
    for end in candidates:
        reported, missing = [], []
        for history in scope:
            start = last_period_by(end, history.period)
            if start in history.reported:
                reported.append(history.branch_id)
            elif history.expected(start) and history.last < start:
                missing.append(history.branch_id)
        if not missing:
            return Completeness(table, end, candidates[0], tuple(reversed(pending)))
        # The pending period is named by the finest period ending on this date (a month before a quarter).
        ending = [h.period for h in scope if period_end(last_period_by(end, h.period), h.period) == end]
        period = min(ending, key=MONTHS.__getitem__)
        start = period_start(end, period)
        pending.append(Pending(label(start, period), start, end, tuple(reported), tuple(missing)))
    return Completeness(table, None, candidates[0], tuple(reversed(pending)))
