"""One filter object for every query: period, branches (or districts, kinds, with children rolled up),
category, audience and format, and the scope of the signed-in user. It becomes SQL conditions with bound
parameters, never spliced values.

The scope is where sign-in's branch limits are enforced: branch_sql() adds it to every query that joins
the branches table (every figure, chart, table, export, data-check list and branch list is made that way),
so a choice outside the scope (a link's `?branches=`, a typed CLI --branch) simply matches nothing. A query
that needs no branch attribute uses fact_branch_sql() instead of the join: the same branch_sql() conditions,
resolved to ids once per database state and bound as one list, so the scope is applied in the same place."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from data import systemlines
from metrics.memo import memo

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
    # The branch ids a signed-in supervisor may see, each with its children (as a selection rolls them up);
    # None: no limit. () allows nothing. Every other condition applies within it.
    scope: tuple[str, ...] | None = None
    # False: a table whose branches report every period (visits, circulation, measures) is counted only up
    # to its complete-through date for these branches (data/completeness.py), whatever date_to says. True:
    # date_to was chosen explicitly beyond it; the periods after it are counted, marked partial and listed
    # with the branches that have not reported them.
    beyond_complete: bool = False
    # The survey question the satisfaction metrics count (events' ratings are "overall"); None: every question.
    question: str | None = "overall"

    def with_dates(self, date_from: dt.date | None, date_to: dt.date | None) -> Filter:
        return replace(self, date_from=date_from, date_to=date_to)


def _family(alias: str, ids: tuple[str, ...]) -> tuple[str, list]:
    """A condition matching the branches `ids`, their children and their children's children (three
    levels cover main → branch → room), and its parameters."""
    marks = ", ".join("?" for _ in ids)
    sql = (
        f"({alias}.branch_id IN ({marks}) OR {alias}.parent_id IN ({marks}) OR {alias}.parent_id IN "
        f"(SELECT branch_id FROM branches WHERE parent_id IN ({marks})))"
    )
    return sql, list(ids) * 3


def branch_sql(flt: Filter, alias: str = "b") -> tuple[list[str], list]:
    """Conditions on the branches table (aliased `alias`) and their parameters; the scope comes first."""
    conditions: list[str] = []
    params: list = []
    if flt.scope is not None:
        if flt.scope:
            sql, values = _family(alias, flt.scope)
            conditions.append(sql)
            params.extend(values)
        else:
            conditions.append("false")
    if flt.branches:
        marks = ", ".join("?" for _ in flt.branches)
        if flt.include_children:
            sql, values = _family(alias, flt.branches)
            conditions.append(sql)
            params.extend(values)
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


# In a breakdown by branch, district or kind, the system-wide lines a metric counts are one row of their own,
# under this value, so that the parts still add up to the network's total (metrics.engine.service_points_only
# leaves it out of rankings and per-branch views).
SYSTEM_LINES = "(system-wide lines)"


def system_lines(con) -> dict[str, str]:
    """branch_id -> line type of every system-wide line (data/systemlines.py: renewal channels, e-media, other
    channels), remembered per database state. They are network-level rows, never service points."""
    return memo(con).get("system_lines", lambda: systemlines.stored(con))


def service_point_sql(con, alias: str = "b") -> tuple[list[str], list]:
    """The one definition of a service point: a branch that is not a system-wide line. A condition on a
    table's branch_id (none when the database holds no system-wide line) and its parameters. Branch lists,
    filter choices, selections, rankings, per-branch views, data checks and completeness all go through it."""
    lines = system_lines(con)
    return ([f"NOT list_contains(?, {alias}.branch_id)"], [sorted(lines)]) if lines else ([], [])


def counted_lines_sql(con, flt: Filter, counted: tuple[str, ...], service_points: bool = True, alias: str = "f"):
    """Conditions on a fact table's branch_id for a metric whose network figure counts the system-wide lines of
    the types `counted` (metrics/registry.py), and only those (service_points False: nothing but those lines).
    A filter that chooses branches, districts or kinds, or a user's scope, selects service points only: no
    system-wide line belongs to any of them."""
    lines = system_lines(con)
    if not lines:
        return ([], []) if service_points else (["false"], [])
    keep = [] if branch_sql(flt, "b")[0] else sorted(b for b, t in lines.items() if t in counted)
    if not service_points:
        return ([f"list_contains(?, {alias}.branch_id)"], [keep]) if keep else (["false"], [])
    drop = sorted(set(lines) - set(keep))
    return ([f"NOT list_contains(?, {alias}.branch_id)"], [drop]) if drop else ([], [])


def matching_branches(con, flt: Filter) -> set[str]:
    """The ids of the service points the filter's branch, district and kind choices select."""
    conditions, params = branch_sql(flt, "b")
    lines, line_params = service_point_sql(con, "b")
    conditions, params = conditions + lines, params + line_params
    where = " AND ".join(conditions) or "true"
    cursor = con.cursor()
    try:
        return {
            row[0] for row in cursor.execute(f"SELECT b.branch_id FROM branches b WHERE {where}", params).fetchall()
        }
    finally:
        cursor.close()


def branch_key(flt: Filter) -> tuple:
    """What of a filter chooses branches: the key of facts remembered per branch selection."""
    return (flt.scope, flt.branches, flt.districts, flt.kinds, flt.include_children)


def branch_ids(con, flt: Filter) -> list[str]:
    """matching_branches() sorted, remembered per database state (not to be changed by the caller)."""
    return memo(con).get(("branch_ids", *branch_key(flt)), lambda: sorted(matching_branches(con, flt)))


def fact_branch_sql(con, flt: Filter, alias: str = "f") -> tuple[list[str], list]:
    """branch_sql() as a condition on a fact table's branch_id, without joining the branches table (a join
    costs more than the rest of a small aggregate): no condition when the filter chooses no branches and
    has no scope, else the matching ids (remembered per database state) bound as one list."""
    if not branch_sql(flt, "b")[0]:
        return [], []
    ids = branch_ids(con, flt)
    if not ids:
        return ["false"], []
    return [f"list_contains(?, {alias}.branch_id)"], [ids]


BRANCH_COLUMNS = "b.branch_id, b.name, b.name_zh, b.kind, b.parent_id, b.district, b.service_population"


def branch_list(con, scope: tuple[str, ...] | None = None):
    """The service points a user may see (all when scope is None), as a DataFrame ordered by kind and name (read
    once per database state; each caller gets its own copy)."""

    def read():
        conditions, params = branch_sql(Filter(scope=scope), "b")
        lines, line_params = service_point_sql(con, "b")
        conditions, params = conditions + lines, params + line_params
        where = " AND ".join(conditions) or "true"
        cursor = con.cursor()
        try:
            return cursor.execute(
                f"SELECT {BRANCH_COLUMNS} FROM branches b WHERE {where} ORDER BY b.kind, b.name", params
            ).df()
        finally:
            cursor.close()

    return memo(con).get(("branch_list", scope), read).copy()


def choices(con, scope: tuple[str, ...] | None = None) -> dict[str, list[str]]:
    """The values each filter can take, from the data of the branches in scope: categories, audiences,
    formats (of events), districts and kinds (of branches), each list sorted (read once per database state;
    each caller gets its own lists)."""
    found = memo(con).get(("choices", scope), lambda: _read_choices(con, scope))
    return {name: list(values) for name, values in found.items()}


def _read_choices(con, scope: tuple[str, ...] | None) -> dict[str, list[str]]:
    """choices() from the database, in two statements."""
    flt = Filter(scope=scope)
    b_cond, b_params = branch_sql(flt, "b")
    lines, line_params = service_point_sql(con, "b")
    b_cond, b_params = b_cond + lines, b_params + line_params
    e_cond, e_params = fact_branch_sql(con, flt, "e")
    cursor = con.cursor()
    try:
        events = cursor.execute(
            "SELECT list(DISTINCT e.category ORDER BY e.category), list(DISTINCT e.audience ORDER BY e.audience), "
            f"list(DISTINCT e.format ORDER BY e.format) FROM events e WHERE {' AND '.join(e_cond) or 'true'}",
            e_params,
        ).fetchone()
        places = cursor.execute(
            "SELECT list(DISTINCT b.district ORDER BY b.district) FILTER (WHERE b.district IS NOT NULL), "
            f"list(DISTINCT b.kind ORDER BY b.kind) FROM branches b WHERE {' AND '.join(b_cond) or 'true'}",
            b_params,
        ).fetchone()
    finally:
        cursor.close()
    names = ("categories", "audiences", "formats", "districts", "kinds")
    return {name: list(values or []) for name, values in zip(names, (*events, *places), strict=True)}
