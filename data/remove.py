"""Taking an import back: the rows one export brought leave every table, and its import row stays in the
history marked as removed.

What an import brought is found by the file name its rows carry (`source_file`) and its kind: a fact row
records no import id, and importing a changed file of the same name replaced the earlier version's rows.
So only a file's latest import still has rows in the database; an earlier version of it was *replaced*,
and removing it is refused with the import to remove instead. Removing marks every import row of that
file name and kind (its earlier versions too, none of whose rows remain), so that importing any of them
again loads it again.

What goes with a file:
- its rows in its own table, in `circulation_daily` (the daily sums kept beside circulation), and the
  rows it set aside in `rejected_rows`;
- the branches it created (`--allow-new-branches`) with their spellings, unless rows of another file, or
  a branch of another file (as parent), still name them: those are kept and listed;
- for a branch list, its branches and their spellings; refused while rows of other files, or branches of
  another list, still refer to any of them (remove those first, or in the same command). Spellings a list
  added to branches it did not create stay: the alias table does not record where a spelling came from.

All or nothing: every name is matched and every removal checked before anything is written, and the caller
runs this inside `data.store.writing`, which publishes one new generation or none. Each removal is
journalled (`journal_entry`) so that `python -m data rebuild` replays it in order (`replay`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from data import db, workbook

if TYPE_CHECKING:
    import pandas as pd

FACT_KINDS = ("visits", "circulation", "events", "surveys", "targets", "measures")
# Tables whose rows name a branch, and the kind whose removal takes their rows (circulation_daily: circulation).
BRANCH_REFERENCES = {**{kind: kind for kind in FACT_KINDS}, "circulation_daily": "circulation"}
# The order the tables are listed in a removal's counts.
TABLES = (*FACT_KINDS[:2], "circulation_daily", *FACT_KINDS[2:], "rejected_rows", "branches", "branch_aliases")
IMPORT_ID = re.compile(r"^\d{1,18}$")


class RemoveError(Exception):
    """Nothing was removed: a name matched no import, or an import cannot be removed (see `problems`)."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(p.message for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Problem:
    """Why one name cannot be removed: `code` is one of unknown, removed, replaced, in_use (for the page to
    say it in the user's language), `message` the English sentence for the command line."""

    wanted: str
    code: str
    message: str
    source_file: str | None = None
    rows: int = 0


@dataclass(frozen=True)
class Imported:
    """One row of the `imports` table."""

    import_id: int
    source_file: str
    path: str
    content_hash: str
    kind: str
    imported_at: dt.datetime
    removed_at: dt.datetime | None


@dataclass
class Removal:
    """One file taken back: its latest import, every import row of the file marked removed, and the rows
    per table that go (counted before removing; the counts actually removed after `apply`)."""

    target: Imported
    import_ids: list[int]
    counts: dict[str, int] = field(default_factory=dict)
    branches: list[str] = field(default_factory=list)  # branch ids that go with it
    kept_branches: list[str] = field(default_factory=list)  # created by it, still named by other files
    removed_at: dt.datetime | None = None  # set by apply(); the journal and a rebuild use the same time

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


def imports(con: duckdb.DuckDBPyConnection) -> list[Imported]:
    """Every import row, oldest first (removed_at None throughout on a database from an older version)."""
    removed = "removed_at" if db.has_column(con, "imports", "removed_at") else "NULL"
    rows = con.execute(
        f"SELECT import_id, source_file, path, content_hash, kind, imported_at, {removed} FROM imports "
        "ORDER BY import_id"
    ).fetchall()
    return [Imported(*row) for row in rows]


def _current(rows: list[Imported]) -> dict[tuple[str, str], int]:
    """(file name, kind) -> the import whose rows are in the database: the latest not removed."""
    out: dict[tuple[str, str], int] = {}
    for row in rows:
        if row.removed_at is None:
            out[(row.source_file, row.kind)] = row.import_id  # rows are oldest first: the last one wins
    return out


def status(row: Imported, current: dict[tuple[str, str], int]) -> str:
    """removed, replaced (a later version of the file took its rows) or active."""
    if row.removed_at is not None:
        return "removed"
    return "active" if current.get((row.source_file, row.kind)) == row.import_id else "replaced"


def history(con: duckdb.DuckDBPyConnection, limit: int | None = 500) -> pd.DataFrame:
    """The import log, newest first, with each import's status (see `status`), for the Data page."""
    rows = imports(con)
    current = _current(rows)
    counts = {
        r[0]: r[1:]
        for r in con.execute(
            "SELECT import_id, layout, rows_read, rows_accepted, rows_skipped, rows_rejected, date_min, date_max "
            "FROM imports"
        ).fetchall()
    }
    columns = [
        "import_id",
        "status",
        "imported_at",
        "removed_at",
        "source_file",
        "kind",
        "layout",
        "rows_read",
        "rows_accepted",
        "rows_skipped",
        "rows_rejected",
        "date_min",
        "date_max",
    ]
    records = [
        [r.import_id, status(r, current), r.imported_at, r.removed_at, r.source_file, r.kind, *counts[r.import_id]]
        for r in reversed(rows if limit is None else rows[-limit:])
    ]
    import pandas as pd  # only the Data page asks for the log as a frame: an import never loads pandas

    return pd.DataFrame(records, columns=columns)


def find(con: duckdb.DuckDBPyConnection, wanted: list[str]) -> list[Imported]:
    """The imports to remove for names given as on the command line: an import id (digits), or a file, by
    the path its import recorded (as given then, or the same file by its resolved path), by its bare file
    name (the name its rows carry), or by the content of the file at that path now. Raises RemoveError
    naming every name that matches nothing removable."""
    rows = imports(con)
    current = _current(rows)
    by_id = {r.import_id: r for r in rows}
    targets: dict[int, Imported] = {}
    problems = []
    for name in wanted:
        matched = _matching(rows, name)
        if not matched:
            problems.append(Problem(name, "unknown", f"{name}: {_no_match(name)}"))
            continue
        live = [r for r in matched if status(r, current) == "active"]
        if live:
            targets.update((r.import_id, r) for r in live)
            continue
        replaced = [r for r in matched if status(r, current) == "replaced"]
        if replaced:
            old = replaced[-1]
            newer = by_id[current[(old.source_file, old.kind)]]
            problems.append(
                Problem(
                    name,
                    "replaced",
                    f"{name}: import {old.import_id} of {old.source_file} ({old.kind}, "
                    f"{old.imported_at:%Y-%m-%d %H:%M}) was followed by import {newer.import_id}, a later version "
                    "of the file; "
                    + (
                        "the branches of both carry the file's name and go together. "
                        if old.kind == "branches"
                        else "its rows were replaced and are no longer in the database. "
                    )
                    + f"Remove import {newer.import_id} to take {old.source_file} back.",
                    old.source_file,
                )
            )
            continue
        gone = matched[-1]
        problems.append(
            Problem(
                name,
                "removed",
                f"{name}: import {gone.import_id} of {gone.source_file} ({gone.kind}) was already removed on "
                f"{gone.removed_at:%Y-%m-%d %H:%M}; there is nothing left to remove.",
                gone.source_file,
            )
        )
    if problems:
        raise RemoveError(problems)
    return list(targets.values())


def _matching(rows: list[Imported], name: str) -> list[Imported]:
    if IMPORT_ID.match(name):
        return [r for r in rows if r.import_id == int(name)]
    given = Path(name)
    resolved = _resolved(given)
    bare = given.name == name  # no folder: the file name its rows carry also names it
    found = [
        r
        for r in rows
        if r.path == name
        or _resolved(Path(r.path)) == resolved
        or (bare and (r.source_file == name or r.source_file.startswith(f"{name} [")))  # a workbook's sheets
    ]
    if given.is_file():
        from data.importer import file_digest  # the importer is large: loaded only when a file is named

        digest = file_digest(given)
        digests = {digest, *workbook.sheet_digests(given, digest)}  # a workbook's sheets: one hash each
        found += [r for r in rows if r.content_hash in digests and r not in found]
    return sorted(found, key=lambda r: r.import_id)


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path


def _no_match(name: str) -> str:
    if IMPORT_ID.match(name):
        return "no import has this id (the ids are in `python -m data status` and on the Data page)"
    if Path(name).is_file():
        return "no import was recorded with this path or name, and no import had this file's content"
    return "no import was recorded with this path or name, and there is no such file to compare by content"


def plan(con: duckdb.DuckDBPyConnection, targets: list[Imported]) -> list[Removal]:
    """What removing `targets` together takes from each table, counted now, before anything changes.
    Raises RemoveError when a branch list's branches are still in use by what would remain."""
    rows = imports(con)
    removals = [
        Removal(
            t, [r.import_id for r in rows if (r.source_file, r.kind) == (t.source_file, t.kind) and not r.removed_at]
        )
        for t in targets
    ]
    # What leaves with the whole batch: per table that names branches, the files whose rows go.
    leaving = {
        table: [r.target.source_file for r in removals if r.target.kind == kind]
        for table, kind in BRANCH_REFERENCES.items()
    }
    sources = [r.target.source_file for r in removals]
    lists = {r.source_file for r in rows if r.kind == "branches" and r.removed_at is None}
    problems = []
    for removal in removals:
        source, kind, counts = removal.target.source_file, removal.target.kind, removal.counts
        if kind != "branches":
            counts[kind] = _count(con, f"SELECT count(*) FROM {kind} WHERE source_file = ?", [source])
            if kind == "circulation":
                counts["circulation_daily"] = _count(
                    con, "SELECT count(*) FROM circulation_daily WHERE source_file = ?", [source]
                )
        counts["rejected_rows"] = _count(
            con, "SELECT count(*) FROM rejected_rows WHERE list_contains(?, import_id)", [removal.import_ids]
        )
        # A fact file's own branches are those it created; a branch list of the same name keeps its own.
        own = []
        if kind == "branches" or source not in lists:
            own = [
                r[0] for r in con.execute("SELECT branch_id FROM branches WHERE source_file = ?", [source]).fetchall()
            ]
        used = _still_used(con, own, leaving, sources)
        if kind == "branches" and used:
            rows_using = sum(used.values())
            problems.append(
                Problem(
                    source,
                    "in_use",
                    f"{source}: {len(used)} of its branches are still named by {rows_using:,} row(s) of other files "
                    f"or by their branches ({_sample(used)}); remove those imports first, or in the same command.",
                    source,
                    rows_using,
                )
            )
            continue
        removal.kept_branches = sorted(used)
        removal.branches = sorted(set(own) - set(used))
        counts["branches"] = len(removal.branches)
        counts["branch_aliases"] = _count(
            con, "SELECT count(*) FROM branch_aliases WHERE list_contains(?, branch_id)", [removal.branches]
        )
    if problems:
        raise RemoveError(problems)
    return removals


def _count(con, sql: str, params: list) -> int:
    return int(con.execute(sql, params).fetchone()[0])


def _still_used(con, branch_ids: list[str], leaving: dict[str, list[str]], sources: list[str]) -> dict[str, int]:
    """branch id -> rows that still name it once the files of `leaving` (table -> file names) have left:
    fact rows of other files, and branches of files other than `sources` that have it as their parent."""
    if not branch_ids:
        return {}
    used: dict[str, int] = {}
    for table, files in leaving.items():
        if table not in FACT_KINDS:
            continue  # circulation_daily repeats circulation's branches: its rows are not counted twice
        # Table names come from BRANCH_REFERENCES, never from input; branch ids and file names are bound.
        for branch_id, rows in con.execute(
            f"SELECT branch_id, count(*) FROM {table} WHERE list_contains(?, branch_id) "
            "AND NOT list_contains(?, source_file) GROUP BY ALL",
            [branch_ids, files],
        ).fetchall():
            used[branch_id] = used.get(branch_id, 0) + rows
    for parent, rows in con.execute(
        "SELECT parent_id, count(*) FROM branches WHERE list_contains(?, parent_id) "
        "AND NOT list_contains(?, branch_id) AND NOT list_contains(?, coalesce(source_file, '')) GROUP BY ALL",
        [branch_ids, branch_ids, sources],
    ).fetchall():
        used[parent] = used.get(parent, 0) + rows
    return used


def _sample(used: dict[str, int]) -> str:
    shown = ", ".join(f"{b}: {n:,}" for b, n in sorted(used.items())[:5])
    return shown + (f" and {len(used) - 5} more" if len(used) > 5 else "")


def apply(con: duckdb.DuckDBPyConnection, removals: list[Removal], when: dt.datetime | None = None) -> None:
    """Delete what `plan` counted and mark the import rows removed; each count becomes the rows deleted.
    Two transactions, because DuckDB checks a foreign key against rows deleted earlier in the same
    transaction: facts first, then the branches they named. Atomic as a whole through the writer's
    generation (data.store.writing), which publishes nothing when this raises."""
    now = when or dt.datetime.now().replace(microsecond=0)
    cursor = con.cursor()
    try:
        cursor.execute("BEGIN TRANSACTION")
        for removal in removals:
            source, counts = removal.target.source_file, removal.counts
            for table in [t for t in counts if t in BRANCH_REFERENCES]:  # fixed names, from plan()
                counts[table] = _deleted(cursor, f"DELETE FROM {table} WHERE source_file = ?", [source])
            counts["rejected_rows"] = _deleted(
                cursor, "DELETE FROM rejected_rows WHERE list_contains(?, import_id)", [removal.import_ids]
            )
            counts["branch_aliases"] = _deleted(
                cursor, "DELETE FROM branch_aliases WHERE list_contains(?, branch_id)", [removal.branches]
            )
            cursor.execute(
                "UPDATE imports SET removed_at = ? WHERE list_contains(?, import_id)", [now, removal.import_ids]
            )
            removal.removed_at = now
        cursor.execute("COMMIT")
        cursor.execute("BEGIN TRANSACTION")
        for removal in removals:
            # The mark of a system-wide line goes with its branch row (data/systemlines.py).
            cursor.execute("DELETE FROM system_lines WHERE list_contains(?, branch_id)", [removal.branches])
            removal.counts["branches"] = _deleted(
                cursor, "DELETE FROM branches WHERE list_contains(?, branch_id)", [removal.branches]
            )
        cursor.execute("COMMIT")
    except BaseException:
        try:
            cursor.execute("ROLLBACK")
        except duckdb.Error:
            pass  # no transaction open: the writer throws the work file away in any case
        raise
    finally:
        cursor.close()


def _deleted(cursor, sql: str, params: list) -> int:
    row = cursor.execute(sql, params).fetchone()
    return int(row[0]) if row else 0


def remove(con: duckdb.DuckDBPyConnection, wanted: list[str]) -> list[Removal]:
    """Find, check and remove, all or nothing (RemoveError before any change). Run it inside
    `data.store.writing` and journal the result with `journal_entry`."""
    removals = plan(con, find(con, wanted))
    apply(con, removals)
    return removals


def journal_entry(removal: Removal) -> dict:
    """What `rebuild` needs to remove this file again at the same point of the journal."""
    target = removal.target
    return {
        "action": "remove",
        "removed_at": (removal.removed_at or dt.datetime.now()).isoformat(timespec="seconds"),
        "import_id": target.import_id,
        "source_file": target.source_file,
        "kind": target.kind,
        "sha256": target.content_hash,
        "path": target.path,
    }


def replay(con: duckdb.DuckDBPyConnection, entry: dict) -> Removal:
    """Remove again, during a rebuild, the file a journal entry names: its current import in the rebuilt
    database must hold the same content, or the rebuild stops (RemoveError) and changes nothing."""
    rows = imports(con)
    current = _current(rows)
    import_id = current.get((entry["source_file"], entry["kind"]))
    target = next((r for r in rows if r.import_id == import_id), None)
    if target is None or target.content_hash != entry["sha256"]:
        message = (
            f"{entry['source_file']}: the journal removes it ({entry['removed_at']}), but the rebuilt database "
            "does not hold that version of it at that point; the journal does not match the exports"
        )
        raise RemoveError([Problem(entry["source_file"], "unknown", message, entry["source_file"])])
    removals = plan(con, [target])
    apply(con, removals, when=dt.datetime.fromisoformat(entry["removed_at"]))
    return removals[0]


def describe(removal: Removal, dry_run: bool = False) -> str:
    """A multi-line summary: the file, its import ids, and the rows per table."""
    target = removal.target
    verb = "would remove" if dry_run else "removed"
    ids = ", ".join(map(str, removal.import_ids))
    out = [f"{target.path}: {verb.upper()} ({target.kind}, import {ids}, imported {target.imported_at:%Y-%m-%d %H:%M})"]
    for table in TABLES:
        if table in removal.counts and (removal.counts[table] or table == target.kind):
            out.append(f"  {table:<18} {removal.counts[table]:>10,} rows")
    if removal.kept_branches:
        out.append(
            f"  kept {len(removal.kept_branches)} branch(es) it created that other files still name: "
            + ", ".join(removal.kept_branches[:10])
            + (" ..." if len(removal.kept_branches) > 10 else "")
        )
    return "\n".join(out)
