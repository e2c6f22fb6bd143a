"""From a parsed export to canonical records: column plan, kind and layout detection, cell parsing.

Nothing here touches the database; branch names stay raw until data/importer.py resolves them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from data import calendars, values
from data.chinese import simplified
from data.headers import (
    BRANCH_FILE_RENAMES,
    field_for,
    header_key,
    is_total_column,
    months_in_context,
    programme_columns,
)
from data.mapping import Mapping
from data.names import clean_display
from data.reading import Table

# Fields whose presence says what a file holds, in the order ambiguity is settled.
KIND_FIELDS = {
    "targets": {"target"},
    "measures": {"measure"},
    "surveys": {"score", "respondent_id", "question"},
    "visits": {"visits"},
    "circulation": {"checkouts", "circulation", "renewals", "returns", "action"},
    "events": {"attendance", "sessions", "event_id", "title", "satisfaction", "volunteer_hours", "beneficiaries"},
}
BRANCH_FILE_FIELDS = {
    "name_zh",
    "name_en",
    "kind",
    "parent",
    "district",
    "district_zh",
    "service_population",
    "opened_on",
    "closed_on",
    "aliases",
}
FILENAME_KINDS = (
    ("visits", ("visit", "footfall", "door count", "gate count", "到馆", "入馆", "进馆", "客流", "参观")),
    ("circulation", ("circulation", "loan", "checkout", "借阅", "外借", "流通", "借还")),
    ("events", ("event", "programme", "program", "activit", "活动")),
)
CHECKOUT_ACTIONS = {"checkout", "check out", "loan", "issue", "borrow", "charge", "借", "借出", "外借", "借书"}
RENEWAL_ACTIONS = {"renewal", "renew", "续借"}
RETURN_ACTIONS = {"return", "checkin", "check in", "discharge", "还", "还书", "归还"}
FORMATS = {
    "onsite": ("onsite", "on site", "in person", "physical", "in library", "线下", "现场", "馆内"),
    "offsite": ("offsite", "off site", "outreach", "馆外", "流动", "外展"),
    "online": ("online", "digital", "virtual", "线上", "网络", "直播", "云端"),
}
_FORMAT_KEYS = {header_key(s): fmt for fmt, spellings in FORMATS.items() for s in spellings}
BRANCH_KINDS = {
    "main": ("main", "main library", "central", "central library", "总馆", "中心馆"),
    "branch": ("branch", "branch library", "分馆", "区馆"),
    "community": (
        "community",
        "community reading room",
        "reading room",
        "village",
        "社区",
        "社区图书室",
        "村图书室",
        "农家书屋",
        "图书室",
    ),
    "mobile": ("mobile", "bookmobile", "mobile service point", "流动", "流动服务点", "流动图书车"),
    "museum": ("museum", "博物馆"),
    "centre": (
        "centre",
        "center",
        "cultural centre",
        "cultural center",
        "volunteer centre",
        "文化馆",
        "文化中心",
        "志愿服务中心",
    ),
    "other": ("other", "其他"),
}
_KIND_KEYS = {header_key(s): k for k, spellings in BRANCH_KINDS.items() for s in spellings}
METHODS = {
    "counted": ("counted", "count", "actual", "计数", "实测", "统计"),
    "estimated": ("estimated", "estimate", "估算", "估计"),
}
_METHOD_KEYS = {header_key(s): m for m, spellings in METHODS.items() for s in spellings}
DONT_KNOW = {"don't know", "dont know", "dk", "不知道", "不清楚", "说不清"}
MEASURE_SYNONYMS = {
    "新增持证读者": "new_registrations",
    "新增读者": "new_registrations",
    "新增注册读者": "new_registrations",
    "新增读者数": "new_registrations",
    "新增持证读者数": "new_registrations",
    "新办证": "new_registrations",
    "新办证数": "new_registrations",
    "新办读者证": "new_registrations",
    "办证数": "new_registrations",
    "new registered users": "new_registrations",
    "new registrations": "new_registrations",
    "收到投诉": "complaints_received",
    "投诉受理": "complaints_received",
    "投诉数": "complaints_received",
    "投诉办结": "complaints_resolved",
    "已解决投诉": "complaints_resolved",
}


class PlanError(Exception):
    """The columns do not say enough to import the file (reported against the header line)."""


class SeveralKinds(PlanError):
    """The columns hold several kinds (visits beside loans, registrations beside them) and no kind was
    chosen: the importer takes each kind as a part of its own (data/indicators.py)."""

    def __init__(self, kinds: list[str]):
        super().__init__(f"columns for several kinds ({', '.join(kinds)})")
        self.kinds = kinds


@dataclass
class Plan:
    kind: str
    layout: str  # long | wide | transactions | branch_columns | question_columns (data/layouts.py)
    fields: dict[str, int]
    months: list[tuple[int, int, int]] = field(default_factory=list)  # (column index, year, month)
    ignored: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    value_field: str | None = None
    measure_columns: list[tuple[int, str]] = field(default_factory=list)  # (column index, measure), long measures
    columns: list[tuple[int, str]] = field(default_factory=list)  # data/layouts.py: (index, branch or question)
    year: int | None = None  # of month cells without one: from the mapping or the file name


VALUE_SHOWN = 120  # characters of a problem's value kept; a 1 MB cell is not repeated in the report


@dataclass
class Problem:
    line: int
    column: str | None
    value: str | None
    reason: str  # the same text for every row with this kind of problem: reports group by it
    detail: str = ""  # this row's specifics: the closest known branch names, the other line or file

    def __post_init__(self):
        if isinstance(self.value, str) and len(self.value) > VALUE_SHOWN:
            self.value = f"{self.value[: VALUE_SHOWN - 40]}... ({len(self.value):,} characters)"

    @property
    def full_reason(self) -> str:
        """The reason with this row's specifics, as stored with rejected rows; reports group by `reason`."""
        return f"{self.reason} ({self.detail})" if self.detail else self.reason


@dataclass
class Parsed:
    records: list[dict]
    problems: list[Problem]
    skipped: Counter
    skipped_lines: dict[str, list[int]]
    cells_blank: int = 0
    today: dt.date | None = None


def _column_fields(
    table: Table, mapping: Mapping
) -> tuple[dict[str, int], list[tuple[int, int | None, int]], list[str]]:
    fields: dict[str, int] = {}
    months: list[tuple[int, int | None, int]] = []
    ignored: list[str] = []
    unsettled: list[str] = []
    in_context = months_in_context(table.header)
    programmes = programme_columns(table.header)
    for index, header in enumerate(table.header):
        key = header_key(header)
        target = mapping.columns.get(key)
        if target == "ignore" or not key:
            ignored.append(f"{header or '(blank)'} (column {index + 1})")
            continue
        if target is None:
            found = in_context.get(index)
            if found is not None:
                months.append((index, found[0], found[1]))
                continue
            if is_total_column(header):
                ignored.append(f"{header} (column {index + 1}, a year total: ignored, never trusted)")
                continue
            target = "programme" if index in programmes else field_for(header)
        if target is None and calendars.month_ambiguity(header):
            unsettled.append(f"{calendars.month_ambiguity(header)} (column {index + 1})")
        elif target is None:
            ignored.append(f"{header} (column {index + 1}, not a known field)")
        elif target in fields:
            first = table.header[fields[target]]
            ignored.append(f"{header} (column {index + 1}, a second '{target}' column after {first!r})")
        else:
            fields[target] = index
    if unsettled and months:  # a wide file would silently lose that month
        raise PlanError(
            f"a month column the other headers do not settle: {'; '.join(unsettled)}; "
            "rename it with the month's number (e.g. 2024-07)"
        )
    ignored += [f"{u}, not read as a month" for u in unsettled]
    return fields, months, ignored


def _kind_from_fields(fields: dict[str, int], months: list) -> str | None:
    present = set(fields)
    for kind in ("targets", "measures", "surveys"):
        if present & KIND_FIELDS[kind]:
            if kind != "measures" or "value" in present or months:
                return kind
    hits = [k for k in ("visits", "circulation", "events") if present & KIND_FIELDS[k]]
    if len(hits) > 1:
        raise PlanError(f"columns for several kinds ({', '.join(hits)}); pass --kind")
    if hits:
        return hits[0]
    has_dates = present & {"date", "timestamp", "year", "month", "period"}
    if not has_dates and not months and present & BRANCH_FILE_FIELDS and present & {"branch", "branch_code"}:
        return "branches"
    return None


def _kind_from_name(path: Path) -> str | None:
    name = simplified(path.name.casefold().replace("_", " "))  # 參觀人次.csv is 参观人次
    for kind, words in FILENAME_KINDS:
        if any(w in name for w in words):
            return kind
    return None


def kind_from_names(path: Path, table: Table, notes: list[str]) -> str | None:
    """What a file holds, from its name or else its title line (`臺北市立圖書館各館參觀人次統計表`), noted in
    `notes`; None when neither says."""
    kind = _kind_from_name(path)
    if kind:
        notes.append(f"kind '{kind}' taken from the file name")
        return kind
    for title in table.titles:
        kind = _kind_from_name(Path(title.replace("/", " ")))
        if kind:
            notes.append(f"kind '{kind}' taken from the title line ({title[:60]})")
            return kind
    return None


def plan_columns(table: Table, mapping: Mapping, kind: str | None, path: Path, part: bool = False) -> Plan:
    """Decide which column is which field, what the file holds and its layout. `part`: one kind of a file
    that holds several, planned for the import of all of them (data/indicators.py)."""
    from data import indicators, layouts  # both import this module

    special = None if part else layouts.plan(table, mapping, kind, path)  # branches or questions as columns
    if special is not None:
        return special
    fields, months, ignored = _column_fields(table, mapping)
    notes: list[str] = []
    measured: list[tuple[int, str]] = []
    narrowed = indicators.narrow(table, mapping, fields, ignored, months, kind or mapping.kind, part)
    if narrowed:
        kind, fields, ignored, measured, note = narrowed
        notes += [note] if note else []
    notes = indicators.ambiguity_notes(table, mapping, fields) + notes
    kind = kind or mapping.kind or _kind_from_fields(fields, months)
    if kind is None and months:
        kind = kind_from_names(path, table, notes)
    if kind is None:
        raise PlanError("cannot tell what this file holds from its headers; pass --kind or a mapping file")
    if kind == "branches":
        fields = {BRANCH_FILE_RENAMES.get(f, f): i for f, i in fields.items()}
        if "name_en" in fields:
            fields.setdefault("name", fields.pop("name_en"))
    has_branch = "branch" in fields or "branch_code" in fields or mapping.branch
    if kind not in ("branches", "targets") and not has_branch:
        raise PlanError("no branch column (e.g. Branch, Location, 分馆, 馆名); name it in a mapping file")
    if kind == "branches" and "name" not in fields and "branch_id" not in fields:
        raise PlanError("a branches file needs a name or code column")
    if months and kind in ("visits", "circulation", "events", "measures"):
        return _wide_plan(kind, fields, months, ignored, notes, mapping, table, path)
    if kind == "circulation" and "action" in fields:
        if not fields.keys() & {"timestamp", "date"}:
            raise PlanError("a transaction export needs a timestamp or date column")
        return Plan(kind, "transactions", fields, [], ignored, notes)
    plan = Plan(kind, "long", fields, [], ignored, notes, measure_columns=measured)
    _require_long(plan, mapping)
    if "month" in fields and "year" not in fields and mapping.year is None and _months_without_year(table, fields):
        plan.year = year_from_name(
            path,
            notes,
            "months without a year: add a Year column, a year to the file name, --year YYYY, "
            "or year = YYYY in a mapping file",
        )
    return plan


def _require_long(plan: Plan, mapping: Mapping) -> None:
    f = plan.fields
    dated = f.keys() & {"date", "timestamp", "month", "period"} or "year" in f or mapping.year is not None
    needs = {
        "visits": ["visits"],
        "circulation": [],
        "events": [],
        "surveys": ["score"],
        "measures": [] if plan.measure_columns else ["measure", "value"],
        "targets": ["metric", "target"],
    }.get(plan.kind, [])
    missing = [n for n in needs if n not in f]
    if plan.kind == "circulation" and not f.keys() & {"checkouts", "renewals", "returns", "circulation"}:
        missing.append("checkouts/renewals/returns/circulation")
    if plan.kind == "events" and not f.keys() & {"attendance", "sessions", "title", "event_id"}:
        missing.append("attendance or sessions or title")
    if plan.kind == "targets" and "year" not in f and "date" not in f:
        missing.append("year")
    elif plan.kind not in ("branches", "targets") and not dated:
        missing.append("date (or month/year/period)")
    if missing:
        raise PlanError(f"no column for {', '.join(missing)} (a {plan.kind} export needs it)")


def _wide_plan(kind, fields, months, ignored, notes, mapping, table, path) -> Plan:
    value_field = {"visits": "visits", "circulation": "circulation", "measures": "value"}.get(kind)
    name = path.name.casefold()
    if kind == "circulation" and any(w in name for w in ("checkout", "外借")):
        value_field = "checkouts"
    if kind == "events":
        value_field = "attendance" if any(w in name for w in ("attend", "参加", "人次")) else "sessions"
    if kind == "measures" and "measure" not in fields:
        raise PlanError("a wide measures file needs a measure column")
    year = mapping.year
    if year is None and "year" not in fields and any(y is None for _, y, _ in months):
        year = year_from_name(
            path,
            notes,
            "wide monthly file without a year: add a Year column, a year to the file name, --year YYYY, "
            "or year = YYYY in a mapping file",
        )
    resolved = []
    wrapped = False
    previous = 0
    for index, month_year, month in months:
        # Columns in fiscal order (April..March) wrap into the next calendar year.
        if month_year is None and month < previous:
            wrapped = True
        previous = month
        base = month_year if month_year is not None else (year + 1 if wrapped and year else year)
        resolved.append((index, base, month))
    if wrapped:
        notes.append("month columns wrap past December: later months read as the following year")
    plan = Plan(kind, "wide", fields, resolved, ignored, notes, value_field)
    return plan


def year_from_name(path: Path, notes: list[str], missing: str) -> int:
    """The year a file's name gives (`museo-visitatori-2023.csv`), noted in `notes`, for months that carry
    none. Two consecutive years (`2023-2024`, a fiscal year) give the first; other names with several
    years, or none, raise PlanError (`missing` says what to add)."""
    years = sorted({int(y) for y in re.findall(r"(?<!\d)((?:19|20)\d\d)(?!\d)", path.name)})
    if not years:
        raise PlanError(missing)
    if len(years) > 2 or (len(years) == 2 and years[1] != years[0] + 1):
        raise PlanError(
            f"the file name names several years ({', '.join(map(str, years))}): "
            "add a Year column, --year YYYY or year = YYYY in a mapping file"
        )
    notes.append(f"year {years[0]} taken from the file name")
    return years[0]


def _months_without_year(table: Table, fields: dict[str, int]) -> bool:
    """True when some month cell (`Gennaio`, `3`) needs a year from elsewhere (`2024-03` does not; a cell
    that is no month at all, such as a footer's `审核人：李四`, is its own row's business)."""
    index = fields["month"]
    for _, cells in table.rows:
        raw = cells[index] if index < len(cells) else ""
        if values.is_blank(raw):
            continue
        try:
            values.parse_date(raw)
            continue
        except ValueError:
            pass
        try:
            values.parse_month(raw, 2000)  # a month once a year is given
        except ValueError:
            continue
        return True
    return False


class RowCells:
    """Typed access to one row's cells; each failure is recorded as a Problem and gives None."""

    def __init__(self, line: int, cells: list[str], plan: Plan, table: Table, mapping: Mapping):
        self.line, self.cells, self.plan, self.table, self.mapping = line, cells, plan, table, mapping
        self.problems: list[Problem] = []
        if line == table.cut_short and len(cells) < len(table.header) and any(c.strip() for c in cells):
            self.problems.append(
                Problem(
                    line,
                    None,
                    cells[-1],
                    f"the file ends inside this row ({len(cells)} of {len(table.header)} cells and no line break "
                    "after it): was the export cut short?",
                )
            )
        extra = [c for c in cells[len(table.header) :] if c.strip()]
        if extra:  # `2024-01-01,Bezazian,1,234` would otherwise store 1 visit and drop the 234
            self.problems.append(
                Problem(
                    line,
                    None,
                    extra[0],
                    f"more cells than the header's {len(table.header)} columns (a comma inside an unquoted "
                    "number or name, such as 1,234?)",
                )
            )

    def raw(self, name: str) -> str | None:
        index = self.plan.fields.get(name)
        if index is None or index >= len(self.cells):
            return None
        return self.cells[index]

    def text(self, name: str) -> str | None:
        raw = self.raw(name)
        if raw is None or values.is_blank(raw, self.mapping.missing_codes):
            return None
        return clean_display(raw)

    def fail(self, name: str, raw: str | None, reason: str) -> None:
        index = self.plan.fields.get(name)
        column = self.table.header[index] if index is not None else name
        self.problems.append(Problem(self.line, column, raw, reason))

    def typed(self, name: str, parser, *args):
        raw = self.raw(name)
        if raw is None or values.is_blank(raw, self.mapping.missing_codes):
            return None
        try:
            return parser(raw, *args)
        except ValueError as exc:
            self.fail(name, raw, str(exc))
            return None

    def count(self, name: str) -> int | None:
        return self.typed(name, values.parse_count)

    def amount(self, name: str) -> float | None:
        return self.typed(name, values.parse_amount)


def branch_cell(cells: RowCells) -> tuple[str | None, str | None]:
    """(raw branch text, column) of a row: the code when the file has one, else the name."""
    for name in ("branch_code", "branch"):
        raw = cells.raw(name)
        if raw is not None and not values.is_blank(raw):
            return raw, name
    return (cells.mapping.branch, "branch") if cells.mapping.branch else (None, None)


def row_date(cells: RowCells, slash_order: str) -> tuple[dt.date, str] | None:
    """(date, grain) of a long-layout row, from period, date, timestamp, month(+year) or year."""
    for name in ("period", "date", "timestamp"):
        raw = cells.raw(name)
        if raw is not None and not values.is_blank(raw):
            return cells.typed(name, values.parse_date, slash_order)
    year = cells.typed("year", values.parse_year) if "year" in cells.plan.fields else cells.mapping.year
    year = cells.plan.year if year is None and "year" not in cells.plan.fields else year
    raw = cells.raw("month")
    if raw is not None and not values.is_blank(raw):
        month = cells.typed("month", values.parse_month, year)
        return (month, "month") if month else None
    if year is not None:
        return dt.date(year, 1, 1), "year"
    cells.fail("date", None, "no date in this row")
    return None


def row_id(cells: list[str]) -> str:
    """An id for an event row without one, from the whole row: an exact duplicate row (in this file or
    another) gets the same id, so it is caught rather than counted twice."""
    text = "\x1f".join(values.normalise_cell(c) for c in cells).rstrip("\x1f")
    return "h" + hashlib.sha1(text.encode()).hexdigest()[:15]


def normalise_choice(raw: str, table: dict[str, str], what: str) -> str:
    key = header_key(raw)
    if key in table:
        return table[key]
    raise ValueError(f"unknown {what} (expected one of {', '.join(sorted(set(table.values())))})")


def label(raw: str) -> str:
    """A free-text dimension (category, audience, item type) as a stable lower-case label."""
    return re.sub(r"[\s\-]+", "_", clean_display(raw).casefold()).strip("_")
