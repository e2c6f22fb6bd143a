"""One filter object for every query: period, branches (or districts, kinds, with children rolled up),
category, audience and format. It becomes SQL conditions with bound parameters, never spliced values."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

# Columns of the fact tables each dimension filter may apply to; a dimension a table lacks is skipped.
EVENT_DIMENSIONS = ("category", "audience", "format")
DIMENSION_COLUMNS = {
    "events": {"category", "audience", "format"},
    "surveys": {"category", "audience"},
}


@dataclass(frozen=True)
class Filter:
    """What to count. Empty tuples mean "all"; dates are inclusive."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    branches: tuple[str, ...] = ()  # branch ids
    districts: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()  # main, branch, community, mobile, museum, centre, other
    include_children: bool = True  # a selected branch brings its community rooms etc. with it
    categories: tuple[str, ...] = ()
    audiences: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()

    def with_dates(self, date_from: dt.date | None, date_to: dt.date | None) -> Filter:
        return replace(self, date_from=date_from, date_to=date_to)


def branch_sql(flt: Filter, alias: str = "b") -> tuple[list[str], list]:
    """Conditions on the branches table (aliased `alias`) and their parameters."""
    conditions: list[str] = []
    params: list = []
    if flt.branches:
        marks = ", ".join("?" for _ in flt.branches)
        if flt.include_children:
            # A branch, its children and their children (three levels cover main → branch → room).
            conditions.append(
                f"({alias}.branch_id IN ({marks}) OR {alias}.parent_id IN ({marks}) OR {alias}.parent_id IN "
                f"(SELECT branch_id FROM branches WHERE parent_id IN ({marks})))"
            )
            params.extend(list(flt.branches) * 3)
        else:
            conditions.append(f"{alias}.branch_id IN ({marks})")
            params.extend(flt.branches)
    for column, chosen in (("district", flt.districts), ("kind", flt.kinds)):
        if chosen:
            conditions.append(f"{alias}.{column} IN ({', '.join('?' for _ in chosen)})")
            params.extend(chosen)
    return conditions, params


def fact_sql(flt: Filter, table: str, alias: str = "f", dates: bool = True) -> tuple[list[str], list]:
    """Conditions on a fact table (dates and the event dimensions it has) and their parameters."""
    conditions: list[str] = []
    params: list = []
    if dates and flt.date_from:
        conditions.append(f"{alias}.date >= ?")
        params.append(flt.date_from)
    if dates and flt.date_to:
        conditions.append(f"{alias}.date <= ?")
        params.append(flt.date_to)
    allowed = DIMENSION_COLUMNS.get(table, set())
    for column, chosen in (("category", flt.categories), ("audience", flt.audiences), ("format", flt.formats)):
        if chosen and column in allowed:
            conditions.append(f"{alias}.{column} IN ({', '.join('?' for _ in chosen)})")
            params.extend(chosen)
    return conditions, params


def ignored_dimensions(flt: Filter, table: str) -> list[str]:
    """Dimension filters that do not apply to a table (e.g. an event category on visits)."""
    allowed = DIMENSION_COLUMNS.get(table, set())
    chosen = {"category": flt.categories, "audience": flt.audiences, "format": flt.formats}
    return [name for name, values in chosen.items() if values and name not in allowed]


def matching_branches(con, flt: Filter) -> set[str]:
    """The ids of the branches the filter's branch, district and kind choices select."""
    conditions, params = branch_sql(flt, "b")
    where = " AND ".join(conditions) or "true"
    cursor = con.cursor()
    try:
        return {
            row[0] for row in cursor.execute(f"SELECT b.branch_id FROM branches b WHERE {where}", params).fetchall()
        }
    finally:
        cursor.close()
