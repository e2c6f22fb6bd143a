"""What an import's reasons, notes and messages say, as stable kinds with parameters.

The importer words every problem, skip, note and message in English for the command line (tests hold that
text). The dashboard words them in the user's language instead, from `Reason.kind` and `Reason.params`:
this module reads the English back into those, one pattern per kind of text. A text no pattern knows is
kind "other" (its English shown as it is, after a lead in the user's language); tests/test_import_reasons.py
makes each common reason of the importer and checks that it is known.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from data.importer import ALREADY_LOADED, CONFLICTING_ROW, DUPLICATE_ROW, UNKNOWN_BRANCH

OTHER = "other"


@dataclass(frozen=True)
class Reason:
    """A reason (or note, or message) of an import report: a stable `kind`, the `params` its words need (text
    from the English, such as a column list, a count or a file name) and `text`, the English itself."""

    kind: str
    params: tuple[tuple[str, str], ...]
    text: str

    @property
    def values(self) -> dict[str, str]:
        return dict(self.params)


def _exact(text: str) -> str:
    return re.escape(text)


_NUMBER = r"[\d,]+"
# Problems with a row, a cell or the whole file (Problem.reason, and the message of a file refused whole).
PROBLEMS: tuple[tuple[str, str], ...] = (
    ("unknown_branch", _exact(UNKNOWN_BRANCH)),
    ("duplicate", _exact(DUPLICATE_ROW)),
    ("conflicting_row", _exact(CONFLICTING_ROW)),
    ("already_loaded", _exact(ALREADY_LOADED)),
    ("future_date", r"date in the future"),
    ("early_date", r"date before 1900"),
    ("bad_date", r"not a date \(expected .*\)"),
    ("no_such_date", r"no such date \((?P<date>[\d-]+)\)"),
    (
        "date_order",
        r"not a (?P<order>[a-z/]+) date like the rest of the column \(it reads only as (?P<other>[a-z/]+)\)",
    ),
    ("mixed_date_order", r"the column mixes day/month/year and month/day/year dates"),
    ("bad_month", r"not a month \(expected .*\)"),
    ("ambiguous_month", r"(?P<readings>.+): write the month as a number"),
    ("month_without_year", r"a month without a year \(.*\)"),
    ("no_year", r"no year for this month"),
    ("bad_year", r"not a year"),
    ("bad_number", r"not a (?:finite )?number"),
    ("scientific_number", r"a number in scientific notation \(such as 1e9\): export the full number"),
    ("negative", r"negative (?:count|value)"),
    ("not_whole", r"not a whole number"),
    ("too_large", r"implausibly large count"),
    ("bad_bool", r"expected true/false \(yes/no, planned/held\)"),
    ("bad_choice", r"unknown (?P<what>[a-z ]+) \(expected one of (?P<choices>.*)\)"),
    (
        "formula",
        r"not an? (?P<what>[a-z ]+): a spreadsheet formula \(starts with =, \+, -, @ or a tab\)(?:: (?P<text>.*))?",
    ),
    ("long_name", r"not a branch name: (?P<length>" + _NUMBER + r") characters long"),
    ("lookalike_name", r"not a branch name: a word mixes Latin letters with look-alikes from another script: .*"),
    ("markup_name", r"not a branch name: HTML or script markup"),
    ("control_name", r"not a branch name: control or text-direction characters"),
    ("above_scale", r"above the scale maximum (?P<scale>[\d.]+)"),
    ("no_scale", r"no scale maximum: .*"),
    ("no_action", r"no action"),
    ("unknown_parent", r"unknown parent branch"),
    ("branch_changed", r"the branch is already loaded with other details; .*"),
    ("code_taken", r"this code already names another branch"),
    (
        "code_name_conflict",
        r"the code names branch (?P<by_code>\S+) \(.*\) but the name names branch (?P<by_name>\S+) \(.*",
    ),
    ("sheet_overlap", r"sheet (?P<sheet>'.*') of this workbook gives the same branch and period; .*"),
    # The whole file: it cannot be read, decoded or planned.
    ("cannot_read", r"cannot read file: (?P<error>.*)"),
    (
        "encoding",
        r"(?:cannot decode as .*|not UTF-8 or GB18030 text .*|not UTF-8 text: it reads as Western European .*"
        r"|invalid \S+ text on line .*|UTF-16 text without a byte-order mark.*)",
    ),
    ("binary_file", r"binary file \(.*"),
    ("empty_file", r"empty file|no text in the first part of the file \(only blank lines\)"),
    ("no_header", r"no header row"),
    ("no_data_rows", r"no data rows below the header"),
    ("missing_column", r"no column for (?P<columns>.+) \(an? (?P<kind>\w+) export needs it\)"),
    ("no_branch_column", r"no branch column \(.*"),
    ("no_name_column", r"a branches file needs a name or code column"),
    ("unknown_kind", r"cannot tell what this file holds from its headers; .*"),
    ("several_kinds", r"columns for several kinds \((?P<kinds>.*)\); pass --kind"),
    ("head_broken", r"rejected: (?P<broken>" + _NUMBER + r") of the first (?P<rows>" + _NUMBER + r") rows cannot .*"),
    ("not_a_workbook", r"not a readable Excel workbook .*|cannot read the workbook's sheets .*"),
    ("protected_workbook", r"the workbook is password-protected; .*"),
)
# What a report says about the file as a whole (FileReport.message).
MESSAGES: tuple[tuple[str, str], ...] = (
    ("rejected_rows", r"rejected: (?P<rows>" + _NUMBER + r") row\(s\) with problems; nothing was written"),
    ("rejected_overlap", r"rejected: rows already loaded from another file; nothing was written"),
    (
        "rejected_part",
        r"rejected: (?P<rows>" + _NUMBER + r") row\(s\) with problems in the (?P<kind>\w+) columns; nothing of this "
        r"file was written",
    ),
    ("rejected_with_file", r"rejected with the rest of the file: the (?P<kinds>.+) columns have problems; .*"),
    ("unchanged_same", r"already imported \(same content and options as the current (?P<source>.*)\); nothing changed"),
    ("unchanged_twin", r"already imported \(same content already imported as (?P<source>.*)\); nothing changed"),
    ("replaced_content", r"replaced: the file's content changed since the last import; its earlier rows were removed"),
    ("replaced_options", r"replaced: same content, but the mapping or options changed since the last import.*"),
    (
        "sheet_rejected",
        r"not imported: sheet (?P<sheets>.*) of this workbook was rejected; nothing from it was written",
    ),
)
# Why rows were skipped (not data: totals, footers, blank rows).
SKIPS: tuple[tuple[str, str], ...] = (
    ("empty_row", r"empty row"),
    ("no_branch_name", r"no branch name"),
    ("totals_row", r"totals row"),
    ("footnote_row", r"footnote row"),
    ("signature_footer", r"signature footer"),
    ("blank_cells", _exact("no values reported (blank cells)")),
    ("duplicate", _exact(DUPLICATE_ROW)),
    ("other_action", r"action '(?P<action>.*)' is not a checkout, renewal or return"),
)
# Notes on how the file was read.
NOTES: tuple[tuple[str, str], ...] = (
    ("kind_from_name", r"kind '(?P<kind>\w+)' taken from the file name"),
    ("kind_from_title", r"kind '(?P<kind>\w+)' taken from the title line \((?P<title>.*)\)"),
    ("year_from_name", r"year (?P<year>\d{4}) taken from the file name"),
    ("months_wrap", r"month columns wrap past December: later months read as the following year"),
    ("rolled_up", r"rolled up to daily rows (?:inside DuckDB|on Spark) in one scan of the file"),
    ("shared_names", r"(?P<count>" + _NUMBER + r") name\(s\) shared by several branches are not aliases, use .*"),
    ("no_respondent", r"no respondent id column: .*"),
    ("workbook_as_text", r"this (?P<suffix>\S+) file is an Excel workbook: read as one"),
    ("sheet_skipped", r"sheet (?P<sheet>'.*') skipped: .*"),
    ("ambiguous_header", r"(?P<header>\S+) read as (?P<meaning>.*)"),
)
# Columns left unread (FileReport.ignored_columns).
IGNORED: tuple[tuple[str, str], ...] = (
    ("unknown_column", r"(?P<header>.*) \(column (?P<column>\d+), not a known field\)"),
    (
        "second_column",
        r"(?P<header>.*) \(column (?P<column>\d+), a second '(?P<field>\w+)' column after (?P<first>.*)\)",
    ),
    ("total_column", r"(?P<header>.*) \(column (?P<column>\d+), a (?:year )?total: ignored, never trusted\)"),
    ("blank_column", r"(?P<header>.*) \(column (?P<column>\d+)\)"),
    ("not_a_month", r"(?P<header>.*), not read as a month"),
)
# A problem's row-specific detail.
DETAILS: tuple[tuple[str, str], ...] = (
    ("closest", r"closest known: (?P<names>.*)"),
    ("no_similar", r"no similar known name"),
    ("loaded_from", r"loaded from (?P<source>.*)"),
    ("same_key", r"line (?P<line>\d+) has the same .*"),
    ("stored_as", r"branch (?P<branch>\S+) has (?P<column>\w+) (?P<stored>.*)"),
)


def _compiled(table: tuple[tuple[str, str], ...]) -> tuple[tuple[str, re.Pattern], ...]:
    return tuple((kind, re.compile(pattern, re.DOTALL)) for kind, pattern in table)


_TABLES = {
    "problem": _compiled(PROBLEMS),
    "message": _compiled(MESSAGES + PROBLEMS),  # a file refused whole has its problem as its message
    "skip": _compiled(SKIPS),
    "note": _compiled(NOTES),
    "ignored": _compiled(IGNORED),
    "detail": _compiled(DETAILS),
}


def read(text: str, what: str = "problem") -> Reason:
    """The Reason an English `text` of the report part `what` (problem, message, skip, note, ignored,
    detail) gives; kind OTHER for a text no pattern knows."""
    for kind, pattern in _TABLES[what]:
        match = pattern.fullmatch(text)
        if match:
            params = tuple((k, v) for k, v in match.groupdict().items() if v is not None)
            return Reason(kind, params, text)
    return Reason(OTHER, (), text)


_WITH_DETAIL = re.compile(r"(?P<reason>.*) \((?P<detail>[^()]*)\)", re.DOTALL)


def read_stored(text: str) -> tuple[Reason, Reason | None]:
    """(reason, detail) of a reason as stored with rejected rows (Problem.full_reason: the reason, then its
    detail in brackets when it has one)."""
    whole = read(text)
    if whole.kind != OTHER:
        return whole, None
    match = _WITH_DETAIL.fullmatch(text)
    if match:
        reason = read(match["reason"])
        if reason.kind != OTHER:
            return reason, read(match["detail"], "detail")
    return whole, None
