"""One file, several indicators: a statistics sheet whose columns hold visits beside loans and returns,
and registrations beside them (馆代码, 馆名, 统计月份, 借书册次, 还书册次, 续借册次, 读者到馆人次, 新增读者).

Each kind the file holds is a part, planned and checked by the importer's own path for one kind (the
other kinds' columns left to their parts). All or nothing per file still holds: nothing of the file is
written unless every part is free of problems (with quarantine, a row with a problem in any part is set
aside in every part). Each part is logged under its own kind (the imports table is keyed by file and
kind), so each keeps its idempotence, and removing the file removes every kind it brought.
"""

from __future__ import annotations

from data.headers import AMBIGUOUS, header_key
from data.mapping import Mapping
from data.reading import Table
from data.rows import KIND_FIELDS, MEASURE_SYNONYMS, SeveralKinds

# Kinds that a statistics sheet's count columns can hold side by side; a measure column (新增读者) adds
# the measures kind. Targets, surveys and measure/value files hold one kind by their nature.
PART_KINDS = ("visits", "circulation", "events")
_ONE_KIND_FIELDS = KIND_FIELDS["targets"] | KIND_FIELDS["surveys"] | KIND_FIELDS["measures"]
_MEASURE_KEYS = {header_key(spelling): measure for spelling, measure in MEASURE_SYNONYMS.items()}


def measure_columns(table: Table, mapping: Mapping, fields: dict[str, int]) -> list[tuple[int, str]]:
    """(column index, measure) for the columns whose header names a measure (新增读者: new_registrations)
    and that no field or mapping entry has taken."""
    used = set(fields.values())
    return [
        (index, _MEASURE_KEYS[header_key(header)])
        for index, header in enumerate(table.header)
        if index not in used and header_key(header) in _MEASURE_KEYS and header_key(header) not in mapping.columns
    ]


def kinds_present(fields: dict[str, int], measured: list[tuple[int, str]]) -> list[str]:
    """The kinds whose columns a long file holds, in the order they are imported."""
    present = [kind for kind in PART_KINDS if fields.keys() & KIND_FIELDS[kind]]
    return present + (["measures"] if measured else [])


def narrow(
    table: Table,
    mapping: Mapping,
    fields: dict[str, int],
    ignored: list[str],
    months: list,
    chosen: str | None,
    part: bool,
) -> tuple[str, dict[str, int], list[str], list[tuple[int, str]], str | None] | None:
    """For a long file with columns of several kinds: (kind, its fields, ignored columns, measure columns,
    a note or None) for the kind chosen; raises SeveralKinds when none is chosen. None when the file holds
    one kind at most (or the kind chosen is none of those it holds): the plan is made as before."""
    if months or fields.keys() & _ONE_KIND_FIELDS:
        return None
    measured = measure_columns(table, mapping, fields)
    present = kinds_present(fields, measured)
    if chosen is None and len(present) > 1:
        raise SeveralKinds(present)
    kind = chosen or ("measures" if present == ["measures"] else None)
    if kind not in present:
        return None
    others = [k for k in present if k != kind]
    leave = set().union(*(KIND_FIELDS[k] for k in others if k != "measures")) - KIND_FIELDS.get(kind, set())
    if kind == "measures":
        leave |= set().union(*(KIND_FIELDS[k] for k in PART_KINDS))
    kept = {name: index for name, index in fields.items() if name not in leave}
    # A measure column is not "a column the importer does not know": its part reads it, or the note names it.
    columns = tuple(f"{table.header[index]} (column {index + 1}," for index, _ in measured)
    kept_ignored = [entry for entry in ignored if not (columns and entry.startswith(columns))]
    note = None
    if others and not part:
        left = [f"{table.header[i]} ({k})" for k in others for i in _columns_of(k, fields, measured)]
        note = (
            f"kind {kind} was chosen (--kind or the mapping file): the columns of other kinds were not imported: "
            f"{', '.join(left)}; import without a kind to take every kind the file holds"
        )
    return kind, kept, kept_ignored, measured if kind == "measures" else [], note


def _columns_of(kind: str, fields: dict[str, int], measured: list[tuple[int, str]]) -> list[int]:
    if kind == "measures":
        return [index for index, _ in measured]
    return sorted(index for name, index in fields.items() if name in KIND_FIELDS[kind])


def ambiguity_notes(table: Table, mapping: Mapping, fields: dict[str, int]) -> list[str]:
    """For each column read through a header whose meaning differs between reports (借还册次, 服务人次...):
    which meaning it was given. A column the mapping file names is the user's word: no note."""
    notes = []
    for index in sorted(fields.values()):
        key = header_key(table.header[index])
        if key in AMBIGUOUS and key not in mapping.columns:
            notes.append(f"{table.header[index]} read as {AMBIGUOUS[key]}")
    return notes


def import_parts(
    con,
    report,
    content_hash: str,
    table: Table,
    source_mapping: Mapping,
    options,
    kinds: list[str],
    dry: bool = False,
    staged: list | None = None,
):
    """Import every kind a file holds, all or nothing; the report's `parts` say what each kind gave. `dry`
    (a sheet of a workbook, checked before any sheet is written) stops before writing and adds each part's
    (report, kind, records) to `staged`."""
    from data import importer as imp  # the importer calls this module: imported when a file needs it
    from data import shaping
    from data.rows import PlanError, plan_columns

    report.encoding, report.layout, report.rows_read = table.encoding, "long", len(table.rows)
    if not any(any(c.strip() for c in cells) for _, cells in table.rows):
        return imp._fail(report, "no data rows below the header", table.header_line)
    resolver = imp.BranchResolver(con, source_mapping, options.allow_new_branches)
    pending = []
    for kind in kinds:
        part = imp.FileReport(
            path=report.path,
            source=report.source,
            kind=kind,
            notes=list(report.notes),
            options_identity=report.options_identity,
            sheet=report.sheet,
        )
        report.parts.append(part)
        try:
            plan = plan_columns(table, source_mapping, kind, report.path, part=True)
            shaping.check(plan, table, source_mapping, options)  # --branch, --year, months mapped to date
        except PlanError as exc:
            imp._fail(part, f"the {kind} columns cannot be imported: {exc}", table.header_line)
            continue
        part.encoding, part.layout = table.encoding, plan.layout
        part.ignored_columns, part.notes = plan.ignored, part.notes + plan.notes
        part.rows_read = len(table.rows)
        previous = imp._already_imported(con, part.source, kind, content_hash, part.options_identity)
        if previous:
            part.status, part.message = "unchanged", f"already imported ({previous}); nothing changed"
            continue
        parsed = imp.parse_rows(table, plan, source_mapping, options.today)
        imp._apply(part, parsed)
        records = imp._resolve(part, parsed.records, resolver, table, plan)
        records = imp._dedupe(part, records, kind)
        imp._check_dates(part, records, options.today)
        imp._check_overlap(con, part, records, kind)
        pending.append((part, records, plan))
    report.problems = [p for part in report.parts for p in part.problems]
    report.skipped = dict(report.parts[0].skipped)
    bad = {p.line for p in report.problems}
    unplanned = any(p.line == table.header_line or not p.line for p in report.problems)
    if bad and (not options.quarantine or unplanned):
        _reject_all(report)
    elif pending and not dry:
        _write_parts(con, report, pending, table, content_hash, options, resolver, bad)
    if dry and staged is not None:
        staged.extend((part, part.kind, records) for part, records, _ in pending)
    report.status = _overall(report.parts)
    report.content_hash = content_hash if any(p.content_hash for p in report.parts) else None
    report.message = "; ".join(f"{p.kind} {p.status}" for p in report.parts)
    return report


def _reject_all(report) -> None:
    """Nothing of the file is written: each part says why (its own problems, or another part's)."""
    with_problems = [p.kind for p in report.parts if p.problems]
    for part in report.parts:
        if part.problems:
            part.message = (
                f"rejected: {part.rows_rejected} row(s) with problems in the {part.kind} columns; "
                "nothing of this file was written"
            )
        elif part.status != "unchanged":
            part.message = (
                f"rejected with the rest of the file: the {', '.join(with_problems)} columns have problems; "
                "nothing of this file was written"
            )
        part.status = "unchanged" if part.status == "unchanged" else "rejected"


def _write_parts(con, report, pending, table: Table, content_hash: str, options, resolver, bad: set[int]) -> None:
    """Each part's rows through the importer's own write, one after another in the same writer session
    (data.store.writing publishes all of them or none). With quarantine, a row with a problem in any part is
    set aside in every part, and written once to the rejected-rows file."""
    from data import importer as imp

    quarantine_file = imp._write_quarantine(report, table, bad, options) if bad else None
    written: set[str] = set()
    for part, records, plan in pending:
        # Branches an earlier part created are matched ones for this part, and not created twice.
        part.branches_matched |= part.branches_new & written
        part.branches_new -= written
        imp._finish(con, part, records, plan, table, content_hash, options, resolver, set_aside=bad)
        part.quarantine_file = quarantine_file
        written |= part.branches_new | {b for b in part.system_lines if b in resolver.new}  # and lines it made
        for branch_id in written:
            resolver.new.pop(branch_id, None)
        resolver.new_aliases = {k: v for k, v in resolver.new_aliases.items() if v[1] not in written}


def _overall(parts) -> str:
    statuses = {p.status for p in parts}
    for status in ("rejected", "quarantined", "replaced", "loaded"):
        if status in statuses:
            return status
    return "unchanged"
