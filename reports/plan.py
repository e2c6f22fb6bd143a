"""Next year's plan sheet: targets suggested from the trend, for the director to edit and import as targets.

Method (stated in the sheet itself): the base is the last complete year of data up to the report's year (a
partial year is never a base); the growth is the average of the year-over-year changes of the three years up
to the base (fewer when the data is shorter; none: no growth); the target is base × (1 + growth) for each
year from the base to the planned year, rounded to three significant figures. Network rows for the metrics
the targets table knows, and a row per service point for visits and loans (their attainment is on the cards).

The sheet is a CSV the importer reads as targets (`python -m data import plan.csv`): year, branch, metric,
target, then columns it ignores that say where each number came from.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, replace

from metrics import display, engine
from metrics.filters import Filter
from metrics.registry import get, label
from reports.annual import year_span

NETWORK_METRICS = ("visits", "loans", "events", "attendance", "new_registrations")
BRANCH_METRICS = ("visits", "loans")
GROWTH_YEARS = 3
COLUMNS = {
    "en": (
        "year",
        "branch",
        "metric",
        "target",
        "metric_label",
        "base_year",
        "base_value",
        "average_growth_pct",
        "method",
    ),
    "zh": ("年度", "服务点", "考核指标", "年度目标", "指标说明", "基准年度", "基准值", "近年平均增长率", "测算方法"),
}
METHOD = {
    "en": "base year x (1 + average growth of up to {years} years)^{steps}, three significant figures",
    "zh": "基准年度数值 ×（1 + 近{years}年平均增长率）^{steps}，保留三位有效数字",
}


@dataclass(frozen=True)
class PlanRow:
    year: int
    branch_id: str | None  # None: the network
    branch: str  # the name written in the sheet (blank for the network)
    metric: str
    target: float
    base_year: int
    base_value: float
    growth_pct: float | None


def suggest(con, year: int, flt: Filter | None = None, fiscal_start: int = 1, lang: str = "en") -> list[PlanRow]:
    """Suggested targets for `year` + 1 from the data up to `year` (see the module's method): the network's
    (when the filter chooses no branches and has no user scope: the network's target is not a supervisor's),
    then each service point's."""
    flt = flt or Filter()
    start, _ = year_span(year - GROWTH_YEARS - 1, fiscal_start)
    this_year, end = year_span(year, fiscal_start)
    flt = replace(flt, date_from=start, date_to=end, beyond_complete=False)
    rows = []
    if flt.scope is None and not (flt.branches or flt.districts or flt.kinds):
        for metric_id in NETWORK_METRICS:
            table = engine.compute(con, metric_id, flt, "year", None, fiscal_start, compare=True).table
            rows += _row(table, year, metric_id, None, "")
    names, ids = engine.branch_names(con, lang), {n: b for b, n in engine.branch_names(con, "en").items()}
    for metric_id in BRANCH_METRICS:
        table = engine.compute(con, metric_id, flt, "year", "branch", fiscal_start, compare=True).table
        for name, own in engine.service_points_only(table).groupby("branch"):
            if own["period_start"].iloc[-1] < this_year:
                continue  # nothing this year: closed, or no longer reporting
            branch_id = ids.get(name, name)
            rows += _row(own, year, metric_id, branch_id, names.get(branch_id, name))
    return rows


def _row(table, year: int, metric_id: str, branch_id: str | None, name: str) -> list[PlanRow]:
    """The plan row from one metric's yearly rows (with their year-over-year change) for one branch or the
    network, or none without a complete base year."""
    complete = table[~table["partial"].astype(bool)]
    if complete.empty:
        return []
    base = complete.iloc[-1]
    base_year = base["period_start"].year
    growth = [v for v in complete["yoy_pct"].iloc[-GROWTH_YEARS:] if not display.missing(v)]
    growth_pct = sum(growth) / len(growth) if growth else None
    steps = year + 1 - base_year
    target = float(base["value"]) * (1 + (growth_pct or 0) / 100) ** steps
    return [PlanRow(year + 1, branch_id, name, metric_id, _three_figures(target), base_year, base["value"], growth_pct)]


def _three_figures(value: float) -> float:
    """A target rounded to three significant figures (4,234,567 → 4,230,000; 1,073 → 1,070)."""
    if value <= 0:
        return 0.0
    digits = 3 - int(math.floor(math.log10(value))) - 1
    return float(round(value, digits))


def to_csv(rows: list[PlanRow], lang: str = "en") -> bytes:
    """The sheet as UTF-8 CSV with a byte-order mark (so spreadsheet programs read the Chinese)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS[lang])
    for row in rows:
        metric = get(row.metric)
        writer.writerow(
            [
                row.year,
                row.branch,
                row.metric,
                f"{row.target:.0f}",
                label(metric, lang),
                row.base_year,
                f"{row.base_value:.0f}",
                "" if row.growth_pct is None else f"{row.growth_pct:.1f}",
                METHOD[lang].format(years=GROWTH_YEARS, steps=row.year - row.base_year),
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")
