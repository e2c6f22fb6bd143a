"""A seeded generator of a large library network's exports, for the benchmarks.

For 80 branches over five years (2021-01-01..2025-12-31) it writes:

- ``transactions_<N>.csv``: N circulation transactions ``timestamp,branch,action,item_type,patron_category``
  (one row per checkout, renewal or return, in time order), with a weekday and seasonal rhythm, a
  post-2020 recovery trend, network-wide holiday closures, mobile routes that run on two weekdays and
  branches of very different sizes;
- ``branches.csv``: ``branch_id,name,kind,district,service_population``;
- ``visits.csv``: ``date,branch,visits`` (daily door counts for the same branches and days);
- ``events.csv``: ``event_id,date,branch,title,category,audience,format,attendance,satisfaction,responses,
  scale_max,planned``.

The output depends only on the seed and the arguments. Rows are drawn with numpy, the timestamp text is
assembled as fixed-width bytes and written through pyarrow's CSV writer one year at a time, so ten million
rows (about 0.7 GB) take seconds, not minutes.

    python -m bench.generate --rows 1000000 [--out bench/work] [--seed 2025]
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "bench" / "work"
SEED = 2025
START = dt.date(2021, 1, 1)
END = dt.date(2025, 12, 31)
BRANCHES = 80

ACTIONS = (("checkout", 0.44), ("renewal", 0.14), ("return", 0.42))
ITEM_TYPES = (("book", 0.61), ("ebook", 0.13), ("audiobook", 0.08), ("dvd", 0.10), ("magazine", 0.08))
PATRONS = (("adult", 0.50), ("child", 0.23), ("teen", 0.10), ("senior", 0.17))
DISTRICTS = ("Central", "North", "South", "East", "West", "Riverside", "Hillcrest", "Harbour")
# Monday..Sunday: Saturdays are the busiest day, Sundays short.
WEEKDAY = np.array([0.95, 1.0, 1.0, 1.05, 0.95, 1.25, 0.6])
OPEN_HOURS = np.array([[9, 20]] * 5 + [[9, 17], [12, 17]])  # opening and closing hour per weekday
YEAR_TREND = {2021: 0.72, 2022: 0.88, 2023: 0.97, 2024: 1.02, 2025: 1.06}  # recovery after 2020
HOLIDAYS = ((1, 1), (12, 25), (12, 26))  # network-wide closures (month, day)
MOBILE_DAYS = (1, 3)  # Tuesday and Thursday
_PREFIXES = (
    "Oak Maple Cedar Elm Pine Birch Ash Willow Alder Linden Rose Ivy Fern Heather Clover Aspen Hazel Laurel "
    "Holly Juniper"
).split()
_SUFFIXES = "field wood brook dale ford ridge view side".split()
EVENT_CATEGORIES = ("storytime", "lecture", "training", "exhibition", "reading_club", "workshop", "film")
EVENT_AUDIENCES = ("children", "teens", "adults", "seniors", "families")
EVENT_FORMATS = (("onsite", 0.78), ("online", 0.15), ("offsite", 0.07))
TITLES = {
    "storytime": "Storytime",
    "lecture": "Author talk",
    "training": "Digital skills class",
    "exhibition": "Local history exhibition",
    "reading_club": "Reading club",
    "workshop": "Maker workshop",
    "film": "Film afternoon",
}


@dataclass
class Files:
    branches: Path
    transactions: Path
    visits: Path
    events: Path


def days() -> pd.DatetimeIndex:
    return pd.date_range(START, END, freq="D")


def branch_list(rng: np.random.Generator, count: int = BRANCHES) -> pd.DataFrame:
    """The branch list: one main library, branches, community libraries and mobile routes, with the
    relative size (`weight`) that transactions and visits are drawn with."""
    places = [p + s for p in _PREFIXES for s in _SUFFIXES]
    rng.shuffle(places)
    rows = [("main", "Central Library", "main", "Central", 320_000, 6.0)]
    mobile = max(1, count // 20)
    branch = max(1, (count - 1 - mobile) * 3 // 10)
    for i in range(count - 1):
        place = places[i]
        if i < branch:
            kind, name, weight = "branch", f"{place} Branch", float(rng.lognormal(0.4, 0.35))
        elif i < count - 1 - mobile:
            kind, name, weight = "community", f"{place} Community Library", float(rng.lognormal(-1.0, 0.4))
        else:
            kind, name, weight = "mobile", f"{place} Bookmobile", float(rng.lognormal(-0.6, 0.2))
        population = int(round(weight * 60_000 * rng.uniform(0.7, 1.3), -2))
        rows.append((f"B{i + 1:03d}", name, kind, DISTRICTS[1 + i % (len(DISTRICTS) - 1)], population, weight))
    return pd.DataFrame(rows, columns=["branch_id", "name", "kind", "district", "service_population", "weight"])


def day_weights(calendar: pd.DatetimeIndex) -> np.ndarray:
    """Relative activity of each day: weekday, season (summer reading peak, winter dip), trend, holidays."""
    doy = calendar.day_of_year.to_numpy()
    season = 1 + 0.12 * np.cos(2 * np.pi * (doy - 195) / 365.25) + 0.05 * np.cos(4 * np.pi * (doy - 20) / 365.25)
    trend = np.array([YEAR_TREND[y] for y in calendar.year])
    weights = WEEKDAY[calendar.day_of_week.to_numpy()] * season * trend
    closed = np.zeros(len(calendar), bool)
    for month, day in HOLIDAYS:
        closed |= (calendar.month == month) & (calendar.day == day)
    weights[closed] = 0.0
    return weights / weights.sum()


def branch_weights_by_weekday(branches: pd.DataFrame) -> np.ndarray:
    """(7, branches) probabilities of a transaction's branch on each weekday (mobile routes run two days)."""
    base = branches["weight"].to_numpy()
    mobile = (branches["kind"] == "mobile").to_numpy()
    out = np.tile(base, (7, 1))
    for weekday in range(7):
        if weekday in MOBILE_DAYS:
            out[weekday, mobile] *= 3.5  # a route's whole week happens on its two days
        else:
            out[weekday, mobile] = 0.0
    return out / out.sum(axis=1, keepdims=True)


def _dictionary(indices: np.ndarray, labels) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(indices.astype(np.int32)), pa.array(list(labels)))


def _timestamp_text(day_index: np.ndarray, seconds: np.ndarray, date_bytes: np.ndarray) -> pa.Array:
    """`YYYY-MM-DD HH:MM:SS` strings built as fixed-width bytes (strftime would take most of the run)."""
    n = len(day_index)
    buf = np.empty((n, 19), np.uint8)
    buf[:, :11] = date_bytes[day_index]
    zero = ord("0")
    hours, minutes, secs = seconds // 3600, seconds // 60 % 60, seconds % 60
    for col, values in ((11, hours), (14, minutes), (17, secs)):
        buf[:, col] = values // 10 + zero
        buf[:, col + 1] = values % 10 + zero
    buf[:, 13] = buf[:, 16] = ord(":")
    offsets = np.arange(0, 19 * n + 1, 19, dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(buf)])


def write_transactions(path: Path, rows: int, branches: pd.DataFrame, rng: np.random.Generator) -> None:
    """N transactions in time order, one year at a time."""
    calendar = days()
    per_day = rng.multinomial(rows, day_weights(calendar))
    weekday = calendar.day_of_week.to_numpy()
    by_weekday = branch_weights_by_weekday(branches)
    date_bytes = np.frombuffer("".join(d.strftime("%Y-%m-%d ") for d in calendar).encode(), np.uint8).reshape(-1, 11)
    names = branches["name"].tolist()
    choices = {
        "action": ACTIONS,
        "item_type": ITEM_TYPES,
        "patron_category": PATRONS,
    }
    options = pcsv.WriteOptions(quoting_style="none", quoting_header="none")
    schema = pa.schema(
        [("timestamp", pa.string())] + [(c, pa.dictionary(pa.int32(), pa.string())) for c in ("branch", *choices)]
    )
    with pcsv.CSVWriter(path, schema, write_options=options) as writer:
        for year in sorted(set(calendar.year)):
            in_year = np.flatnonzero(calendar.year == year)
            day_index = np.repeat(in_year, per_day[in_year])
            n = len(day_index)
            if n == 0:
                continue
            wd = weekday[day_index]
            branch = np.empty(n, np.int32)
            for w in range(7):
                mask = wd == w
                branch[mask] = rng.choice(len(names), size=int(mask.sum()), p=by_weekday[w])
            # Time of day: within opening hours, busiest in the afternoon.
            opens, closes = OPEN_HOURS[wd, 0] * 3600, OPEN_HOURS[wd, 1] * 3600
            seconds = (opens + (closes - opens) * rng.beta(2.0, 1.7, n)).astype(np.int64)
            order = np.lexsort((seconds, day_index))
            day_index, seconds, branch = day_index[order], seconds[order], branch[order]
            columns = {
                "timestamp": _timestamp_text(day_index, seconds, date_bytes),
                "branch": _dictionary(branch, names),
            }
            for column, spec in choices.items():
                labels, probabilities = zip(*spec, strict=True)
                columns[column] = _dictionary(rng.choice(len(labels), size=n, p=probabilities), labels)
            writer.write_table(pa.table(columns, schema=schema))


def write_visits(path: Path, branches: pd.DataFrame, rng: np.random.Generator) -> None:
    """Daily door counts per branch (no row on a closed day; mobile routes report on their two days)."""
    calendar = days()
    weights = day_weights(calendar) * len(calendar)
    by_weekday = branch_weights_by_weekday(branches) * len(branches)
    weekday = calendar.day_of_week.to_numpy()
    expected = weights[:, None] * by_weekday[weekday] * 450.0  # days x branches
    counts = rng.poisson(expected)
    day_i, branch_i = np.nonzero(expected > 0)
    frame = pd.DataFrame(
        {
            "date": calendar[day_i].strftime("%Y-%m-%d"),
            "branch": branches["name"].to_numpy()[branch_i],
            "visits": counts[day_i, branch_i],
        }
    )
    frame.to_csv(path, index=False)


def write_events(path: Path, branches: pd.DataFrame, rng: np.random.Generator) -> None:
    """Programmes: about three a week at a branch, fewer at small ones; some planned and not held;
    satisfaction rated at about half of them (1-5 scale)."""
    calendar = days()
    open_days = day_weights(calendar) > 0
    weekly = np.clip(branches["weight"].to_numpy() * 2.0, 0.3, 8.0)  # events per week per branch
    per_branch_day = rng.poisson(np.outer(open_days, weekly / 6.0))  # days x branches
    day_i, branch_i = np.nonzero(per_branch_day)
    repeat = per_branch_day[day_i, branch_i]
    day_i, branch_i = np.repeat(day_i, repeat), np.repeat(branch_i, repeat)
    n = len(day_i)
    category = rng.integers(0, len(EVENT_CATEGORIES), n)
    audience = rng.integers(0, len(EVENT_AUDIENCES), n)
    formats, probabilities = zip(*EVENT_FORMATS, strict=True)
    fmt = rng.choice(len(formats), size=n, p=probabilities)
    planned = rng.random(n) < 0.04  # planned but not held (cancelled)
    attendance = rng.poisson(8 + 30 * branches["weight"].to_numpy()[branch_i] ** 0.5)
    rated = (rng.random(n) < 0.5) & ~planned & (attendance > 0)
    responses = np.minimum(attendance, rng.binomial(np.maximum(attendance, 1), 0.35))
    rated &= responses > 0
    satisfaction = np.round(np.clip(rng.normal(4.2, 0.35, n), 1, 5), 2)
    frame = pd.DataFrame(
        {
            "event_id": [f"EV{i:07d}" for i in range(1, n + 1)],
            "date": calendar[day_i].strftime("%Y-%m-%d"),
            "branch": branches["name"].to_numpy()[branch_i],
            "title": [TITLES[c] for c in np.array(EVENT_CATEGORIES)[category]],
            "category": np.array(EVENT_CATEGORIES)[category],
            "audience": np.array(EVENT_AUDIENCES)[audience],
            "format": np.array(formats)[fmt],
            "attendance": pd.array(attendance, dtype="Int64"),
            "satisfaction": np.where(rated, satisfaction, np.nan),
            "responses": pd.array(responses, dtype="Int64"),
            "scale_max": pd.array(np.full(n, 5), dtype="Int64"),
            "planned": np.where(planned, "true", "false"),
        }
    )
    # Blank cells: no attendance for an event that was not held, no rating where nobody rated.
    frame.loc[planned, "attendance"] = pd.NA
    frame.loc[~rated, ["responses", "scale_max"]] = pd.NA
    frame.to_csv(path, index=False)


def generate(rows: int, out: Path = WORK, seed: int = SEED, branches: int = BRANCHES, force: bool = False) -> Files:
    """Write the four files (each skipped when it already exists, unless `force`); returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    files = Files(
        out / f"branches_{branches}.csv",
        out / f"transactions_{rows}.csv",
        out / f"visits_{branches}.csv",
        out / f"events_{branches}.csv",
    )
    # One generator per file, so each file depends only on the seed (and N), not on what else was written.
    branch_rows = branch_list(np.random.default_rng([seed, 0]), branches)
    if force or not files.branches.exists():
        branch_rows.drop(columns=["weight"]).to_csv(files.branches, index=False)
    if force or not files.transactions.exists():
        partial = files.transactions.with_suffix(".partial")
        write_transactions(partial, rows, branch_rows, np.random.default_rng([seed, 1, rows]))
        partial.replace(files.transactions)
    if force or not files.visits.exists():
        write_visits(files.visits, branch_rows, np.random.default_rng([seed, 2]))
    if force or not files.events.exists():
        write_events(files.events, branch_rows, np.random.default_rng([seed, 3]))
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="transactions to write (default 1,000,000)")
    parser.add_argument("--out", type=Path, default=WORK, help="folder for the files (default bench/work)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--branches", type=int, default=BRANCHES)
    parser.add_argument("--force", action="store_true", help="rewrite files that already exist")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    files = generate(args.rows, args.out, args.seed, args.branches, args.force)
    for path in (files.branches, files.transactions, files.visits, files.events):
        print(f"{path}  {path.stat().st_size / 1e6:,.1f} MB")
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
