"""The options that shape an import, in one place: the effective mapping (the file's mapping with the
command line's --branch and --year over it), and the checks that refuse what a file makes wrong: a flag
the file makes meaningless, or a monthly column mapped to `date` (its totals would be stored as days).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from data import mapping as mapping_mod
from data import values
from data.headers import field_for, header_key, month_column
from data.reading import Table
from data.rows import Plan, PlanError

# Mapping keys the command line can set, with their flags: a flag overrides the mapping's value.
FLAGS = {"branch": "--branch", "year": "--year"}
DATE_FIELDS = ("date", "timestamp")
VALUES_LOOKED_AT = 2000  # non-blank cells of a column mapped to `date` read to tell months from days


def mapping_path(path: Path, options) -> Path | None:
    """The mapping file for an export: the one given, else `<export>.mapping.toml` beside it if present."""
    if options.mapping:
        return options.mapping
    beside = mapping_mod.sidecar(path)
    return beside if beside.exists() else None


def effective_mapping(path: Path, options) -> tuple[mapping_mod.Mapping, list[str]]:
    """(the mapping an import runs with, notes): the file's mapping with the command line's values over
    it. Raises MappingError for a mapping file that cannot be used."""
    found = mapping_path(path, options)
    mapping = mapping_mod.load(found)
    notes = [f"mapping file {found.name} applied"] if found and options.mapping is None else []
    changes = {}
    for key, flag in FLAGS.items():
        given = getattr(options, key, None)
        if given is None:
            continue
        before = getattr(mapping, key)
        if before is not None and before != given:
            notes.append(f"{flag} {given} overrides the mapping's {key} = {before!r}")
        changes[key] = given
    return (dataclasses.replace(mapping, **changes) if changes else mapping), notes


def check(plan: Plan, table: Table, mapping: mapping_mod.Mapping, options) -> None:
    """Refuse (PlanError, against the header line) a flag this file makes meaningless, or a monthly
    column mapped to `date`."""
    found = (_branch_flag(plan, table, options), _year_flag(plan, table, options), _monthly_date(plan, table, mapping))
    for problem in found:
        if problem:
            error = PlanError(problem)
            error.line = table.header_line
            raise error


def _column(table: Table, index: int) -> str:
    return f"{table.header[index]!r} (column {index + 1})"


def _branch_flag(plan: Plan, table: Table, options) -> str | None:
    name = getattr(options, "branch", None)
    if name is None:
        return None
    if plan.kind == "branches":
        return f"--branch {name!r} names the branch of every row of a fact file; this file is a branch list"
    own = [plan.fields[f] for f in ("branch_code", "branch") if f in plan.fields]
    if own:
        return (
            f"--branch {name!r} given, but the file has a branch column {_column(table, own[0])}: its rows name "
            'their own branches. Drop --branch, or map that column to "ignore" in a mapping file if every row '
            f"really belongs to {name!r}"
        )
    return None


def _year_flag(plan: Plan, table: Table, options) -> str | None:
    """--year is for rows whose dates lack a year: month columns, a month column, or no date at all."""
    year = getattr(options, "year", None)
    if year is None:
        return None
    if plan.kind == "branches":
        return f"--year {year} dates the rows of a fact file; this file is a branch list"
    dated = [plan.fields[f] for f in ("year", "period", *DATE_FIELDS) if f in plan.fields]
    if plan.layout == "wide":
        yearless = any(month_column(table.header[index])[0] is None for index, _, _ in plan.months)
        if "year" not in plan.fields and yearless:
            return None
        dated = dated or [plan.months[0][0]]
    elif "month" in plan.fields and not dated and _years_given(table, plan.fields["month"]):
        dated = [plan.fields["month"]]  # a month column of `2023-01`: each cell has its year
    elif not dated or ("month" in plan.fields and "year" not in plan.fields):
        return None
    return (
        f"--year {year} given, but the file's dates carry their own year (column {_column(table, dated[0])}); "
        "drop --year"
    )


def _years_given(table: Table, index: int) -> bool:
    """Whether every value of a month column names its year (`2023-01`, not `1` or `Jan`)."""
    cells = [c for _, row in table.rows if index < len(row) and not values.is_blank(c := row[index])]
    for raw in cells[:VALUES_LOOKED_AT]:
        try:
            values.parse_date(raw)
        except ValueError:
            return False
    return bool(cells)


def _monthly_date(plan: Plan, table: Table, mapping: mapping_mod.Mapping) -> str | None:
    """A column a mapping sends to `date` (or `timestamp`) whose header or values are months."""
    for name in DATE_FIELDS:
        index = plan.fields.get(name)
        if index is None or mapping.columns.get(header_key(table.header[index])) != name:
            continue
        cells = [c for _, row in table.rows if index < len(row) and not values.is_blank(c := row[index])]
        example = monthly_example(table.header[index], cells[:VALUES_LOOKED_AT])
        if example is not None:
            return (
                f"column {_column(table, index)} is mapped to {name}, but it holds months (e.g. {example!r}): "
                "map it to month (or period) in the mapping file; monthly totals are never stored as days"
            )
    return None


def monthly_example(header: str, cells: list[str]) -> str | None:
    """A cell showing that a column holds months, or None: the header reads as a month, a value is a month
    (`2023-01`, `2023年1月`, `Jan 2023`, `1`..`12`), or every value is the first of a month over three or
    more months (`2023-01-01`, `2023-02-01`, ...)."""
    if not cells:
        return None
    if field_for(header) == "month":
        return cells[0]
    try:
        order = values.slash_order(cells)
    except ValueError:
        order = "mdy"
    firsts: set = set()
    for raw in cells:
        try:
            when, grain = values.parse_date(raw, order)
        except ValueError:
            if _reads_as_month(raw):
                return raw
            continue
        if grain == "month":
            return raw
        if grain != "day" or when.day != 1:
            return None
        firsts.add(when)
    return cells[0] if len(firsts) >= 3 else None


def _reads_as_month(raw: str) -> bool:
    try:
        values.parse_month(raw, 2000)  # any year: only whether the cell names a month matters
    except ValueError:
        return False
    return True
