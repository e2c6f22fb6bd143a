"""Two layouts beside long, wide and transactions, each cell of a row becoming its own record.

- branch_columns: one row per date, month or year, one column per branch (venue, museum), e.g.
  `Mese,Museo Civico,Pinacoteca,Museo del Mare,Totale`. Detected when the first column holds dates and the
  other columns hold counts under headers that are no known field, or declared in a mapping file with
  `layout = "branches_as_columns"`. Each cell is one record of the file's kind (from --kind, the mapping or
  the file name); its branch is the column's header, resolved like any branch name. A total column is
  ignored, never trusted.
- question_columns: a respondent-level survey with one column per question, declared in a mapping file's
  `[questions]` table (source column -> question id). Each answered cell is one survey record.

data/rows.py plan_columns() asks plan() first; data/importer.py parse_rows() hands such rows to records().
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from data import values
from data.headers import header_key, is_total_column
from data.mapping import Mapping
from data.names import non_branch_reason, sign_off_row
from data.reading import Table
from data.rows import (
    DONT_KNOW,
    Parsed,
    Plan,
    PlanError,
    Problem,
    RowCells,
    _column_fields,
    branch_cell,
    kind_from_names,
    label,
    row_date,
    year_from_name,
)

BRANCH_COLUMNS = "branch_columns"
QUESTION_COLUMNS = "question_columns"
LAYOUTS = (BRANCH_COLUMNS, QUESTION_COLUMNS)
DECLARED_BRANCHES = "branches_as_columns"  # the mapping file's `layout` value
DATE_FIELDS = ("date", "period", "month", "year")
COUNT_KINDS = ("visits", "circulation", "events")
SAMPLE = 200  # rows looked at to recognise the layout


def plan(table: Table, mapping: Mapping, kind: str | None, path: Path) -> Plan | None:
    """The plan of a file in one of these layouts, or None for the other layouts."""
    if mapping.questions:
        return _question_plan(table, mapping, kind)
    declared = mapping.layout == DECLARED_BRANCHES
    if not declared and mapping.branch:
        return None  # a single-branch file: its columns are fields, not branches
    fields, months, ignored = _column_fields(table, mapping)
    if not declared and (months or fields.keys() & {"branch", "branch_code"}):
        return None
    date_field, date_index = _date_column(table, fields, mapping, declared)
    if date_index is None:
        if declared:
            raise PlanError(
                "branches as columns needs a date, month or year column: the first column, or one named in "
                "the mapping's [columns]"
            )
        return None
    known = set(fields.values())
    branches, totals = [], []
    for index, header in enumerate(table.header):
        if index == date_index or index in known or mapping.columns.get(header_key(header)) == "ignore":
            continue
        if not header_key(header):
            continue  # a blank header: _column_fields already lists it as ignored
        if is_total_column(header):
            continue  # _column_fields already lists it as an ignored total
        if _is_total(header):
            totals.append(index)
        else:
            branches.append((index, header))
    if not declared and (
        len(branches) < 2 or len(known - {date_index}) or not _all_counts(table, [i for i, _ in branches], mapping)
    ):
        return None
    if not branches:
        raise PlanError("branches as columns: no branch columns beside the date column")
    totals += _sum_column(table, branches, mapping)
    branches = [(i, h) for i, h in branches if i not in totals]
    ignored = [s for s in ignored if "not a known field" not in s]  # the branch columns are not fields
    ignored += [f"{table.header[i]} (column {i + 1}, a total: ignored, never trusted)" for i in sorted(totals)]
    notes = [f"branches as columns: {len(branches)} branch column(s) ({_listed([h for _, h in branches])})"]
    kind = kind or mapping.kind
    if kind is None:
        kind = kind_from_names(path, table, notes)
    if kind is None:
        raise PlanError(
            "one column per branch, but nothing says what the counts are: pass --kind visits, circulation "
            "or events (or kind = ... in a mapping file)"
        )
    if kind not in COUNT_KINDS:
        raise PlanError(f"branches as columns holds one count per cell: kind {kind!r} cannot be read this way")
    year = mapping.year
    if year is None and date_field != "year" and _needs_year(table, date_index):
        year = year_from_name(
            path,
            notes,
            f"months without a year in column {table.header[date_index]!r}: add a year to the file name, "
            "--year YYYY, or year = YYYY in a mapping file",
        )
    result = Plan(kind, BRANCH_COLUMNS, {date_field: date_index}, [], ignored, notes, _value_field(kind, path))
    result.columns, result.year = branches, year
    return result


def _date_column(table: Table, fields: dict, mapping: Mapping, declared: bool) -> tuple[str, int | None]:
    """(field, index) of the column that dates each row: a date, month, period or year column that is first
    (or, in a declared layout, anywhere), else a first column with an unknown header whose cells are dates."""
    for name in DATE_FIELDS:
        if name in fields and (declared or fields[name] == 0):
            return name, fields[name]
    first = header_key(table.header[0]) if table.header else ""
    if declared:
        return "date", 0
    if not first or first in mapping.columns or 0 in fields.values():
        return "date", None
    cells = [row[0] for row in _sample(table) if not values.is_blank(row[0])]
    if len(cells) < 2 or not _mostly(cells, values.names_a_date):
        return "date", None
    return "date", 0


def _sample(table: Table) -> list[list[str]]:
    """The first rows that may be data: not empty, a total, a footnote or a signature footer."""
    return [
        row
        for _, row in table.rows[:SAMPLE]
        if row and not _is_total(row[0]) and non_branch_reason(row[0]) != "footnote row" and not sign_off_row(row)
    ]


def _is_total(text: str) -> bool:
    """A total's column header or row label: the known spellings, or a word starting with "total" (Totale,
    Totaal, Totales, Totalt)."""
    return is_total_column(text) or non_branch_reason(text) == "totals row" or header_key(text)[:5] == "total"


def _all_counts(table: Table, indexes: list[int], mapping: Mapping) -> bool:
    """Whether each of these columns holds counts (a bad cell here and there is reported on its line)."""
    data = _sample(table)
    for index in indexes:
        cells = [
            row[index] for row in data if index < len(row) and not values.is_blank(row[index], mapping.missing_codes)
        ]
        if not cells or not _mostly(cells, _is_count):
            return False
    return True


def _mostly(cells: list[str], test) -> bool:
    """All but one in ten (rounded down) of the cells pass: a typo does not hide the layout."""
    failed = sum(1 for c in cells if not test(c))
    return failed <= len(cells) // 10 and failed < len(cells)


def _is_count(cell: str) -> bool:
    try:
        values.parse_count(cell)
    except ValueError:
        return False
    return True


def _sum_column(table: Table, branches: list[tuple[int, str]], mapping: Mapping) -> list[int]:
    """The column (at most one) that equals the sum of the other branch columns on every row that has them
    all and at least one non-zero: a total under a header no list knows. Needs three columns or more."""
    if len(branches) < 3:
        return []
    rows = []
    for _, row in table.rows:
        try:
            rows.append([values.parse_count(row[i]) if i < len(row) else None for i, _ in branches])
        except ValueError:
            continue  # a blank or bad cell: that row says nothing either way
    rows = [r for r in rows if None not in r and any(r)]
    if len(rows) < 2:
        return []
    found = [
        index
        for position, (index, _) in enumerate(branches)
        if all(2 * r[position] == sum(r) for r in rows)  # the column equals the sum of the others
    ]
    return found if len(found) == 1 else []


def _value_field(kind: str, path: Path) -> str | None:
    """The column a count is stored in, chosen from the file name as for wide monthly files."""
    name = path.name.casefold()
    if kind == "circulation":
        return "checkouts" if any(w in name for w in ("checkout", "外借")) else "circulation"
    if kind == "events":
        return "attendance" if any(w in name for w in ("attend", "参加", "人次")) else "sessions"
    return "visits"


def _needs_year(table: Table, index: int) -> bool:
    """Whether some date cells are months without a year (`March`, `3月`)."""
    for _, row in table.rows[:SAMPLE]:
        cell = row[index] if index < len(row) else ""
        if values.is_blank(cell) or _is_total(cell):
            continue
        try:
            values.parse_date(cell, "dmy")
        except ValueError:
            if values.names_a_date(cell):  # a month only with a year given
                return True
    return False


def _listed(names: list[str], shown: int = 5) -> str:
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def _question_plan(table: Table, mapping: Mapping, kind: str | None) -> Plan:
    kind = kind or mapping.kind or "surveys"
    if kind != "surveys":
        raise PlanError(f"a mapping's [questions] table is for surveys, not {kind}")
    where = {header_key(h): i for i, h in enumerate(table.header)}
    missing = [h for h in mapping.questions if header_key(h) not in where]
    if missing:
        raise PlanError(f"the mapping's [questions] names columns this file does not have: {_listed(missing)}")
    columns = [(where[header_key(h)], label(q)) for h, q in mapping.questions.items()]
    taken = {i for i, _ in columns}
    masked = dataclasses.replace(table, header=["" if i in taken else h for i, h in enumerate(table.header)])
    fields, _months, ignored = _column_fields(masked, mapping)
    ignored = [s for s in ignored if not any(s == f"(blank) (column {i + 1})" for i in taken)]
    for name in ("score", "question"):  # the question columns are the scores
        if name in fields:
            index = fields.pop(name)
            ignored.append(f"{table.header[index]} (column {index + 1}, a {name} column beside [questions])")
    missing = []
    if not fields.keys() & {"branch", "branch_code"} and not mapping.branch:
        missing.append("a branch column (or branch = NAME in the mapping file)")
    if not fields.keys() & {"date", "timestamp", "period", "month", "year"} and mapping.year is None:
        missing.append("a date column (or year = YYYY in the mapping file)")
    if "scale_max" not in fields and mapping.scale_max is None:
        missing.append("the scale (scale_max = 5 in the mapping file)")
    if missing:
        raise PlanError(f"a survey with one column per question needs {', '.join(missing)}")
    notes = [f"questions as columns: {_listed([f'{table.header[i]} -> {q}' for i, q in columns])}"]
    if "respondent_id" not in fields:
        notes.append("no respondent id column: each row's respondent is its line number in this file")
    result = Plan("surveys", QUESTION_COLUMNS, fields, [], ignored, notes)
    result.columns = columns
    return result


def skip_reason(rc: RowCells, plan: Plan) -> str | None:
    """Signature footers, totals and footnote rows (by their date cell, or for surveys their branch cell)
    are not data."""
    if sign_off_row(rc.cells):
        return "signature footer"
    if plan.layout == QUESTION_COLUMNS:
        raw, _ = branch_cell(rc)
        if raw is None:
            return "no branch name"
    else:
        raw = rc.raw(next(iter(plan.fields)))
        if raw and _is_total(raw):
            return "totals row"
    reason = non_branch_reason(raw or "")
    return reason if reason in ("totals row", "footnote row") else None


def records(rc: RowCells, plan: Plan, parsed: Parsed, order: str) -> list[dict]:
    """The records of one row (cell problems are recorded on rc)."""
    if plan.layout == QUESTION_COLUMNS:
        return _answers(rc, plan, parsed, order)
    return _branch_counts(rc, plan, parsed, order)


def _when(rc: RowCells, plan: Plan, order: str):
    """(date, grain) of a branch_columns row, or None (with a problem)."""
    name, index = next(iter(plan.fields.items()))
    raw = rc.cells[index] if index < len(rc.cells) else ""
    if values.is_blank(raw):
        rc.fail(name, raw, "no date in this row")
        return None
    try:
        if name == "year":
            return dt.date(values.parse_year(raw), 1, 1), "year"
        try:
            return values.parse_date(raw, order)
        except ValueError as first:
            try:
                return values.parse_month(raw, plan.year), "month"
            except ValueError:
                raise first from None
    except ValueError as exc:
        rc.fail(name, raw, str(exc))
        return None


def _branch_counts(rc: RowCells, plan: Plan, parsed: Parsed, order: str) -> list[dict]:
    from data.importer import _wide_value  # the importer imports this module

    when = _when(rc, plan, order)
    if when is None:
        return []
    out = []
    for index, header in plan.columns:
        raw = rc.cells[index] if index < len(rc.cells) else ""
        if values.is_blank(raw, rc.mapping.missing_codes):
            parsed.cells_blank += 1  # not reported (a 0 is a 0)
            continue
        try:
            number = values.parse_count(raw)
        except ValueError as exc:
            rc.problems.append(Problem(rc.line, header, raw, str(exc)))
            continue
        if number == 0 and when[1] != "day" and when[0] >= parsed.today.replace(day=1):
            parsed.cells_blank += 1  # a period not over yet, exported as 0: not reported
            continue
        record = {
            "date": when[0],
            "grain": when[1],
            "_line": rc.line,
            "_branch": header,
            "_branch_column": "branch",
            "_branch_header": header,  # an unknown branch is reported against its column's header
            "_branch_line": rc.table.header_line,
            "_column": header,
            "_raw": raw,
        }
        record.update(_wide_value(plan, number, None))
        out.append(record)
    return out


def _answers(rc: RowCells, plan: Plan, parsed: Parsed, order: str) -> list[dict]:
    branch, column = branch_cell(rc)
    when = row_date(rc, order)
    scale = rc.amount("scale_max") or rc.mapping.scale_max
    respondent = rc.text("respondent_id") or f"line {rc.line}"
    audience, category = rc.text("audience"), rc.text("category")
    out = []
    for index, question in plan.columns:
        raw = rc.cells[index] if index < len(rc.cells) else ""
        header = rc.table.header[index]
        if values.is_blank(raw, rc.mapping.missing_codes):
            parsed.cells_blank += 1  # not answered
            continue
        text = values.normalise_cell(raw)
        score = None
        if text not in rc.mapping.dont_know_codes and text.casefold() not in DONT_KNOW:
            try:
                score = values.parse_amount(text)
            except ValueError as exc:
                rc.problems.append(Problem(rc.line, header, raw, str(exc)))
                continue
            if scale is not None and not 0 <= score <= scale:
                rc.problems.append(Problem(rc.line, header, raw, f"outside the scale 0-{scale:g}"))
                continue
        out.append(
            {
                "date": when[0] if when else None,
                "grain": when[1] if when else None,
                "respondent_id": respondent,
                "question": question,
                "score": score,
                "scale_max": scale,
                "audience": label(audience) if audience else None,
                "category": label(category) if category else None,
                "_line": rc.line,
                "_branch": branch,
                "_branch_column": column,
                "_column": header,
                "_raw": raw,
            }
        )
    return out if when else []


def survey_notes(plan: Plan, found: list[dict]) -> list[str]:
    """A note when a survey file holds answers but none to the question the satisfaction metrics read by
    default: they would otherwise show nothing for it, silently."""
    if plan.kind != "surveys" or not found:
        return []
    asked = sorted({r.get("question") or "overall" for r in found})
    if "overall" in asked:
        return []
    return [
        f"no 'overall' question in this file (questions: {_listed(asked)}): the satisfaction metrics count "
        "'overall' unless asked for another (metrics query --question ID, or --by question)"
    ]
