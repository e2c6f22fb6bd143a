"""Data-quality findings: gaps, zero runs, spikes and impossible values in the imported facts.

Each finding names a table, a branch, a period and the numbers behind it, for the Data page. Series are
fetched with one simple query per table (date, branch, grain, value); the run and baseline logic is pandas.
The value of a series is visits (total audience ``all`` only) or loans (``circulation``, else checkouts +
renewals), summed per branch and date over item types and patron categories. Only day and month grains are
examined; quarterly and yearly rows are left alone.

Rules (thresholds are the module constants named in capitals):

1. ``missing_days`` (warning). For each branch's daily series: the days between its first and last reported
   day with no row, grouped into runs; a run of at least GAP_MIN_DAYS days is one finding. Days that do not
   count (they neither extend nor break a run): days outside the branch's opened_on..closed_on; weekdays
   the branch normally does not open (reported on fewer than CLOSED_WEEKDAY_SHARE times as many days as its
   busiest weekday, e.g. a museum's Mondays or a mobile route's off days); and network-wide closures, days
   on which fewer than NETWORK_OPEN_SHARE of the other branches expected that day have a row (holidays).
   A long run covering whole months (a renovation) is still reported.
   ``missing_months`` (warning): for each monthly series, the months between its first and last reported
   month with no row (a month entirely outside opened_on..closed_on does not count), one finding per run.
2. ``zero_run`` (warning). At least ZERO_RUN_MIN_DAYS consecutive reported days with value 0 on days the
   branch normally has visits: the median for that weekday over the ZERO_WINDOW_WEEKS weeks before the run
   and the ZERO_WINDOW_WEEKS weeks after it (the surrounding 8 weeks) is above 0. Zeros on normally-closed
   weekdays do not count towards the run but do not break it. The baseline is the median of those medians.
3. ``spike`` (warning). A day above SPIKE_FACTOR times the median of the same weekday over the previous
   SPIKE_DAY_WEEKS weeks (at least SPIKE_DAY_MIN_HISTORY of them reported), consecutive spike days grouped
   into one finding; or a month above SPIKE_FACTOR times the branch's median month over the previous
   SPIKE_MONTHS months (at least SPIKE_MONTH_MIN_HISTORY reported). The median must be at least
   SPIKE_MIN_BASELINE, so that tiny counts do not raise alarms.
4. ``negative`` (error): any negative count (the schema forbids them; checked anyway), one finding per
   branch and column. ``impossible`` (error), per event: satisfaction above its scale_max, responses above
   attendance, or volunteer_hours above MAX_HOURS_PER_VOLUNTEER x volunteers.

5. ``not_reported`` (warning): a branch expected in a period after its table's complete-through date (open,
   and reported in any of the three periods before; data/completeness.py) that has not reported it while
   other branches have, one finding per branch and period. Judged over the whole network.

A Filter's branch conditions choose which branches are reported, but holidays are always judged against the
whole network. Its dates choose the findings whose period overlaps them; baselines may look further back.

Kept findings: every write of the database (data/store.py) computes the whole network's findings of
DEFAULT_TABLES once and keeps them in its table quality_findings (record()), stamped with the rules' digest and
the data version they describe. The pages and the annual report read those (network_findings(), view_findings())
instead of running the checks on every view; a database without a matching stamp has its findings computed.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from data import completeness, db
from metrics import display
from metrics.filters import Filter, branch_sql, fact_sql, matching_branches, service_point_sql
from metrics.registry import LOANS_ROW

KINDS = ("missing_days", "missing_months", "zero_run", "spike", "negative", "impossible", "not_reported")
DEFAULT_TABLES = ("visits", "circulation", "events")

GAP_MIN_DAYS = 3
CLOSED_WEEKDAY_SHARE = 0.2
NETWORK_OPEN_SHARE = 0.5
ZERO_RUN_MIN_DAYS = 3
ZERO_WINDOW_WEEKS = 4
SPIKE_FACTOR = 3.0
SPIKE_MIN_BASELINE = 20.0
SPIKE_DAY_WEEKS = 8
SPIKE_DAY_MIN_HISTORY = 4
SPIKE_MONTHS = 12
SPIKE_MONTH_MIN_HISTORY = 6
MAX_HOURS_PER_VOLUNTEER = 24.0
# How far before a Filter's date_from the series are read, so that baselines exist at its start.
HISTORY_MARGIN = dt.timedelta(days=400)
AFTER_MARGIN = dt.timedelta(weeks=ZERO_WINDOW_WEEKS)

# Series tables: value expression, unit word, an optional (column, value) restriction, and the table read
# (circulation's daily sums without item types and patron categories: the same series from fewer rows).
SERIES = {
    "visits": ("f.visits", "visits", ("audience", "all"), "visits"),
    "circulation": (LOANS_ROW, "loans", None, "circulation_daily"),
}
SERIES_GRAINS = ("day", "month")
NEGATIVE_COLUMNS = {
    "visits": ("visits",),
    "circulation": ("checkouts", "renewals", "returns", "circulation"),
    "events": ("sessions", "attendance", "responses", "volunteers", "volunteer_hours", "beneficiaries", "satisfaction"),
    "measures": ("value",),
}


@dataclass(frozen=True)
class Finding:
    """One suspicious stretch of data, with the numbers that make it suspicious."""

    table: str
    branch_id: str
    branch_name: str
    kind: str  # one of KINDS
    period_start: dt.date
    period_end: dt.date
    evidence: str  # the explanation in English (explain() of the two fields below)
    value: float | None
    baseline: float | None
    severity: str  # warning | error
    explanation: str = ""  # a key of EXPLANATIONS: what the evidence says, in any language
    facts: tuple[tuple[str, object], ...] = ()  # (name, value) pairs the explanation is worded from


def findings(
    con: duckdb.DuckDBPyConnection, flt: Filter | None = None, tables: tuple[str, ...] = DEFAULT_TABLES
) -> list[Finding]:
    """All findings for the chosen tables, sorted by table, branch and period_start."""
    flt = flt or Filter()
    unknown = set(tables) - set(NEGATIVE_COLUMNS)
    if unknown:
        raise ValueError(f"no quality rules for table(s) {', '.join(sorted(unknown))}")
    spans = _branch_spans(con)
    ids = spans.index.tolist()
    by_position = spans.reset_index(drop=True)  # the series name branches by their position in `ids`
    found: list[Finding] = []
    for table in tables:
        if table in SERIES:
            series = _series_findings(table, _fetch_series(con, table, flt, ids), by_position)
            found += [replace(f, branch_id=ids[f.branch_id]) for f in series]
        found += _negative_findings(con, table, flt)
        if table in completeness.TABLES:
            found += _not_reported_findings(con, table)
        if table == "events":
            found += _event_findings(con, flt)
    wanted = _branch_ids(con, flt)
    names = dict(zip(spans.index, spans["name"], strict=True))
    kept = [
        replace(f, branch_name=names.get(f.branch_id, f.branch_id))
        for f in found
        if f.branch_id in wanted and _overlaps(f, flt)
    ]
    return sorted(kept, key=lambda f: (f.table, f.branch_id, f.period_start, f.kind))


def findings_frame(
    con: duckdb.DuckDBPyConnection, flt: Filter | None = None, tables: tuple[str, ...] = DEFAULT_TABLES
) -> pd.DataFrame:
    """The findings as a table, one row each, columns in Finding's field order."""
    return as_frame(findings(con, flt, tables))


def as_frame(found: list[Finding]) -> pd.DataFrame:
    """Findings as a table, one row each, columns in Finding's field order."""
    columns = [f.name for f in fields(Finding)]
    return pd.DataFrame([asdict(f) for f in found], columns=columns)


# --- findings kept in the database ---------------------------------------------------------------------------

STORED_TABLE = "quality_findings"  # data/schema.sql
STAMP_KEY = "quality_findings_of"  # its row in `meta`: the rules' digest and the data version the findings describe
_STORED_COLUMNS = (
    "position",
    "fact_table",
    "branch_id",
    "branch_name",
    "kind",
    "period_start",
    "period_end",
    "evidence",
    "value",
    "baseline",
    "severity",
    "explanation",
    "facts",
)


@functools.cache
def rules_digest() -> str:
    """A digest of the code the findings come from (this module and data/completeness.py), so that findings
    kept by an earlier version of the rules or of their wording are never shown as today's."""
    digest = hashlib.blake2b(digest_size=8)
    for module in (__file__, completeness.__file__):
        digest.update(Path(module).read_bytes())
    return digest.hexdigest()


def stamp(con: duckdb.DuckDBPyConnection) -> str:
    """What kept findings must be stamped with to describe the database as it is now."""
    return f"{rules_digest()}:{db.data_version(con)}"


def record(con: duckdb.DuckDBPyConnection) -> list[Finding]:
    """Compute the whole network's findings of DEFAULT_TABLES and keep them, in order, in quality_findings with
    today's stamp (replacing what was kept). Called by data/store.py on every generation it publishes."""
    found = findings(con)
    rows = pd.DataFrame(
        [
            (i, f.table, f.branch_id, f.branch_name, f.kind, f.period_start, f.period_end, f.evidence, f.value)
            + (f.baseline, f.severity, f.explanation, _facts_text(f.facts))
            for i, f in enumerate(found)
        ],
        columns=list(_STORED_COLUMNS),
    )
    con.execute(f"DELETE FROM {STORED_TABLE}")
    if found:  # one statement for all rows (a sample of 10 years can hold hundreds of findings)
        con.register("found_rows", rows)
        try:
            con.execute(f"INSERT INTO {STORED_TABLE} SELECT * FROM found_rows")
        finally:
            con.unregister("found_rows")
    con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [STAMP_KEY, stamp(con)])
    return found


def stored_findings(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...] = DEFAULT_TABLES) -> list[Finding] | None:
    """The whole network's findings of the tables as record() kept them, in findings() order; None when the
    database holds none that describe it as it is now (see network_findings)."""
    if not set(tables) <= set(DEFAULT_TABLES):
        return None
    cursor = con.cursor()
    try:
        kept = cursor.execute("SELECT value FROM meta WHERE key = ?", [STAMP_KEY]).fetchone()
        if kept is None or kept[0] != stamp(cursor):
            return None
        rows = cursor.execute(
            f"SELECT {', '.join(_STORED_COLUMNS[1:])} FROM {STORED_TABLE} "
            "WHERE list_contains(?, fact_table) ORDER BY position",
            [list(tables)],
        ).fetchall()
    finally:
        cursor.close()
    return [_stored_finding(row) for row in rows]


def network_findings(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...] = DEFAULT_TABLES) -> list[Finding]:
    """The whole network's findings of the tables: the kept ones when they describe the database as it is now,
    else computed. Computed for a database written by an older version (no table, or opened read-only and never
    migrated), one written outside data/store.py (a plain file a test or tool imported into: its data version
    moved past the stamp), one whose findings an earlier version of the rules made, and tables not kept."""
    kept = stored_findings(con, tables)
    return kept if kept is not None else findings(con, tables=tables)


def view_findings(
    con: duckdb.DuckDBPyConnection, flt: Filter | None = None, tables: tuple[str, ...] = DEFAULT_TABLES
) -> list[Finding]:
    """What a view shows: the whole network's findings of the tables for the filter's service points whose
    period overlaps its dates, in findings() order."""
    flt = flt or Filter()
    wanted = matching_branches(con, flt)
    return [f for f in network_findings(con, tables) if f.branch_id in wanted and _overlaps(f, flt)]


def _facts_text(facts: tuple[tuple[str, object], ...]) -> str:
    """A finding's facts as JSON that _facts_value reads back to equal values (dates and spans are tagged)."""
    return json.dumps([[name, _tagged(value)] for name, value in facts], ensure_ascii=False)


def _tagged(value):
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, tuple):
        return {"tuple": [_tagged(v) for v in value]}
    return value


def _untagged(value):
    if isinstance(value, dict) and "date" in value:
        return dt.date.fromisoformat(value["date"])
    if isinstance(value, dict) and "tuple" in value:
        return tuple(_untagged(v) for v in value["tuple"])
    return value


def _stored_finding(row: tuple) -> Finding:
    table, branch_id, branch_name, kind, start, end, evidence, value, baseline, severity, explanation, facts = row
    return Finding(
        table=table,
        branch_id=branch_id,
        branch_name=branch_name,
        kind=kind,
        period_start=start,
        period_end=end,
        evidence=evidence,
        value=value,
        baseline=baseline,
        severity=severity,
        explanation=explanation,
        facts=tuple((name, _untagged(v)) for name, v in json.loads(facts)),
    )


# --- reading -------------------------------------------------------------------------------------------------


def _branch_spans(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every branch's name, opened_on and closed_on (as Timestamps or NaT), indexed by branch_id."""
    frame = con.execute("SELECT branch_id, name, opened_on, closed_on FROM branches").fetchdf()
    for column in ("opened_on", "closed_on"):
        frame[column] = pd.to_datetime(frame[column])
    return frame.set_index("branch_id")


def _branch_ids(con: duckdb.DuckDBPyConnection, flt: Filter) -> set[str]:
    """Ids of the service points the filter's branch, district and kind conditions select (a system-wide
    line is checked by no data check: it is no service point)."""
    return matching_branches(con, flt)


def _fetch_window(flt: Filter) -> Filter:
    """The filter's dates widened so that baselines before date_from and after date_to can be read."""
    start = flt.date_from - HISTORY_MARGIN if flt.date_from else None
    end = flt.date_to + AFTER_MARGIN if flt.date_to else None
    return flt.with_dates(start, end)


def _fetch_series(con: duckdb.DuckDBPyConnection, table: str, flt: Filter, ids: list[str]) -> pd.DataFrame:
    """date, branch_id, grain, value for every branch (holidays need the whole network), day and month grains;
    branch_id is the branch's position in `ids`."""
    expression, _, restriction, source = SERIES[table]
    conditions, params = fact_sql(_fetch_window(flt), table, "f")
    conditions = [f"f.grain IN ({', '.join('?' for _ in SERIES_GRAINS)})", *conditions]
    params = [*SERIES_GRAINS, *params]
    if restriction:
        conditions.append(f"f.{restriction[0]} = ?")
        params.append(restriction[1])
    # Branches as their position in `ids` (integers group and merge several times faster than strings); a row
    # of a branch missing from the branch list cannot be named and is left out.
    sql = (
        f"SELECT f.date, list_position(?, f.branch_id) - 1 AS branch_id, f.grain, sum({expression}) AS value "
        f"FROM {source} f WHERE {' AND '.join(conditions)} AND list_contains(?, f.branch_id) "
        "GROUP BY ALL ORDER BY 2, 1"
    )
    frame = con.execute(sql, [ids, *params, ids]).fetchdf()
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def _series_findings(table: str, series: pd.DataFrame, spans: pd.DataFrame) -> list[Finding]:
    """Gap, zero-run and spike findings of one table's daily and monthly series."""
    daily = _calendar(series[series["grain"] == "day"], "D")
    monthly = _calendar(series[series["grain"] == "month"], "MS")
    unit = SERIES[table][1]
    return [
        *_daily_gaps(table, daily, spans),
        *_monthly_gaps(table, monthly, spans),
        *_zero_runs(table, daily, unit),
        *_daily_spikes(table, daily, unit),
        *_monthly_spikes(table, monthly, unit),
    ]


# --- helpers -------------------------------------------------------------------------------------------------


def _runs(frame: pd.DataFrame, flag: str) -> pd.DataFrame:
    """Runs of consecutive rows (per branch, in date order) where `flag` is true: branch_id, start, end, n."""
    frame = frame.sort_values(["branch_id", "date"])
    flags = frame[flag].to_numpy(dtype=bool)
    branch, dates = frame["branch_id"].to_numpy(), frame["date"].to_numpy()
    # A run breaks where the branch or the flag changes; runs are numbered in order, flagged rows kept.
    breaks = np.r_[True, branch[1:] != branch[:-1]] | np.r_[True, flags[1:] != flags[:-1]]
    run_id = np.cumsum(breaks)[flags]
    firsts = np.flatnonzero(np.r_[True, run_id[1:] != run_id[:-1]]) if len(run_id) else np.array([], dtype=int)
    lasts = np.r_[firsts[1:] - 1, len(run_id) - 1] if len(run_id) else firsts
    branch, dates = branch[flags], dates[flags]
    columns = {"branch_id": branch[firsts], "start": dates[firsts], "end": dates[lasts], "n": lasts - firsts + 1}
    return pd.DataFrame(columns)


def _finding(
    table: str,
    branch_id: str,
    kind: str,
    start: dt.date | pd.Timestamp,
    end: dt.date | pd.Timestamp,
    explanation: str,
    facts: dict,
    value: float | None = None,
    baseline: float | None = None,
) -> Finding:
    """A Finding with dates as dt.date and numbers as float, explained by `explanation` (a key of EXPLANATIONS)
    worded from `facts`; branch_name is filled in by findings()."""
    facts = {k: _plain(v) for k, v in facts.items()}
    return Finding(
        table=table,
        branch_id=branch_id,
        branch_name="",
        kind=kind,
        period_start=pd.Timestamp(start).date(),
        period_end=pd.Timestamp(end).date(),
        evidence=explain(explanation, facts, "en"),
        value=None if value is None else float(value),
        baseline=None if baseline is None else float(baseline),
        severity="error" if kind in ("negative", "impossible") else "warning",
        explanation=explanation,
        facts=tuple(facts.items()),
    )


def _plain(value):
    """A fact as a plain Python value (dates as dt.date, numpy numbers as int or float), so findings compare,
    pickle and print alike whichever rule made them."""
    if isinstance(value, pd.Timestamp | np.datetime64):
        return pd.Timestamp(value).date()
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _overlaps(finding: Finding, flt: Filter) -> bool:
    """Whether a finding's period overlaps the filter's dates."""
    if flt.date_from and finding.period_end < flt.date_from:
        return False
    return not (flt.date_to and finding.period_start > flt.date_to)


def _open_mask(calendar: pd.DataFrame, spans: pd.DataFrame, period_end: pd.Series) -> pd.Series:
    """Rows of a calendar whose period (date..period_end) overlaps the branch's opened_on..closed_on."""
    known = spans.reindex(calendar["branch_id"])
    opened = known["opened_on"].to_numpy()
    closed = known["closed_on"].to_numpy()
    after_open = pd.isna(opened) | (period_end.to_numpy() >= opened)
    before_close = pd.isna(closed) | (calendar["date"].to_numpy() <= closed)
    return pd.Series(after_open & before_close, index=calendar.index)


def _calendar(series: pd.DataFrame, freq: str) -> pd.DataFrame:
    """Every day ("D") or month ("MS") from each branch's first to last row: branch_id, date, value, present."""
    if series.empty:
        return pd.DataFrame({"branch_id": [], "date": pd.to_datetime([]), "value": [], "present": []})
    dates = series.groupby("branch_id")["date"]
    if freq == "D":  # every day from each branch's first to last, built at once
        first, last = dates.min(), dates.max()
        sizes = (last - first).dt.days.to_numpy() + 1
        offsets = np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        days = np.repeat(first.to_numpy(), sizes) + offsets.astype("timedelta64[D]")
        calendar = pd.DataFrame({"branch_id": first.index.repeat(sizes), "date": days.astype(series["date"].dtype)})
    else:
        parts = [
            pd.DataFrame({"branch_id": branch_id, "date": pd.date_range(days.min(), days.max(), freq=freq)})
            for branch_id, days in dates
        ]
        calendar = pd.concat(parts, ignore_index=True)
    calendar = calendar.merge(series[["branch_id", "date", "value"]], on=["branch_id", "date"], how="left")
    keys = pd.MultiIndex.from_frame(series[["branch_id", "date"]])
    calendar["present"] = pd.MultiIndex.from_frame(calendar[["branch_id", "date"]]).isin(keys)
    return calendar


def _span_text(start: dt.date, end: dt.date) -> str:
    """`2024-03-01..2024-07-31`, or one date when start == end."""
    return start.isoformat() if start == end else f"{start.isoformat()}..{end.isoformat()}"


# --- explanations in words -----------------------------------------------------------------------------------

# explanation -> (English, 中文): the words of a finding's evidence, with {placeholders} for its facts.
EXPLANATIONS: dict[str, tuple[str, str]] = {
    "missing_days": ("no rows for {span} ({days} days)", "{span}没有数据（{days} 天）"),
    "missing_days_open": (
        "no rows for {span} ({days} days; {open} of them normally open days)",
        "{span}没有数据（{days} 天，其中 {open} 天通常开放）",
    ),
    "missing_month": ("no rows for {months} (1 month)", "{months}没有数据（1 个月）"),
    "missing_months": ("no rows for {months} ({n} months)", "{months}没有数据（{n} 个月）"),
    "not_reported": (
        "no rows for {period}, which {reported} of {expected} branches have reported; expected (open, and "
        "reported in one of the {lookback} periods before)",
        "{period}没有数据，而 {expected} 个服务点中已有 {reported} 个报送；该服务点应报送（开放中，且前 {lookback} "
        "个周期内有报送）",
    ),
    "zero_run": (
        "{days} open days in a row with 0 {unit} (same-weekday median {baseline})",
        "连续 {days} 个开放日{unit}为 0（同星期几的中位数为 {baseline}）",
    ),
    "spike_day": (
        "{value} {unit} on {day}, {ratio}x the same-weekday median of the previous {weeks} weeks ({median})",
        "{day}{unit}为 {value}，是前 {weeks} 周同星期几中位数（{median}）的 {ratio} 倍",
    ),
    "spike_days": (
        "{days} days in a row, peak {value} {unit} on {day}, {ratio}x the same-weekday median of the previous "
        "{weeks} weeks ({median})",
        "连续 {days} 天偏高，峰值为{day}的 {value}{unit}，是前 {weeks} 周同星期几中位数（{median}）的 {ratio} 倍",
    ),
    "spike_month": (
        "{value} {unit} in {month}, {ratio}x the median month of the previous {history} ({median})",
        "{month}{unit}为 {value}，是前 {history} 个月月度中位数（{median}）的 {ratio} 倍",
    ),
    "negative_row": ("1 row with negative {column} (lowest {lowest})", "1 行的{column}为负数（最小 {lowest}）"),
    "negative_rows": ("{n} rows with negative {column} (lowest {lowest})", "{n} 行的{column}为负数（最小 {lowest}）"),
    "impossible_score": (
        "event {event}: satisfaction {score} above its scale maximum {scale}",
        "活动 {event}：满意度 {score} 高于量表满分 {scale}",
    ),
    "impossible_responses": (
        "event {event}: {responses} survey responses but attendance {attendance}",
        "活动 {event}：问卷回复 {responses} 份，但参加人次只有 {attendance}",
    ),
    "impossible_hours": (
        "event {event}: {hours} volunteer hours from {volunteers} volunteers (at most {limit})",
        "活动 {event}：{volunteers} 名志愿者服务 {hours} 小时（最多 {limit} 小时）",
    ),
}
# The counts and columns a finding names, in Chinese (English keeps the column's own name).
COLUMN_ZH = {
    "visits": "到馆人次",
    "loans": "外借册次",
    "checkouts": "外借册次",
    "renewals": "续借册次",
    "returns": "归还册次",
    "circulation": "流通册次",
    "sessions": "活动场次",
    "attendance": "参加人次",
    "responses": "回复数",
    "volunteers": "志愿者人次",
    "volunteer_hours": "志愿服务时长",
    "beneficiaries": "受益人次",
    "satisfaction": "满意度",
    "value": "数值",
}
# How each numeric fact is written ("count": display.number, so 万 in Chinese as on the cards).
_FACT_FORMATS = {"ratio": ".1f", "lowest": ",g", "score": "g", "scale": "g", "hours": "g", "limit": "g"}
_COUNTS = ("baseline", "value", "median")


def explain(explanation: str, facts, language: str = "en") -> str:
    """A finding's evidence in words of the language, from its explanation key and facts (a dict or the
    Finding's (name, value) pairs). English is exactly Finding.evidence."""
    template = EXPLANATIONS[explanation][1 if language == "zh" else 0]
    return template.format(**{name: _fact(name, value, language) for name, value in dict(facts).items()})


def _fact(name: str, value, language: str) -> str:
    """One fact as the explanation writes it: dates and months in the language's style, counts like the cards."""
    zh = language == "zh"
    if name == "span":
        start, end = value
        if not zh:
            return _span_text(start, end)
        return display.long_date(start, "zh") + ("" if start == end else "至" + display.long_date(end, "zh"))
    if name == "months":
        start, end = value
        if not zh:
            return start.strftime("%Y-%m") + ("" if start == end else ".." + end.strftime("%Y-%m"))
        return display.month_span(start, end, "zh")
    if name == "month":
        return display.period_name(value.strftime("%Y-%m"), language) if zh else value.strftime("%Y-%m")
    if name == "day":
        return display.long_date(value, "zh") if zh else value.isoformat()
    if name == "period":
        return display.period_name(value, "zh") if zh else value
    if name in ("unit", "column"):
        return COLUMN_ZH.get(value, value) if zh else value
    if name in _FACT_FORMATS:
        return format(value, _FACT_FORMATS[name])
    if name in _COUNTS:
        return display.number(value, "int", "zh") if zh else f"{value:,.0f}"
    return str(value)


# --- rule 1: gaps --------------------------------------------------------------------------------------------


def _expected_days(calendar: pd.DataFrame, spans: pd.DataFrame) -> pd.DataFrame:
    """The open-span days of a daily calendar on weekdays the branch normally opens."""
    grid = calendar[_open_mask(calendar, spans, calendar["date"])].copy()
    grid["weekday"] = grid["date"].dt.day_of_week
    per_weekday = grid.groupby(["branch_id", "weekday"])["present"].transform("sum")
    busiest = per_weekday.groupby(grid["branch_id"]).transform("max")
    return grid[per_weekday >= CLOSED_WEEKDAY_SHARE * busiest]


def _daily_gaps(table: str, calendar: pd.DataFrame, spans: pd.DataFrame) -> list[Finding]:
    """missing_days: runs of at least GAP_MIN_DAYS unreported days a branch was expected to open."""
    grid = _expected_days(calendar, spans)
    present = grid["present"].astype(int)
    others = grid.groupby("date")["branch_id"].transform("size") - present
    others_present = grid.groupby("date")["present"].transform("sum") - present
    closure = ~grid["present"] & (others > 0) & (others_present < NETWORK_OPEN_SHARE * others)
    grid = grid[~closure].assign(missing=lambda g: ~g["present"])
    out = []
    for run in _runs(grid, "missing").itertuples():
        if run.n >= GAP_MIN_DAYS:
            days = (run.end - run.start).days + 1
            facts = {"span": (run.start, run.end), "days": days, "open": run.n}
            why = "missing_days" if days == run.n else "missing_days_open"
            out.append(_finding(table, run.branch_id, "missing_days", run.start, run.end, why, facts, run.n))
    return out


def _monthly_gaps(table: str, calendar: pd.DataFrame, spans: pd.DataFrame) -> list[Finding]:
    """missing_months: months between a branch's first and last reported month with no row."""
    month_end = calendar["date"] + pd.offsets.MonthEnd(0)
    grid = calendar[_open_mask(calendar, spans, month_end)].assign(missing=lambda g: ~g["present"])
    out = []
    for run in _runs(grid, "missing").itertuples():
        end = run.end + pd.offsets.MonthEnd(0)
        facts = {"months": (run.start, run.end), "n": run.n}
        why = "missing_month" if run.n == 1 else "missing_months"
        out.append(_finding(table, run.branch_id, "missing_months", run.start, end, why, facts, run.n))
    return out


def _not_reported_findings(con: duckdb.DuckDBPyConnection, table: str) -> list[Finding]:
    """not_reported: the expected branches missing from each period after the network's complete-through date."""
    status = completeness.of_network(con, table)
    out = []
    for pending in status.pending:
        facts = {
            "period": pending.period,
            "reported": len(pending.reported),
            "expected": pending.expected_count,
            "lookback": completeness.LOOKBACK,
        }
        for branch_id in pending.not_reported:
            out.append(_finding(table, branch_id, "not_reported", pending.start, pending.end, "not_reported", facts))
    return out


# --- rule 2: zero runs ---------------------------------------------------------------------------------------


def _zero_runs(table: str, daily: pd.DataFrame, unit: str) -> list[Finding]:
    """zero_run: at least ZERO_RUN_MIN_DAYS reported zeros in a row on days the branch normally opens."""
    reported = daily.dropna(subset=["value"]).assign(zero=lambda d: d["value"] == 0)
    out = []
    runs = _runs(reported, "zero")
    runs = runs[runs["n"] >= ZERO_RUN_MIN_DAYS]
    branches = reported[reported["branch_id"].isin(runs["branch_id"])].groupby("branch_id")
    for run in runs.itertuples():
        rows = branches.get_group(run.branch_id)
        found = _zero_run_finding(table, rows, run.start, run.end, unit)
        if found:
            out.append(found)
    return out


def _zero_run_finding(table: str, rows: pd.DataFrame, start, end, unit: str) -> Finding | None:
    """The finding for one run of zeros, judged against the same weekdays in the surrounding weeks."""
    window = pd.Timedelta(weeks=ZERO_WINDOW_WEEKS)
    around = rows[
        ((rows["date"] >= start - window) & (rows["date"] < start))
        | ((rows["date"] > end) & (rows["date"] <= end + window))
    ]
    medians = around.groupby(around["date"].dt.day_of_week)["value"].median()
    run = rows[(rows["date"] >= start) & (rows["date"] <= end)]
    baselines = run["date"].dt.day_of_week.map(medians)
    open_days = run[baselines > 0]
    if len(open_days) < ZERO_RUN_MIN_DAYS:
        return None
    baseline = baselines[baselines > 0].median()
    first, last = open_days["date"].min(), open_days["date"].max()
    facts = {"days": len(open_days), "unit": unit, "baseline": baseline}
    return _finding(table, rows["branch_id"].iloc[0], "zero_run", first, last, "zero_run", facts, 0.0, baseline)


# --- rule 3: spikes ------------------------------------------------------------------------------------------


def _history_median(calendar: pd.DataFrame, step: int, count: int, minimum: int) -> pd.Series:
    """Per branch, the median of the `count` earlier values `step` calendar rows apart (NaN with fewer than
    `minimum` of them reported)."""
    grouped = calendar.groupby("branch_id")["value"]
    history = np.column_stack([grouped.shift(step * k).to_numpy(dtype=float) for k in range(1, count + 1)])
    # The median of each row's reported values: sorted, NaN go last; the middle one, or the mean of the two.
    history.sort(axis=1)
    reported = (~np.isnan(history)).sum(axis=1)
    rows = np.arange(len(history))
    low = history[rows, np.maximum(reported - 1, 0) // 2]
    high = history[rows, reported // 2 - (reported == 0)]
    median = np.where(reported % 2 == 1, low, (low + high) / 2)
    return pd.Series(median, index=calendar.index).where(reported >= minimum)


def _spikes(calendar: pd.DataFrame, step: int, count: int, minimum: int) -> pd.DataFrame:
    """The calendar with its baseline `median` and a `spike` flag (value > SPIKE_FACTOR x median)."""
    median = _history_median(calendar, step, count, minimum)
    spike = (calendar["value"] > SPIKE_FACTOR * median) & (median >= SPIKE_MIN_BASELINE)
    return calendar.assign(median=median, spike=spike)


def _daily_spikes(table: str, calendar: pd.DataFrame, unit: str) -> list[Finding]:
    """spike: days above SPIKE_FACTOR x the same-weekday median of the previous weeks; runs grouped."""
    frame = _spikes(calendar, 7, SPIKE_DAY_WEEKS, SPIKE_DAY_MIN_HISTORY)
    out = []
    for run in _runs(frame, "spike").itertuples():
        rows = frame[(frame["branch_id"] == run.branch_id) & frame["date"].between(run.start, run.end)]
        peak = rows.loc[rows["value"].idxmax()]
        facts = {
            "days": run.n,
            "value": peak["value"],
            "unit": unit,
            "day": peak["date"],
            "ratio": peak["value"] / peak["median"],
            "weeks": SPIKE_DAY_WEEKS,
            "median": peak["median"],
        }
        why = "spike_days" if run.n > 1 else "spike_day"
        out.append(
            _finding(table, run.branch_id, "spike", run.start, run.end, why, facts, peak["value"], peak["median"])
        )
    return out


def _monthly_spikes(table: str, calendar: pd.DataFrame, unit: str) -> list[Finding]:
    """spike: months above SPIKE_FACTOR x the branch's median month over the previous SPIKE_MONTHS."""
    frame = _spikes(calendar, 1, SPIKE_MONTHS, SPIKE_MONTH_MIN_HISTORY)
    out = []
    for row in frame[frame["spike"]].itertuples():
        facts = {
            "value": row.value,
            "unit": unit,
            "month": row.date,
            "ratio": row.value / row.median,
            "history": SPIKE_MONTHS,
            "median": row.median,
        }
        end = row.date + pd.offsets.MonthEnd(0)
        out.append(_finding(table, row.branch_id, "spike", row.date, end, "spike_month", facts, row.value, row.median))
    return out


# --- rule 4: negative and impossible values ------------------------------------------------------------------


def _negative_findings(con: duckdb.DuckDBPyConnection, table: str, flt: Filter) -> list[Finding]:
    """negative: one finding per branch and column holding values below zero."""
    out = []
    conditions, params = fact_sql(flt, table, "f")
    for column in NEGATIVE_COLUMNS[table]:
        where = " AND ".join([f"f.{column} < 0", *conditions])
        sql = (
            f"SELECT f.branch_id, min(f.date), max(f.date), count(*), min(f.{column}) "
            f"FROM {table} f WHERE {where} GROUP BY f.branch_id"
        )
        for branch_id, first, last, n, lowest in con.execute(sql, params).fetchall():
            facts = {"n": n, "column": column, "lowest": lowest}
            why = "negative_rows" if n > 1 else "negative_row"
            out.append(_finding(table, branch_id, "negative", first, last, why, facts, lowest))
    return out


def _event_findings(con: duckdb.DuckDBPyConnection, flt: Filter) -> list[Finding]:
    """impossible: events whose satisfaction, responses or volunteer hours cannot be true."""
    conditions, params = fact_sql(flt, "events", "f")
    where = " AND ".join(
        [
            "(f.satisfaction > f.scale_max OR f.responses > f.attendance OR f.volunteer_hours > ? * f.volunteers)",
            *conditions,
        ]
    )
    sql = (
        "SELECT f.event_id, f.date, f.branch_id, f.satisfaction, f.scale_max, f.responses, f.attendance, "
        f"f.volunteers, f.volunteer_hours FROM events f WHERE {where}"
    )
    out = []
    for row in con.execute(sql, [MAX_HOURS_PER_VOLUNTEER, *params]).fetchall():
        out += _impossible_event(row)
    return out


def _impossible_event(row: tuple) -> list[Finding]:
    """The impossible findings of one event row, as _event_findings selects it (it may break several rules)."""
    event_id, date, branch_id, satisfaction, scale_max, responses, attendance, volunteers, hours = row
    out = []
    if satisfaction is not None and scale_max is not None and satisfaction > scale_max:
        facts = {"event": event_id, "score": satisfaction, "scale": scale_max}
        out.append(
            _finding("events", branch_id, "impossible", date, date, "impossible_score", facts, satisfaction, scale_max)
        )
    if responses is not None and attendance is not None and responses > attendance:
        facts = {"event": event_id, "responses": responses, "attendance": attendance}
        why = "impossible_responses"
        out.append(_finding("events", branch_id, "impossible", date, date, why, facts, responses, attendance))
    if hours is not None and volunteers is not None and hours > MAX_HOURS_PER_VOLUNTEER * volunteers:
        limit = MAX_HOURS_PER_VOLUNTEER * volunteers
        facts = {"event": event_id, "hours": hours, "volunteers": volunteers, "limit": limit}
        out.append(_finding("events", branch_id, "impossible", date, date, "impossible_hours", facts, hours, limit))
    return out


def estimated_dates(con: duckdb.DuckDBPyConnection, flt: Filter | None = None) -> list[dt.date]:
    """Dates on which any selected branch's visits are estimated rather than counted (chart markers)."""
    flt = flt or Filter()
    b_cond, b_params = branch_sql(flt, "b")
    lines, line_params = service_point_sql(con, "b")
    b_cond, b_params = b_cond + lines, b_params + line_params
    f_cond, f_params = fact_sql(flt, "visits", "f")
    where = " AND ".join(["f.method = 'estimated'", *b_cond, *f_cond])
    cursor = con.cursor()
    try:
        rows = cursor.execute(
            f"SELECT DISTINCT f.date FROM visits f JOIN branches b ON b.branch_id = f.branch_id WHERE {where}",
            [*b_params, *f_params],
        ).fetchall()
    finally:
        cursor.close()
    return sorted(row[0] for row in rows)
