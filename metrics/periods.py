"""Periods: which period a date falls in, its label, its span. Calendar or fiscal years.

Labels: day `2024-07-01`, week `2024-W27` (ISO), month `2024-07`, quarter `2024-Q3`, year `2024`.
With a fiscal year starting in month s (s > 1), a year is labelled by both calendar years it spans,
`FY2024/25` for July 2024 to June 2025, and its quarters `FY2024/25-Q1`..`Q4`.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

GRAINS = ("day", "week", "month", "quarter", "year")
# Row grains each query grain can use: a monthly row cannot be split into days.
ROW_GRAINS = ("day", "month", "quarter", "year")  # the grains a fact row can have (data/schema.sql)
# Row grains that can be placed in a period of each grain; every row counts towards a year or a window.
USABLE_ROW_GRAINS = {
    "day": ("day",),
    "week": ("day",),
    "month": ("day", "month"),
    "quarter": ("day", "month", "quarter"),
    "year": ROW_GRAINS,
    "window": ROW_GRAINS,  # the whole filter window as one period (KPI cards)
}


def fiscal_year_of(day: dt.date, fiscal_start: int = 1) -> int:
    """The calendar year in which the fiscal year containing `day` starts."""
    return day.year if day.month >= fiscal_start else day.year - 1


def period_start(day: dt.date, grain: str, fiscal_start: int = 1) -> dt.date:
    """First day of the period of `grain` containing `day`."""
    if grain == "day":
        return day
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    offset = (day.month - fiscal_start) % 12
    if grain == "quarter":
        months_back = offset % 3
    elif grain == "year":
        months_back = offset
    else:
        raise ValueError(f"unknown grain {grain!r}; expected one of {', '.join(GRAINS)}")
    return add_months(day.replace(day=1), -months_back)


def period_end(start: dt.date, grain: str) -> dt.date:
    """Last day of the period starting on `start`."""
    if grain == "day":
        return start
    if grain == "week":
        return start + dt.timedelta(days=6)
    months = {"month": 1, "quarter": 3, "year": 12}[grain]
    return add_months(start, months) - dt.timedelta(days=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved by whole months; the day of month is clamped (31 Jan + 1 month = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def one_year_earlier(day: dt.date) -> dt.date:
    """The same date a year before; 29 February maps to 28 February."""
    return add_months(day, -12)


def label(start: dt.date, grain: str, fiscal_start: int = 1) -> str:
    """The display and CSV label of the period starting on `start`."""
    if grain == "day":
        return start.isoformat()
    if grain == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if grain == "month":
        return f"{start.year}-{start.month:02d}"
    fiscal = fiscal_start != 1
    year = fiscal_year_of(start, fiscal_start)
    year_label = f"FY{year}/{(year + 1) % 100:02d}" if fiscal else str(year)
    if grain == "year":
        return year_label
    quarter = (start.month - fiscal_start) % 12 // 3 + 1
    return f"{year_label}-Q{quarter}"


def starts(dates: pd.Series, grain: str, fiscal_start: int = 1) -> pd.Series:
    """period_start for a column of dates (vectorised over the distinct dates)."""
    unique = {d: period_start(d, grain, fiscal_start) for d in pd.unique(dates)}
    return dates.map(unique)


def period_sql(grain: str, day: str, fiscal_start: int = 1) -> tuple[str, list]:
    """SQL for the start of the period of `grain` containing the date expression `day`, and the values it
    binds (the fiscal year's first month). `grain` must be one of GRAINS; `day` is SQL written by the caller."""
    if grain == "day":
        return day, []
    if grain == "week":
        return f"CAST(date_trunc('week', {day}) AS DATE)", []
    if grain == "month":
        return f"CAST(date_trunc('month', {day}) AS DATE)", []
    if grain not in ("quarter", "year"):
        raise ValueError(f"unknown grain {grain!r}; expected one of {', '.join(GRAINS)}")
    # Quarters and years start in the fiscal year's first month: move back, truncate, move forward.
    return f"CAST(date_trunc('{grain}', {day} - to_months(?)) + to_months(?) AS DATE)", [fiscal_start - 1] * 2
