"""How a figure is written, in English and Chinese: the one rule for the dashboard's cards and tables and for
the reports (万 and 亿 in Chinese with the same rounding everywhere, percentages to one decimal, "–" for no
value, never "−0.0%"). Pure functions of the value and the language; pages/_i18n.py adds the UI's language."""

from __future__ import annotations

import datetime as dt
import math

MONTH_NAMES = ("January February March April May June July August September October November December").split()
NO_VALUE = "–"


def missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def number(value, fmt: str = "int", language: str = "en") -> str:
    """A value for display: 1,234,567 in English; 123.5万 in Chinese; percentages with one decimal."""
    if missing(value):
        return NO_VALUE
    if fmt == "pct1":
        return f"{_unsigned_zero(value, 1):.1f}%"
    if fmt in ("dec1", "dec2"):
        return f"{_unsigned_zero(value, int(fmt[-1])):,.{fmt[-1]}f}"
    if language == "zh" and abs(value) >= 100_000_000:
        return f"{value / 100_000_000:.2f}亿"
    if language == "zh" and abs(value) >= 10_000:
        return f"{value / 10_000:.1f}万"
    return f"{_unsigned_zero(value, 0):,.0f}"


def _unsigned_zero(value: float, decimals: int) -> float:
    """The value, with a negative that rounds to zero made plain zero (no "-0.0")."""
    return 0.0 if round(value, decimals) == 0 else value


def signed_percent(value) -> str:
    """A change in percent with its sign: "+4.9%", "-2.0%"; "" for none; a change that rounds to zero is "0.0%"."""
    if missing(value):
        return ""
    if round(value, 1) == 0:
        return "0.0%"
    return f"{value:+.1f}%"


def period_name(label: str, language: str = "en") -> str:
    """A period label (2026-11, 2026-Q4, 2026) in words: November 2026, 2026年11月."""
    zh = language == "zh"
    year, _, rest = label.partition("-")
    if not rest:
        return f"{year}年" if zh else year
    if rest.startswith("Q"):
        return f"{year}年第{rest[1:]}季度" if zh else f"{rest} {year}"
    return f"{year}年{int(rest)}月" if zh else f"{MONTH_NAMES[int(rest) - 1]} {year}"


def join_names(names, language: str = "en") -> str:
    """Names as a list in running text: "A, B" in English, "A、B" in Chinese."""
    return ("、" if language == "zh" else ", ").join(names)


def long_date(day: dt.date, language: str = "en") -> str:
    """31 October 2026, 2026年10月31日."""
    if language == "zh":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


def month_span(start: dt.date, end: dt.date, language: str = "en") -> str:
    """The months from `start` to `end` in words: "January–April 2026", "2026年1—4月", across a year's end
    "April 2026–March 2027", "2026年4月—2027年3月"; one month alone: "April 2026", "2026年4月"."""
    if (start.year, start.month) == (end.year, end.month):
        return period_name(f"{start.year}-{start.month:02d}", language)
    if language == "zh":
        if start.year == end.year:
            return f"{start.year}年{start.month}—{end.month}月"
        return f"{start.year}年{start.month}月—{end.year}年{end.month}月"
    if start.year == end.year:
        return f"{MONTH_NAMES[start.month - 1]}–{MONTH_NAMES[end.month - 1]} {start.year}"
    return f"{MONTH_NAMES[start.month - 1]} {start.year}–{MONTH_NAMES[end.month - 1]} {end.year}"
