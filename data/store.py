"""The database file as immutable generations behind one path.

`data/kpi.duckdb` (or $KPI_DB) is a symbolic link to a file in `kpi.duckdb.d/` named after its
generation number and the BLAKE2b digest of its bytes. A writer (an import, the sample build, a
rebuild) takes `kpi.duckdb.lock`, copies the current generation to a work file, writes there, and
publishes the result by replacing the link in one rename. So:

- readers never see a half-written database: they have the old generation open or the new one;
- a writer killed at any point leaves the link, and the file it points to, untouched (the next
  writer removes the dead one's work file);
- two writers queue on the lock, or the second gives up after `wait` seconds (DatabaseBusy);
- a reader checks a generation's bytes against the digest in its name, so a truncated or damaged
  file is reported when it is opened instead of giving wrong numbers;
- every generation carries its own data-quality findings (metrics/quality.py record), computed in the write.

The previous generation is kept beside the current one; older ones are removed. Every import that
lands is also appended to `kpi.duckdb.imports.jsonl`, outside the database, so that
`python -m data rebuild` can rebuild a damaged database from the original exports.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import shutil
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from data import db, private

GENERATION = re.compile(r"^(\d{6})-([0-9a-f]{32})\.duckdb$")
WAIT_SECONDS = 600.0  # how long a writer queues behind another before giving up
REBUILD_HINT = (
    "Rebuild it from the original exports with `python -m data rebuild` (see README, 'Reliability and security')."
)
# What DuckDB raises when its file cannot be written: an I/O error, a COMMIT that failed on one, or the
# database invalidated after one. The work file is single-writer, so none of these is a conflict.
WRITE_ERRORS = (duckdb.IOException, duckdb.TransactionException, duckdb.FatalException)
PAUSE_ENV = "KPI_PAUSE_AT"  # fault-injection points for tests/test_faults.py; see _step()
# DuckDB's memory for a writer. Past it, a large import's grouping spills to a private folder beside the work
# file instead of growing with the export: a province's year of transactions (100M rows, 6 GB) stays well
# under 2 GB of memory, and a county's 10M rows never reach the limit, so they run as fast as without one.
WRITER_MEMORY = "1GiB"


class DatabaseDamaged(Exception):
    """The database file is truncated, corrupted, or not a database at all."""


class WriteFailed(Exception):
    """The new generation could not be written (disk full, read-only folder...); nothing was changed."""


def generations(target: Path) -> Path:
    return target.with_name(target.name + ".d")


def journal_path(target: Path) -> Path:
    return target.with_name(target.name + ".imports.jsonl")


def rejected_dir(target: Path) -> Path:
    """Where quarantined rows are written, beside the database."""
    return target.parent / f"{target.stem}_rejected"


def current_file(target: Path) -> Path:
    """The file holding the data now: the link's target, or the path itself for a plain file."""
    return Path(os.path.realpath(target)) if target.is_symlink() else target


def token(path: str | os.PathLike | None = None) -> str | None:
    """A name for the current generation (changes with every publish), or None when there is none."""
    real = current_file(db.db_path(path))
    try:
        st = real.stat()
    except FileNotFoundError:
        return None
    return f"{real.name}:{st.st_ino}:{st.st_mtime_ns}:{st.st_size}"


def _digest(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, lambda: hashlib.blake2b(digest_size=16)).hexdigest()


def verify(path: str | os.PathLike | None = None, generation: str | None = None) -> Path:
    """The file to read after checking it (see `open_reader`). Raises FileNotFoundError,
    DatabaseDamaged, or db.DatabaseBusy."""
    con, real = open_reader(path, generation)
    con.close()
    return real


def open_reader(
    path: str | os.PathLike | None = None, generation: str | None = None
) -> tuple[duckdb.DuckDBPyConnection, Path]:
    """(a read-only connection, the file it reads) for the current generation or the one named by
    `generation` (a `token`), after checking the digest in a published generation's name and that
    DuckDB can read every table. The connection keeps reading that generation whatever is published
    later. Raises FileNotFoundError, DatabaseDamaged, or db.DatabaseBusy."""
    target = db.db_path(path)
    real = current_file(target) if generation is None else _generation_file(target, generation)
    if not real.exists():
        raise FileNotFoundError(f"no database at {target}")
    named = GENERATION.match(real.name)
    if named and _digest(real) != named.group(2):
        raise DatabaseDamaged(
            f"{target}: the database file {real.name} does not match the digest it was written with "
            f"(truncated or damaged on disk). {REBUILD_HINT}"
        )
    return _open_read_only(target, real), real


def _generation_file(target: Path, generation: str) -> Path:
    name = generation.split(":", 1)[0]
    return generations(target) / name if GENERATION.match(name) else target


def _open_read_only(target: Path, real: Path) -> duckdb.DuckDBPyConnection:
    try:
        con = db.connect(real, read_only=True)
    except duckdb.Error as exc:
        raise DatabaseDamaged(f"{target}: DuckDB cannot open it ({_first_line(exc)}). {REBUILD_HINT}") from None
    try:
        _probe(con)
    except duckdb.Error as exc:
        con.close()
        raise DatabaseDamaged(f"{target}: reading it failed ({_first_line(exc)}). {REBUILD_HINT}") from None
    return con


def _probe(con: duckdb.DuckDBPyConnection) -> None:
    """Touch the schema version and every table, so a damaged catalog or table fails here, not on a page."""
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is None:
        raise duckdb.InvalidInputException("no schema version: not a KPI database")
    for table in ("branches", "imports", "circulation_daily", *db.FACT_TABLES):
        con.execute(f"SELECT count(*) FROM {table}").fetchone()  # names from the constant, never input


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:300]


@dataclass
class Session:
    """What a writer works on: a connection to the work file, and the journal lines to add on success."""

    con: duckdb.DuckDBPyConnection
    target: Path
    journal: list[dict] = field(default_factory=list)

    def record(self, reports, options) -> None:
        """Journal the files of `reports` that wrote something, with the options they were imported with."""
        # A file that holds several kinds is journaled per kind (`rebuild` imports each with its --kind).
        parts = [part for r in reports for part in (r.parts or [r])]
        self.journal += [journal_entry(r, options) for r in parts if r.content_hash]


@contextmanager
def writing(path: str | os.PathLike | None = None, wait: float = WAIT_SECONDS, fresh: bool = False):
    """A Session on a copy of the current generation (an empty database when `fresh`); published when
    the block ends without error and something changed, thrown away otherwise."""
    target = db.db_path(path)
    with _locked(target, wait):
        _clear_leftovers(target)
        folder = generations(target)
        work = folder / f"work-{os.getpid()}.duckdb"
        try:
            private.make_dir(folder)  # owner-only, like everything written here (data/private.py)
            existed = current_file(target).exists() and not fresh
            if existed:
                _copy_current(target, work)
            _step("copied")
            con = db.connect(work)
            private.tighten(work)
            _bound_memory(con, _spill_dir(work))
        except (OSError, duckdb.IOException) as exc:
            _remove(work)
            raise WriteFailed(_write_message(target, exc)) from None
        session = Session(con, target)
        try:
            before = db.data_version(con) if existed else None
            yield session
            changed = before is None or db.data_version(con) != before
            if changed:
                _record_findings(con)
            _step("imported")
            con.execute("CHECKPOINT")
            con.close()
            if changed:
                _publish(target, work)
                _append_journal(target, session.journal)
        except (OSError, *WRITE_ERRORS) as exc:
            raise WriteFailed(_write_message(target, exc)) from None
        finally:
            con.close()  # a no-op when already closed
            _remove(work)
            shutil.rmtree(_spill_dir(work), ignore_errors=True)


def _spill_dir(work: Path) -> Path:
    return work.with_name(work.name + ".tmp")


def _bound_memory(con: duckdb.DuckDBPyConnection, spill: Path) -> None:
    """Cap DuckDB's memory at WRITER_MEMORY and let it spill to `spill`, made owner-only first: what spills
    is the export's rows."""
    private.make_dir(spill)
    con.execute("SET memory_limit = ?", [WRITER_MEMORY])
    con.execute("SET temp_directory = ?", [str(spill)])


def _record_findings(con: duckdb.DuckDBPyConnection) -> None:
    """Keep the new generation's data-quality findings in it, so every page view reads them instead of running
    the checks (metrics/quality.py record). Imported here: the checks need pandas, which nothing else a
    writer does loads, and the metric layer is above the data layer."""
    from metrics import quality

    quality.record(con)


@contextmanager
def _locked(target: Path, wait: float):
    lock = target.with_name(target.name + ".lock")
    try:
        if not target.parent.exists():
            private.make_dir(target.parent)
        handle = private.open_file(lock, "a")
    except OSError as exc:
        raise WriteFailed(_write_message(target, exc)) from None
    deadline = time.monotonic() + wait
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise db.DatabaseBusy(
                        f"another import into {target} is running; waited {wait:g} s. Try again when it has finished."
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        handle.close()  # closing the file releases the lock, also when the process dies


def _copy_current(target: Path, work: Path) -> None:
    real = current_file(target)
    if not GENERATION.match(real.name) and real.with_name(real.name + ".wal").exists():
        db.connect(real).close()  # a plain database with a write-ahead log: fold the log in before copying
    verify(target)  # never build on a damaged generation
    shutil.copyfile(real, work)


def _publish(target: Path, work: Path) -> None:
    """Name the work file after its digest, then point the link at it in one rename."""
    folder = generations(target)
    with work.open("rb+") as handle:
        os.fsync(handle.fileno())
    numbers = [int(m.group(1)) for p in folder.iterdir() if (m := GENERATION.match(p.name))]
    final = folder / f"{max(numbers, default=0) + 1:06d}-{_digest(work)}.duckdb"
    os.replace(work, final)
    _step("named")
    link = target.with_name(f".{target.name}.link-{os.getpid()}")
    _remove(link)
    os.symlink(os.path.relpath(final, target.parent), link)
    _fsync_dir(folder)
    _step("linked")
    os.replace(link, target)  # the moment the new generation becomes the database
    _fsync_dir(target.parent)
    _step("published")
    keep = {final.name, *_previous(folder, final)}
    for old in folder.iterdir():
        if GENERATION.match(old.name) and old.name not in keep:
            _remove(old)
        elif GENERATION.match(old.name):
            private.tighten(old)  # the kept previous generation too (an older version made it 0644)


def _previous(folder: Path, final: Path) -> list[str]:
    names = sorted(p.name for p in folder.iterdir() if GENERATION.match(p.name) and p.name < final.name)
    return names[-1:]


def _append_journal(target: Path, entries: list[dict]) -> None:
    if not entries:
        return
    with private.open_file(journal_path(target), "a", encoding="utf-8") as handle:
        for entry in entries:
            handle.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def read_journal(target: Path) -> list[dict]:
    path = journal_path(target)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def journal_entry(report, options) -> dict:
    """What `rebuild` needs to import this file again the same way."""
    return {
        "imported_at": dt.datetime.now().isoformat(timespec="seconds"),
        "path": str(Path(report.path).resolve()),
        "sha256": report.content_hash,
        "kind": report.kind,
        "status": report.status,
        "mapping": str(Path(options.mapping).resolve()) if options.mapping else None,
        "allow_new_branches": options.allow_new_branches,
        "quarantine": options.quarantine,
        "sheet": report.sheet,  # the workbook sheet this entry imported (None for a CSV file)
        "branch": getattr(options, "branch", None),
        "year": getattr(options, "year", None),
        # the effective options' digest (data/identity.py): a rebuild checks the mapping still gives it
        "options_sha256": report.options_identity.digest if getattr(report, "options_identity", None) else None,
    }


def _clear_leftovers(target: Path) -> None:
    """Work files and half-made links of writers that died (the lock is ours, so none is alive)."""
    folder = generations(target)
    if folder.is_dir():
        for stale in folder.glob("work-*"):
            if stale.is_dir():  # a spill folder
                shutil.rmtree(stale, ignore_errors=True)
            else:
                _remove(stale)
    for stale in target.parent.glob(f".{target.name}.link-*"):
        _remove(stale)


def _remove(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        try:
            p.unlink()
        except FileNotFoundError:
            pass


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_message(target: Path, exc: Exception) -> str:
    reason = getattr(exc, "strerror", None) or _first_line(exc)
    return (
        f"could not write the database {target}: {reason}. Check free disk space and that the folder "
        f"{target.parent} is writable. Nothing was changed."
    )


def _step(name: str) -> None:
    """A named point in a write. With $KPI_PAUSE_AT set to it (`name`, or `name:seconds`), the process
    says so on stderr and waits (an hour, or the seconds given), so a test can act exactly there."""
    pause, _, seconds = os.environ.get(PAUSE_ENV, "").partition(":")
    if pause == name:
        print(f"paused at {name}", file=sys.stderr, flush=True)
        time.sleep(float(seconds or 3600))
