"""Plain-text import summaries: what each file gave, what was skipped and why, every problem."""

from __future__ import annotations

from collections import defaultdict

from data.importer import FileReport

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


def _problem_lines(report: FileReport) -> list[str]:
    """Problems grouped by reason (the same text for every row of a kind of problem), then by column, value
    and detail, each with its line numbers: at most PROBLEMS_PER_GROUP examples per reason and as many
    reasons, with counts of the rest."""
    groups: dict[str, dict[tuple, list[int]]] = defaultdict(lambda: defaultdict(list))
    for p in report.problems:
        groups[p.reason][(p.column, p.value, p.detail)].append(p.line)
    out = []
    ranked = sorted(groups.items(), key=lambda kv: -sum(map(len, kv[1].values())))
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
