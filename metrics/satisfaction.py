"""Satisfaction statistics (DESIGN.md section 3): mean score normalised to 0-100, share satisfied
(top two boxes, 满意率), response count, 95% confidence intervals and a low-confidence flag.

Two sources feed it. Respondent-level survey answers (`surveys`) give one observation per answer.
Events (`events`) only report a mean score and a response count, so each held event is one observation
weighted by its responses; a mean cannot say how many answers were in the top two boxes, so the share
satisfied comes from survey answers alone.
"""

from __future__ import annotations

import math

import duckdb
import pandas as pd

from metrics import periods
from metrics.filters import SYSTEM_LINES, Filter, fact_branch_sql, fact_sql, system_lines
from metrics.periods import ROW_GRAINS, USABLE_ROW_GRAINS, label

LOW_CONFIDENCE_N = 30  # fewer responses than this: the point is shown as low-confidence
Z_95 = 1.96  # two-sided 95% normal quantile, as in the usual textbook formula
DEFAULT_QUESTION = "overall"
UNSPECIFIED = "unspecified"  # group label for a row without the `by` value (e.g. a survey without category)

OBSERVATION_COLUMNS = [
    "date",
    "branch_id",
    "category",
    "audience",
    "format",
    "question",
    "source",
    "weight",
    "score_100",
    "top2",
]
SUMMARY_KEYS = [
    "n",
    "mean",
    "ci_low",
    "ci_high",
    "satisfied_share",
    "satisfied_ci_low",
    "satisfied_ci_high",
    "satisfied_n",
    "low_confidence",
    "sources",
]
BY_CHOICES = ("branch", "district", "kind", "category", "audience", "source", "question")
FROM_FILTER = ...  # a `question` argument left out: the filter's question (Filter.question, "overall" by default)
_BRANCH_COLUMNS = {"branch": "name", "district": "district", "kind": "kind"}

# Top two boxes: 4-5 on a 5-point scale, 9-10 on 0-10; on a longer scale (e.g. 0-100) the top fifth.
_TOP_TWO_SQL = (
    "CASE WHEN s.scale_max <= 10 AND s.scale_max = floor(s.scale_max) "
    "THEN s.score >= s.scale_max - 1 ELSE s.score >= 0.8 * s.scale_max END"
)


def _query(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> pd.DataFrame:
    """Run one query on its own cursor; dates come back as datetime.date, not Timestamps."""
    cursor = con.cursor()
    try:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        columns = [d[0] for d in cursor.description]
    finally:
        cursor.close()
    return pd.DataFrame(rows, columns=columns)


def _where(conditions: list[str]) -> str:
    return " AND ".join(conditions) if conditions else "true"


def _question(flt: Filter, question, by: str | None = None) -> str | None:
    """The question counted: the one given, else the filter's; grouped by question, every question."""
    if by == "question":
        return None
    return flt.question if question is FROM_FILTER else question


def _survey_conditions(con, flt: Filter, question: str | None) -> tuple[list[str], list]:
    """Answered survey scores (a "don't know" is stored as NULL) matching the filter and question."""
    question = _question(flt, question)
    facts, fact_params = fact_sql(flt, "surveys", "s")
    places, place_params = fact_branch_sql(con, flt, "s")
    conditions = ["s.score IS NOT NULL", *facts, *places]
    params = [*fact_params, *place_params]
    if question is not None:
        conditions.append("s.question = ?")
        params.append(question)
    return conditions, params


def _event_conditions(con, flt: Filter, row_grains: tuple[str, ...] | None) -> tuple[list[str], list]:
    """Held events with a rated mean and at least one response, matching the filter."""
    facts, fact_params = fact_sql(flt, "events", "e")
    places, place_params = fact_branch_sql(con, flt, "e")
    conditions = ["NOT e.planned", "e.satisfaction IS NOT NULL", "e.responses > 0", *facts, *places]
    params = [*fact_params, *place_params]
    if row_grains is not None and row_grains != ROW_GRAINS:  # every row grain: no condition needed
        conditions.append(f"e.grain IN ({', '.join('?' for _ in row_grains)})")
        params.extend(row_grains)
    return conditions, params


def observations(
    con: duckdb.DuckDBPyConnection,
    flt: Filter,
    *,
    question=FROM_FILTER,
    row_grains: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """One row per observation: columns OBSERVATION_COLUMNS, ordered by date, branch and source.

    A survey answer has weight 1, `top2` True/False and no format; an event has weight = its responses,
    its mean as `score_100` and `top2` None. `score_100` is score / scale_max * 100.
    flt: dates, places and dimensions; a dimension a table lacks (format on surveys) does not apply to it.
    question: the survey question counted (by default the filter's, "overall" unless chosen, so a respondent
        who also rated e.g. the staff is not counted twice); None takes every question. Event ratings are
        answers to "overall": another question leaves them out.
    row_grains: event row grains to keep (a monthly event row cannot be placed in a week); None keeps all.
    """
    sql, params = _observations_sql(con, flt, question, row_grains)
    return _query(con, f"{sql} ORDER BY date, branch_id, source", params)


def _observations_sql(con, flt: Filter, question: str | None, row_grains: tuple[str, ...] | None) -> tuple[str, list]:
    """observations()' query (unordered) and its parameters."""
    survey_where, survey_params = _survey_conditions(con, flt, question)
    event_where, event_params = _event_conditions(con, flt, row_grains)
    if _question(flt, question) not in (None, DEFAULT_QUESTION):
        event_where.append("false")  # an event's rating is its overall satisfaction
    sql = f"""
        SELECT s.date, s.branch_id, s.category, s.audience, CAST(NULL AS VARCHAR) AS format, s.question,
               'survey' AS source, CAST(1 AS BIGINT) AS weight,
               s.score / s.scale_max * 100 AS score_100, {_TOP_TWO_SQL} AS top2
        FROM surveys s
        WHERE {_where(survey_where)}
        UNION ALL
        SELECT e.date, e.branch_id, e.category, e.audience, e.format, '{DEFAULT_QUESTION}' AS question,
               'event' AS source, CAST(e.responses AS BIGINT) AS weight,
               e.satisfaction / e.scale_max * 100 AS score_100, CAST(NULL AS BOOLEAN) AS top2
        FROM events e
        WHERE {_where(event_where)}
    """
    return sql, [*survey_params, *event_params]


def wilson_interval(successes: float, trials: float, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for a proportion, as fractions in [0, 1]; trials must be > 0.

    centre = (p + z²/2m) / (1 + z²/m), half-width = z·√(p(1-p)/m + z²/4m²) / (1 + z²/m), p = k/m.
    """
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def _mean_interval(mean: float, squares: float, n: float) -> tuple[float | None, float | None]:
    """95% normal-approximation interval mean ± z·s/√n, clipped to 0-100; None below two responses.

    squares: Σ weight·(score_100 - mean)², so s² = squares / (n - 1) is the sample variance with each
    observation counted `weight` times. An event row stands for `weight` responses all equal to its mean,
    which hides the spread within the event, so for event data s (and the interval) is understated.
    """
    if n < 2:
        return None, None
    half = Z_95 * math.sqrt(squares / (n - 1) / n)
    return max(0.0, mean - half), min(100.0, mean + half)


def _satisfied(successes: float, trials: float) -> dict:
    """Share of survey answers in the top two boxes, in percent, with its Wilson interval."""
    if trials == 0:
        return {"satisfied_share": None, "satisfied_ci_low": None, "satisfied_ci_high": None, "satisfied_n": 0}
    low, high = wilson_interval(successes, trials)
    return {
        "satisfied_share": 100.0 * successes / trials,
        "satisfied_ci_low": 100.0 * low,
        "satisfied_ci_high": 100.0 * high,
        "satisfied_n": int(trials),
    }


def _group_sums(obs: pd.DataFrame, groups: list[str]) -> pd.DataFrame:
    """Per group (sorted): responses `n`, Σw·score `weighted`, Σw·(score - group mean)² `squares`,
    survey answers `trials`, those in the top two boxes `successes`, and the sorted `sources`."""
    weight = obs["weight"].astype(float)
    score = obs["score_100"].astype(float)
    answered = obs["top2"].notna()
    keys = [obs[g] for g in groups]
    group_mean = (weight * score).groupby(keys).transform("sum") / weight.groupby(keys).transform("sum")
    parts = pd.DataFrame(
        {
            "n": weight,
            "weighted": weight * score,
            "squares": weight * (score - group_mean) ** 2,
            "trials": weight.where(answered, 0.0),
            "successes": weight.where(obs["top2"].where(answered, False).astype(bool), 0.0),
        }
    )
    sums = parts.groupby(keys, sort=True).sum()
    sums["sources"] = obs["source"].groupby(keys, sort=True).agg(lambda s: sorted(set(s)))
    return sums


def _statistics(sums: dict) -> dict:
    """The SUMMARY_KEYS dict of one _group_sums() row (n > 0)."""
    n = int(sums["n"])
    mean = sums["weighted"] / n
    ci_low, ci_high = _mean_interval(mean, sums["squares"], n)
    return {
        "n": n,
        "mean": mean,
        "ci_low": ci_low,
        "ci_high": ci_high,
        **_satisfied(sums["successes"], sums["trials"]),
        "low_confidence": n < LOW_CONFIDENCE_N,
        "sources": sums["sources"],
    }


def summarise(obs: pd.DataFrame) -> dict:
    """Headline statistics of observations() rows (keys SUMMARY_KEYS); pure, no database.

    n is the number of responses (sum of weights); mean is the response-weighted mean of score_100,
    so an event rated by 30 people counts three times one rated by 10 (not a mean of event means).
    satisfied_*: survey answers only (events give no top-two-box counts); None without survey answers.
    No observations: n = 0, every statistic None, low_confidence True.
    """
    if not len(obs) or obs["weight"].sum() == 0:
        empty = dict.fromkeys(SUMMARY_KEYS)
        return {**empty, "n": 0, "satisfied_n": 0, "low_confidence": True, "sources": []}
    sums = _group_sums(obs.assign(_all=0), ["_all"])
    return _statistics(sums.to_dict("records")[0])


def trend(
    con: duckdb.DuckDBPyConnection,
    flt: Filter,
    grain: str = "month",
    fiscal_start: int = 1,
    by: str | None = None,
    *,
    question=FROM_FILTER,
    whole_window: bool = False,
) -> pd.DataFrame:
    """summarise() per period (and per `by` group): columns period, period_start, [by], SUMMARY_KEYS.

    whole_window: one period for everything the filter's dates hold (labelled by the year of its start).

    grain: day, week, month, quarter or year; fiscal_start: first month of the (fiscal) year.
    by: None or one of BY_CHOICES; `branch` is shown by name, a missing value as "unspecified".
    A period without responses has no row (it is absent, not zero). Sorted by period_start, then `by`.
    """
    if grain not in USABLE_ROW_GRAINS:
        raise ValueError(f"unknown grain {grain!r}; expected one of {', '.join(USABLE_ROW_GRAINS)}")
    if by is not None and by not in BY_CHOICES:
        raise ValueError(f"cannot group satisfaction by {by!r}; expected one of {', '.join(BY_CHOICES)}")
    if fiscal_start not in range(1, 13):
        raise ValueError(f"fiscal_start must be a month number 1-12, not {fiscal_start!r}")
    groups = ["period_start", *([by] if by else [])]
    found = period_statistics(con, flt, grain, fiscal_start, by, question=question, whole_window=whole_window)
    if not found:
        return pd.DataFrame(columns=["period", *groups, *SUMMARY_KEYS])
    rows = []
    for _prior, period_start, group, stats in found:
        row = {"period_start": period_start, **({by: group} if by else {})}
        rows.append({"period": label(period_start, grain, fiscal_start), **row, **stats})
    return pd.DataFrame(rows)


def period_statistics(
    con: duckdb.DuckDBPyConnection,
    flt: Filter,
    grain: str,
    fiscal_start: int = 1,
    by: str | None = None,
    *,
    question=FROM_FILTER,
    whole_window: bool = False,
    prior: Filter | None = None,
) -> list[tuple]:
    """trend()'s figures as plain rows (is_prior, period_start, group, SUMMARY_KEYS dict), with no table to
    build; with `prior`, that filter's periods too (is_prior True), from the same statement. Arguments are
    trend()'s and are not checked again here."""
    sums = _period_sums(con, flt, grain, fiscal_start, by, question, whole_window, prior)
    return [
        (is_prior, start, group, _statistics(dict(zip(_SUM_COLUMNS, values, strict=True))))
        for is_prior, start, group, *values in sums
    ]


_SUM_COLUMNS = ("n", "weighted", "squares", "trials", "successes", "sources")


def _period_sums(
    con: duckdb.DuckDBPyConnection,
    flt: Filter,
    grain: str,
    fiscal_start: int,
    by: str | None,
    question: str | None,
    whole_window: bool,
    prior: Filter | None = None,
) -> list[tuple]:
    """_group_sums() per period and group, inside DuckDB: rows (is_prior, period_start, group, *_SUM_COLUMNS)
    sorted by is_prior, period_start and group; group is None without `by`, "unspecified" for a missing value.
    The observations of `prior` (when given) are summed in the same statement, apart (is_prior True)."""
    row_grains = USABLE_ROW_GRAINS["window" if whole_window else grain]
    question = _question(flt, question, by)
    obs_sql, params = _observations_sql(con, flt, question, row_grains)
    obs_sql = f"SELECT false AS is_prior, * FROM ({obs_sql})"
    if prior is not None:
        prior_sql, prior_params = _observations_sql(con, prior, question, row_grains)
        obs_sql, params = f"{obs_sql} UNION ALL SELECT true, * FROM ({prior_sql})", [*params, *prior_params]
    if whole_window:  # one period, starting with the first observation (set below, from each group's first)
        period, period_params = "NULL", []
    else:
        period, period_params = periods.period_sql(grain, "o.date", fiscal_start)
    # The group column comes from the allow-lists BY_CHOICES and _BRANCH_COLUMNS; every value is bound.
    group_params = []
    if by in _BRANCH_COLUMNS:
        group, join = f"g.{_BRANCH_COLUMNS[by]}", "JOIN branches g ON g.branch_id = o.branch_id"
        if system_lines(con):  # answers through a channel (an online form) are one group, never a branch's
            group = f"CASE WHEN list_contains(?, o.branch_id) THEN ? ELSE {group} END"
            group_params = [sorted(system_lines(con)), SYSTEM_LINES]
    else:
        group, join = (f"o.{by}" if by else "NULL"), ""
    sql = f"""
        WITH obs AS ({obs_sql}),
        grouped AS (
            SELECT o.is_prior, {period} AS period_start, coalesce(CAST({group} AS VARCHAR), '{UNSPECIFIED}') AS grp,
                   o.date AS o_date, CAST(o.weight AS DOUBLE) AS weight, o.score_100, o.top2, o.source
            FROM obs o {join}
        )
        SELECT min(o_date), is_prior, period_start, {"grp" if by else "NULL"}, sum(weight), sum(weight * score_100),
               -- Σw(x - mean)² as Σwx² - (Σwx)²/Σw: one pass, no window; never below 0 after rounding
               greatest(sum(weight * score_100 * score_100) - sum(weight * score_100) ** 2 / sum(weight), 0),
               sum(CASE WHEN top2 IS NOT NULL THEN weight ELSE 0 END),
               sum(CASE WHEN top2 THEN weight ELSE 0 END),
               min(source), max(source)  -- 'event' and/or 'survey': cheaper than a sorted list of distinct values
        FROM grouped GROUP BY is_prior, period_start, grp
    """
    cursor = con.cursor()
    try:
        rows = cursor.execute(sql, [*params, *period_params, *group_params]).fetchall()
    finally:
        cursor.close()
    first = {}  # per side, the first observation: the start of its whole-window period
    for row in rows:
        first[row[1]] = min(row[0], first.get(row[1], row[0]))
    rows = [
        (is_prior, first[is_prior] if whole_window else start, group, *sums, sorted({low, high}))
        for _first, is_prior, start, group, *sums, low, high in rows
    ]
    return sorted(rows, key=lambda row: (row[0], row[1], row[2] or ""))


def distribution(con: duckdb.DuckDBPyConnection, flt: Filter, *, question=FROM_FILTER) -> pd.DataFrame:
    """Answered survey scores for a histogram: columns scale_max, score, answers, top2 (the box is one
    of the top two), one row per (scale_max, score) present, ordered by scale then score."""
    conditions, params = _survey_conditions(con, flt, question)
    sql = f"""
        SELECT s.scale_max, s.score, count(*) AS answers, bool_and({_TOP_TWO_SQL}) AS top2
        FROM surveys s
        WHERE {_where(conditions)}
        GROUP BY s.scale_max, s.score
        ORDER BY s.scale_max, s.score
    """
    return _query(con, sql, params)


def questions(con: duckdb.DuckDBPyConnection, flt: Filter | None = None) -> list[str]:
    """The survey questions with at least one answered score (within the filter's dates and places when
    given; its question does not matter), for a question picker."""
    conditions, params = _survey_conditions(con, flt, None) if flt is not None else (["s.score IS NOT NULL"], [])
    found = _query(con, f"SELECT DISTINCT s.question FROM surveys s WHERE {_where(conditions)} ORDER BY 1", params)
    return found["question"].tolist()


def question_note(con: duckdb.DuckDBPyConnection, flt: Filter) -> str | None:
    """When the filter's question has no answers in its scope but other questions do: a note naming them,
    so that an empty figure is never silent."""
    if flt.question is None:
        return None
    found = questions(con, flt)
    if not found or flt.question in found:
        return None
    shown = ", ".join(found[:10]) + (f" and {len(found) - 10} more" if len(found) > 10 else "")
    return (
        f"no survey answers to question '{flt.question}' here; the questions answered are: {shown} "
        "(choose one with --question ID, or --by question)"
    )
