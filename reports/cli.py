"""The reports command line.

  python -m reports annual [--db PATH] --year YYYY [--fiscal-start M] [--lang en|zh] [--branch NAME ...]
                           [--district D ...] [--kind K ...] [--as-user NAME] --out FILE [--out FILE ...]
  python -m reports plan   (the same options) --out FILE.csv

`annual` writes the year's work summary in the format of each --out suffix: .docx (Word), .pdf (A4), .md,
.html, and .json (every figure with the `python -m metrics query` options that reproduce it). `plan` writes
next year's suggested targets as a CSV the importer reads back (`python -m data import FILE`).

Exit status: 0 written; 1 nothing to report (no figures for that year in that scope) or a file could not be
made; 2 a usage error (unknown suffix, branch, user, year); 3 the database is busy; 5 it is damaged.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from data import private
from metrics import cli as metrics_cli
from metrics import display, users
from metrics.filters import Filter
from reports import annual, plan, render

SUFFIXES = {".docx": "Word", ".pdf": "PDF", ".md": "Markdown", ".html": "HTML", ".json": "JSON trace"}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m reports", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (
        ("annual", "the year's work summary (年度工作总结) as Word, PDF, Markdown, HTML and a JSON trace"),
        ("plan", "next year's targets suggested from the trend, as a CSV to edit and import"),
    ):
        command = sub.add_parser(name, help=help_text)
        command.add_argument("--db", help="database file (default $KPI_DB or data/kpi.duckdb)")
        command.add_argument("--year", type=int, required=True, metavar="YYYY", help="the (fiscal) year's first year")
        command.add_argument("--fiscal-start", type=int, default=1, metavar="M", help="first month of the year")
        command.add_argument("--lang", choices=("en", "zh"), default="en")
        command.add_argument("--branch", action="append", default=[], metavar="NAME", help="repeat for several")
        command.add_argument("--district", action="append", default=[])
        command.add_argument("--kind", action="append", default=[])
        command.add_argument("--as-user", metavar="NAME", help="only what this user of the users file may see")
        command.add_argument("--users", metavar="FILE", help=f"users file (default ${users.USERS_ENV_VAR})")
        command.add_argument("--out", action="append", required=True, metavar="FILE", help="repeat for several")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    problem = _check(args)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    scope = None
    if args.as_user:
        try:
            scope = metrics_cli.user_scope(args.users, args.as_user)
        except (users.ConfigError, LookupError) as exc:
            print(exc.args[0] if exc.args else exc, file=sys.stderr)
            return 2
    con, code = metrics_cli.open_database(args.db)
    if con is None:
        return code
    with con:
        try:
            branches = metrics_cli.resolve_branches(con, args.branch, scope)
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return 2
        flt = Filter(branches=tuple(branches), districts=tuple(args.district), kinds=tuple(args.kind), scope=scope)
        if args.command == "plan":
            return _plan(con, args, flt)
        return _annual(con, args, flt)


def _check(args) -> str | None:
    """What is wrong with the options before any work, or None."""
    if not 1 <= args.fiscal_start <= 12:
        return "--fiscal-start must be a month number 1-12"
    if not 1900 <= args.year <= 2100:
        return f"--year {args.year} is not a year this data can hold (1900-2100)"
    wanted = {".csv": "CSV"} if args.command == "plan" else SUFFIXES
    for out in args.out:
        path = Path(out)
        if path.suffix.lower() not in wanted:
            return f"--out {out}: the suffix says the format; use one of {', '.join(wanted)}"
        if not path.parent.is_dir():
            return f"--out {out}: no folder {path.parent}"
    return None


def _annual(con, args, flt: Filter) -> int:
    request = annual.Request(args.year, args.fiscal_start, args.lang, flt, as_user=args.as_user)
    try:
        report = annual.build(con, request)
    except annual.NoFigures as exc:
        print(exc, file=sys.stderr)
        return 1
    for out in args.out:
        path = Path(out)
        try:
            if path.suffix.lower() == ".json":
                data = json.dumps(report.trace(), ensure_ascii=False, indent=1).encode("utf-8")
                private.write_bytes(path, data)
            else:
                render.write(report.document, path)
        except (OSError, RuntimeError) as exc:
            print(f"could not write {out}: {exc}", file=sys.stderr)
            return 1
        print(f"wrote {out} ({SUFFIXES[path.suffix.lower()]}, {report.document.title}, {len(report.figures)} figures)")
    main = report.figures[0]
    if main.partial:
        months = display.month_span(main.date_from, main.date_to)
        print(
            f"note: {args.year} is not over in the data: the figures cover {months} and are compared with the "
            "same months a year earlier",
            file=sys.stderr,
        )
    return 0


def _plan(con, args, flt: Filter) -> int:
    rows = plan.suggest(con, args.year, flt, args.fiscal_start, args.lang)
    if not rows:
        print(f"no complete year of data up to {args.year} in this scope: no targets to suggest", file=sys.stderr)
        return 1
    for out in args.out:
        try:
            private.write_bytes(Path(out), plan.to_csv(rows, args.lang))
        except OSError as exc:
            print(f"could not write {out}: {exc}", file=sys.stderr)
            return 1
        bases = sorted({r.base_year for r in rows})
        print(
            f"wrote {out} ({len(rows)} suggested targets for {args.year + 1}, from base year "
            f"{', '.join(map(str, bases))}); edit it, then import it: python -m data import {out}"
        )
    return 0
