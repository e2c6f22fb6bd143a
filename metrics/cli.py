"""The metrics command line, for scripts, scheduled jobs and checking numbers without the UI, and the
users file's tools (hash-password, users).

`query --as-user NAME` answers as that user of the users file would see it (a supervisor: only their
branches). It asks for no password: whoever can run this command can read the database file directly,
so the flag is for producing a user's view (e.g. a scheduled report), not a barrier."""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import getpass
import json
import math
import sys

from data import db, lake, store
from data.formulas import neutralise_cell
from data.names import name_key
from metrics import periods, spark, users
from metrics.engine import TARGET_COLUMNS, attainment_table, branch_names, compute
from metrics.filters import Filter, matching_branches
from metrics.registry import METRICS
from metrics.satisfaction import DEFAULT_QUESTION

ENGINES = ("duckdb", "spark")  # the engines a query can run on (metrics/spark.py)
BY_CHOICES = (
    "branch",
    "district",
    "kind",
    "category",
    "audience",
    "format",
    "item_type",
    "patron_category",
    "question",
)


class _Once(argparse.Action):
    """An option that takes one value: given twice, the command stops rather than silently keeping the last."""

    def __call__(self, parser, namespace, value, option_string=None):
        if getattr(namespace, f"_{self.dest}_given", False):
            parser.error(f"{option_string} given twice: a query takes one (run the command once for each)")
        setattr(namespace, f"_{self.dest}_given", True)
        setattr(namespace, self.dest, value)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m metrics", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("list", help="the metrics: ids, labels, units")
    listing.add_argument("--format", choices=("text", "json"), default="text")
    query = sub.add_parser("query", help="a metric by period, optionally by a dimension and against last year")
    query.add_argument("--db", help=f"database file (default ${db.DB_ENV_VAR} or data/kpi.duckdb)")
    query.add_argument(
        "--lake",
        metavar="DIR",
        help="compute from a lake written by `python -m data export --format parquet` instead of a database",
    )
    query.add_argument(
        "--engine",
        choices=ENGINES,
        default="duckdb",
        action=_Once,
        help="the engine that computes: duckdb (default) or spark (needs --lake)",
    )
    query.add_argument(
        "--spark-master",
        metavar="URL",
        help=f"with --engine spark: local[N], spark://host:7077 or sc://host:15002 (default ${spark.MASTER_ENV} "
        f"or {spark.DEFAULT_MASTER})",
    )
    query.add_argument("--metric", required=True, action=_Once, choices=[m.id for m in METRICS], metavar="ID")
    query.add_argument("--grain", default="year", action=_Once, choices=periods.GRAINS)
    query.add_argument("--fiscal-start", type=int, default=1, metavar="MONTH", help="first month of the fiscal year")
    query.add_argument("--by", choices=BY_CHOICES, action=_Once)
    query.add_argument("--from", dest="date_from", action=_Once, type=dt.date.fromisoformat, metavar="YYYY-MM-DD")
    query.add_argument("--to", dest="date_to", action=_Once, type=dt.date.fromisoformat, metavar="YYYY-MM-DD")
    query.add_argument("--branch", action="append", default=[], metavar="NAME", help="repeat for several")
    query.add_argument("--district", action="append", default=[])
    query.add_argument("--kind", action="append", default=[])
    query.add_argument("--category", action="append", default=[])
    query.add_argument("--audience", action="append", default=[])
    query.add_argument("--event-format", dest="formats", action="append", default=[], metavar="FORMAT")
    query.add_argument(
        "--question",
        default=DEFAULT_QUESTION,
        metavar="ID",
        help=f"the survey question the satisfaction metrics count (default {DEFAULT_QUESTION})",
    )
    query.add_argument("--compare", choices=("yoy",), action=_Once)
    query.add_argument("--like-for-like", action="store_true")
    query.add_argument("--same-weekday", action="store_true", help="compare days with the same weekday (364 days)")
    query.add_argument(
        "--months-back",
        type=int,
        action=_Once,
        metavar="N",
        help="compare with the same window N whole months earlier instead of a year (3: the quarter before)",
    )
    query.add_argument(
        "--target",
        action="store_true",
        help="each year's figure against its target (metrics/targets.py): adds the columns "
        f"{', '.join(TARGET_COLUMNS)}; with --grain year, and --by branch or no --by",
    )
    query.add_argument("--format", choices=("csv", "json"), default="csv", action=_Once)
    query.add_argument("--as-user", metavar="NAME", help="only what this user of the users file may see")
    query.add_argument("--users", metavar="FILE", help=f"users file (default ${users.USERS_ENV_VAR})")
    sub.add_parser(
        "hash-password",
        help="an Argon2id hash for a users file, from a password typed twice (or one line on standard input)",
    )
    listing_users = sub.add_parser("users", help="check the users file and list its users, roles and branches")
    listing_users.add_argument("--users", metavar="FILE", help=f"users file (default ${users.USERS_ENV_VAR})")
    listing_users.add_argument("--db", help="also check the supervisors' branch ids against this database")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "list":
        return _list(args)
    if args.command == "hash-password":
        return _hash_password()
    if args.command == "users":
        return _users(args)
    scope = None
    if args.as_user:
        try:
            scope = user_scope(args.users, args.as_user)
        except (users.ConfigError, LookupError) as exc:
            print(exc.args[0] if exc.args else exc, file=sys.stderr)
            return 2
    if not 1 <= args.fiscal_start <= 12:
        print("--fiscal-start must be a month number 1-12", file=sys.stderr)
        return 2
    problem = target_problem(args)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    con, code = open_source(args)
    if con is None:
        return code
    with con:
        try:
            flt = Filter(
                date_from=args.date_from,
                date_to=args.date_to,
                branches=tuple(resolve_branches(con, args.branch, scope)),
                districts=tuple(args.district),
                kinds=tuple(args.kind),
                categories=tuple(args.category),
                audiences=tuple(args.audience),
                formats=tuple(args.formats),
                scope=scope,
                beyond_complete=args.date_to is not None,  # an explicit --to counts the data after it
                question=args.question,
            )
            if args.target:
                result = attainment_table(con, args.metric, flt, args.by, args.fiscal_start)
            else:
                result = compute(
                    con,
                    args.metric,
                    flt,
                    args.grain,
                    args.by,
                    args.fiscal_start,
                    compare=args.compare == "yoy" or args.months_back is not None,
                    like_for_like=args.like_for_like,
                    same_weekday=args.same_weekday,
                    months_back=args.months_back,
                )
            names = branch_names(con)
        except (KeyError, ValueError) as exc:
            print(exc.args[0] if exc.args else exc, file=sys.stderr)
            return 2
    comparing = args.compare == "yoy" or args.like_for_like or args.months_back is not None
    rows = output_rows(result, compare=comparing, target=args.target)
    if args.format == "json":
        print(
            json.dumps(
                {
                    "metric": args.metric,
                    "as_of": str(result.as_of) if result.as_of else None,
                    "complete_through": str(result.complete_through) if result.complete_through else None,
                    "not_reported": {p.period: [names.get(b, b) for b in p.not_reported] for p in result.pending},
                    "reporting": {
                        p.period: {"reported": len(p.reported), "expected": p.expected_count} for p in result.pending
                    },
                    "rows": rows,
                    "excluded": result.excluded,
                    "notes": result.notes,
                },
                ensure_ascii=False,
                indent=1,
            )
        )
    else:
        _write_csv(rows, output_columns(args.by, comparing, args.target))
    for note in [*completeness_notes(result, names, args.date_to), *result.notes]:
        print(f"note: {note}", file=sys.stderr)
    return 0


def open_source(args):
    """(a connection the metric layer reads, 0) for the query's --db, or --lake on --engine; or (None, exit status)
    with the reason printed: 2 a usage error or nothing to read, 3 busy, 5 damaged, 6 Spark unavailable."""
    if args.engine == "spark" and not args.lake:
        print(
            "--engine spark computes from a lake: give --lake DIR (python -m data export --format parquet)",
            file=sys.stderr,
        )
        return None, 2
    if args.spark_master and args.engine != "spark":
        print("--spark-master applies only with --engine spark", file=sys.stderr)
        return None, 2
    if not args.lake:
        return open_database(args.db)
    if args.db:
        print("give either --db or --lake, not both", file=sys.stderr)
        return None, 2
    try:
        if args.engine == "spark":
            return spark.connect_lake(args.lake, args.spark_master), 0
        return lake.connect_duckdb(args.lake), 0
    except lake.LakeError as exc:
        print(exc, file=sys.stderr)
        return None, 2
    except spark.SparkUnavailable as exc:
        print(exc, file=sys.stderr)
        return None, 6


def open_database(path_arg: str | None):
    """(a reader of the database, 0), or (None, exit status) with the reason printed: 2 no database, 3 busy,
    5 damaged. Shared by the commands that read figures (this one and `python -m reports`)."""
    path = db.db_path(path_arg)
    if not path.exists():
        print(f"no database at {path}; import exports with `python -m data import PATH`", file=sys.stderr)
        return None, 2
    try:
        return store.open_reader(path)[0], 0
    except db.DatabaseBusy as exc:
        print(exc, file=sys.stderr)
        return None, 3
    except store.DatabaseDamaged as exc:
        print(exc, file=sys.stderr)
        return None, 5


def completeness_notes(result, names: dict[str, str], date_to: dt.date | None) -> list[str]:
    """Say which periods after the complete-through date some expected branches have not reported, and
    whether the comparison stopped before them or (an explicit later end, `date_to`) counts them as partial."""
    notes = []
    explicit = date_to is not None
    for pending in result.pending:
        if explicit and pending.start > date_to:
            continue
        missing = ", ".join(names.get(b, b) for b in pending.not_reported[:10])
        more = f" and {len(pending.not_reported) - 10} more" if len(pending.not_reported) > 10 else ""
        told = f"{len(pending.reported)} of {pending.expected_count} branches have reported {pending.period}"
        if explicit:
            notes.append(f"{told}; counted as partial; not reported: {missing}{more}")
        else:
            notes.append(f"{told}; the comparison ends {result.complete_through} (not reported: {missing}{more})")
    return notes


def resolve_branches(con, names: list[str], scope: tuple[str, ...] | None = None) -> list[str]:
    """Branch ids for names, codes or aliases as users type them; ValueError names the closest. With a
    scope (--as-user) the closest names come from the branches in it only, so a typo never lists other
    branches' names (a branch outside the scope named exactly still matches nothing: the query's scope)."""
    aliases = dict(con.execute("SELECT alias_key, branch_id FROM branch_aliases").fetchall())
    suggest = aliases
    if scope is not None:
        visible = matching_branches(con, Filter(scope=scope))
        suggest = {key: branch_id for key, branch_id in aliases.items() if branch_id in visible}
    ids = []
    for name in names:
        found = aliases.get(name_key(name))
        if found is None:
            close = difflib.get_close_matches(name_key(name), list(suggest), n=3, cutoff=0.6)
            raise ValueError(f"unknown branch {name!r}" + (f"; closest: {', '.join(close)}" if close else ""))
        ids.append(found)
    return ids


def target_problem(args) -> str | None:
    """Why a --target query cannot be answered as asked (None when it can): a target is a (fiscal) year's,
    compared for the whole selection or by branch, with every branch that reported."""
    if not args.target:
        return None
    if args.grain != "year":
        return "--target compares a (fiscal) year with its target: use --grain year"
    if args.by not in (None, "branch"):
        return "--target compares the whole selection or each branch (--by branch) with its target"
    if args.like_for_like or args.same_weekday:
        return "--target counts every branch on every day: leave out --like-for-like and --same-weekday"
    return None


def output_rows(result, compare: bool, target: bool = False) -> list[dict]:
    """The result as plain rows: period, [by], value and, when comparing, prior_value, yoy_pct, partial; with
    `target` (an engine.attainment_table result) the TARGET_COLUMNS."""
    out = []
    for row in result.table.to_dict("records"):
        item = {"period": row["period"]}
        if result.by:
            item[result.by] = row[result.by]
        item["value"] = _number(row["value"], result.metric.fmt)
        if compare:
            item["prior_value"] = _number(row["prior_value"], result.metric.fmt)
            item["yoy_pct"] = _number(row["yoy_pct"], "pct")
            item["partial"] = bool(row["partial"])
        if target:
            item["target"] = _number(row["target"], result.metric.fmt)
            for column in ("attainment_pct", "expected_pct"):
                item[column] = _number(row[column], "pct")
            item["expected_basis"] = row["expected_basis"]
            item["ahead_pts"] = _number(row["ahead_pts"], "pct")
            item["reached"] = row["reached"]
        out.append(item)
    return out


def _number(value, fmt: str):
    """Counts as integers, other values rounded to 6 decimals; missing as None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if fmt == "int" and float(value).is_integer():
        return int(value)
    return round(float(value), 6)


def output_columns(by: str | None, compare: bool, target: bool = False) -> list[str]:
    """The CSV header: period, [by], value, with a comparison prior_value, yoy_pct, partial, and with --target
    the TARGET_COLUMNS."""
    return [
        "period",
        *([by] if by else []),
        "value",
        *(["prior_value", "yoy_pct", "partial"] if compare else []),
        *(TARGET_COLUMNS if target else []),
    ]


def _write_csv(rows: list[dict], columns: list[str]) -> None:
    """The rows as CSV; text that a spreadsheet would run as a formula (a branch or district named
    `=HYPERLINK(...)`) is neutralised exactly as the dashboard's downloads do (data/formulas.py)."""
    import csv

    writer = csv.DictWriter(sys.stdout, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                k: ("" if v is None else ("true" if v is True else "false" if v is False else neutralise_cell(v)))
                for k, v in row.items()
            }
        )


def _list(args) -> int:
    if args.format == "json":
        print(
            json.dumps(
                [
                    {
                        "id": m.id,
                        "label_en": m.label_en,
                        "label_zh": m.label_zh,
                        "unit": m.unit,
                        "reference": m.reference,
                    }
                    for m in METRICS
                ],
                ensure_ascii=False,
                indent=1,
            )
        )
        return 0
    for m in METRICS:
        print(f"{m.id:<28} {m.label_en:<28} {m.label_zh:<12} {m.unit}")
    return 0


def user_scope(path: str | None, name: str) -> tuple[str, ...] | None:
    """The branch scope of a user of the users file (None: every branch); LookupError for no such user."""
    found = users.config_path(path)
    if found is None:
        raise LookupError(f"--as-user needs a users file: --users FILE or ${users.USERS_ENV_VAR}")
    user = users.load(found).get(name)
    if user is None:
        raise LookupError(f"no user {name!r} in {found}")
    return user.scope


def _hash_password() -> int:
    """Print an Argon2id hash of a password: typed twice on a terminal, or the first line of stdin."""
    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("the two passwords differ", file=sys.stderr)
            return 2
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        print(users.hash_password(password))
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


def _users(args) -> int:
    """List the users file's users (never their hashes); with --db, name branch ids the database lacks."""
    path = users.config_path(args.users)
    if path is None:
        print(f"no users file: sign-in is off (set ${users.USERS_ENV_VAR} or give --users FILE)", file=sys.stderr)
        return 2
    try:
        config = users.load(path)
    except users.ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    mode = path.stat().st_mode & 0o777
    if mode & 0o007:
        print(
            f"warning: {path} can be read by every user of this machine (mode {mode:04o}); it holds password "
            f"hashes: chmod 600 {path}",
            file=sys.stderr,
        )
    known, mains = None, {}
    if args.db:
        with db.connect(db.db_path(args.db), read_only=True) as con:
            known = {row[0] for row in con.execute("SELECT branch_id FROM branches").fetchall()}
            for (branch_id,) in con.execute("SELECT branch_id FROM branches WHERE kind = 'main'").fetchall():
                mains[branch_id] = len(matching_branches(con, Filter(scope=(branch_id,)))) - 1
    code = 0
    for user in config.users:
        sign_in = ", ".join(filter(None, ("password" if user.password_hash else "", user.email or "")))
        print(f"{user.name:<20} {user.role:<10} {','.join(user.branches) or 'all branches':<30} {sign_in}")
        missing = [b for b in user.branches if known is not None and b not in known]
        if missing:
            print(f"  unknown branch id(s) for {user.name}: {', '.join(missing)}", file=sys.stderr)
            code = 1
        for branch_id in (b for b in user.branches if b in mains and user.role == "supervisor"):
            print(
                f"  warning: {user.name}'s branches include {branch_id}, a main library: it brings every service "
                f"point under it ({mains[branch_id]}); list the branches this supervisor is responsible for instead",
                file=sys.stderr,
            )
    return code
