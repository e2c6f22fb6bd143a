"""Parsing export cells: counts, decimals, dates and periods. Each parser raises ValueError with the reason."""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata

from data.calendars import ROC_PREFIX, YearError, calendar_year, month_ambiguity, month_number

# Cells that mean "not reported": stored as no row, never as 0.
BLANK_MARKERS = {"", "-", "--", "—", "–", "n/a", "na", "nan", "null", "none", "not reported", "无", "空", "/"}

_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_PLAIN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_SCIENTIFIC = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)[eE][+-]?\d+$")


def normalise_cell(raw: str) -> str:
    """A cell with full-width characters, invisible marks and outer spaces removed."""
    text = unicodedata.normalize("NFKC", raw)
    return text.replace("\u200b", "").replace("\ufeff", "").strip()


def is_blank(raw: str | None, missing_codes: frozenset[str] = frozenset()) -> bool:
    """True when a cell means "not reported"."""
    if raw is None:
        return True
    text = normalise_cell(raw)
    return text.casefold() in BLANK_MARKERS or text in missing_codes


def parse_number(raw: str) -> float:
    """A decimal number; thousands separators allowed in the `1,234,567.5` pattern only."""
    text = normalise_cell(raw).replace(" ", "").replace("\u00a0", "")
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    elif _SCIENTIFIC.match(text):
        raise ValueError("a number in scientific notation (such as 1e9): export the full number")
    elif not _PLAIN.match(text):
        raise ValueError("not a number")
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    return value


def parse_count(raw: str) -> int:
    """A whole, non-negative number (visits, loans, attendance...)."""
    value = parse_number(raw)
    if value < 0:
        raise ValueError("negative count")
    if value != int(value):
        raise ValueError("not a whole number")
    if value > 10**12:
        raise ValueError("implausibly large count")
    return int(value)


def parse_amount(raw: str) -> float:
    """A non-negative decimal (hours, scores, targets)."""
    value = parse_number(raw)
    if value < 0:
        raise ValueError("negative value")
    return value


_TRUE = {"true", "yes", "y", "1", "planned", "plan", "是", "计划", "计划中", "未举办", "t"}
_FALSE = {"false", "no", "n", "0", "held", "done", "completed", "否", "已举办", "已完成", "f"}


def parse_bool(raw: str) -> bool:
    """true/false, yes/no, 是/否, planned/held."""
    key = normalise_cell(raw).casefold()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise ValueError("expected true/false (yes/no, planned/held)")


_ISO = re.compile(
    r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"
)
# `2024年1月5日`; `87年1月5日` and `民國87年1月5日` are ROC (民國) years (see data/calendars.py).
_ZH = re.compile(
    rf"^({ROC_PREFIX})?\s*(\d{{1,4}})\s*年\s*(\d{{1,2}})\s*月\s*(\d{{1,2}})\s*日?(?:\s*\d{{1,2}}[:：]\d{{2}}(?:[:：]\d{{2}})?)?$"
)
_ZH_MONTH = re.compile(rf"^({ROC_PREFIX})?\s*(\d{{1,4}})\s*年\s*(\d{{1,2}})\s*月份?$")
_ROC_YEAR = re.compile(rf"^({ROC_PREFIX})?\s*(\d{{1,3}})\s*年度?$|^({ROC_PREFIX})\s*(\d{{1,3}})$")
# ROC years of three digits: 087/01/15, 112.01.15, 112/01 (a month only with a slash: 112.5 is a number).
_ROC_SLASH = re.compile(r"^(\d{3})(?:/(\d{1,2})(?:/(\d{1,2}))?|([.-])(\d{1,2})\4(\d{1,2}))$")
_SLASH = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp][Mm])?)?$")
_MONTH = re.compile(r"^(\d{4})(?:[-/.]|年)(\d{1,2})月?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
# Month names in any language data/calendars.py knows: `March 5, 2024`, `5 March 2024`, `05-Mar-2024`,
# `3 marzo 2023`, `3. März 2023`, `3 de marzo de 2023`, and months alone: `März 2023`, `janv. 2023`.
_NAMED_MDY = re.compile(r"^([^\W\d_]+)\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})$")
_NAMED_DMY = re.compile(r"^(\d{1,2})(?:st|nd|rd|th|er|º|\.)?[ -](?:de )?([^\W\d_]+)\.?,?[ -](?:de |del )?(\d{4})$")
_NAMED_MONTH = re.compile(r"^([^\W\d_]+)\.?,?[ -](?:de |del )?(\d{4})$")
_PERIOD = re.compile(r"^(\d{4}-\d{2}-\d{2})/P(1M|3M|1Y|1D)$")
_PERIOD_GRAIN = {"1D": "day", "1M": "month", "3M": "quarter", "1Y": "year"}


def slash_order(values: list[str]) -> str:
    """'dmy' or 'mdy' for a column of `d/m/y`-style dates, decided from values whose day is over 12.

    Raises ValueError when the column holds both orders. With no evidence either way, month first
    (the order of US exports such as IMLS's `7/1/15`) is assumed.
    """
    day_first = month_first = False
    for raw in values:
        m = _SLASH.match(normalise_cell(raw))
        if m:
            a, b = int(m.group(1)), int(m.group(2))
            day_first |= a > 12
            month_first |= b > 12
    if day_first and month_first:
        raise ValueError("the column mixes day/month/year and month/day/year dates")
    return "dmy" if day_first else "mdy"


def _year(text: str) -> int:
    year = int(text)
    return year + (2000 if year < 70 else 1900) if len(text) == 2 else year


def parse_date(raw: str, order: str = "mdy") -> tuple[dt.date, str]:
    """(date, grain) from a cell: a day (`2024-01-05`, `2024年1月5日`, `1/5/24`, `5 marzo 2024`), a month
    (`2024-01`, `2024年1月`, `März 2024`), an ROC (民國) day or month (`87年1月15日`, `民國87年1月`,
    `087/01/15`, `087/01`) or an ISO interval (`2023-04-01/P3M`). Time of day is dropped."""
    text = normalise_cell(raw)
    m = _ISO.match(text)
    if m:
        return _make(int(m.group(1)), int(m.group(2)), int(m.group(3))), "day"
    m = _ZH.match(text)
    if m:
        return _make(calendar_year(m.group(2), bool(m.group(1))), int(m.group(3)), int(m.group(4))), "day"
    m = _SLASH.match(text)
    if m:
        a, b, year = int(m.group(1)), int(m.group(2)), _year(m.group(3))
        month, day = (b, a) if order == "dmy" else (a, b)
        try:
            return _make(year, month, day), "day"
        except ValueError:
            if _valid(year, day, month):  # valid only the other way round: say so
                orders = ("day/month/year", "month/day/year")
                first, other = orders if order == "dmy" else orders[::-1]
                raise ValueError(f"not a {first} date like the rest of the column (it reads only as {other})") from None
            raise
    m = _MONTH.match(text)
    if m:
        return _make(int(m.group(1)), int(m.group(2)), 1), "month"
    m = _ZH_MONTH.match(text)
    if m:
        return _make(calendar_year(m.group(2), bool(m.group(1))), int(m.group(3)), 1), "month"
    m = _ROC_SLASH.match(text)
    if m:
        year, month, day = calendar_year(m.group(1), True), m.group(2) or m.group(5), m.group(3) or m.group(6)
        return _make(year, int(month), int(day or 1)), "day" if day else "month"
    m = _COMPACT.match(text)
    if m:
        return _make(int(m.group(1)), int(m.group(2)), int(m.group(3))), "day"
    named = _named_date(text)
    if named:
        return named
    m = _PERIOD.match(text)
    if m:
        start, grain = dt.date.fromisoformat(m.group(1)), _PERIOD_GRAIN[m.group(2)]
        return start, grain
    raise ValueError("not a date (expected e.g. 2024-01-31, 2024/1/31, 2024年1月31日, 2024-01)")


def _named_date(text: str) -> tuple[dt.date, str] | None:
    """(date, grain) of a date with a month name: `March 5, 2024`, `5 marzo 2024`, `05-Mar-2024` (time of
    day dropped) or a month alone, `März 2024`. A month name that is another month in another language
    (data/calendars.py) is refused with the readings it has."""
    words = re.sub(r"\s+", " ", text.casefold().split(" at ")[0])
    words = re.sub(r"[ t]\d{1,2}:\d{2}(:\d{2})?( ?[ap]m)?$", "", words).strip()
    for pattern, order in ((_NAMED_MDY, "md"), (_NAMED_DMY, "dm"), (_NAMED_MONTH, "m")):
        m = pattern.match(words)
        if not m:
            continue
        picks = {"md": (m.group(1), m.group(2)), "dm": (m.group(2), m.group(1)), "m": (m.group(1), "1")}
        month_word, day = picks[order]
        month = month_number(month_word)
        if month is None and month_ambiguity(month_word):
            raise ValueError(f"{month_ambiguity(month_word)}: write the month as a number")
        if month is not None:
            return _make(int(m.group(len(m.groups()))), month, int(day)), "month" if order == "m" else "day"
    return None


def _valid(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def _make(year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"no such date ({year:04d}-{month:02d}-{day:02d})") from None


def parse_year(raw: str) -> int:
    """A four-digit year; `FY2016`, `2016年`, `2016/17` give the first year named; `112年`, `民國87年`,
    `87年度` are ROC (民國) years."""
    text = normalise_cell(raw)
    m = _ROC_YEAR.match(text)
    if m:
        return calendar_year(m.group(2) or m.group(4), bool(m.group(1) or m.group(3)))
    m = re.search(r"(19|20)\d\d", text)
    if not m:
        raise ValueError("not a year")
    return int(m.group(0))


def parse_month(raw: str, year: int | None) -> dt.date:
    """A month cell: `2024-03`, `2024年3月`, `87年3月` (ROC), or `3`/`March`/`3月`/`Marzo` with a year."""
    from data.headers import month_column

    text = normalise_cell(raw)
    try:
        return parse_date(text)[0].replace(day=1)
    except YearError:
        raise
    except ValueError:
        pass
    found = month_column(text)
    if found is None and text.isdigit() and 1 <= int(text) <= 12:
        found = (None, int(text))
    if found is None and month_ambiguity(text):
        raise ValueError(f"{month_ambiguity(text)}: write the month as a number")
    if found is None:
        raise ValueError("not a month (expected e.g. 2024-03, 2024年3月, 87年1月, or 3/March/Gennaio with a year)")
    month_year = found[0] or year
    if month_year is None:
        raise ValueError("a month without a year (add a year column, a year to the file name or to the mapping file)")
    return dt.date(month_year, found[1], 1)


def names_a_date(cell: str) -> bool:
    """Whether a cell reads as a date or a month (a month name or number counts, whatever its year): how a
    dated row of a branches-as-columns file is told from a header."""
    for attempt in (lambda: parse_date(cell, "dmy"), lambda: parse_date(cell, "mdy"), lambda: parse_month(cell, 2000)):
        try:
            attempt()  # a month with any year: only whether the cell names a month matters here
        except ValueError:
            continue
        return True
    return False
