"""Transaction-level circulation exports rolled up to daily rows inside DuckDB, in one scan of the file.

A large system exports tens of millions of loan events; parsing them row by row in Python takes
minutes. Here DuckDB reads the CSV and sums checkouts, renewals and returns per day, branch, item type
and patron category in a single pass, so the import costs about what DuckDB's own CSV scan costs.

The fast path only answers for files it can take whole: every timestamp an ISO date (time of day
dropped), every row with a branch and an action. When anything else turns up (a bad date, a blank
branch, an unknown branch, an encoding DuckDB cannot read, a CSV DuckDB rejects) it returns None and
the importer's row-by-row path takes the file, so that every problem is still reported with its line.
Actions other than checkouts, renewals and returns are skipped and counted, with their first line
numbers (exact unless a quoted cell holds a line break).
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections import Counter
from dataclasses import dataclass

import duckdb

from data import formulas, values
from data.reading import Table
from data.rows import CHECKOUT_ACTIONS, RENEWAL_ACTIONS, RETURN_ACTIONS, Plan

# Actions as the fast path compares them: lower case, hyphens and underscores as spaces.
ACTION_SETS = {"checkouts": CHECKOUT_ACTIONS, "renewals": RENEWAL_ACTIONS, "returns": RETURN_ACTIONS}
SKIPPED_LINES_KEPT = 1000  # line numbers listed per skip reason; the count is always exact
COMMON_ACTIONS = 8  # action spellings judged before the scan (see _common_actions)


NOTE = "rolled up to daily rows inside DuckDB in one scan of the file"  # on the import's report
STAGING = "tx_rollup"  # a temporary view of the connection that runs the roll-up (over SCANNED and LABELS)
SCANNED = "tx_scan"  # the scan's groups, with the branch, item type and patron category as written
LABELS = "tx_labels"  # each item type and patron category as written -> its label


def drop(cursor) -> None:
    """Remove what rollup() left on the connection."""
    cursor.execute(f"DROP VIEW IF EXISTS {STAGING}")
    cursor.execute(f"DROP TABLE IF EXISTS {SCANNED}")
    cursor.execute(f"DROP TABLE IF EXISTS {LABELS}")


@dataclass
class Rollup:
    rows_read: int
    branches: list[str]  # the branch spellings found, to resolve in Python
    date_min: object
    date_max: object
    skipped: dict[str, list[int]]
    skipped_counts: dict[str, int]
    # Whether STAGING has one row per date, trimmed branch, item type and patron category: no two spellings
    # of a branch, item type or patron category end up the same, so its rows need no second grouping.
    distinct: bool = False
    other: int = 0  # rows whose action is not a checkout, renewal or return (listed in `skipped`)


@contextlib.contextmanager
def exact_file(path: str):
    """A name under which DuckDB's readers open exactly the file `path`, never a glob pattern: read_csv
    expands `*`, `?` and `[...]`, so `mob?.csv` would also read `mobA.csv` beside it. Those characters
    are escaped as one-character sets (`[?]`), which DuckDB matches literally; a path that also holds a
    backslash (which DuckDB's glob does not take literally) is read through a symbolic link with a plain
    name in a private temporary folder. Either way no byte is copied."""
    path = os.path.abspath(path)  # never `~` or a URL-like prefix either
    if not re.search(r"[*?\[\]\\]", path):
        yield path
    elif "\\" not in path:
        yield re.sub(r"([*?\[\]])", r"[\1]", path)
    else:
        with tempfile.TemporaryDirectory(prefix="kpi-read-") as folder:
            link = os.path.join(folder, "export.csv")
            os.symlink(path, link)
            yield link


def _variants(actions) -> set[str]:
    """Each action as exports spell it: `check out`, `check-out`, `check_out`."""
    return {a.replace(" ", sep) for a in actions for sep in (" ", "-", "_")}


def _label_sql(column: str) -> str:
    """A free-text dimension as the row-by-row path labels it (lower case, spaces as underscores)."""
    return f"coalesce(nullif(regexp_replace(lower(trim({column})), '[\\s\\-]+', '_', 'g'), ''), 'all')"


def rollup(cursor, path: str, table: Table, plan: Plan, delimiter: str) -> Rollup | None:
    """Roll a clean UTF-8 transaction export up into the temporary view STAGING on `cursor` (date, branch
    as written but trimmed, item type, patron category, checkouts, renewals, returns, lines: several rows
    may share a date, branch, item type and patron category, to be summed by the reader); None to fall
    back to the row path."""
    if table.encoding not in ("utf-8", "utf-8-sig"):
        return None
    with exact_file(path) as exact:
        return _rollup(cursor, exact, table, plan, delimiter)


@dataclass(frozen=True)
class Columns:
    """The export's columns as the roll-up's SQL names them (c0, c1, ...; NULL for a dimension it lacks)."""

    names: list[str]
    when: str
    branch: str
    action: str
    item: str
    patron: str


def columns(table: Table, plan: Plan) -> Columns:
    """The planned columns of a transaction export, by their position in the file."""
    names = [f"c{i}" for i in range(len(table.header))]
    return Columns(
        names,
        when=names[plan.fields.get("timestamp", plan.fields.get("date"))],
        branch=names[plan.fields["branch_code"] if "branch_code" in plan.fields else plan.fields["branch"]],
        action=names[plan.fields["action"]],
        item=names[plan.fields["item_type"]] if "item_type" in plan.fields else "NULL",
        patron=names[plan.fields["patron_category"]] if "patron_category" in plan.fields else "NULL",
    )


def known_actions() -> list[str]:
    """The action spellings the roll-up counts, in the order scan_sql's placeholders take them."""
    return [a for actions in ACTION_SETS.values() for a in sorted(_variants(actions))]


def judge_sql() -> str:
    """Each row's action `act` (lower case, trimmed) as a small code: 1.. the ACTION_SETS in order, 0 another
    action, -1 none. Its placeholders take known_actions()."""
    variants = {column: sorted(_variants(actions)) for column, actions in ACTION_SETS.items()}
    codes = " ".join(
        f"WHEN act IN ({', '.join('?' for _ in variants[column])}) THEN {number}"
        for number, column in enumerate(ACTION_SETS, start=1)
    )
    return f"CASE WHEN act IS NULL OR act = '' THEN -1 {codes} ELSE 0 END"


def scan_sql(cols: Columns, source: str, common: int = 0, typed_date: bool = False) -> str:
    """The roll-up's one pass over the rows of `source` (a relation with the columns c0, c1, ...), in DuckDB's
    SQL: one row per date, branch, item type and patron category as written, with the counts per action
    class. Its placeholders take `common` (spelling, code) pairs first (see _common_actions), then
    known_actions(), then any of `source`'s own. `typed_date`: the source's date column is already a DATE (the
    DuckDB reader parses it); otherwise its first ten characters are cast. data/sparkpath.py runs the same text
    on Spark, translated by SQLGlot."""
    # Per row only the cheap work (lower-case the action, read the date): the scan stays near the engine's own
    # CSV speed. Labels, trimming and branch names are dealt with after grouping, on far fewer rows: the
    # labels once per distinct spelling, the rest by the reader of STAGING as it groups again.
    counts = ", ".join(
        f"count(*) FILTER (WHERE code = {number}) AS {column}" for number, column in enumerate(ACTION_SETS, start=1)
    )
    date = cols.when if typed_date else f"try_cast(left({cols.when}, 10) AS DATE)"
    # The few spellings that make up nearly every row are judged once, before the scan, by the same expression;
    # a row with one of them then costs one comparison instead of the whole judgement.
    judge = judge_sql()
    code = (
        f"CASE {cols.action} {' '.join('WHEN ? THEN ?' for _ in range(common))} ELSE {judge} END" if common else judge
    )
    return f"""
        SELECT {date} AS date, {cols.branch} AS branch, {cols.item} AS item,
               {cols.patron} AS patron, {counts},
               count(*) FILTER (WHERE code = 0) AS other,
               count(*) FILTER (WHERE code = -1) AS no_action,
               count(*) AS lines
        FROM (
            SELECT *, {code} AS code
            FROM (SELECT *, lower(trim({cols.action})) AS act FROM {source})
        ) GROUP BY ALL
    """


def skipped_sql(cols: Columns, numbered: str) -> str:
    """Per action that is not a checkout, renewal or return: its text, count and first line numbers, from
    `numbered` (the rows with `rn`, their number after the header), in DuckDB's SQL that SQLGlot translates
    for Spark. Its placeholders take known_actions() after any of `numbered`'s own."""
    return f"""
        SELECT min(act_text), count(*) AS n, array_slice(list_sort(list(rn)), 1, {SKIPPED_LINES_KEPT}) AS lines
        FROM (SELECT rn, trim({cols.action}) AS act_text, lower(trim({cols.action})) AS act FROM {numbered})
        WHERE act NOT IN ({", ".join("?" for _ in known_actions())}) GROUP BY act
    """


# The CSV as DuckDB reads it for the roll-up; its placeholders: path, lines to skip, delimiter, column names.
SOURCE = "read_csv(?, header = false, skip = ?, all_varchar = true, delim = ?, quote = '\"', names = ?)"
# The same for the scan, with one more placeholder: the column types. The date column is read as DATE by the
# CSV reader itself, cheaper than a text cut and cast per row. A value it cannot read as a day fails the scan
# (the row path then names its line); one it reads is the day the row path reads from it, time of day and any
# zone offset dropped, never shifted.
TYPED_SOURCE = (
    "read_csv(?, header = false, skip = ?, delim = ?, quote = '\"', names = ?, types = ?, "
    "auto_type_candidates = ['VARCHAR'], parallel = true)"
)


def _rollup(cursor, path: str, table: Table, plan: Plan, delimiter: str) -> Rollup | None:
    """rollup() on a path that DuckDB reads as exactly one file (see exact_file)."""
    cols = columns(table, plan)
    source = [path, table.header_line, delimiter, cols.names]
    common = _common_actions(cursor, table, plan)
    quick = [value for pair in common.items() for value in pair]
    try:
        cursor.execute(
            f"CREATE OR REPLACE TEMP TABLE {SCANNED} AS {scan_sql(cols, TYPED_SOURCE, len(common), typed_date=True)}",
            [*quick, *known_actions(), *source, {cols.when: "DATE"}],
        )
        roll = settle(cursor)
    except duckdb.Error:
        return None
    if roll is not None and roll.other:
        numbered = f"(SELECT row_number() OVER () AS rn, * FROM {SOURCE})"
        found = cursor.execute(skipped_sql(cols, numbered), [*source, *known_actions()]).fetchall()
        roll.skipped, roll.skipped_counts = skipped(found, table)
    return roll


def _common_actions(cursor, table: Table, plan: Plan) -> dict[str, int]:
    """The head's most frequent action spellings (blank ones aside) -> their code under judge_sql()."""
    column = plan.fields["action"]
    seen = Counter(cells[column] for _, cells in table.rows if column < len(cells) and cells[column].strip())
    spellings = [text for text, _ in seen.most_common(COMMON_ACTIONS)]
    if not spellings:
        return {}
    try:
        found = cursor.execute(
            f"SELECT raw, {judge_sql()} FROM (SELECT raw, lower(trim(raw)) AS act FROM unnest(?::VARCHAR[]) AS t(raw))",
            [*known_actions(), spellings],
        ).fetchall()
    except duckdb.Error:
        return {}  # every row is judged in the scan instead
    return dict(found)


def settle(cursor) -> Rollup | None:
    """From the scan's groups in SCANNED on `cursor`: the labels, the view STAGING and what the importer needs
    to know; None when the file holds anything the roll-up cannot vouch for (the row path then reports it).
    The same for either engine: the groups are few, so they are always settled in DuckDB."""
    # A blank or missing item type or patron category is labelled 'all', so '' stands for NULL here.
    labels = f"""
        CREATE OR REPLACE TEMP TABLE {LABELS} AS
        SELECT raw, {_label_sql("raw")} AS label
        FROM (SELECT coalesce(item, '') AS raw FROM {SCANNED} UNION SELECT coalesce(patron, '') FROM {SCANNED})
    """
    view = f"""
        CREATE OR REPLACE TEMP VIEW {STAGING} AS
        SELECT s.date, trim(s.branch) AS branch, i.label AS item_type, p.label AS patron_category,
               s.checkouts, s.renewals, s.returns, s.other, s.lines
        FROM {SCANNED} s
        JOIN {LABELS} i ON i.raw = coalesce(s.item, '')
        JOIN {LABELS} p ON p.raw = coalesce(s.patron, '')
    """
    cursor.execute(labels)
    cursor.execute(view)
    # One pass over the groups for every check, a row per branch spelling (a few hundred at most).
    spellings = cursor.execute(
        "SELECT trim(branch), sum(CASE WHEN date IS NULL OR branch IS NULL OR trim(branch) = '' THEN lines "
        f"ELSE no_action END), sum(other), sum(lines), min(date), max(date) FROM {SCANNED} GROUP BY branch"
    ).fetchall()
    labels_written, labels_distinct = cursor.execute(
        f"SELECT list(raw), count(DISTINCT label) = count(*) FROM {LABELS}"
    ).fetchone()
    if not spellings:
        return None
    broken, other, rows_read = (sum(row[i] or 0 for row in spellings) for i in (1, 2, 3))
    if not rows_read or broken:
        return None
    first = min(row[4] for row in spellings)
    last = max(row[5] for row in spellings)
    branches = list(dict.fromkeys(row[0] for row in spellings))
    distinct = labels_distinct and len(branches) == len(spellings)
    if any(formulas.formula_problem(text, "label") for text in labels_written or () if not values.is_blank(text)):
        return None  # an item type or patron category a spreadsheet would run: the row path names its lines
    return Rollup(int(rows_read), branches, first, last, {}, {}, bool(distinct), int(other or 0))


def skipped(found: list[tuple], table: Table) -> tuple[dict, dict]:
    """skipped_sql()'s rows as the report keeps them: per reason its line numbers (exact unless a quoted cell
    holds a line break) and its count."""
    lines_by_reason, counts = {}, {}
    for act, n, lines in found:
        reason = f"action '{act}' is not a checkout, renewal or return"
        lines_by_reason[reason] = [table.header_line + rn for rn in lines]
        counts[reason] = n
    return lines_by_reason, counts
