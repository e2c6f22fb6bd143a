"""The data command line: import exports, list what is loaded, build the sample database, rebuild a
damaged database from the exports its journal lists."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from data import db, store
from data.importer import Options, file_digest, import_file, import_paths
from data.make_sample import TODAY as SAMPLE_TODAY
from data.mapping import KINDS
from data.report import describe

SAMPLE_DIR = Path(__file__).resolve().parent / "sample"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m data", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", help="import export files or folders of them")
    imp.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    imp.add_argument("--db", help=f"database file (default ${db.DB_ENV_VAR} or data/kpi.duckdb)")
    imp.add_argument("--kind", choices=KINDS, help="what the files hold (guessed from headers when omitted)")
    imp.add_argument("--mapping", type=Path, help="mapping file (TOML/JSON) for columns the synonyms miss")
    imp.add_argument("--allow-new-branches", action="store_true", help="create branches for unknown names")
    imp.add_argument(
        "--quarantine",
        action="store_true",
        help="load the good rows and write rejected rows to a CSV beside the database",
    )
    imp.add_argument(
        "--wait",
        type=float,
        default=store.WAIT_SECONDS,
        metavar="SECONDS",
        help="how long to queue behind another import before giving up (default %(default)g; 0: do not wait)",
    )
    stat = sub.add_parser("status", help="list what is loaded")
    stat.add_argument("--db")
    sample = sub.add_parser("sample", help="build the database from data/sample/ when it has no data yet")
    sample.add_argument("--db")
    rebuild = sub.add_parser(
        "rebuild", help="build the database again from the exports its import journal lists (after damage)"
    )
    rebuild.add_argument("--db")
    return parser


# Exit codes: 0 done, 1 a file was rejected, 2 bad arguments, 3 busy, 4 could not write, 5 damaged database.
EXIT_BUSY, EXIT_WRITE, EXIT_DAMAGED = 3, 4, 5


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "import":
            return _import(args)
        if args.command == "status":
            return _status(args)
        if args.command == "rebuild":
            return _rebuild(args)
        return build_sample(args.db)
    except db.DatabaseBusy as exc:
        print(exc, file=sys.stderr)
        return EXIT_BUSY
    except store.WriteFailed as exc:
        print(exc, file=sys.stderr)
        return EXIT_WRITE
    except store.DatabaseDamaged as exc:
        print(exc, file=sys.stderr)
        return EXIT_DAMAGED


def _import(args) -> int:
    path = db.db_path(args.db)
    missing = [p for p in args.paths if not p.exists()]
    if missing:
        print(f"no such file or folder: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    options = Options(
        kind=args.kind,
        mapping=args.mapping,
        allow_new_branches=args.allow_new_branches,
        quarantine=args.quarantine,
        quarantine_dir=store.rejected_dir(path),
    )
    with store.writing(path, wait=args.wait) as session:
        reports = import_paths(session.con, args.paths, options)
        session.record(reports, options)
    for report in reports:
        print(describe(report))
    failed = [r for r in reports if not r.ok]
    quarantined = [r for r in reports if r.status == "quarantined"]
    print(
        f"{len(reports)} file(s): {len(reports) - len(failed)} imported or unchanged, {len(failed)} rejected"
        + (f", {len(quarantined)} with rows quarantined" if quarantined else "")
        + f"; database {path}"
    )
    # Quarantine was asked for: the file is not rejected, its bad rows are set aside and reported.
    return 1 if failed else 0


def _status(args) -> int:
    path = db.db_path(args.db)
    if not path.exists():
        print(f"no database at {path}; import exports with `python -m data import PATH`", file=sys.stderr)
        return 1
    con, real = store.open_reader(path)
    with con:
        rows = db.status(con)
    print(f"database {path}" + (f" ({real.name})" if real != path else ""))
    print(f"{'table':<12} {'rows':>10} {'first':>12} {'last':>12} {'branches':>9}  last import")
    for row in rows:
        print(
            f"{row['table']:<12} {row['rows']:>10,} {str(row['first_date'] or ''):>12} "
            f"{str(row['last_date'] or ''):>12} {row['branches']:>9,}  {row['last_import'] or ''}"
        )
    return 0


def build_sample(db_arg: str | None = None) -> int:
    """Import the bundled sample exports unless the database already holds data."""
    path = db.db_path(db_arg)
    # As of the day its exports were taken, whatever the real date: the same database on every run.
    options = Options(today=SAMPLE_TODAY, quarantine_dir=store.rejected_dir(path))
    with store.writing(path) as session:
        if db.data_version(session.con):
            print(f"database {path} already has data; nothing to do")
            return 0
        reports = import_paths(session.con, [SAMPLE_DIR], options)
        session.record(reports, options)
    for report in reports:
        print(describe(report))
    return 0 if all(r.status in ("loaded", "replaced", "unchanged") for r in reports) else 1


def _rebuild(args) -> int:
    """Import again, into an empty database, every export the journal lists, in the order they landed."""
    path = db.db_path(args.db)
    entries = store.read_journal(path)
    if not entries:
        print(f"no import journal at {store.journal_path(path)}: nothing to rebuild from", file=sys.stderr)
        return 1
    problems = []
    for entry in entries:
        source = Path(entry["path"])
        if not source.exists():
            problems.append(f"{source}: missing")
        elif entry.get("sha256") and file_digest(source) != entry["sha256"]:
            problems.append(f"{source}: changed since it was imported on {entry['imported_at']}")
    if problems:
        print("cannot rebuild exactly; these exports are not as they were imported:", file=sys.stderr)
        print("\n".join(f"  {p}" for p in problems), file=sys.stderr)
        return 1
    reports = []  # the journal already lists these files: it is left as it is
    with store.writing(path, fresh=True) as session:
        for entry in entries:
            options = Options(
                kind=entry.get("kind"),
                mapping=Path(entry["mapping"]) if entry.get("mapping") else None,
                allow_new_branches=bool(entry.get("allow_new_branches")),
                quarantine=bool(entry.get("quarantine")),
                quarantine_dir=store.rejected_dir(path),
            )
            reports.append(import_file(session.con, Path(entry["path"]), options))
    for report in reports:
        print(describe(report))
    print(f"rebuilt {path} from {len(entries)} export(s)")
    return 0 if all(r.ok for r in reports) else 1
