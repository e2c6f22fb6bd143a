"""Importing exports into the database: all or nothing per file, idempotent, every problem reported.

A file is read and checked completely before anything is written. A file with any problem writes
nothing (unless quarantine is asked for, which loads the good rows and sets the rest aside). A file
whose content was already imported with the same options (data/identity.py) changes nothing; a corrected
version of a file (same name, new content or new options such as a corrected mapping) replaces that
file's rows in one transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import hashlib
import re
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from data import chinese, fastpath, identity, kinds, layouts, private, shaping, sparkpath, systemlines, values, workbook
from data import mapping as mapping_mod
from data.identity import Identity
from data.names import clean_display, implausible_name, name_key, non_branch_reason, sign_off_row, slug
from data.reading import FileError, Table, read_table
from data.rows import Parsed, Plan, PlanError, Problem, RowCells, SeveralKinds, plan_columns

if TYPE_CHECKING:
    import pandas as pd

KIND_ORDER = ("branches", "targets", "visits", "circulation", "events", "surveys", "measures")
# Kinds whose facts must not overlap those of another file: the same branch and period twice is double counting.
OVERLAP_DIMENSION = {"visits": "audience", "circulation": None, "measures": "measure"}
GRAIN_INTERVAL = {"day": "1 day", "month": "1 month", "quarter": "3 months", "year": "1 year"}
# Reasons that are the same for every row they concern (a report groups by reason); the row's own
# specifics (the other line, the other file) go in the problem's detail.
CONFLICTING_ROW = "conflicts with an earlier row (same key, other values)"
DUPLICATE_ROW = "duplicate of an earlier row (same key and values)"
ALREADY_LOADED = "already loaded from another file for the same branch and period; importing both would double-count"
UNKNOWN_BRANCH = (
    "unknown branch: add it to the branch list, map it in a mapping file, or import with --allow-new-branches"
)
PARSERS = {
    "visits": kinds.visits,
    "circulation": kinds.circulation,
    "events": kinds.events,
    "surveys": kinds.surveys,
    "measures": kinds.measures,
    "targets": kinds.targets,
    "branches": kinds.branches,
}


@dataclass
class Options:
    kind: str | None = None
    mapping: Path | None = None
    allow_new_branches: bool = False
    quarantine: bool = False
    quarantine_dir: Path | None = None
    today: dt.date = field(default_factory=dt.date.today)
    branch: str | None = None  # --branch: every row belongs to this branch (the mapping key `branch`)
    year: int | None = None  # --year: the year of dates that lack one (the mapping key `year`)
    sheet: str | None = None  # the one sheet of an Excel workbook to import (None: every sheet with data)
    # Where a large transaction export is rolled up: "duckdb", or "spark" (data/sparkpath.py, on spark_master).
    # Either gives the same rows, so neither is part of an import's identity.
    engine: str = "duckdb"
    spark_master: str | None = None


@dataclass
class FileReport:
    path: Path
    source: str
    status: str = "rejected"  # loaded | replaced | unchanged | quarantined | rejected
    kind: str | None = None
    layout: str | None = None
    encoding: str | None = None
    rows_read: int = 0
    rows_accepted: int = 0
    rows_stored: int = 0
    skipped: dict[str, list[int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    branches_matched: set[str] = field(default_factory=set)
    branches_new: set[str] = field(default_factory=set)
    date_min: dt.date | None = None
    date_max: dt.date | None = None
    ignored_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    blank_cells: int = 0
    skip_counts: dict[str, int] = field(default_factory=dict)  # when `skipped` lists only the first lines
    quarantine_file: Path | None = None
    # System-wide lines the file gave (data/systemlines.py): branch_id -> name, line_type, reason, total, how
    system_lines: dict[str, dict] = field(default_factory=dict)
    message: str = ""
    content_hash: str | None = None  # set when the import is logged
    options_identity: Identity | None = None  # the options that shape the rows (data/identity.py)
    parts: list[FileReport] = field(default_factory=list)  # one per kind of a file that holds several
    sheet: str | None = None  # the sheet of an Excel workbook these rows come from

    @property
    def label(self) -> str:
        """The file as the report names it: `book.xlsx [Sheet1]` for a sheet of a workbook."""
        return f"{self.path} [{self.sheet}]" if self.sheet else str(self.path)

    @property
    def ok(self) -> bool:
        return self.status != "rejected"

    def skip_count(self, reason: str) -> int:
        return self.skip_counts.get(reason, len(self.skipped.get(reason, [])))

    @property
    def rows_skipped(self) -> int:
        return sum(self.skip_count(reason) for reason in self.skipped)

    @property
    def rows_rejected(self) -> int:
        return len({p.line for p in self.problems})


def import_paths(con: duckdb.DuckDBPyConnection, paths: list[Path], options: Options) -> list[FileReport]:
    """Import files and folders (CSV files and Excel workbooks inside, recursively); branch lists first,
    then the rest."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            suffixes = (".csv", ".txt", ".tsv", *workbook.SUFFIXES)
            files.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in suffixes))
        else:
            files.append(path)
    # One file needs no order: its head is not read and planned twice.
    ordered = sorted(files, key=lambda p: (_guess_order(p), str(p))) if len(files) > 1 else files
    return [report for path in ordered for report in import_any(con, path, options)]


def import_any(con: duckdb.DuckDBPyConnection, path: Path, options: Options) -> list[FileReport]:
    """import_file for a text export; one report per imported sheet for an Excel workbook."""
    reports = _import_any(con, path, options)
    if options.engine == "spark":
        for report in reports:
            _engine_note(report)
    return reports


def import_file(con: duckdb.DuckDBPyConnection, path: Path, options: Options) -> FileReport:
    """Import one export; the returned report says what happened. Raises nothing for bad input."""
    report = _import_file(con, path, options)
    if options.engine == "spark":
        _engine_note(report)
    return report


def _engine_note(report: FileReport) -> None:
    """Why --engine spark did not roll a file up, when it did not: the flag is never silently ignored."""
    if report.status == "unchanged" or any(n == sparkpath.NOTE or n.startswith("--engine spark") for n in report.notes):
        return
    if report.kind == "circulation" and report.layout == "transactions":
        report.notes.append(
            "--engine spark: Spark did not roll this file up (under 256 KB, or holding a row the roll-up cannot "
            "vouch for: an unreadable date, a blank or unknown branch, a date in the future, a malformed CSV row); "
            "it was read row by row, so every problem is reported with its line"
        )
    else:
        report.notes.append(
            "--engine spark applies to transaction-level circulation exports (one row per loan) only; "
            "this file was imported by the normal path"
        )


def _import_any(con: duckdb.DuckDBPyConnection, path: Path, options: Options) -> list[FileReport]:
    if workbook.is_workbook(path):
        reports = import_workbook(con, path, options)
        if reports is not None:
            return reports
        report = import_file(con, path, options)
        report.notes.append("its first bytes are those of an Excel workbook, but it is not one that can be read")
        return [report]
    if options.sheet is not None:
        report = FileReport(path=path, source=path.name)
        return [_fail(report, f"--sheet {options.sheet!r} names a sheet of an Excel workbook; this is a text file")]
    return [import_file(con, path, options)]


def import_workbook(con: duckdb.DuckDBPyConnection, path: Path, options: Options) -> list[FileReport] | None:
    """Every sheet of an Excel workbook that holds a data table (or the sheet `options.sheet` names), each
    imported as a CSV export of it would be, all or nothing: when any sheet is rejected, no sheet is
    written. None for a file named as text whose bytes only look like a workbook (import_file refuses it)."""
    report = FileReport(path=path, source=path.name)
    try:
        source_mapping, notes = shaping.effective_mapping(path, options)
        book = workbook.read(path, source_mapping.named_headers())
        sheets = book.chosen(options.sheet)
        digest = file_digest(path)
    except OSError as exc:
        return [_fail(report, f"cannot read file: {exc.strerror or exc}")]
    except mapping_mod.MappingError as exc:
        return [_fail(report, str(exc))]
    except FileError as exc:
        return None if path.suffix.lower() not in workbook.SUFFIXES else [_fail(report, str(exc))]
    if path.suffix.lower() not in workbook.SUFFIXES:
        notes.append(f"this {path.suffix or 'unnamed'} file is an Excel workbook: read as one")
    notes += book.skipped_notes(options.sheet)
    if not sheets:
        return [_fail(report, "no sheet of this workbook holds a data table; " + "; ".join(notes))]

    staged: list[tuple[FileReport, str, list[dict]]] = []

    def run(dry: bool) -> list[FileReport]:
        out = []
        for sheet in sheets:
            one = FileReport(path=path, source=book.source(sheet.name), sheet=sheet.name, notes=list(notes))
            one.options_identity = identity.of(source_mapping, options)
            digest_of_sheet = workbook.sheet_digest(digest, sheet.name)
            out.append(_import_table(con, one, sheet.table, digest_of_sheet, source_mapping, options, dry, staged))
        return out

    checked = run(dry=True)
    _sheet_overlaps(staged)
    for one in checked:
        if one.parts:  # a sheet of several kinds: its parts' problems are the sheet's
            one.problems = [p for part in one.parts for p in part.problems]
    rejected = [r for r in checked if r.problems and (r.message or not options.quarantine)]
    if not rejected:
        reports = run(dry=False)
        if options.sheet is None:
            reports[0].notes += _sheets_gone(con, path, book)
        return reports
    names = ", ".join(repr(r.sheet) for r in rejected)
    for one in checked:
        if one.problems:
            one.message = one.message or f"rejected: {one.rows_rejected} row(s) with problems; nothing was written"
        else:
            for sheet_report in [one, *one.parts]:
                sheet_report.status = "rejected"
                sheet_report.message = (
                    f"not imported: sheet {names} of this workbook was rejected; nothing from it was written"
                )
    return checked


def _sheet_overlaps(staged: list[tuple[FileReport, str, list[dict]]]) -> None:
    """Problems for rows that another sheet of the same workbook gives for the same branch and period (a
    summary sheet beside monthly ones): the check against the database cannot see sheets not yet written."""
    intervals: dict[tuple, list[tuple]] = defaultdict(list)
    for report, kind, records in staged:
        dimension = OVERLAP_DIMENSION.get(kind, "")
        if dimension == "":
            continue  # events and targets: a sheet's ids and years are checked against the database only
        for record in records:
            key = (kind, record["branch_id"], record.get(dimension) if dimension else None)
            start = record["date"]
            months = {"month": 1, "quarter": 3, "year": 12}.get(record["grain"], 0)
            end = _add_months(start, months) if months else start + dt.timedelta(days=1)
            intervals[key].append((start, end, report.sheet, report, record))
    for rows in intervals.values():
        reach: dict[str, dt.date] = {}  # per sheet, the latest end of its periods starting so far
        for start, end, sheet, report, record in sorted(rows, key=lambda r: (r[0], r[2])):
            other = next((name for name, last in reach.items() if name != sheet and last > start), None)
            if other is not None:
                report.problems.append(
                    Problem(
                        record["_line"],
                        None,
                        record["branch_id"],
                        f"sheet {other!r} of this workbook gives the same branch and period; importing both "
                        "would double-count (import one with --sheet)",
                    )
                )
            reach[sheet] = max(reach.get(sheet, end), end)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _sheets_gone(con, path: Path, book: workbook.Book) -> list[str]:
    """Notes on sheets an earlier import of this workbook loaded that it no longer has (their rows stay)."""
    current = {book.source(s.name) for s in book.data_sheets}
    earlier = con.execute(
        "SELECT DISTINCT source_file FROM imports WHERE starts_with(source_file, ?) AND removed_at IS NULL ORDER BY 1",
        [f"{path.name} ["],
    ).fetchall()
    return [
        f"{name} was imported before and is no longer a data sheet of this workbook; its rows stay until "
        f"`python -m data remove '{name}'`"
        for (name,) in earlier
        if name not in current
    ]


def _guess_order(path: Path) -> int:
    """0 for a branch list (imported first, so that facts can name its branches), else 1."""
    if workbook.is_workbook(path):
        return _workbook_order(path)
    try:
        with path.open("rb") as handle:
            head = handle.read(65536)
        sidecar = mapping_mod.sidecar(path)
        source_mapping = mapping_mod.load(sidecar if sidecar.exists() else None)
        head = head[: head.rfind(b"\n") + 1] or head  # whole lines only
        table = read_table(path, head, source_mapping.encoding, mapped=source_mapping.named_headers())
        plan = plan_columns(table, source_mapping, None, path)
    except (OSError, FileError, PlanError, mapping_mod.MappingError):
        return 1
    return 0 if plan.kind == "branches" else 1


def _workbook_order(path: Path) -> int:
    """0 for a workbook any of whose data sheets is a branch list, else 1."""
    try:
        sidecar = mapping_mod.sidecar(path)
        source_mapping = mapping_mod.load(sidecar if sidecar.exists() else None)
        sheets = workbook.read(path).data_sheets
    except (OSError, FileError, mapping_mod.MappingError):
        return 1
    for sheet in sheets:
        try:
            if plan_columns(sheet.table, source_mapping, None, path).kind == "branches":
                return 0
        except PlanError:
            continue
    return 1


HEAD_BYTES = 256 * 1024  # enough of a file to find its header and plan its columns


def _import_file(con: duckdb.DuckDBPyConnection, path: Path, options: Options) -> FileReport:
    report = FileReport(path=path, source=path.name)
    try:
        source_mapping, notes = shaping.effective_mapping(path, options)
        report.notes.extend(notes)
        report.options_identity = identity.of(source_mapping, options)
        head, partial = _head(path)
        head_table = read_table(
            path, head, source_mapping.encoding, partial=partial, mapped=source_mapping.named_headers()
        )
        plan = _plan(head_table, source_mapping, options, path)
    except OSError as exc:
        return _fail(report, f"cannot read file: {exc.strerror or exc}")
    except mapping_mod.MappingError as exc:
        return _fail(report, str(exc))
    except SeveralKinds:
        return _import_rows(con, report, path, source_mapping, options)  # every kind the file holds
    except (FileError, PlanError) as exc:
        if partial and _head_decides(exc, source_mapping):
            # A large file is refused on its head: binary, undecodable or headerless is never read whole.
            where = "" if getattr(exc, "whole_file", False) else f" ({_in_head(path)}; the rest was not read)"
            return _fail(report, f"{exc}{where}", getattr(exc, "line", 0))
        # The row path reads the whole file and reports the same problem precisely.
        return _import_rows(con, report, path, source_mapping, options)
    if plan.layout == "transactions" and partial:
        fast = _import_transactions_fast(con, report, path, head_table, plan, source_mapping, options)
        if fast is not None:
            return fast
    if partial and _unusable_head(report, head_table, plan, source_mapping, options):
        return report
    return _import_rows(con, report, path, source_mapping, options)


def _plan(table: Table, source_mapping: mapping_mod.Mapping, options: Options, path: Path) -> Plan:
    """The column plan, after refusing what the file makes wrong (data/shaping.py: a meaningless
    --branch or --year, a monthly column mapped to date)."""
    plan = plan_columns(table, source_mapping, options.kind, path)
    shaping.check(plan, table, source_mapping, options)
    return plan


def _head_decides(exc: Exception, source_mapping: mapping_mod.Mapping) -> bool:
    """Whether a problem found in a file's head holds for the whole file. A head cut after a line break
    can split a character only in an encoding a mapping file names (UTF-16 with a BOM is cut whole)."""
    return not (isinstance(exc, FileError) and source_mapping.encoding and str(exc).startswith("cannot decode"))


def _in_head(path: Path) -> str:
    return f"in the first {HEAD_BYTES // 1024} KB of this {path.stat().st_size / 1024**2:,.0f} MB file"


def _unusable_head(report: FileReport, head_table: Table, plan: Plan, source_mapping, options: Options) -> bool:
    """True (with the report filled in) when a large file's head is nearly all broken rows: it is refused
    without reading the rest into memory."""
    parsed = parse_rows(head_table, plan, source_mapping, options.today)
    data_rows = [line for line, cells in head_table.rows if any(c.strip() for c in cells)]
    broken = {p.line for p in parsed.problems} | set(parsed.skipped_lines.get("no branch name", []))
    if len(data_rows) < 50 or len(broken) < 0.9 * len(data_rows):
        return False
    report.encoding, report.kind, report.layout = head_table.encoding, plan.kind, plan.layout
    report.rows_read = len(head_table.rows)
    _apply(report, parsed)
    _fail(
        report,
        f"rejected: {len(broken):,} of the first {len(data_rows):,} rows cannot be imported "
        f"({_in_head(report.path)}; the rest was not read); nothing was written",
    )
    return True


def _head(path: Path) -> tuple[bytes, bool]:
    """(the first HEAD_BYTES of a file cut after its last complete line, whether the file is longer)."""
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES + 1)
    if len(head) <= HEAD_BYTES:
        return head, False
    head = head[:HEAD_BYTES]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16: cut after a whole line break character
        newline = b"\n\x00" if head.startswith(b"\xff\xfe") else b"\x00\n"
        end = head.rfind(newline)
        while end > 0 and end % 2:
            end = head.rfind(newline, 0, end + 1)
        return head[: end + 2] if end > 0 else head[: len(head) - len(head) % 2], True
    return head[: head.rfind(b"\n") + 1] or head, True


def file_digest(path: Path) -> str:
    """The SHA-256 of a file's content, read in chunks (a 1 GB export never sits in memory)."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _import_rows(con, report: FileReport, path: Path, source_mapping, options: Options) -> FileReport:
    """The row-by-row path: every row parsed in Python, every problem with its line."""
    try:
        data = path.read_bytes()
        table = read_table(path, data, source_mapping.encoding, mapped=source_mapping.named_headers())
    except OSError as exc:
        return _fail(report, f"cannot read file: {exc.strerror or exc}")
    except FileError as exc:
        return _fail(report, str(exc), getattr(exc, "line", 0))
    return _import_table(con, report, table, hashlib.sha256(data).hexdigest(), source_mapping, options)


def _import_table(
    con,
    report: FileReport,
    table: Table,
    content_hash: str,
    source_mapping,
    options: Options,
    dry: bool = False,
    staged: list | None = None,
) -> FileReport:
    """A file's or a sheet's rows checked and written; `dry` stops before writing, with the problems found
    and (report, kind, records) added to `staged`."""
    # A sheet's name reads as part of the file name: the kind or the year it gives (a sheet per year) counts.
    named = report.path.with_name(f"{report.sheet} {report.path.name}") if report.sheet else report.path
    try:
        plan = _plan(table, source_mapping, options, named)
    except SeveralKinds as exc:
        from data import indicators

        return indicators.import_parts(
            con, report, content_hash, table, source_mapping, options, exc.kinds, dry=dry, staged=staged
        )
    except PlanError as exc:
        return _fail(report, str(exc), getattr(exc, "line", 0))
    report.encoding = table.encoding
    report.kind, report.layout = plan.kind, plan.layout
    report.ignored_columns, report.notes = plan.ignored, report.notes + plan.notes
    report.rows_read = len(table.rows)
    if not any(any(c.strip() for c in cells) for _, cells in table.rows):
        return _fail(report, "no data rows below the header", table.header_line)
    previous = _already_imported(con, report.source, plan.kind, content_hash, report.options_identity)
    if previous:
        report.status = "unchanged"
        report.message = f"already imported ({previous}); nothing changed"
        return report
    parsed = parse_rows(table, plan, source_mapping, options.today)
    _apply(report, parsed)
    report.notes += layouts.survey_notes(plan, parsed.records)
    if dry and plan.kind == "branches":
        return report
    if plan.kind == "branches":
        return _import_branches(con, report, parsed, plan, table, content_hash, options)
    resolver = BranchResolver(con, source_mapping, options.allow_new_branches)
    records = _resolve(report, parsed.records, resolver, table, plan)
    records = _dedupe(report, records, plan.kind)
    _check_dates(report, records, options.today)
    _check_overlap(con, report, records, plan.kind)
    if dry:
        if staged is not None:
            staged.append((report, plan.kind, records))
        return report
    return _finish(con, report, records, plan, table, content_hash, options, resolver)


def _import_transactions_fast(con, report, path, head_table, plan, source_mapping, options) -> FileReport | None:
    """A large, clean transaction export rolled up inside DuckDB; None hands the file to the row path.

    The rolled-up rows stay in DuckDB (a temporary table of one cursor) from the scan to the insert.
    """
    report.encoding, report.kind, report.layout = head_table.encoding, plan.kind, plan.layout
    report.ignored_columns, report.notes = plan.ignored, report.notes + plan.notes
    cursor = con.cursor()
    try:
        return _fast_rollup(cursor, con, report, path, head_table, plan, source_mapping, options)
    finally:
        fastpath.drop(cursor)
        cursor.close()


def _fast_rollup(cursor, con, report, path, head_table, plan, source_mapping, options) -> FileReport | None:
    if _seen_before(con, report.source, plan.kind):  # likely a re-import: hash first, scan only if changed
        content_hash, roll = file_digest(path), None
    else:
        with ThreadPoolExecutor(max_workers=1) as pool:
            digest = pool.submit(file_digest, path)  # hashing runs while DuckDB (or Spark) scans the file
            roll = _rollup(cursor, report, path, head_table, plan, options)
            content_hash = digest.result()
        if roll is None:
            return None
    previous = _already_imported(con, report.source, plan.kind, content_hash, report.options_identity)
    if previous:
        report.status = "unchanged"
        report.message = f"already imported ({previous}); nothing changed"
        return report
    roll = roll or _rollup(cursor, report, path, head_table, plan, options)
    if roll is None or roll.date_max > options.today:
        return None
    resolver = BranchResolver(con, source_mapping, options.allow_new_branches)
    is_code = "branch_code" in plan.fields
    ids = {raw: None if non_branch_reason(raw) else resolver.resolve(raw, is_code) for raw in roll.branches}
    if None in ids.values():
        return None  # unknown names, totals or footnotes: the row path reports them with their lines
    cursor.execute("CREATE OR REPLACE TEMP TABLE tx_ids (branch VARCHAR, branch_id VARCHAR)")
    cursor.executemany("INSERT INTO tx_ids VALUES (?, ?)", list(ids.items()))
    # The roll-up's rows are summed again only when two of them can land on the same branch id, date, item
    # type and patron category (two spellings of one branch or label): otherwise that pass is saved.
    regroup = not roll.distinct or len(set(ids.values())) < len(ids)
    total = "r.checkouts + r.renewals + r.returns"
    sums = (
        f"sum(r.checkouts) AS checkouts, sum(r.renewals) AS renewals, sum(r.returns) AS returns, sum({total}) AS lines"
        if regroup
        else f"r.checkouts, r.renewals, r.returns, {total} AS lines"
    )
    cursor.execute(
        f"CREATE OR REPLACE TEMP TABLE tx_daily AS SELECT r.date, i.branch_id, r.item_type, r.patron_category, "
        f"{sums} FROM {fastpath.STAGING} r JOIN tx_ids i USING (branch) WHERE {total} > 0"
        + (" GROUP BY ALL" if regroup else "")
    )
    if options.engine == "spark":  # noted here, so that a file refused for overlaps also says Spark read it
        report.notes.append(sparkpath.NOTE)
    overlap = cursor.execute(
        "SELECT DISTINCT e.source_file, n.branch_id FROM (SELECT DISTINCT date, branch_id FROM tx_daily) n "
        "JOIN circulation_daily e ON e.branch_id = n.branch_id AND e.source_file <> ? AND n.date >= e.date "
        "AND n.date < e.date + CAST(CASE e.grain WHEN 'day' THEN INTERVAL 1 DAY WHEN 'month' THEN INTERVAL 1 MONTH "
        "WHEN 'quarter' THEN INTERVAL 3 MONTH ELSE INTERVAL 1 YEAR END AS INTERVAL) ORDER BY ALL",
        [report.source],
    ).fetchall()
    for other, branch_id in overlap:
        report.problems.append(
            Problem(
                0,
                None,
                branch_id,
                ALREADY_LOADED,
                f"loaded from {other}",
            )
        )
    if report.problems:
        report.message = "rejected: rows already loaded from another file; nothing was written"
        return report
    accepted, stored = cursor.execute("SELECT sum(lines), count(*) FROM tx_daily").fetchone()
    report.rows_read, report.rows_accepted, report.rows_stored = roll.rows_read, int(accepted), int(stored)
    if options.engine != "spark":
        report.notes.append(fastpath.NOTE)
    report.skipped, report.skip_counts = roll.skipped, roll.skipped_counts
    report.date_min, report.date_max = roll.date_min, roll.date_max
    used = set(ids.values())
    lines = used & set(resolver.lines)
    report.branches_new = {b for b in resolver.new if b in used} - lines
    report.branches_matched = used - report.branches_new - lines
    if lines:
        totals = cursor.execute(
            "SELECT branch_id, sum(checkouts + renewals) FROM tx_daily WHERE list_contains(?, branch_id) GROUP BY 1",
            [sorted(lines)],
        ).fetchall()
        for branch_id, total in totals:
            _note_line(report, resolver, branch_id, "circulation")["total"] = total
    new_aliases = [(k, alias, bid) for k, (alias, bid) in resolver.new_aliases.items() if bid in used]
    new_rows = [row for bid, row in resolver.new.items() if bid in used]
    replaced = _write(con, report, "circulation", None, content_hash, new_rows, new_aliases, cursor=cursor)
    report.status = "replaced" if replaced else "loaded"
    return report


def _rollup(cursor, report: FileReport, path: Path, table: Table, plan: Plan, options: Options):
    """The roll-up on the engine the options name (see data/fastpath.py and data/sparkpath.py)."""
    if options.engine == "spark":
        return sparkpath.rollup(
            cursor, str(path), table, plan, table.delimiter, options.spark_master, notes=report.notes
        )
    return fastpath.rollup(cursor, str(path), table, plan, table.delimiter)


def _fail(report: FileReport, message: str, line: int = 0) -> FileReport:
    report.problems.append(Problem(line, None, None, message))
    report.message = message
    return report


def _seen_before(con, source: str, kind: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM imports WHERE source_file = ? AND kind = ? AND removed_at IS NULL", [source, kind]
    ).fetchone()
    return row[0] > 0


def _already_imported(con, source: str, kind: str, content_hash: str, options: Identity | None = None) -> str | None:
    """Why this import needs no doing, or None: the same content with the same options (data/identity.py)
    is current under this name or another. An import taken back (removed_at) counts as never made; one
    logged before options were kept counts as made with none."""
    options = options or identity.NONE
    latest = con.execute(
        "SELECT content_hash, coalesce(options_hash, ?) FROM imports WHERE source_file = ? AND kind = ? "
        "AND removed_at IS NULL ORDER BY import_id DESC LIMIT 1",
        [identity.NONE.digest, source, kind],
    ).fetchone()
    if latest and latest == (content_hash, options.digest):
        return f"same content and options as the current {source}"
    twin = con.execute(
        "SELECT source_file FROM imports WHERE content_hash = ? AND kind = ? AND source_file <> ? "
        "AND coalesce(options_hash, ?) = ? AND removed_at IS NULL ORDER BY import_id DESC LIMIT 1",
        [content_hash, kind, source, identity.NONE.digest, options.digest],
    ).fetchone()
    return f"same content already imported as {twin[0]}" if twin else None


def _apply(report: FileReport, parsed: Parsed) -> None:
    report.problems.extend(parsed.problems)
    for reason, lines in parsed.skipped_lines.items():
        report.skipped.setdefault(reason, []).extend(lines)
    report.blank_cells = parsed.cells_blank


def _skip(skipped: dict[str, list[int]], reason: str, line: int) -> None:
    skipped.setdefault(reason, []).append(line)


def parse_rows(table: Table, plan: Plan, source_mapping: mapping_mod.Mapping, today: dt.date) -> Parsed:
    """Every data row to records, skips (with reasons) or problems."""
    order = source_mapping.date_order or _slash_order(table, plan)
    parsed = Parsed([], [], Counter(), {}, today=today)
    rollup: dict[tuple, dict] = {}
    for line, cells in table.rows:
        if not any(c.strip() for c in cells):
            _skip(parsed.skipped_lines, "empty row", line)
            continue
        rc = RowCells(line, cells, plan, table, source_mapping)
        custom = plan.layout in layouts.LAYOUTS
        reason = layouts.skip_reason(rc, plan) if custom else _row_skip_reason(rc, plan)
        if reason:
            _skip(parsed.skipped_lines, reason, line)
            continue
        if custom:
            records = layouts.records(rc, plan, parsed, order)
        elif plan.layout == "wide":
            records = _wide_records(rc, plan, parsed)
        elif plan.layout == "transactions":
            record, reason = kinds.transaction(rc, order)
            if reason:
                _skip(parsed.skipped_lines, reason, line)
                continue
            records = [record] if record else []
        else:
            records = PARSERS[plan.kind](rc, order)
        if rc.problems:
            parsed.problems.extend(rc.problems)
            continue
        if not records:
            _skip(parsed.skipped_lines, "no values reported (blank cells)", line)
            continue
        if plan.layout == "transactions":
            _roll_up(rollup, records[0])
        else:
            parsed.records.extend(records)
    parsed.records.extend(rollup.values())
    return parsed


def _slash_order(table: Table, plan: Plan) -> str:
    indexes = [plan.fields[f] for f in ("date", "timestamp", "opened_on", "closed_on") if f in plan.fields]
    cells = [row[i] for _, row in table.rows for i in indexes if i < len(row)]
    try:
        return values.slash_order(cells)
    except ValueError:
        return "mdy"  # each ambiguous cell then fails on its own line with a clear reason


def _row_skip_reason(rc: RowCells, plan: Plan) -> str | None:
    if sign_off_row(rc.cells):  # 制表人：… 审核人：… in any cell, often the first (the code column)
        return "signature footer"
    if plan.kind == "branches":
        name = rc.raw("name") or rc.raw("branch_id") or ""
        return _structural(non_branch_reason(name)) if name.strip() else "no branch name"
    raw = rc.raw("branch_code") or rc.raw("branch")
    if raw is None or not raw.strip():
        if plan.kind == "targets" or rc.mapping.branch:
            return None
        return "no branch name"
    if plan.kind == "targets":
        return None
    return _structural(non_branch_reason(raw))


def _structural(reason: str | None) -> str | None:
    """Totals, footnotes and signature footers are never data (system-wide lines are data: _resolve keeps them
    as such)."""
    return reason if reason in ("totals row", "footnote row", "signature footer") else None


def _wide_records(rc: RowCells, plan: Plan, parsed: Parsed) -> list[dict]:
    from data.rows import branch_cell

    branch, column = branch_cell(rc)
    row_year = rc.typed("year", values.parse_year) if "year" in plan.fields else None
    measure = kinds.measure_name(rc.text("measure")) if plan.kind == "measures" and rc.text("measure") else None
    records = []
    for index, year, month in plan.months:
        raw = rc.cells[index] if index < len(rc.cells) else ""
        if values.is_blank(raw, rc.mapping.missing_codes):
            parsed.cells_blank += 1
            continue
        header = rc.table.header[index]
        try:
            number = values.parse_amount(raw) if plan.kind == "measures" else values.parse_count(raw)
        except ValueError as exc:
            rc.problems.append(Problem(rc.line, header, raw, str(exc)))
            continue
        when_year = row_year or year
        if when_year is None:
            rc.problems.append(Problem(rc.line, header, raw, "no year for this month"))
            continue
        if number == 0 and (when_year, month) >= (parsed.today.year, parsed.today.month):
            parsed.cells_blank += 1  # months not over yet, exported as 0 in a partial year: not reported
            continue
        record = {
            "date": dt.date(when_year, month, 1),
            "grain": "month",
            "_line": rc.line,
            "_branch": branch,
            "_branch_column": column,
            "_column": header,
            "_raw": raw,
        }
        record.update(_wide_value(plan, number, measure))
        records.append(record)
    return records


def _wide_value(plan: Plan, number: float, measure: str | None) -> dict:
    if plan.kind == "visits":
        return {"visits": number, "method": "counted", "audience": "all"}
    if plan.kind == "circulation":
        counts = dict.fromkeys(("checkouts", "renewals", "returns", "circulation"))
        counts[plan.value_field] = number
        return {**counts, "item_type": "all", "patron_category": "all"}
    if plan.kind == "measures":
        return {"measure": measure, "value": number}
    blank = dict.fromkeys(kinds.COLUMNS["events"])
    blank.update(category="other", audience="general", format="onsite", planned=False, sessions=None)
    blank[plan.value_field] = number
    return blank


def _roll_up(rollup: dict[tuple, dict], record: dict) -> None:
    key = (record["date"], name_key(record["_branch"] or ""), record["item_type"], record["patron_category"])
    total = rollup.get(key)
    if total is None:
        record["_lines"] = 1
        rollup[key] = record
        return
    total["_lines"] += 1
    for column in ("checkouts", "renewals", "returns"):
        total[column] += record[column]


def _chinese_name(display: str) -> str | None:
    """A new branch's Chinese name, as the Simplified Chinese pages show it (總館 -> 总馆; the name keeps the
    export's own spelling), or None for a name without Chinese characters."""
    return chinese.simplified(display) if re.search(r"[\u4e00-\u9fff]", display) else None


class BranchResolver:
    """Branch names and codes to branch ids, through the alias table and this source's mapping."""

    def __init__(self, con, source_mapping: mapping_mod.Mapping, allow_new: bool):
        self.aliases = dict(con.execute("SELECT alias_key, branch_id FROM branch_aliases").fetchall())
        self.names = dict(con.execute("SELECT branch_id, name FROM branches").fetchall())
        self.taken = set(self.names)
        self.extra = {name_key(k): v for k, v in source_mapping.branches.items()}
        self.allow_new = allow_new
        # System-wide lines stored and made here: branch_id -> (line type, reason); never service points.
        self.lines = {
            b: (t, r) for b, t, r in con.execute("SELECT branch_id, line_type, reason FROM system_lines").fetchall()
        }
        self.new: dict[str, dict] = {}  # branch_id -> branch row to create
        self.new_aliases: dict[str, tuple[str, str]] = {}  # alias_key -> (alias, branch_id)
        self.shared: set[str] = set()  # name keys that new branches of this file share: no branch's alias

    def resolve(
        self, raw: str, is_code: bool, skip_system_lines: bool = False, has_address: bool | None = None
    ) -> str | None:
        """The branch id for a name or code; with allow_new, unknown names become new branches
        (except totals and footnotes when skip_system_lines is set). An unknown name that is a system-wide
        line (data/systemlines.py; has_address: whether its row gives the address the file's service points
        have, None when the file gives none) becomes a line of its own, with or without allow_new."""
        key = name_key(raw)
        key = name_key(self.extra[key]) if key in self.extra else key
        found = self.aliases.get(key) or self.new_aliases.get(key, (None, None))[1]
        if found:
            return found
        if implausible_name(raw):
            return None  # a look-alike, formula or markup never becomes a branch; the caller says why
        line = None if non_branch_reason(raw) else systemlines.classify(raw, has_address)
        if line is None and (not self.allow_new or (skip_system_lines and non_branch_reason(raw))):
            return None
        display = clean_display(raw)
        branch_id = display if is_code and display not in self.taken else slug(display, self.taken)
        self.taken.add(branch_id)
        self.new[branch_id] = {"branch_id": branch_id, "name": display, "name_zh": _chinese_name(display)}
        if line:
            self.new[branch_id].update(line_type=line.line_type, reason=line.reason)
            self.lines[branch_id] = (line.line_type, line.reason)
        self.new_aliases[key] = (display, branch_id)
        self.new_aliases.setdefault(name_key(branch_id), (branch_id, branch_id))
        return branch_id

    def known(self, raw: str) -> str | None:
        """The branch id a name or code already names (in the database, this source's mapping or this file)."""
        key = name_key(raw)
        key = name_key(self.extra[key]) if key in self.extra else key
        return self.aliases.get(key) or self.new_aliases.get(key, (None, None))[1]

    def resolve_named(self, code: str, name: str, has_address: bool | None = None) -> tuple[str | None, str | None]:
        """(branch id, problem) for a row that gives both a code (馆代码) and a name (馆名): the code is the
        id and the name the branch's name. Matched by the code, then by the name; a code of one branch beside
        the name of another is a problem. A new branch (with allow_new) gets the code as its id, the name as
        its name, and both as aliases; a name that a branch new in this file has under another code is a
        second branch of that name, never an alias of it."""
        by_code, by_name = self.known(code), self.known(name)
        if by_code and by_name and by_code != by_name and not self._sharing(by_name, code):
            return None, (
                f"the code names branch {by_code} ({self._shown(by_code)}) but the name names branch {by_name} "
                f"({self._shown(by_name)}): correct one of them, or map the name in a mapping file"
            )
        if by_name and self._sharing(by_name, code):  # one name, two new codes: two branches, no alias
            self.shared.add(name_key(name))
            self.new_aliases.pop(name_key(name), None)
            by_name = None
        found = by_code or by_name
        if found or non_branch_reason(name) or implausible_name(code) or implausible_name(name):
            return found, None
        line = systemlines.classify(name, has_address)  # a system-wide line is made with or without allow_new
        if line is None and not self.allow_new:
            return None, None
        display, code_shown = clean_display(name), clean_display(code)
        branch_id = code_shown if code_shown not in self.taken else slug(code_shown, self.taken)
        self.taken.add(branch_id)
        self.new[branch_id] = {"branch_id": branch_id, "name": display, "name_zh": _chinese_name(display)}
        if line:
            self.new[branch_id].update(line_type=line.line_type, reason=line.reason)
            self.lines[branch_id] = (line.line_type, line.reason)
        self.new_aliases[name_key(code)] = (code_shown, branch_id)
        self.new_aliases.setdefault(name_key(branch_id), (branch_id, branch_id))
        if name_key(name) not in self.shared:
            self.new_aliases[name_key(name)] = (display, branch_id)
        return branch_id, None

    def _sharing(self, branch_id: str, code: str) -> bool:
        """Whether `branch_id` is new in this file under a code other than `code` (two branches, one name)."""
        return branch_id in self.new and name_key(branch_id) != name_key(code)

    def _shown(self, branch_id: str) -> str:
        return (self.new.get(branch_id) or {}).get("name") or self.names.get(branch_id, branch_id)

    def closest(self, raw: str) -> list[str]:
        keys = difflib.get_close_matches(name_key(raw), list(self.aliases), n=3, cutoff=0.6)
        names = []
        for key in keys:
            name = self.names.get(self.aliases[key], key)
            if name not in names:
                names.append(name)
        return names


def _resolve(report: FileReport, records: list[dict], resolver: BranchResolver, table: Table, plan: Plan) -> list[dict]:
    out = []
    unknown: dict[str, list[dict]] = defaultdict(list)
    named = _names_beside_codes(table, plan)
    # line -> whether the row has an address, when the file gives addresses for its service points
    addressed = systemlines.addresses(table.header, table.rows, {r["_line"] for r in records})
    for record in records:
        raw = record.pop("_branch")
        column = record.pop("_branch_column")
        if raw is None:  # a network-wide target
            record["branch_id"] = None
            out.append(record)
            continue
        if plan.kind == "targets" and non_branch_reason(raw) == "totals row":
            record["branch_id"] = None
            out.append(record)
            continue
        name = named.get(record["_line"]) if column == "branch_code" else None
        has_address = addressed.get(record["_line"]) if addressed else None
        if name:
            branch_id, conflict = resolver.resolve_named(raw, name, has_address)
            if conflict:
                report.problems.append(Problem(record["_line"], table.header[plan.fields["branch"]], name, conflict))
                continue
        else:
            branch_id = resolver.resolve(raw, column == "branch_code", skip_system_lines=True, has_address=has_address)
        if branch_id in resolver.lines:
            _line_record(report, resolver, branch_id, plan.kind, record)
            out.append(record)
            continue
        reason = non_branch_reason(raw) or (non_branch_reason(name) if name else None)
        if branch_id is None and reason:
            _skip(report.skipped, reason, record["_line"])
            continue
        if branch_id is None:
            unknown[raw].append(record)
            continue
        (report.branches_new if branch_id in resolver.new else report.branches_matched).add(branch_id)
        record["branch_id"] = branch_id
        out.append(record)
    for raw, bad in unknown.items():
        column = (
            table.header[plan.fields["branch_code" if "branch_code" in plan.fields else "branch"]]
            if plan.fields.keys() & {"branch", "branch_code"}
            else "branch"
        )
        hint = resolver.closest(raw)
        detail = f"closest known: {', '.join(hint)}" if hint else "no similar known name"
        column = bad[0].get("_branch_header", column)  # branches as columns: the header is the name
        for line in sorted({r.get("_branch_line", r["_line"]) for r in bad}):
            report.problems.append(Problem(line, column, raw, implausible_name(raw) or UNKNOWN_BRANCH, detail))
    return out


def _names_beside_codes(table: Table, plan: Plan) -> dict[int, str]:
    """line -> the branch name (馆名) of a file that also has a code column (馆代码); empty otherwise."""
    if not {"branch", "branch_code"} <= plan.fields.keys():
        return {}
    index = plan.fields["branch"]
    return {line: cells[index] for line, cells in table.rows if index < len(cells) and cells[index].strip()}


def _note_line(report: FileReport, resolver: BranchResolver, branch_id: str, kind: str) -> dict:
    """The report's entry for a system-wide line this file gives."""
    if branch_id not in report.system_lines:
        line_type, reason = resolver.lines[branch_id]
        name = (
            resolver.new[branch_id]["name"] if branch_id in resolver.new else resolver.names.get(branch_id, branch_id)
        )
        report.system_lines[branch_id] = {
            "name": name,
            "line_type": line_type,
            "reason": reason,
            "new": branch_id in resolver.new,
            "total": 0,
            "unit": systemlines.unit(kind, line_type),
            "how": systemlines.how_counted(kind, line_type),
        }
    return report.system_lines[branch_id]


def _line_record(report: FileReport, resolver: BranchResolver, branch_id: str, kind: str, record: dict) -> None:
    """A record of a system-wide line: noted in the report; a renewal channel's single count (a circulation
    total or a checkout count) is stored as renewals, which is what the line counts."""
    _note_line(report, resolver, branch_id, kind)
    record["branch_id"] = branch_id
    if (
        kind == "circulation"
        and resolver.lines[branch_id][0] == systemlines.RENEWALS
        and record.get("renewals") is None
    ):
        given = [c for c in ("circulation", "checkouts") if record.get(c) is not None]
        if len(given) == 1:
            record["renewals"], record[given[0]] = record[given[0]], None


def _dedupe(report: FileReport, records: list[dict], kind: str) -> list[dict]:
    if kind == "events":
        for record in records:
            if not record.get("event_id"):  # wide count files: one group per branch, month and column
                record["event_id"] = (
                    "h"
                    + hashlib.sha1(
                        f"{record['branch_id']}|{record['date']}|{record.get('_column')}".encode()
                    ).hexdigest()[:15]
                )
    key_columns = kinds.KEYS[kind]
    value_columns = [c for c in kinds.COLUMNS[kind] if c not in key_columns]
    seen: dict[tuple, dict] = {}
    out = []
    for record in records:
        if kind == "surveys" and not record.get("respondent_id"):
            out.append(record)
            continue
        key = tuple(record.get(c) for c in key_columns)
        first = seen.get(key)
        if first is None:
            seen[key] = record
            out.append(record)
        elif all(first.get(c) == record.get(c) for c in value_columns):
            _skip(report.skipped, DUPLICATE_ROW, record["_line"])
        else:
            described = ", ".join(f"{c}={record.get(c)}" for c in key_columns if c != "grain")
            report.problems.append(
                Problem(
                    record["_line"],
                    record.get("_column"),
                    record.get("_raw"),
                    CONFLICTING_ROW,
                    f"line {first['_line']} has the same {described}",
                )
            )
    return out


def _check_dates(report: FileReport, records: list[dict], today: dt.date) -> None:
    for record in records:
        when = record.get("date")
        if when is None:
            continue
        if when > today and not record.get("planned"):
            report.problems.append(
                Problem(
                    record["_line"], record.get("_column", "date"), record.get("_raw", str(when)), "date in the future"
                )
            )
        elif when.year < 1900:
            report.problems.append(Problem(record["_line"], "date", str(when), "date before 1900"))


def _frame(records: list[dict], columns: list[str], source: str) -> pd.DataFrame:
    """Records as a table of the given columns (missing values as NULL) plus their source file."""
    import pandas as pd  # only the row path builds frames: a large export's fast path never loads pandas

    frame = pd.DataFrame([{c: r.get(c) for c in columns} for r in records], columns=columns)
    frame = frame.astype(object).where(frame.notna(), None)
    frame["source_file"] = source
    return frame


def _check_overlap(con, report: FileReport, records: list[dict], kind: str) -> None:
    """Refuse facts that another file already gave for the same branch and period."""
    if not records or kind not in ("visits", "circulation", "measures", "events", "targets"):
        return
    frame = _frame(records, kinds.COLUMNS[kind], report.source)
    frame["_line"] = [r["_line"] for r in records]
    _overlap_problems(con, report, frame, kind)


def _overlap_problems(con, report: FileReport, frame: pd.DataFrame, kind: str) -> None:
    """Problems for the rows of `frame` (with a _line column) that another file already covers."""
    cursor = con.cursor()
    cursor.register("incoming", frame)
    if kind == "events":
        sql = (
            "SELECT i._line, e.source_file, i.event_id FROM incoming i JOIN events e USING (event_id) "
            "WHERE e.source_file <> ?"
        )
    elif kind == "targets":
        sql = (
            "SELECT i._line, e.source_file, i.metric FROM incoming i JOIN targets e ON e.year = i.year "
            "AND e.metric = i.metric AND e.branch_id IS NOT DISTINCT FROM i.branch_id WHERE e.source_file <> ?"
        )
    else:
        dimension = OVERLAP_DIMENSION[kind]
        same_dim = f"AND e.{dimension} = i.{dimension}" if dimension else ""
        # Periods overlap when each starts before the other ends; grains may differ (a month vs its days).
        sql = f"""
            SELECT i._line, e.source_file, i.branch_id FROM incoming i JOIN {kind} e
              ON e.branch_id = i.branch_id {same_dim}
             AND e.date < i.date + CAST(CASE i.grain WHEN 'day' THEN INTERVAL 1 DAY WHEN 'month' THEN INTERVAL 1 MONTH
                                      WHEN 'quarter' THEN INTERVAL 3 MONTH ELSE INTERVAL 1 YEAR END AS INTERVAL)
             AND i.date < e.date + CAST(CASE e.grain WHEN 'day' THEN INTERVAL 1 DAY WHEN 'month' THEN INTERVAL 1 MONTH
                                      WHEN 'quarter' THEN INTERVAL 3 MONTH ELSE INTERVAL 1 YEAR END AS INTERVAL)
             WHERE e.source_file <> ?"""
    hits = cursor.execute(sql, [report.source]).fetchall()
    cursor.close()
    for line, other, what in sorted({(h[0], h[1], h[2]) for h in hits}):
        report.problems.append(
            Problem(
                line,
                None,
                str(what),
                ALREADY_LOADED,
                f"loaded from {other}",
            )
        )


def _finish(
    con,
    report: FileReport,
    records: list[dict],
    plan: Plan,
    table: Table,
    content_hash: str,
    options: Options,
    resolver: BranchResolver,
    set_aside: set[int] | None = None,
) -> FileReport:
    """Write the good records. `set_aside`: the lines left out (and quarantined by the caller) instead of
    this report's own problem lines, for one kind of a file that holds several (data/indicators.py)."""
    bad_lines = {p.line for p in report.problems} if set_aside is None else set_aside
    if bad_lines and not options.quarantine:
        report.message = f"rejected: {len(bad_lines)} row(s) with problems; nothing was written"
        return report
    keep = [r for r in records if r["_line"] not in bad_lines]
    if bad_lines and set_aside is None:
        report.quarantine_file = _write_quarantine(report, table, bad_lines, options)
    # A rolled-up transaction record stands for `_lines` export rows.
    report.rows_accepted = sum(r.get("_lines", 0) for r in keep) + len({r["_line"] for r in keep if "_lines" not in r})
    report.rows_stored = len(keep)
    dates = [r["date"] for r in keep if r.get("date")]
    report.date_min, report.date_max = (min(dates), max(dates)) if dates else (None, None)
    used = {r["branch_id"] for r in keep}
    new_rows = [row for bid, row in resolver.new.items() if bid in used]
    new_aliases = [(k, alias, bid) for k, (alias, bid) in resolver.new_aliases.items() if bid in used]
    report.branches_new &= used
    report.system_lines = {bid: line for bid, line in report.system_lines.items() if bid in used}
    for record in keep:
        if record["branch_id"] in report.system_lines:
            report.system_lines[record["branch_id"]]["total"] += systemlines.line_total(plan.kind, record)
    replaced = _write(
        con,
        report,
        plan.kind,
        _frame(keep, kinds.COLUMNS[plan.kind], report.source),
        content_hash,
        new_rows,
        new_aliases,
    )
    report.status = "quarantined" if bad_lines else ("replaced" if replaced else "loaded")
    return report


@contextmanager
def _transaction(con: duckdb.DuckDBPyConnection, cursor=None):
    """A cursor inside one transaction: committed when the block ends, rolled back on any error.
    An existing cursor (one holding temporary tables) can be given; it is left open."""
    own = cursor is None
    cursor = con.cursor() if own else cursor
    cursor.execute("BEGIN TRANSACTION")
    try:
        yield cursor
        cursor.execute("COMMIT")
    except BaseException:
        try:
            cursor.execute("ROLLBACK")
        except duckdb.Error:
            pass  # a failed COMMIT (a full disk) has already ended the transaction: report the first error
        raise
    finally:
        if own:
            cursor.close()


def _log_import(cursor, report: FileReport, kind: str, content_hash: str) -> None:
    """The audit-log row for this file, and its quarantined problems."""
    report.content_hash = content_hash
    options = report.options_identity or identity.NONE
    import_id = cursor.execute(
        "INSERT INTO imports (source_file, path, content_hash, kind, layout, rows_read, rows_accepted, "
        "rows_skipped, rows_rejected, date_min, date_max, options, options_hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING import_id",
        [
            report.source,
            str(report.path),
            content_hash,
            kind,
            report.layout,
            report.rows_read,
            report.rows_accepted,
            report.rows_skipped,
            report.rows_rejected,
            report.date_min,
            report.date_max,
            options.options,
            options.digest,
        ],
    ).fetchone()[0]
    if report.problems:
        cursor.executemany(
            "INSERT INTO rejected_rows VALUES (?, ?, ?, ?, ?)",
            [[import_id, p.line, p.column, p.value, p.full_reason] for p in report.problems],
        )


def _write(
    con,
    report: FileReport,
    kind: str,
    frame: pd.DataFrame,
    content_hash: str,
    new_branches: list[dict],
    new_aliases: list[tuple],
    cursor=None,
) -> bool:
    """Replace this source's rows in one transaction; True when an earlier version was replaced.
    `frame` None means the rows are staged in the temporary table tx_daily of `cursor`."""
    with _transaction(con, cursor) as cursor:
        for row in new_branches:
            # A system-wide line's row takes the kind 'other' and is marked in system_lines: never a service point.
            cursor.execute(
                "INSERT INTO branches (branch_id, name, name_zh, kind, source_file) VALUES (?, ?, ?, ?, ?)",
                [
                    row["branch_id"],
                    row["name"],
                    row["name_zh"],
                    "other" if "line_type" in row else "branch",
                    report.source,
                ],
            )
            if "line_type" in row:
                cursor.execute(
                    "INSERT INTO system_lines VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    [row["branch_id"], row["line_type"], row["reason"], report.source],
                )
        if new_aliases:
            cursor.executemany("INSERT INTO branch_aliases VALUES (?, ?, ?) ON CONFLICT DO NOTHING", new_aliases)
        # The table name is one of the fixed kinds, never text from the export.
        previous = cursor.execute(f"SELECT count(*) FROM {kind} WHERE source_file = ?", [report.source]).fetchone()
        if previous[0]:
            options = report.options_identity or identity.NONE
            report.message = identity.why_replaced(cursor, report.source, kind, content_hash, options)
        cursor.execute(f"DELETE FROM {kind} WHERE source_file = ?", [report.source])
        if frame is None:
            cursor.execute(
                "INSERT INTO circulation (date, branch_id, checkouts, renewals, returns, circulation, grain, "
                "item_type, patron_category, source_file) SELECT date, branch_id, checkouts, renewals, returns, "
                "NULL, 'day', item_type, patron_category, ? FROM tx_daily",
                [report.source],
            )
        else:
            cursor.register("incoming", frame)
            columns = ", ".join(frame.columns)
            cursor.execute(f"INSERT INTO {kind} ({columns}) SELECT {columns} FROM incoming")
        if kind == "circulation":
            _refresh_daily(cursor, report.source)
        _log_import(cursor, report, kind, content_hash)
    return previous[0] > 0


def _refresh_daily(cursor, source: str) -> None:
    """Rebuild this source's rows of circulation_daily (sums without item type and patron category)."""
    cursor.execute("DELETE FROM circulation_daily WHERE source_file = ?", [source])
    cursor.execute(
        "INSERT INTO circulation_daily SELECT date, branch_id, sum(checkouts), sum(renewals), sum(returns), "
        "sum(circulation), grain, source_file FROM circulation WHERE source_file = ? GROUP BY ALL",
        [source],
    )


def _write_quarantine(report: FileReport, table: Table, bad_lines: set[int], options: Options) -> Path:
    folder = options.quarantine_dir or Path(".")
    if options.quarantine_dir:
        private.make_dir(folder)  # raw rows of any branch: owner-only
    stem = f"{report.path.stem} [{report.sheet}]" if report.sheet else Path(report.source).stem
    target = folder / f"{stem}.rejected.csv"
    reasons: dict[int, list[str]] = defaultdict(list)
    for p in report.problems:
        reasons[p.line].append(f"{p.column or ''}: {p.full_reason}" if p.column else p.full_reason)
    with private.open_file(target, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([*table.header, "_line", "_reason"])
        for line, cells in table.rows:
            if line in bad_lines:
                writer.writerow([*cells, line, "; ".join(reasons[line])])
    return target


def _import_branches(
    con, report: FileReport, parsed: Parsed, plan: Plan, table: Table, content_hash: str, options: Options
) -> FileReport:
    """Upsert the branch list and its aliases; parents may refer to branches in the same file."""
    existing = dict(con.execute("SELECT alias_key, branch_id FROM branch_aliases").fetchall())
    taken = set(r[0] for r in con.execute("SELECT branch_id FROM branches").fetchall())
    rows = []
    for record in parsed.records:
        if not record["branch_id"]:
            record["branch_id"] = existing.get(name_key(record["name"])) or slug(record["name"], taken)
        taken.add(record["branch_id"])
        rows.append(record)
    ids = {r["branch_id"] for r in rows}
    aliases = _branch_aliases(report, rows, existing, plan, table)
    lookup = {**existing, **{k: v[1] for k, v in aliases.items()}}
    for record in rows:
        parent = record.pop("_parent")
        record["parent_id"] = None
        if parent:
            record["parent_id"] = parent if parent in ids or parent in taken else lookup.get(name_key(parent))
            if record["parent_id"] is None:
                report.problems.append(Problem(record["_line"], "parent", parent, "unknown parent branch"))
    _changed_branches(con, report, rows, plan, table)
    if report.problems and not options.quarantine:
        report.message = f"rejected: {report.rows_rejected} row(s) with problems; nothing was written"
        return report
    bad = {p.line for p in report.problems}
    rows = [r for r in rows if r["_line"] not in bad]
    report.rows_accepted = report.rows_stored = len(rows)
    report.branches_new = {r["branch_id"] for r in rows} - set(existing.values())
    report.branches_matched = {r["branch_id"] for r in rows} - report.branches_new
    kept = {r["branch_id"] for r in rows}
    aliases = {key: value for key, value in aliases.items() if value[1] in kept}
    _upsert_branches(con, report, rows, aliases, content_hash)
    report.status = "quarantined" if bad else "loaded"
    return report


def _changed_branches(con, report: FileReport, rows: list[dict], plan: Plan, table: Table) -> None:
    """A listed branch already loaded with other details is a problem: DuckDB cannot update a branch row
    that other tables refer to (the check on parent_id makes every update a delete and insert). Columns
    the list leaves out or blank keep what is stored."""
    columns = {c: "parent" if c == "parent_id" else c for c in BRANCH_COLUMNS[1:]}
    stored = {
        row[0]: dict(zip(columns, row[1:], strict=True))
        for row in con.execute(f"SELECT {', '.join(BRANCH_COLUMNS)} FROM branches").fetchall()
    }
    cells = dict(table.rows)
    for record in rows:
        old = stored.get(record["branch_id"])
        for column, field_name in columns.items():
            new, index = record.get(column), plan.fields.get(field_name)
            if old is None or index is None or new is None or new == old[column]:
                continue
            if not "".join(cells[record["_line"]][index : index + 1]).strip():
                continue  # a blank cell (a kind left blank reads as 'branch')
            report.problems.append(
                Problem(
                    record["_line"],
                    table.header[plan.fields[field_name]],
                    str(new),
                    "the branch is already loaded with other details; changing a loaded branch is not supported "
                    "(new branches and new aliases are)",
                    f"branch {record['branch_id']} has {column} {old[column]!s:.60}",
                )
            )
            break


def _branch_aliases(report: FileReport, rows: list[dict], existing: dict, plan: Plan, table: Table) -> dict:
    """alias key -> (spelling, branch id) for a branch list. Codes must be unambiguous (a problem
    otherwise); a name several branches share is left out, with a note, so it can never pick one."""
    claimed: dict[str, set[str]] = defaultdict(set)
    for record in rows:
        for spelling in filter(None, [record["name"], record["name_zh"], *record["_aliases"]]):
            claimed[name_key(spelling)].add(record["branch_id"])
    aliases: dict[str, tuple[str, str]] = {}
    shared: dict[str, set[str]] = {}
    for record in rows:
        branch_id = record["branch_id"]
        owner = existing.get(name_key(branch_id))
        if owner and owner != branch_id:
            column = table.header[plan.fields["branch_id"]] if "branch_id" in plan.fields else "branch_id"
            report.problems.append(
                Problem(record["_line"], column, branch_id, "this code already names another branch", owner)
            )
        aliases[name_key(branch_id)] = (branch_id, branch_id)
        for spelling in filter(None, [record["name"], record["name_zh"], *record["_aliases"]]):
            key = name_key(spelling)
            others = (claimed[key] | {existing.get(key, branch_id)}) - {branch_id}
            if others:
                shared.setdefault(clean_display(spelling), set()).update(others | {branch_id})
            else:
                aliases.setdefault(key, (clean_display(spelling), branch_id))
    if shared:
        listed = "; ".join(f"{name} ({', '.join(sorted(ids))})" for name, ids in sorted(shared.items())[:5])
        more = f" and {len(shared) - 5} more" if len(shared) > 5 else ""
        report.notes.append(
            f"{len(shared)} name(s) shared by several branches are not aliases, use the codes: {listed}{more}"
        )
    return aliases


BRANCH_COLUMNS = [
    "branch_id",
    "name",
    "name_zh",
    "kind",
    "parent_id",
    "district",
    "district_zh",
    "service_population",
    "opened_on",
    "closed_on",
]


def _upsert_branches(con, report: FileReport, rows: list[dict], aliases: dict, content_hash: str) -> None:
    frame = _frame(rows, BRANCH_COLUMNS, report.source)
    with _transaction(con) as cursor:
        cursor.register("incoming", frame)
        # Branches already loaded are left as they are (_changed_branches refused any other details).
        # Columns by name: a database migrated from an older version has district_zh last (data/db.py).
        columns = ", ".join(frame.columns)
        cursor.execute(
            f"INSERT INTO branches ({columns}) SELECT {columns} FROM incoming ON CONFLICT (branch_id) DO NOTHING"
        )
        alias_rows = [(k, alias, bid) for k, (alias, bid) in aliases.items()]
        if alias_rows:
            cursor.executemany("INSERT INTO branch_aliases VALUES (?, ?, ?) ON CONFLICT DO NOTHING", alias_rows)
        _log_import(cursor, report, "branches", content_hash)
