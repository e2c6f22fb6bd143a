"""The metrics command line, for scripts, scheduled jobs and checking numbers without the UI."""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import json
import math
import sys

from data import db
from data.names import name_key
from metrics import periods
from metrics.engine import compute
from metrics.filters import Filter
from metrics.registry import METRICS

BY_CHOICES = ("branch", "district", "kind", "category", "audience", "format", "item_type", "patron_category")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m metrics", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("list", help="the metrics: ids, labels, units")
    listing.add_argument("--format", choices=("text", "json"), default="text")
    query = sub.add_parser("query", help="a metric by period, optionally by a dimension and against last year")
    query.add_argument("--db", help=f"database file (default ${db.DB_ENV_VAR} or data/kpi.duckdb)")
    query.add_argument("--metric", required=True, choices=[m.id for m in METRICS], metavar="ID")
    query.add_argument("--grain", default="year", choices=periods.GRAINS)
    query.add_argument("--fiscal-start", type=int, default=1, metavar="MONTH", help="first month of the fiscal year")
    query.add_argument("--by", choices=BY_CHOICES)
    query.add_argument("--from", dest="date_from", type=dt.date.fromisoformat, metavar="YYYY-MM-DD")
    query.add_argument("--to", dest="date_to", type=dt.date.fromisoformat, metavar="YYYY-MM-DD")
    query.add_argument("--branch", action="append", default=[], metavar="NAME", help="repeat for several")
    query.add_argument("--district", action="append", default=[])
    query.add_argument("--kind", action="append", default=[])
    query.add_argument("--category", action="append", default=[])
    query.add_argument("--audience", action="append", default=[])
    query.add_argument("--event-format", dest="formats", action="append", default=[], metavar="FORMAT")
    query.add_argument("--compare", choices=("yoy",))
    query.add_argument("--like-for-like", action="store_true")
    query.add_argument("--same-weekday", action="store_true", help="compare days with the same weekday (364 days)")
    query.add_argument("--format", choices=("csv", "json"), default="csv")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "list":
        return _list(args)
    if not 1 <= args.fiscal_start <= 12:
        print("--fiscal-start must be a month number 1-12", file=sys.stderr)
        return 2
    path = db.db_path(args.db)
    if not path.exists():
        print(f"no database at {path}; import exports with `python -m data import PATH`", file=sys.stderr)
        return 2
    try:
        con = db.connect(path, read_only=True)
    except db.DatabaseBusy as exc:
        print(exc, file=sys.stderr)
        return 3
    with con:
        try:
            flt = Filter(
                date_from=args.date_from,
                date_to=args.date_to,
                branches=tuple(resolve_branches(con, args.branch)),
                districts=tuple(args.district),
                kinds=tuple(args.kind),
                categories=tuple(args.category),
                audiences=tuple(args.audience),
                formats=tuple(args.formats),
            )
            result = compute(
                con,
                args.metric,
                flt,
                args.grain,
                args.by,
                args.fiscal_start,
                compare=args.compare == "yoy",
                like_for_like=args.like_for_like,
                same_weekday=args.same_weekday,
            )
        except (KeyError, ValueError) as exc:
            print(exc.args[0] if exc.args else exc, file=sys.stderr)
            return 2
    rows = output_rows(result, compare=args.compare == "yoy" or args.like_for_like)
    if args.format == "json":
        print(
            json.dumps(
                {
                    "metric": args.metric,
                    "as_of": str(result.as_of) if result.as_of else None,
                    "rows": rows,
                    "excluded": result.excluded,
                    "notes": result.notes,
                },
                ensure_ascii=False,
                indent=1,
            )
        )
    else:
        _write_csv(rows, output_columns(args.by, args.compare == "yoy" or args.like_for_like))
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    return 0


def resolve_branches(con, names: list[str]) -> list[str]:
    """Branch ids for names, codes or aliases as users type them; ValueError names the closest."""
    aliases = dict(con.execute("SELECT alias_key, branch_id FROM branch_aliases").fetchall())
    ids = []
    for name in names:
        found = aliases.get(name_key(name))
        if found is None:
            close = difflib.get_close_matches(name_key(name), list(aliases), n=3, cutoff=0.6)
            raise ValueError(f"unknown branch {name!r}" + (f"; closest: {', '.join(close)}" if close else ""))
        ids.append(found)
    return ids


def output_rows(result, compare: bool) -> list[dict]:
    """The result as plain rows: period, [by], value and, when comparing, prior_value, yoy_pct, partial."""
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
        out.append(item)
    return out


def _number(value, fmt: str):
    """Counts as integers, other values rounded to 6 decimals; missing as None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if fmt == "int" and float(value).is_integer():
        return int(value)
    return round(float(value), 6)


def output_columns(by: str | None, compare: bool) -> list[str]:
    """The CSV header: period, [by], value, and with a comparison prior_value, yoy_pct, partial."""
    return ["period", *([by] if by else []), "value", *(["prior_value", "yoy_pct", "partial"] if compare else [])]


def _write_csv(rows: list[dict], columns: list[str]) -> None:
    import csv

    writer = csv.DictWriter(sys.stdout, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {k: ("" if v is None else ("true" if v is True else "false" if v is False else v)) for k, v in row.items()}
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
