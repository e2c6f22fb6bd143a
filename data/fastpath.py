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


def _rollup(cursor, path: str, table: Table, plan: Plan, delimiter: str) -> Rollup | None:
    """rollup() on a path that DuckDB reads as exactly one file (see exact_file)."""
    names = [f"c{i}" for i in range(len(table.header))]
    when = names[plan.fields.get("timestamp", plan.fields.get("date"))]
    branch = names[plan.fields["branch_code"] if "branch_code" in plan.fields else plan.fields["branch"]]
    action = names[plan.fields["action"]]
    item = names[plan.fields["item_type"]] if "item_type" in plan.fields else "NULL"
    patron = names[plan.fields["patron_category"]] if "patron_category" in plan.fields else "NULL"
    # Per row only the cheap work (lower-case the action, read the date): the scan stays near DuckDB's own
    # CSV speed. Labels, trimming and branch names are dealt with after grouping, on far fewer rows: the
    # labels once per distinct spelling, the rest by the reader of STAGING as it groups again.
    variants = {column: sorted(_variants(actions)) for column, actions in ACTION_SETS.items()}
    known = [a for column in ACTION_SETS for a in variants[column]]
    # Each row's action as a small code, judged once: 1.. the ACTION_SETS in order, 0 another action, -1 none.
    codes = " ".join(
        f"WHEN act IN ({', '.join('?' for _ in variants[column])}) THEN {number}"
        for number, column in enumerate(ACTION_SETS, start=1)
    )
    judge = f"CASE WHEN act IS NULL OR act = '' THEN -1 {codes} ELSE 0 END"
    # The few spellings that make up nearly every row (those of the file's head) are judged once, here, by the
    # same expression; each row with one of them then costs one comparison instead of the whole judgement.
    common = _common_actions(cursor, table, plan, judge, known)
    quick = " ".join("WHEN ? THEN ?" for _ in common)
    counts = ", ".join(
        f"count(*) FILTER (WHERE code = {number}) AS {column}" for number, column in enumerate(ACTION_SETS, start=1)
    )
    # The date column is read as DATE by the CSV reader itself: cheaper than text cut and cast per row. A value
    # it cannot read as a day fails the scan (the row path then names its line); one it reads is the day the
    # row path reads from it, time of day and any zone offset dropped, never shifted.
    source = (
        "read_csv(?, header = false, skip = ?, delim = ?, quote = '\"', names = ?, types = ?, "
        "auto_type_candidates = ['VARCHAR'], parallel = true)"
    )
    scan = f"""
        CREATE OR REPLACE TEMP TABLE {SCANNED} AS
        SELECT {when} AS date, {branch} AS branch, {item} AS item, {patron} AS patron,
               {counts},
               count(*) FILTER (WHERE code = 0) AS other,
               count(*) FILTER (WHERE code = -1) AS no_action,
               count(*) AS lines
        FROM (
            SELECT *, CASE {action} {quick} ELSE {judge} END AS code
            FROM (SELECT *, lower(trim({action})) AS act FROM {source})
        ) GROUP BY ALL
    """
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
    try:
        quick_params = [value for pair in common.items() for value in pair]
        cursor.execute(scan, [*quick_params, *known, path, table.header_line, delimiter, names, {when: "DATE"}])
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
    except duckdb.Error:
        return None
    broken, other, rows_read = (sum(row[i] for row in spellings) for i in (1, 2, 3))
    if not rows_read or broken:
        return None
    first = min(row[4] for row in spellings)
    last = max(row[5] for row in spellings)
    branches = list(dict.fromkeys(row[0] for row in spellings))
    distinct = labels_distinct and len(branches) == len(spellings)
    if any(formulas.formula_problem(text, "label") for text in labels_written if not values.is_blank(text)):
        return None  # an item type or patron category a spreadsheet would run: the row path names its lines
    skipped, skipped_counts = {}, {}
    if other:
        skipped, skipped_counts = _skipped_actions(cursor, path, table, delimiter, names, action, known)
    return Rollup(int(rows_read), branches, first, last, skipped, skipped_counts, bool(distinct))


def _common_actions(cursor, table: Table, plan: Plan, judge: str, known: list[str]) -> dict[str, int]:
    """The head's most frequent action spellings (blank ones aside) -> their code under `judge`."""
    column = plan.fields["action"]
    seen = Counter(cells[column] for _, cells in table.rows if column < len(cells) and cells[column].strip())
    spellings = [text for text, _ in seen.most_common(COMMON_ACTIONS)]
    if not spellings:
        return {}
    try:
        found = cursor.execute(
            f"SELECT raw, {judge} FROM (SELECT raw, lower(trim(raw)) AS act FROM unnest(?::VARCHAR[]) AS t(raw))",
            [*known, spellings],
        ).fetchall()
    except duckdb.Error:
        return {}  # every row is judged in the scan instead
    return dict(found)


def _skipped_actions(cursor, path, table, delimiter, names, action, known) -> tuple[dict, dict]:
    """Per action that is not a checkout, renewal or return: its count and its first line numbers
    (row numbers after the header; exact unless a quoted cell holds a line break)."""
    sql = f"""
        SELECT min(act_text), count(*) AS n, list(rn ORDER BY rn)[1:{SKIPPED_LINES_KEPT}] AS lines FROM (
            SELECT row_number() OVER () AS rn, trim({action}) AS act_text,
                   lower(trim({action})) AS act
            FROM read_csv(?, header = false, skip = ?, all_varchar = true, delim = ?, quote = '"', names = ?)
        ) WHERE act NOT IN ({", ".join("?" for _ in known)}) GROUP BY act
    """
    found = cursor.execute(sql, [path, table.header_line, delimiter, names, *known]).fetchall()
    skipped, counts = {}, {}
    for act, n, lines in found:
        reason = f"action '{act}' is not a checkout, renewal or return"
        skipped[reason] = [table.header_line + rn for rn in lines]
        counts[reason] = n
    return skipped, counts
