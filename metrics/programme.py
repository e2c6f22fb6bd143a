"""Programme evaluation (issue 14, item 5): satisfaction, participation, loans to the programme's patron
category and the complaint resolution rate before, during and after a programme, each with its 95% interval
and a test of whether the change is more than chance, said in plain words.

A programme is chosen as a Choice: a named programme (events.programme, e.g. 暖夕相伴), an event category or
an audience; its events are the ones measured. The spans are whole calendar months, because loans and the
complaint measures are monthly: DURING runs from the start's month to the end's month, BEFORE is as many
months (or a chosen number) just before, AFTER as many (or a chosen number) just after, as far as the data
goes. A span the data does not fully cover is partial (Figure.partial) and counts only the months it has.

How each figure is made (one definition each, reused from the metric layer):
- satisfaction: the observations of metrics/satisfaction.py (survey answers and rated events of the
  category or audience; a named programme's rated events only, surveys having no programme), summarised by
  its summarise(): response-weighted mean 0-100, 95% interval, responses;
- participation: the registry's `participation` (attendance of held events, in person and online) of the
  chosen events, per month; a month of event data without any of them counts 0;
- loans: the registry's `loans` of the chosen patron category (circulation.patron_category; ALL_PATRONS for
  every loan) per month, through metrics.engine, so completeness cuts it as on every page;
- complaint resolution rate: the registry's ratio per month, through metrics.engine (a month without
  complaints received has no rate).
A monthly measure's span figure is its mean per month with a t interval over the months. Changes are
DURING and AFTER against BEFORE, tested with Welch's t-test (metrics/stats.py): on the response-weighted
scores for satisfaction (each response counted once; an event stands for `responses` answers equal to its
mean, which hides the spread within it, so for event ratings the test is optimistic), on the monthly values
for the others.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field, replace

import duckdb
import pandas as pd

from data import db
from metrics import display, engine, periods, satisfaction, stats
from metrics.filters import Filter, counted_lines_sql, fact_branch_sql
from metrics.registry import get

KINDS = ("programme", "category", "audience")  # what names a programme's events; each is an events column
SPANS = ("before", "during", "after")
MEASURES = ("satisfaction", "participation", "loans", "complaint_resolution_rate")
UNITS = {"satisfaction": "score", "participation": "count", "loans": "count", "complaint_resolution_rate": "rate"}
ALL_PATRONS = "all"  # loans of every patron category (circulation rows without one are stored as 'all')
SIGNIFICANCE = 0.05  # a change with a two-sided p below this is called unlikely to be chance
MIN_OBSERVATIONS = 2  # fewer rated events or answers (or months) in a span: too few to test
_MONTH_ROWS = periods.USABLE_ROW_GRAINS["month"]
# Patron categories a programme's audience is likely to borrow under, for the page's first choice.
_PATRON_WORDS = {
    "seniors": ("senior", "seniors", "elderly", "老年", "老年人", "老年读者", "长者"),
    "children_0_5": ("child", "children", "少儿", "儿童", "少年儿童"),
    "children_6_11": ("child", "children", "少儿", "儿童", "少年儿童"),
    "families": ("child", "children", "少儿", "儿童", "家庭"),
    "teens_12_18": ("teen", "teens", "young adult", "青少年", "中学生"),
    "adults": ("adult", "adults", "成人", "成年读者"),
    "disabilities": ("disabled", "disability", "disabilities", "accessible", "残障", "残疾人", "视障"),
}


@dataclass(frozen=True)
class Choice:
    """The events a programme stands for: those whose `kind` column (KINDS) equals `value`."""

    kind: str
    value: str

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown programme kind {self.kind!r}; expected one of {', '.join(KINDS)}")


@dataclass(frozen=True)
class Spans:
    """First and last day of each span; every span is whole months."""

    before: tuple[dt.date, dt.date]
    during: tuple[dt.date, dt.date]
    after: tuple[dt.date, dt.date]

    def items(self) -> list[tuple[str, tuple[dt.date, dt.date]]]:
        return [(name, getattr(self, name)) for name in SPANS]

    def of(self, month: dt.date) -> str | None:
        """The span a month (its first day) falls in, or None."""
        return next((name for name, (first, last) in self.items() if first <= month <= last), None)


def _months_between(first: dt.date, last: dt.date) -> int:
    """The number of months from first's month to last's month, both counted."""
    return (last.year - first.year) * 12 + last.month - first.month + 1


def spans(start: dt.date, end: dt.date, before_months: int | None = None, after_months: int | None = None) -> Spans:
    """BEFORE, DURING and AFTER of a programme from `start` to `end` (inclusive), in whole months: DURING is
    start's month to end's month; BEFORE `before_months` (default: as many as DURING) just before it, AFTER
    `after_months` (same default) just after."""
    if end < start:
        raise ValueError(f"the programme ends ({end}) before it starts ({start})")
    length = _months_between(start, end)
    before_months, after_months = before_months or length, after_months or length
    if before_months < 1 or after_months < 1:
        raise ValueError("the spans before and after need at least one month each")
    first, last = start.replace(day=1), end.replace(day=1)
    return Spans(
        (periods.add_months(first, -before_months), first - dt.timedelta(days=1)),
        (first, periods.period_end(last, "month")),
        (periods.add_months(last, 1), periods.period_end(periods.add_months(last, after_months), "month")),
    )


def months_of(first: dt.date, last: dt.date) -> list[dt.date]:
    """The first day of every month from first's month to last's month."""
    return [periods.add_months(first.replace(day=1), i) for i in range(_months_between(first, last))]


@dataclass(frozen=True)
class Figure:
    """One measure over one span. value: the satisfaction mean (0-100), or a monthly measure's mean per month
    (a rate in percent); ci_low/ci_high its 95% interval (None when too few data); n: responses for
    satisfaction, months with a value for the others; total: a count's sum over the span's months."""

    value: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    months: int  # months of the span the data covers
    months_in_span: int
    total: float | None = None
    low_confidence: bool = False

    @property
    def partial(self) -> bool:
        """Whether the data covers only part of the span (it ends or begins inside it)."""
        return self.months < self.months_in_span


@dataclass(frozen=True)
class Change:
    """A span against BEFORE: the difference in the measure's own unit (points of score or rate, people or
    loans a month), the relative change of a count in percent (None from zero), and Welch's test. Without a
    test, `untested` says why: "few" (fewer than MIN_OBSERVATIONS on a side) or "flat" (no spread on either
    side, so nothing to measure a difference against)."""

    difference: float | None
    percent: float | None
    test: stats.Welch | None
    untested: str | None = None

    @property
    def p(self) -> float | None:
        return self.test.p if self.test else None

    @property
    def significant(self) -> bool:
        return self.test is not None and self.test.p < SIGNIFICANCE


@dataclass
class Measure:
    """One measure's figures per span, DURING and AFTER against BEFORE, and its monthly values (month start ->
    value; None for a month the data covers without a value, absent for one it does not)."""

    id: str
    figures: dict[str, Figure]
    during: Change
    after: Change
    monthly: dict[dt.date, float | None] = field(default_factory=dict)

    @property
    def unit(self) -> str:
        return UNITS[self.id]


@dataclass
class Evaluation:
    choice: Choice
    spans: Spans
    patron_category: str
    measures: dict[str, Measure]

    def monthly_table(self) -> pd.DataFrame:
        """One row per month from BEFORE's start to AFTER's end: month (first day), span, one column per
        measure (NaN where there is no value)."""
        months = months_of(self.spans.before[0], self.spans.after[1])
        rows = [
            {
                "month": month,
                "span": self.spans.of(month),
                **{m: _or_nan(self.measures[m].monthly.get(month)) for m in MEASURES},
            }
            for month in months
        ]
        return pd.DataFrame(rows, columns=["month", "span", *MEASURES])


def _or_nan(value) -> float:
    return math.nan if value is None else float(value)


def _query(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[tuple]:
    cursor = con.cursor()
    try:
        return cursor.execute(sql, params).fetchall()
    finally:
        cursor.close()


def _places(flt: Filter | None) -> Filter:
    """The filter's places and scope only: the programme chooses the events and the spans the dates."""
    flt = flt or Filter()
    return Filter(
        branches=flt.branches,
        districts=flt.districts,
        kinds=flt.kinds,
        include_children=flt.include_children,
        scope=flt.scope,
    )


def _choice_condition(con, choice: Choice, alias: str) -> tuple[str, list]:
    """The condition selecting the choice's events; the column comes from KINDS (checked by Choice). A
    database from before events.programme, opened read-only, has no named programme."""
    if choice.kind == "programme" and not db.has_column(con, "events", "programme"):
        return "false", []
    return f"{alias}.{choice.kind} = ?", [choice.value]


# ---------------------------------------------------------------- what the page offers


def programmes(con: duckdb.DuckDBPyConnection, flt: Filter | None = None) -> pd.DataFrame:
    """The named programmes in the filter's places: programme, first_date, last_date (of its held events),
    events (held), audience (the most frequent audience of its events), sorted by first date then name."""
    columns = ["programme", "first_date", "last_date", "events", "audience"]
    if not db.has_column(con, "events", "programme"):
        return pd.DataFrame(columns=columns)
    places, params = fact_branch_sql(con, _places(flt), "e")
    where = " AND ".join(["e.programme IS NOT NULL", "NOT e.planned", *places])
    # The audience with most sessions, the first by name on a tie, so that the choice never depends on row order.
    rows = _query(
        con,
        f"""
        WITH audiences AS (
            SELECT e.programme, e.audience, min(e.date) AS first_date, max(e.date) AS last_date,
                   sum(coalesce(e.sessions, 1)) AS events
            FROM events e WHERE {where} GROUP BY e.programme, e.audience
        )
        SELECT programme, min(first_date), max(last_date), sum(events),
               first(audience ORDER BY events DESC, audience)
        FROM audiences GROUP BY programme ORDER BY 2, 1
        """,
        params,
    )
    return pd.DataFrame(rows, columns=columns)


def patron_categories(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The patron categories loans are recorded under (ALL_PATRONS, rows without one, left out), sorted."""
    rows = _query(
        con, "SELECT DISTINCT patron_category FROM circulation WHERE patron_category <> ? ORDER BY 1", [ALL_PATRONS]
    )
    return [row[0] for row in rows]


def suggested_patron_category(audience: str | None, categories: list[str]) -> str:
    """The patron category an audience most likely borrows under (seniors -> senior), else ALL_PATRONS."""
    words = _PATRON_WORDS.get(audience or "", ())
    for category in categories:
        if category.casefold() in words:
            return category
    return ALL_PATRONS


# ---------------------------------------------------------------- the evaluation


def evaluate(
    con: duckdb.DuckDBPyConnection,
    flt: Filter | None,
    choice: Choice,
    start: dt.date,
    end: dt.date,
    patron_category: str = ALL_PATRONS,
    before_months: int | None = None,
    after_months: int | None = None,
) -> Evaluation:
    """Every measure before, during and after the programme `choice` running from `start` to `end`.

    flt: only its places and scope apply (branches, districts, kinds); its dates and event dimensions do not.
    patron_category: the circulation patron category whose loans are counted (ALL_PATRONS: every loan).
    before_months / after_months: the lengths of BEFORE and AFTER (default: DURING's length).
    """
    window = spans(start, end, before_months, after_months)
    base = _places(flt)
    measures = {
        "satisfaction": _satisfaction(con, base, choice, window),
        "participation": _monthly("participation", _participation(con, base, choice, window), window),
        "loans": _monthly("loans", _engine_monthly(con, base, "loans", window, patron_category), window),
        "complaint_resolution_rate": _monthly(
            "complaint_resolution_rate", _engine_monthly(con, base, "complaint_resolution_rate", window), window
        ),
    }
    return Evaluation(choice, window, patron_category, measures)


def _covered(months: list[dt.date], first: dt.date | None, last: dt.date | None) -> list[dt.date]:
    """The months (first days) the data covers whole: from first's month to the month ending by `last`."""
    if first is None or last is None:
        return []
    return [m for m in months if m >= first.replace(day=1) and periods.period_end(m, "month") <= last]


def _participation(con, base: Filter, choice: Choice, window: Spans) -> dict[dt.date, float | None]:
    """Participation of the choice's events per month, 0 in a month of event data without them."""
    metric = get("participation")
    months = months_of(window.before[0], window.after[1])
    first, last = engine.data_span(con, metric, "month")
    if last is not None:  # event data runs to the end of its last month, as on every page (engine.window)
        last = periods.period_end(last.replace(day=1), "month")
    covered = _covered(months, first, last)
    if not covered:
        return {}
    chosen, chosen_params = _choice_condition(con, choice, "f")
    places, place_params = fact_branch_sql(con, base, "f")
    lines, line_params = counted_lines_sql(con, base, metric.system_lines, metric.service_points, "f")
    conditions = [
        f"({metric.where})",
        chosen,
        "f.date BETWEEN ? AND ?",
        f"f.grain IN ({', '.join('?' for _ in _MONTH_ROWS)})",
        *places,
        *lines,
    ]
    # The numerator and condition come from the registry, the column from KINDS; every value is bound.
    rows = _query(
        con,
        f"SELECT CAST(date_trunc('month', f.date) AS DATE), sum({metric.numerator}) FROM events f "
        f"WHERE {' AND '.join(conditions)} GROUP BY 1",
        [*chosen_params, covered[0], periods.period_end(covered[-1], "month"), *_MONTH_ROWS, *place_params]
        + line_params,
    )
    found = {month: float(value or 0) for month, value in rows}
    return {month: found.get(month, 0.0) for month in covered}


def _engine_monthly(
    con, base: Filter, metric_id: str, window: Spans, patron_category: str | None = None
) -> dict[dt.date, float | None]:
    """A registered metric per month over the spans, through the engine (completeness included): a count is 0
    in a covered month without rows, a ratio has no value there. patron_category: loans of that category."""
    metric = get(metric_id)
    flt = replace(base, date_from=window.before[0], date_to=window.after[1])
    by = "patron_category" if patron_category not in (None, ALL_PATRONS) else None
    table = engine.compute(con, metric_id, flt, grain="month", by=by, compare=False).table
    if by and not table.empty:
        table = table[table[by] == patron_category]
    _start, end, _as_of, _status = engine.window(con, metric, flt, "month")
    covered = _covered(months_of(window.before[0], window.after[1]), engine.data_span(con, metric, "month")[0], end)
    values = {row.period_start: float(row.value) for row in table.itertuples() if not display.missing(row.value)}
    empty = None if metric.is_ratio else 0.0
    return {month: values.get(month, empty) for month in covered}


def _monthly(metric_id: str, monthly: dict[dt.date, float | None], window: Spans) -> Measure:
    """A monthly measure's figures per span (mean per month, t interval), changes and tests."""
    values: dict[str, list[float]] = {}
    figures: dict[str, Figure] = {}
    for name, (first, last) in window.items():
        months = months_of(first, last)
        covered = [m for m in months if m in monthly]
        values[name] = [monthly[m] for m in covered if monthly[m] is not None]
        figures[name] = _monthly_figure(values[name], len(covered), len(months), UNITS[metric_id] == "count")
    before = stats.sample_of(values["before"])
    changes = [
        _change(figures["before"], figures[name], before, stats.sample_of(values[name]), UNITS[metric_id])
        for name in ("during", "after")
    ]
    return Measure(metric_id, figures, *changes, monthly=monthly)


def _monthly_figure(values: list[float], covered: int, months: int, is_count: bool) -> Figure:
    if not values:
        return Figure(None, None, None, 0, covered, months)
    interval = stats.mean_interval(values)
    low, high = interval if interval else (None, None)
    if low is not None:  # a count a month is never below zero, a rate never outside 0-100%
        low, high = max(low, 0.0), high if is_count else min(high, 100.0)
    total = sum(values) if is_count else None
    return Figure(sum(values) / len(values), low, high, len(values), covered, months, total)


def _change(before: Figure, other: Figure, first: stats.Sample, second: stats.Sample, unit: str) -> Change:
    """`other` against `before`; tested only with MIN_OBSERVATIONS on each side."""
    if before.value is None or other.value is None:
        return Change(None, None, None)
    difference = other.value - before.value
    percent = difference / before.value * 100 if unit == "count" and before.value else None
    if min(first.n, second.n) < MIN_OBSERVATIONS:
        return Change(difference, percent, None, "few")
    test = stats.welch(first, second)
    return Change(difference, percent, test, None if test else "flat")


def _satisfaction(con, base: Filter, choice: Choice, window: Spans) -> Measure:
    """Satisfaction per span from the observations of metrics/satisfaction.py, and Welch's test on the
    response-weighted scores (n = responses, variance = Σw(x - mean)² / (n - 1))."""
    obs = _observations(con, base, choice, window.before[0], window.after[1])
    first, last = engine.data_span(con, get("satisfaction"), "month")
    if last is not None:
        last = periods.period_end(last.replace(day=1), "month")
    covered = set(_covered(months_of(window.before[0], window.after[1]), first, last))
    obs = obs.assign(month=[d.replace(day=1) for d in obs["date"]]) if len(obs) else obs.assign(month=[])
    figures, samples = {}, {}
    for name, (start, end) in window.items():
        part = obs[(obs["date"] >= start) & (obs["date"] <= end)]
        months = months_of(start, end)
        summary = satisfaction.summarise(part)
        figures[name] = Figure(
            summary["mean"],
            summary["ci_low"],
            summary["ci_high"],
            int(summary["n"]),
            sum(1 for m in months if m in covered),
            len(months),
            low_confidence=bool(summary["low_confidence"]),
        )
        samples[name] = _weighted_sample(part)
    during, after = (
        _change(figures["before"], figures[name], samples["before"], samples[name], "score")
        for name in ("during", "after")
    )
    return Measure("satisfaction", figures, during, after, monthly=_monthly_means(obs, covered))


def _observations(con, base: Filter, choice: Choice, first: dt.date, last: dt.date) -> pd.DataFrame:
    """Satisfaction observations (date, weight, score_100, top2, source) of the choice's events and, for a
    category or audience, of the survey answers given for it (a survey has no programme column)."""
    flt = base.with_dates(first, last)
    if choice.kind != "programme":
        dimension = {"category": "categories", "audience": "audiences"}[choice.kind]
        found = satisfaction.observations(con, replace(flt, **{dimension: (choice.value,)}), row_grains=_MONTH_ROWS)
        return found[["date", "weight", "score_100", "top2", "source"]]
    # The rule for a rated event is satisfaction.py's own (held, rated, at least one response).
    conditions, params = satisfaction._event_conditions(con, flt, _MONTH_ROWS)
    chosen, chosen_params = _choice_condition(con, choice, "e")
    rows = _query(
        con,
        "SELECT e.date, CAST(e.responses AS BIGINT), e.satisfaction / e.scale_max * 100, "
        f"CAST(NULL AS BOOLEAN), 'event' FROM events e WHERE {' AND '.join([*conditions, chosen])} ORDER BY 1",
        [*params, *chosen_params],
    )
    return pd.DataFrame(rows, columns=["date", "weight", "score_100", "top2", "source"])


def _weighted_sample(obs: pd.DataFrame) -> stats.Sample:
    """The responses of observations as one Sample: each observation counted `weight` times. Fewer than
    MIN_OBSERVATIONS observations give n = 0 (too few to test), however many responses they carry."""
    if len(obs) < MIN_OBSERVATIONS:
        return stats.Sample(math.nan, math.nan, 0)
    weight = obs["weight"].astype(float)
    score = obs["score_100"].astype(float)
    n = weight.sum()
    mean = (weight * score).sum() / n
    squares = (weight * (score - mean) ** 2).sum()
    return stats.Sample(mean, squares / (n - 1) if n > 1 else math.nan, n)


def _monthly_means(obs: pd.DataFrame, covered: set[dt.date]) -> dict[dt.date, float | None]:
    """The response-weighted mean score per covered month (None for a month without responses)."""
    means: dict[dt.date, float | None] = dict.fromkeys(sorted(covered))
    if len(obs):
        weight = obs["weight"].astype(float)
        sums = (weight * obs["score_100"].astype(float)).groupby(obs["month"]).sum()
        counts = weight.groupby(obs["month"]).sum()
        for month, total in sums.items():
            if month in means and counts[month] > 0:
                means[month] = float(total / counts[month])
    return means


# ---------------------------------------------------------------- in plain words

WORDS = {
    "en": {
        "up": "up {amount}",
        "down": "down {amount}",
        "same": "no change",
        "score": "{value} points",
        "rate": "{value} percentage points",
        "count": "{value}%",
        "from_zero": "up {value} a month",
        "real": "unlikely to be chance, {p}",
        "chance": "could be chance ({p})",
        "few": "too few data to test",
        "flat": "no spread to test it against",
        "no_data": "no data to compare",
        "joiner": "; ",
    },
    "zh": {
        "up": "上升{amount}",
        "down": "下降{amount}",
        "same": "没有变化",
        "score": "{value}分",
        "rate": "{value}个百分点",
        "count": "{value}%",
        "from_zero": "每月增加{value}",
        "real": "不太可能是偶然（{p}）",
        "chance": "可能是偶然波动（{p}）",
        "few": "数据太少，无法检验",
        "flat": "数据没有波动，无法检验",
        "no_data": "没有可比的数据",
        "joiner": "；",
    },
}


def p_text(p: float) -> str:
    """A p-value as written: "p = 0.34", "p = 0.004", "p < 0.001". Near the line (0.05) it gets the decimals
    that show on which side it lies ("p = 0.052", "p = 0.0497"), never "p = 0.05" or "p = 0.050"."""
    if p < 0.001:
        return "p < 0.001"
    for decimals in (2 if p >= 0.01 else 3, 3, 4):
        shown = round(p, decimals)
        if shown != SIGNIFICANCE and (shown < SIGNIFICANCE) == (p < SIGNIFICANCE):
            return f"p = {p:.{decimals}f}"
    return f"p = {p:.4f}"


def verdict(change: Change, unit: str, language: str = "en") -> str:
    """The change and its test in plain words: "up 6.1 points; unlikely to be chance, p = 0.01",
    "上升6.1分；不太可能是偶然（p = 0.01）", "down 3.2%; could be chance (p = 0.34)", or the change and why it
    could not be tested ("too few data to test"). unit: "score", "rate" or "count"."""
    words = WORDS["zh" if language == "zh" else "en"]
    if change.difference is None:
        return words["no_data"]
    parts = [_amount(change, unit, language, words)]
    if change.untested == "flat" and parts[0] == words["same"]:
        return parts[0]  # nothing changed and nothing varied: there is nothing to test
    if change.test is None:
        parts.append(words[change.untested or "few"])
    else:
        parts.append(words["real" if change.significant else "chance"].format(p=p_text(change.test.p)))
    return words["joiner"].join(parts)


def _amount(change: Change, unit: str, language: str, words: dict[str, str]) -> str:
    """The change alone: "up 6.1 points", "down 4.0%", "up 1,234 a month" (a count from zero), "no change"."""
    if unit == "count" and change.percent is None:  # from none: a count never goes below zero
        shown = display.number(change.difference, "int", language)
        return words["from_zero"].format(value=shown) if round(change.difference) > 0 else words["same"]
    if unit == "count":
        size, shown, template = abs(change.percent), f"{abs(change.percent):.1f}", words["count"]
    else:
        size, shown, template = abs(change.difference), f"{abs(change.difference):.1f}", words[unit]
    if round(size, 1) == 0:
        return words["same"]
    direction = "up" if change.difference > 0 else "down"
    return words[direction].format(amount=template.format(value=shown))
