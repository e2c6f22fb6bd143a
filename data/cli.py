"""The data command line: import exports, list what is loaded, build the sample database."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from data import db
from data.importer import Options, import_paths
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
    stat = sub.add_parser("status", help="list what is loaded")
    stat.add_argument("--db")
    sample = sub.add_parser("sample", help="build the database from data/sample/ when it has no data yet")
    sample.add_argument("--db")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "import":
            return _import(args)
        if args.command == "status":
            return _status(args)
        return build_sample(args.db)
    except db.DatabaseBusy as exc:
        print(exc, file=sys.stderr)
        return 3


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
        quarantine_dir=path.parent / f"{path.stem}_rejected",
    )
    with db.connect(path) as con:
        reports = import_paths(con, args.paths, options)
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
    with db.connect(path, read_only=True) as con:
        rows = db.status(con)
    print(f"database {path}")
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
    with db.connect(path) as con:
        if db.data_version(con):
            print(f"database {path} already has data; nothing to do")
            return 0
        reports = import_paths(con, [SAMPLE_DIR], Options(quarantine_dir=path.parent / f"{path.stem}_rejected"))
    for report in reports:
        print(describe(report))
    return 0 if all(r.status in ("loaded", "replaced", "unchanged") for r in reports) else 1
