"""Import summaries: what each file gave, what was skipped and why, every problem. describe() writes the
plain English text of the command line; summarise() gives the same content as structure (statuses, counts,
reasons as kinds with parameters, see data/reasons.py) for the dashboard to word in the user's language."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from data import reasons
from data.importer import FileReport
from data.reasons import Reason

PROBLEMS_PER_GROUP = 10
LINES_PER_SKIP = 8


def _lines(lines: list[int]) -> str:
    shown = ", ".join(str(n) for n in sorted(lines)[:LINES_PER_SKIP])
    more = len(lines) - LINES_PER_SKIP
    return (
        f"line {shown}" + (f" and {more} more" if more > 0 else "")
        if len(lines) == 1
        else f"lines {shown}" + (f" and {more} more" if more > 0 else "")
    )


def describe(report: FileReport) -> str:
    """A multi-line summary of one file's import."""
    if report.parts:
        return _describe_parts(report)
    head = f"{report.label}: {report.status.upper()}"
    if report.kind:
        head += f" ({report.kind}, {report.layout} layout, {report.encoding})"
    out = [head]
    if report.message:
        out.append(f"  {report.message}")
    if report.status == "unchanged":
        return "\n".join(out)
    if report.kind:
        out.append(
            f"  rows read {report.rows_read:,}; accepted {report.rows_accepted:,}; "
            f"skipped {report.rows_skipped:,}; rejected {report.rows_rejected:,}; "
            f"stored {report.rows_stored:,} {report.kind} rows"
        )
    reasons = sorted(report.skipped, key=lambda r: (-report.skip_count(r), r))
    for reason in reasons[:PROBLEMS_PER_GROUP]:
        lines = report.skipped[reason]
        shown = _lines(lines) + (" ..." if report.skip_count(reason) > len(lines) else "")
        out.append(f"  skipped {report.skip_count(reason):,}: {reason} ({shown})")
    if len(reasons) > PROBLEMS_PER_GROUP:
        rest = sum(report.skip_count(r) for r in reasons[PROBLEMS_PER_GROUP:])
        out.append(f"  ... and {len(reasons) - PROBLEMS_PER_GROUP:,} more skip reasons ({rest:,} rows)")
    if report.blank_cells:
        out.append(f"  blank cells (not reported, stored as missing): {report.blank_cells:,}")
    if report.ok and report.kind:
        out.append(
            f"  branches: {len(report.branches_matched)} matched, {len(report.branches_new)} new"
            + (
                f" ({', '.join(sorted(report.branches_new)[:10])}"
                + (", ..." if len(report.branches_new) > 10 else "")
                + ")"
                if report.branches_new
                else ""
            )
        )
        if report.date_min:
            out.append(f"  dates: {report.date_min} .. {report.date_max}")
        out.extend(system_line_lines(report))
    for note in report.notes:
        out.append(f"  note: {note}")
    if report.ignored_columns:
        out.append(f"  ignored columns: {'; '.join(report.ignored_columns)}")
    out.extend(_problem_lines(report))
    if report.quarantine_file:
        out.append(f"  rejected rows written to {report.quarantine_file}")
    return "\n".join(out)


def _describe_parts(report: FileReport) -> str:
    """A file that holds several kinds: one line for the file, then each kind's summary."""
    kinds = ", ".join(p.kind for p in report.parts)
    out = [
        f"{report.label}: {report.status.upper()} ({len(report.parts)} kinds in one file: {kinds}; {report.encoding})"
    ]
    for part in report.parts:
        out.extend("  " + line for line in describe(part).splitlines())
    return "\n".join(out)


def system_line_lines(report: FileReport) -> list[str]:
    """The system-wide lines a file gave (network-level rows, never branches), with their totals and how
    the network's figures count them."""
    if not report.system_lines:
        return []
    out = [f"  system-wide lines (network-level, not branches): {len(report.system_lines)}"]
    for line in sorted(report.system_lines.values(), key=lambda line: -line["total"]):
        total = f"{line['total']:,.0f}" if float(line["total"]).is_integer() else f"{line['total']:,.1f}"
        out.append(f"    {line['name']}: {total} {line['unit']}, {line['how']} ({line['reason']})")
    return out


def problem_groups(report: FileReport) -> list[tuple[str, dict[tuple, list[int]]]]:
    """Problems grouped by reason (the same text for every row of a kind of problem), then by (column, value,
    detail), each with its line numbers in the order found; the reasons with the most rows first."""
    groups: dict[str, dict[tuple, list[int]]] = defaultdict(lambda: defaultdict(list))
    for p in report.problems:
        groups[p.reason][(p.column, p.value, p.detail)].append(p.line)
    return sorted(groups.items(), key=lambda kv: -sum(map(len, kv[1].values())))


def _problem_lines(report: FileReport) -> list[str]:
    """problem_groups() as text: at most PROBLEMS_PER_GROUP examples per reason and as many reasons, with
    counts of the rest."""
    out = []
    ranked = problem_groups(report)
    for reason, cases in ranked[:PROBLEMS_PER_GROUP]:
        count = sum(len(lines) for lines in cases.values())
        out.append(f"  problem ({count:,} row{'s' if count != 1 else ''}): {reason}")
        for (column, value, detail), lines in list(cases.items())[:PROBLEMS_PER_GROUP]:
            where = f"{report.label}:{_lines(lines).split(' ', 1)[1]}" if lines[0] else report.label
            text = (
                where + (f", column {column!r}" if column else "") + (f", value {value!r}" if value is not None else "")
            )
            out.append(f"    {text}" + (f" ({detail})" if detail else ""))
        if len(cases) > PROBLEMS_PER_GROUP:
            rest = sum(len(lines) for lines in list(cases.values())[PROBLEMS_PER_GROUP:])
            out.append(f"    ... and {len(cases) - PROBLEMS_PER_GROUP:,} more ({rest:,} row{'s' if rest != 1 else ''})")
    if len(ranked) > PROBLEMS_PER_GROUP:
        rest = sum(len(lines) for _, cases in ranked[PROBLEMS_PER_GROUP:] for lines in cases.values())
        out.append(f"  ... and {len(ranked) - PROBLEMS_PER_GROUP:,} more reasons ({rest:,} problem(s))")
    return out


# ---------------------------------------------------------------- the same, as structure


@dataclass(frozen=True)
class Case:
    """Rows with one problem at one column and value: their first lines (LINES_PER_SKIP of them; 0 for the
    file as a whole), how many there are, and the row-specific detail."""

    lines: tuple[int, ...]
    rows: int
    column: str | None
    value: str | None
    detail: Reason | None


@dataclass(frozen=True)
class ProblemGroup:
    """One kind of problem: its reason, its rows, and at most PROBLEMS_PER_GROUP cases (the rest counted)."""

    reason: Reason
    rows: int
    cases: tuple[Case, ...]
    more_cases: int = 0
    more_rows: int = 0


@dataclass(frozen=True)
class Skip:
    """Rows skipped for one reason (not data: totals, footers, blank rows) and their first lines."""

    reason: Reason
    rows: int
    lines: tuple[int, ...]


@dataclass
class Summary:
    """What describe() says of one file (or one sheet, or one kind of a file of several), as structure."""

    label: str
    status: str  # loaded | replaced | unchanged | quarantined | rejected
    kind: str | None
    layout: str | None
    encoding: str | None
    message: Reason | None
    counts: dict[str, int] | None  # read, accepted, skipped, rejected, stored; None when no rows were read
    skips: list[Skip] = field(default_factory=list)
    more_skips: tuple[int, int] = (0, 0)  # (reasons, rows) beyond PROBLEMS_PER_GROUP
    blank_cells: int = 0
    matched: int = 0
    new_branches: tuple[str, ...] = ()
    date_min: dt.date | None = None
    date_max: dt.date | None = None
    notes: list[Reason] = field(default_factory=list)
    ignored: list[Reason] = field(default_factory=list)
    problems: list[ProblemGroup] = field(default_factory=list)
    more_problems: tuple[int, int] = (0, 0)  # (reasons, rows) beyond PROBLEMS_PER_GROUP
    quarantine_file: str | None = None
    parts: list[Summary] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status != "rejected"


def summarise(report: FileReport, label: str | None = None) -> Summary:
    """The report of one import as structure; `label` names the file (an upload's own name rather than the
    path it was kept under), with the sheet of a workbook as describe() gives it."""
    label = label or str(report.path)
    shown = f"{label} [{report.sheet}]" if report.sheet else label
    summary = Summary(
        label=shown,
        status=report.status,
        kind=report.kind,
        layout=report.layout,
        encoding=report.encoding,
        # a file of several kinds says its parts' statuses in its parts, as describe() does
        message=reasons.read(report.message, "message") if report.message and not report.parts else None,
        counts=_counts(report),
        parts=[summarise(part, label) for part in report.parts],
    )
    if report.parts or report.status == "unchanged":
        return summary
    summary.skips, summary.more_skips = _skips(report)
    summary.blank_cells = report.blank_cells
    if report.ok and report.kind:
        summary.matched, summary.new_branches = len(report.branches_matched), tuple(sorted(report.branches_new))
        summary.date_min, summary.date_max = report.date_min, report.date_max
    summary.notes = [reasons.read(note, "note") for note in report.notes]
    summary.ignored = [reasons.read(column, "ignored") for column in report.ignored_columns]
    summary.problems, summary.more_problems = _groups(report)
    summary.quarantine_file = str(report.quarantine_file) if report.quarantine_file else None
    return summary


def _counts(report: FileReport) -> dict[str, int] | None:
    if not report.kind or report.status == "unchanged":
        return None
    return {
        "read": report.rows_read,
        "accepted": report.rows_accepted,
        "skipped": report.rows_skipped,
        "rejected": report.rows_rejected,
        "stored": report.rows_stored,
    }


def _skips(report: FileReport) -> tuple[list[Skip], tuple[int, int]]:
    ranked = sorted(report.skipped, key=lambda r: (-report.skip_count(r), r))
    skips = [
        Skip(
            reasons.read(reason, "skip"),
            report.skip_count(reason),
            tuple(sorted(report.skipped[reason])[:LINES_PER_SKIP]),
        )
        for reason in ranked[:PROBLEMS_PER_GROUP]
    ]
    rest = ranked[PROBLEMS_PER_GROUP:]
    return skips, (len(rest), sum(report.skip_count(r) for r in rest))


def _groups(report: FileReport) -> tuple[list[ProblemGroup], tuple[int, int]]:
    ranked = problem_groups(report)
    out = []
    for reason, cases in ranked[:PROBLEMS_PER_GROUP]:
        listed = list(cases.items())
        shown = tuple(
            Case(
                tuple(sorted(lines)[:LINES_PER_SKIP]) if lines[0] else (),
                len(lines),
                column,
                value,
                reasons.read(detail, "detail") if detail else None,
            )
            for (column, value, detail), lines in listed[:PROBLEMS_PER_GROUP]
        )
        rest = listed[PROBLEMS_PER_GROUP:]
        out.append(
            ProblemGroup(
                reasons.read(reason),
                sum(len(lines) for lines in cases.values()),
                shown,
                len(rest),
                sum(len(lines) for _, lines in rest),
            )
        )
    rest = ranked[PROBLEMS_PER_GROUP:]
    return out, (len(rest), sum(len(lines) for _, cases in rest for lines in cases.values()))
