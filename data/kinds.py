"""Per-kind row parsers: one export row (long layout) or one cell (wide layout) to canonical records.

Each parser returns a list of records (dicts keyed by table column, plus `_line`, `_branch` and
`_branch_column` for branch resolution) and records cell problems on the RowCells it is given.
"""

from __future__ import annotations

from data import formulas, values
from data.headers import field_for
from data.names import clean_display
from data.rows import (
    _FORMAT_KEYS,
    _KIND_KEYS,
    _METHOD_KEYS,
    CHECKOUT_ACTIONS,
    DONT_KNOW,
    MEASURE_SYNONYMS,
    RENEWAL_ACTIONS,
    RETURN_ACTIONS,
    Problem,
    RowCells,
    branch_cell,
    label,
    normalise_choice,
    row_date,
    row_id,
)

# Table columns written for each kind, in table order (the `source_file` column is added on write).
COLUMNS = {
    "visits": ["date", "branch_id", "visits", "grain", "method", "audience"],
    "circulation": [
        "date",
        "branch_id",
        "checkouts",
        "renewals",
        "returns",
        "circulation",
        "grain",
        "item_type",
        "patron_category",
    ],
    "events": [
        "event_id",
        "date",
        "branch_id",
        "grain",
        "title",
        "title_zh",
        "category",
        "audience",
        "format",
        "sessions",
        "attendance",
        "satisfaction",
        "responses",
        "scale_max",
        "volunteers",
        "volunteer_hours",
        "beneficiaries",
        "planned",
        "programme",
    ],
    "surveys": [
        "date",
        "branch_id",
        "grain",
        "respondent_id",
        "question",
        "score",
        "scale_max",
        "audience",
        "category",
    ],
    "measures": ["date", "branch_id", "measure", "value", "grain"],
    "targets": ["year", "branch_id", "metric", "target"],
}
# The columns that identify one fact; two rows with the same key would be counted twice.
KEYS = {
    "visits": ("date", "branch_id", "audience", "grain"),
    "circulation": ("date", "branch_id", "item_type", "patron_category", "grain"),
    "events": ("event_id",),
    "measures": ("date", "branch_id", "measure", "grain"),
    "targets": ("year", "branch_id", "metric"),
    "surveys": ("date", "branch_id", "respondent_id", "question"),
}
METRIC_ALIASES = {"checkouts": "loans", "circulation": "loans", "sessions": "events", "score": "satisfaction"}


def _free_text(cells: RowCells, name: str, what: str) -> str | None:
    """A free-text cell (a title, a district, a category as written), refused with a problem on its line
    and column when a spreadsheet would run it as a formula: names and labels are exported (downloads,
    `metrics query --format csv`) and shown, and are checked like branch names."""
    text = cells.text(name)
    problem = formulas.formula_problem(text, what)
    if problem:
        cells.fail(name, cells.raw(name), problem)
        return None
    return text


def _base(cells: RowCells, order: str) -> dict | None:
    branch, column = branch_cell(cells)
    when = row_date(cells, order)
    if when is None:
        return None
    return {"date": when[0], "grain": when[1], "_line": cells.line, "_branch": branch, "_branch_column": column}


def visits(cells: RowCells, order: str) -> list[dict]:
    record = _base(cells, order)
    count = cells.count("visits")
    method = cells.typed("method", normalise_choice, _METHOD_KEYS, "counting method") or "counted"
    audience = _free_text(cells, "audience", "audience")
    if record is None or count is None:
        return []
    record.update(visits=count, method=method, audience=label(audience) if audience else "all")
    return [record]


def circulation(cells: RowCells, order: str) -> list[dict]:
    record = _base(cells, order)
    counts = {n: cells.count(n) for n in ("checkouts", "renewals", "returns", "circulation")}
    if record is None or all(v is None for v in counts.values()):
        return []
    record.update(counts, item_type=_dim(cells, "item_type"), patron_category=_dim(cells, "patron_category"))
    return [record]


def _dim(cells: RowCells, name: str) -> str:
    text = _free_text(cells, name, name.replace("_", " "))
    return label(text) if text else "all"


def transaction(cells: RowCells, order: str) -> tuple[dict | None, str | None]:
    """(record with one of checkouts/renewals/returns = 1, or None, and a skip reason)."""
    record = _base(cells, order)
    action = cells.text("action")
    if record is None:
        return None, None
    if action is None:
        cells.fail("action", cells.raw("action"), "no action")
        return None, None
    key = clean_display(action).casefold().replace("-", " ").replace("_", " ")
    column = (
        "checkouts"
        if key in CHECKOUT_ACTIONS
        else "renewals"
        if key in RENEWAL_ACTIONS
        else "returns"
        if key in RETURN_ACTIONS
        else None
    )
    if column is None:
        return None, f"action '{action}' is not a checkout, renewal or return"
    record.update(
        grain="day",
        checkouts=0,
        renewals=0,
        returns=0,
        circulation=None,
        item_type=_dim(cells, "item_type"),
        patron_category=_dim(cells, "patron_category"),
    )
    record[column] = 1
    return record, None


def events(cells: RowCells, order: str) -> list[dict]:
    record = _base(cells, order)
    scale = cells.amount("scale_max") or cells.mapping.scale_max
    satisfaction = cells.typed("satisfaction", _score)
    if satisfaction is not None and scale is None:
        scale = 5.0 if satisfaction <= 5 else 10.0 if satisfaction <= 10 else 100.0
    if satisfaction is not None and satisfaction > scale:
        cells.fail("satisfaction", cells.raw("satisfaction"), f"above the scale maximum {scale:g}")
    fmt = cells.typed("format", normalise_choice, _FORMAT_KEYS, "format") or "onsite"
    planned = cells.typed("planned", values.parse_bool) or False
    fields = {n: cells.count(n) for n in ("sessions", "attendance", "responses", "volunteers", "beneficiaries")}
    hours = cells.amount("volunteer_hours")
    if record is None:
        return []
    if fields["sessions"] is None and "sessions" not in cells.plan.fields and record["grain"] == "day":
        fields["sessions"] = 0 if planned else 1  # a dated row is one event; a monthly total is not
    category, audience = _free_text(cells, "category", "category"), _free_text(cells, "audience", "audience")
    record.update(
        fields,
        event_id=cells.text("event_id") or row_id(cells.cells),
        title=_free_text(cells, "title", "title"),
        title_zh=_free_text(cells, "title_zh", "title"),
        category=label(category) if category else "other",
        audience=label(audience) if audience else "general",
        format=fmt,
        satisfaction=satisfaction,
        scale_max=scale if satisfaction is not None or cells.raw("scale_max") else None,
        volunteer_hours=hours,
        planned=planned,
        programme=_free_text(cells, "programme", "programme"),
    )
    return [record]


def _score(raw: str) -> float:
    text = values.normalise_cell(raw)
    if text.endswith("%"):
        return values.parse_amount(text[:-1])
    return values.parse_amount(text)


def surveys(cells: RowCells, order: str) -> list[dict]:
    record = _base(cells, order)
    raw = cells.raw("score")
    dont_know = raw is not None and (
        values.normalise_cell(raw) in cells.mapping.dont_know_codes
        or values.normalise_cell(raw).casefold() in DONT_KNOW
    )
    score = None if dont_know else cells.amount("score")
    scale = cells.amount("scale_max") or cells.mapping.scale_max
    if scale is None:
        cells.fail("scale_max", None, "no scale maximum: add a scale_max column or scale_max to a mapping file")
    elif score is not None and score > scale:
        cells.fail("score", raw, f"above the scale maximum {scale:g}")
    if record is None or (score is None and not dont_know):
        return []
    question = _free_text(cells, "question", "question")
    audience, category = _free_text(cells, "audience", "audience"), _free_text(cells, "category", "category")
    record.update(
        respondent_id=cells.text("respondent_id"),
        question=label(question) if question else "overall",
        score=score,
        scale_max=scale,
        audience=label(audience) if audience else None,
        category=label(category) if category else None,
    )
    return [record]


def measure_name(raw: str) -> str:
    text = clean_display(raw)
    return MEASURE_SYNONYMS.get(text.casefold(), MEASURE_SYNONYMS.get(text, label(text)))


def measures(cells: RowCells, order: str) -> list[dict]:
    if cells.plan.measure_columns:
        return _measure_columns(cells, order)
    record = _base(cells, order)
    name = cells.text("measure")
    value = cells.amount("value")
    if record is None or value is None or name is None:
        return []
    record.update(measure=measure_name(name), value=value)
    return [record]


def _measure_columns(cells: RowCells, order: str) -> list[dict]:
    """One record per column named for a measure (新增读者: new_registrations) of a statistics sheet."""
    record = _base(cells, order)
    out = []
    for index, measure in cells.plan.measure_columns:
        raw = cells.cells[index] if index < len(cells.cells) else ""
        if values.is_blank(raw, cells.mapping.missing_codes):
            continue
        try:
            value = values.parse_amount(raw)
        except ValueError as exc:
            cells.problems.append(Problem(cells.line, cells.table.header[index], raw, str(exc)))
            continue
        if record is not None:
            out.append({**record, "measure": measure, "value": value})
    return out


def targets(cells: RowCells, order: str) -> list[dict]:
    year = cells.typed("year", values.parse_year) if "year" in cells.plan.fields else None
    if year is None and cells.raw("date"):
        when = cells.typed("date", values.parse_date, order)
        year = when[0].year if when else None
    metric, target = cells.text("metric"), cells.amount("target")
    if year is None or metric is None or target is None:
        return []
    branch, column = branch_cell(cells)
    name = field_for(metric) or label(metric)
    return [
        {
            "year": year,
            "metric": METRIC_ALIASES.get(name, name),
            "target": target,
            "_line": cells.line,
            "_branch": branch,
            "_branch_column": column,
        }
    ]


def branch_kind(raw: str) -> str:
    return normalise_choice(raw, _KIND_KEYS, "branch kind")


def branches(cells: RowCells, order: str) -> list[dict]:
    name = _free_text(cells, "name", "branch name")
    code = _free_text(cells, "branch_id", "branch code")
    opened = cells.typed("opened_on", values.parse_date, order)
    closed = cells.typed("closed_on", values.parse_date, order)
    population = cells.count("service_population")
    kind = cells.typed("kind", branch_kind) or "branch"
    # A district given only in Chinese is the district itself (filters and links use it); a Chinese name in
    # the district column is kept as it is.
    district_zh = _free_text(cells, "district_zh", "district")
    district = _free_text(cells, "district", "district") or district_zh
    if name is None and code is None:
        return []
    aliases = cells.text("aliases")
    spellings = (
        [a.strip() for a in aliases.replace("、", "|").replace(";", "|").split("|") if a.strip()] if aliases else []
    )
    for spelling in spellings:
        problem = formulas.formula_problem(spelling, "branch name")
        if problem:
            cells.fail("aliases", cells.raw("aliases"), f"{problem}: {spelling[:40]}")
            break
    return [
        {
            "branch_id": code,
            "name": name or code,
            "name_zh": _free_text(cells, "name_zh", "branch name"),
            "kind": kind,
            "_parent": cells.text("parent"),
            "district": district,
            "district_zh": district_zh,
            "service_population": population,
            "opened_on": opened[0] if opened else None,
            "closed_on": closed[0] if closed else None,
            "_aliases": spellings,
            "_line": cells.line,
        }
    ]
