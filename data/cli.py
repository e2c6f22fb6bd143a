"""The data command line: import exports, list what is loaded, take an import back, build the sample
database, rebuild a damaged database from the exports (and removals) its journal lists, export the
database as a Parquet lake for Spark."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from data import completeness, db, identity, lake, remove, shaping, store, systemlines, workbook
from data.importer import Options, file_digest, import_any, import_paths
from data.make_sample import TODAY as SAMPLE_TODAY
from data.mapping import KINDS, MappingError
from data.report import describe

SAMPLE_DIR = Path(__file__).resolve().parent / "sample"
EXPORT_FORMATS = ("parquet",)


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
        "--branch",
        metavar="NAME",
        help="every row belongs to this branch (for files without a branch column; as the mapping key `branch`)",
    )
    imp.add_argument(
        "--year",
        type=_year,
        metavar="YYYY",
        help="the year of dates that have none (month columns; the mapping key `year`)",
    )
    imp.add_argument(
        "--sheet", metavar="NAME", help="import only this sheet of an Excel workbook (default: every sheet with data)"
    )
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
    imp.add_argument(
        "--engine",
        choices=("duckdb", "spark"),
        default="duckdb",
        help="where large transaction exports are rolled up to daily rows (default %(default)s; the same rows either "
        "way; spark: for lake-scale files, needs requirements-spark.txt)",
    )
    imp.add_argument(
        "--spark-master",
        metavar="URL",
        help="with --engine spark: local[N], spark://host:7077 or sc://host:15002 (default $KPI_SPARK_MASTER or "
        "local[2])",
    )
    stat = sub.add_parser("status", help="list what is loaded")
    stat.add_argument("--db")
    sample = sub.add_parser("sample", help="build the database from data/sample/ when it has no data yet")
    sample.add_argument("--db")
    rebuild = sub.add_parser(
        "rebuild", help="build the database again from the exports its import journal lists (after damage)"
    )
    rebuild.add_argument("--db")
    rem = sub.add_parser(
        "remove", help="take imports back: remove the rows a file (named by its path or import id) brought"
    )
    rem.add_argument("wanted", nargs="+", metavar="FILE|IMPORT_ID")
    rem.add_argument("--db")
    rem.add_argument(
        "--wait", type=float, default=store.WAIT_SECONDS, metavar="SECONDS", help="as for import (default %(default)g)"
    )
    rem.add_argument("--dry-run", action="store_true", help="say what would be removed; change nothing")
    exp = sub.add_parser(
        "export", help="write every table as Parquet files (dated tables partitioned by year) with a manifest"
    )
    exp.add_argument("--db")
    exp.add_argument("--format", choices=EXPORT_FORMATS, default="parquet", help="file format (default %(default)s)")
    exp.add_argument(
        "--out", required=True, type=Path, metavar="DIR", help="the lake folder: new, empty, or a lake to replace"
    )
    return parser


def _year(text: str) -> int:
    if not (text.isdigit() and 1900 <= int(text) <= 2100):
        raise argparse.ArgumentTypeError(f"{text!r} is not a four-digit year between 1900 and 2100")
    return int(text)


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
        if args.command == "remove":
            return _remove(args)
        if args.command == "export":
            return _export(args)
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
    if args.spark_master and args.engine != "spark":
        print("--spark-master is for --engine spark", file=sys.stderr)
        return 2
    if args.engine == "spark":
        from metrics import spark

        try:
            spark.session(args.spark_master)  # started once here: a missing Java or master is said before any file
        except spark.SparkUnavailable as exc:
            print(f"--engine spark: {exc}", file=sys.stderr)
            return 2
    options = Options(
        engine=args.engine,
        spark_master=args.spark_master,
        kind=args.kind,
        mapping=args.mapping,
        allow_new_branches=args.allow_new_branches,
        quarantine=args.quarantine,
        quarantine_dir=store.rejected_dir(path),
        sheet=args.sheet,
        branch=args.branch,
        year=args.year,
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
        completeness_rows = completeness.network(con)
        names = dict(con.execute("SELECT branch_id, name FROM branches").fetchall())
        history = remove.history(con, limit=None)
        lines = systemlines.listing(con)
    print(f"database {path}" + (f" ({real.name})" if real != path else ""))
    print(f"{'table':<12} {'rows':>10} {'first':>12} {'last':>12} {'branches':>9}  last import")
    for row in rows:
        print(
            f"{row['table']:<12} {row['rows']:>10,} {str(row['first_date'] or ''):>12} "
            f"{str(row['last_date'] or ''):>12} {row['branches']:>9,}  {row['last_import'] or ''}"
        )
    _print_completeness(completeness_rows, names)
    _print_system_lines(lines)
    _print_history(history)
    return 0


def _print_system_lines(lines: list[dict]) -> None:
    """The system-wide lines stored (network-level rows, never branches) and how the network counts them."""
    if not lines:
        return
    print("\nsystem-wide lines (network-level rows, not branches; never ranked or shown per branch):")
    for line in lines:
        print(
            f"  {line['name']}: {line['total']:,.0f} {line['unit']} ({line['first']} .. {line['last']}), {line['how']}"
        )


def _print_completeness(found: list, names: dict[str, str]) -> None:
    """Per table: the date through which every expected branch has reported, and who is behind after it."""
    print("\nreporting completeness (comparisons end where every expected branch has reported):")
    for status in found:
        if status.last_reported is None:
            print(f"  {status.table:<12} no data")
            continue
        through = status.complete_through or "never (no period in which every expected branch reported)"
        print(f"  {status.table:<12} complete through {through}")
        for pending in status.pending[-12:]:
            missing = ", ".join(names.get(b, b) for b in pending.not_reported)
            print(
                f"    {pending.period}: {len(pending.reported)} of {pending.expected_count} branches reported; "
                f"not yet: {missing}"
            )


def _print_history(history, shown: int = 20) -> None:
    """The latest imports, newest first, with their ids (what `remove` takes) and status, under `status`."""
    removed = int((history["status"] == "removed").sum())
    replaced = int((history["status"] == "replaced").sum())
    print(
        f"imports: {len(history):,} in the history: {len(history) - removed - replaced:,} in use, "
        f"{replaced:,} replaced by a later version of the file, {removed:,} removed"
    )
    labels = {"active": "in use", "replaced": "replaced", "removed": "REMOVED"}
    for row in history.head(shown).itertuples():
        print(
            f"  {row.import_id:>6}  {labels[row.status]:<8}  {row.imported_at:%Y-%m-%d %H:%M}  "
            f"{row.source_file} ({row.kind})"
            + (f", removed {row.removed_at:%Y-%m-%d %H:%M}" if row.status == "removed" else "")
        )
    if len(history) > shown:
        print(f"  and {len(history) - shown:,} earlier (the Data page lists the latest 500)")


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
    # A file imported again later (another mapping, say) has its rows replaced then: only its last entry's
    # options must still be what its mapping gives.
    last = {(e["path"], e.get("kind")): i for i, e in enumerate(entries) if e.get("action") != "remove"}
    for index, entry in enumerate(entries):
        if entry.get("action") == "remove":
            continue  # a removal needs no file: it takes back what an earlier entry imported
        source = Path(entry["path"])
        if not source.exists():
            problems.append(f"{source}: missing")
        elif entry.get("sha256") and _entry_digest(source, entry) != entry["sha256"]:
            problems.append(f"{source}: changed since it was imported on {entry['imported_at']}")
        elif (
            last[(entry["path"], entry.get("kind"))] == index
            and entry.get("options_sha256")
            and options_digest(source, _options(entry, path)) != entry["options_sha256"]
        ):
            problems.append(f"{source}: its mapping file changed since it was imported on {entry['imported_at']}")
    if problems:
        print("cannot rebuild exactly; these exports are not as they were imported:", file=sys.stderr)
        print("\n".join(f"  {p}" for p in problems), file=sys.stderr)
        return 1
    reports, removals = [], []  # the journal already lists these files: it is left as it is
    try:
        with store.writing(path, fresh=True) as session:
            for entry in entries:
                if entry.get("action") == "remove":
                    removals.append(remove.replay(session.con, entry))
                    continue
                reports.extend(import_any(session.con, Path(entry["path"]), _options(entry, path)))
    except remove.RemoveError as exc:
        print(f"cannot rebuild exactly; nothing was changed:\n{exc}", file=sys.stderr)
        return 1
    for report in reports:
        print(describe(report))
    for removal in removals:
        print(remove.describe(removal))
    print(f"rebuilt {path} from {len(reports)} export(s)" + (f" and {len(removals)} removal(s)" if removals else ""))
    return 0 if all(r.ok for r in reports) else 1


def options_digest(source: Path, options: Options) -> str | None:
    """The digest of the options `source` would be imported with now (None: its mapping cannot be read)."""
    try:
        return identity.of(shaping.effective_mapping(source, options)[0], options).digest
    except MappingError:
        return None


def _options(entry: dict, path: Path) -> Options:
    """The options a journal entry was imported with."""
    return Options(
        kind=entry.get("kind"),
        mapping=Path(entry["mapping"]) if entry.get("mapping") else None,
        allow_new_branches=bool(entry.get("allow_new_branches")),
        quarantine=bool(entry.get("quarantine")),
        quarantine_dir=store.rejected_dir(path),
        sheet=entry.get("sheet"),
        branch=entry.get("branch"),
        year=entry.get("year"),
    )


def _entry_digest(source: Path, entry: dict) -> str:
    """The content hash the journal entry recorded, computed from the file now (a workbook's per sheet)."""
    digest = file_digest(source)
    return workbook.sheet_digest(digest, entry["sheet"]) if entry.get("sheet") else digest


def _remove(args) -> int:
    """Take imports back, all or nothing: exit 1 (nothing changed) when any name matches nothing removable."""
    path = db.db_path(args.db)
    if store.token(path) is None:
        print(f"no database at {path}: nothing to remove", file=sys.stderr)
        return 1
    try:
        if args.dry_run:
            con, _ = store.open_reader(path)
            with con:
                removals = remove.plan(con, remove.find(con, args.wanted))
        else:
            with store.writing(path, wait=args.wait) as session:
                removals = remove.remove(session.con, args.wanted)
                session.journal += [remove.journal_entry(r) for r in removals]
    except remove.RemoveError as exc:
        print(exc, file=sys.stderr)
        print(f"nothing was removed; database {path} is unchanged", file=sys.stderr)
        return 1
    for removal in removals:
        print(remove.describe(removal, dry_run=args.dry_run))
    rows = sum(r.rows for r in removals)
    verb = "would be removed (dry run: nothing changed)" if args.dry_run else "removed"
    print(f"{len(removals)} import(s) {verb}, {rows:,} row(s) in all; database {path}")
    return 0


def _export(args) -> int:
    """Write the lake and say what it holds; exit 1 (nothing written) for a folder it will not replace, 4 when
    the lake cannot be written."""
    path = db.db_path(args.db)
    if store.token(path) is None:
        print(
            f"no database at {path}: nothing to export; import exports with `python -m data import PATH`",
            file=sys.stderr,
        )
        return 1
    try:
        manifest = lake.export(path, args.out)
    except lake.LakeError as exc:
        print(exc, file=sys.stderr)
        return 1
    except OSError as exc:
        reason = exc.strerror or str(exc)
        print(f"could not write the lake {args.out}: {reason}. Nothing was changed there.", file=sys.stderr)
        return EXIT_WRITE
    tables = manifest["tables"]
    print(f"{'table':<18} {'rows':>10}  files")
    for name, entry in tables.items():
        years = sorted({f.split("/")[1] for f in entry["files"]}) if entry["partitioned_by"] else []
        where = f"{len(entry['files'])} file(s) in {name}/{years[0]} .. {years[-1]}" if years else entry["files"][0]
        print(f"{name:<18} {entry['rows']:>10,}  {where}")
    rows = sum(entry["rows"] for entry in tables.values())
    print(
        f"wrote {len(tables)} tables, {rows:,} rows as Parquet to {Path(args.out).absolute()} "
        f"(generation {manifest['generation']} of {path})"
    )
    return 0
