"""How a figure is written, in English and Chinese: the one rule for the dashboard's cards and tables and for
the reports (万 and 亿 in Chinese with the same rounding everywhere, percentages to one decimal, "–" for no
value, never "−0.0%"). Pure functions of the value and the language; pages/_i18n.py adds the UI's language."""

from __future__ import annotations

import datetime as dt
import math

from metrics import periods

MONTH_NAMES = ("January February March April May June July August September October November December").split()
NO_VALUE = "–"

# Codes stored in the data (event categories, audiences, formats) -> (English, 中文) for display.
CODES: dict[str, tuple[str, str]] = {
    "overall": ("Overall satisfaction", "总体满意度"),
    "lecture": ("Lecture", "讲座"),
    "exhibition": ("Exhibition", "展览"),
    "reading": ("Reading", "阅读推广"),
    "training": ("Training", "培训"),
    "performance": ("Performance", "演出"),
    "storytime": ("Storytime", "故事会"),
    "volunteer_service": ("Volunteer service", "志愿服务"),
    "other": ("Other", "其他"),
    "children_0_5": ("Children 0-5", "0-5岁儿童"),
    "children_6_11": ("Children 6-11", "6-11岁儿童"),
    "teens_12_18": ("Teens 12-18", "12-18岁青少年"),
    "adults": ("Adults", "成人"),
    "seniors": ("Seniors", "老年人"),
    "disabilities": ("People with disabilities", "残障人士"),
    "families": ("Families", "家庭"),
    "general": ("General public", "公众"),
    "onsite": ("Onsite", "馆内"),
    "offsite": ("Offsite", "馆外"),
    "online": ("Online", "线上"),
    # Patron categories of loans (circulation.patron_category) as transaction exports write them.
    "adult": ("Adult readers", "成人读者"),
    "child": ("Child readers", "少儿读者"),
    "senior": ("Senior readers", "老年读者"),
    "unspecified": ("Unspecified", "未注明"),
}
# Kinds of service point (branches.kind) -> (English, 中文).
KINDS: dict[str, tuple[str, str]] = {
    "main": ("Main library", "总馆"),
    "branch": ("Branch", "分馆"),
    "community": ("Community reading room", "社区图书室"),
    "mobile": ("Mobile service point", "流动服务点"),
    "museum": ("Museum", "博物馆"),
    "centre": ("Centre", "文化中心"),
    "other": ("Other", "其他"),
}


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
    """A period label (2026-11, 2026-Q4, 2026, FY2026/27, FY2026/27-Q1, 2026-01-01..2026-10-31) in words:
    November 2026, 2026年11月, 2026/27财年, 2026/27财年第1季度, 2026年1月1日—2026年10月31日."""
    zh = language == "zh"
    if ".." in label:  # a whole window
        start, end = (dt.date.fromisoformat(part) for part in label.split(".."))
        return f"{long_date(start, language)}—{long_date(end, language)}"
    year, _, rest = label.partition("-")
    if year.startswith("FY"):
        fiscal = f"{year[2:]}财年" if zh else year
        if rest.startswith("Q"):
            return f"{fiscal}第{rest[1:]}季度" if zh else f"{rest} {fiscal}"
        return fiscal
    if not rest:
        return f"{year}年" if zh else year
    if rest.startswith("Q"):
        return f"{year}年第{rest[1:]}季度" if zh else f"{rest} {year}"
    return f"{year}年{int(rest)}月" if zh else f"{MONTH_NAMES[int(rest) - 1]} {year}"


def year_name(year: int, fiscal_start: int = 1, language: str = "en") -> str:
    """The (fiscal) year starting in month `fiscal_start` of `year` in words: 2026, 2026年, FY2026/27,
    2026/27财年 (the engine's period label, periods.label, worded by period_name)."""
    return period_name(periods.label(dt.date(year, fiscal_start, 1), "year", fiscal_start), language)


def month_name(month: int, language: str = "en") -> str:
    """A month in words: "February", "2月"."""
    return f"{month}月" if language == "zh" else MONTH_NAMES[month - 1]


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


def code_label(code: str, language: str = "en") -> str:
    """A stored code as shown: known codes translated, others with underscores as spaces."""
    if code in CODES:
        return CODES[code][1 if language == "zh" else 0]
    return str(code).replace("_", " ")


def kind_label(kind: str, language: str = "en") -> str:
    """A kind of service point in words: "Branch", "分馆"."""
    return KINDS.get(kind, (kind, kind))[1 if language == "zh" else 0]


def short_period_name(label: str, language: str = "en") -> str:
    """A period label as an axis tick: "Jan 2026" in English (twelve full month names do not fit under a chart),
    the same words as period_name() in Chinese ("2026年1月")."""
    year, _, rest = label.partition("-")
    if language == "zh" or not rest or rest.startswith("Q"):
        return period_name(label, language)
    return f"{MONTH_NAMES[int(rest) - 1][:3]} {year}"


def signed_number(value, fmt: str = "int", language: str = "en") -> str:
    """A change with its sign, written as number() writes the value: "+1.2万", "-3,210", "+0.4"; a change that
    rounds to nothing has no sign."""
    if missing(value):
        return NO_VALUE
    text = number(abs(value), fmt, language)
    if text.strip("0.,%万亿") == "":
        return text
    return ("+" if value > 0 else "-") + text


def nice_step(raw: float) -> float:
    """A round axis step at or above `raw`: 1, 2 or 5 times a power of ten."""
    if raw <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def axis_ticks(values, language: str = "en", count: int = 5, zero: bool = False) -> dict:
    """A value axis's ticks, written as the figures are, so a chart never falls back to Plotly's "450k": about
    `count` round steps over the values (from zero with `zero`, as bars are drawn). English: 450,000. Chinese: the
    whole axis in one unit, 万 or 亿 as its largest tick needs (0, 50万, 100万; not 5,000 next to 1.0万), with the
    decimals the step needs. Returns Plotly's tickvals and ticktext; empty when there is no value."""
    finite = [float(v) for v in values if not missing(v) and math.isfinite(float(v))]
    if not finite:
        return {}
    low, high = min(finite), max(finite)
    if zero:
        low, high = min(low, 0.0), max(high, 0.0)
    step = nice_step((high - low or abs(high) or count) / count)
    if high == low:  # one value: a step either side, as Plotly draws a flat line in the middle
        low, high = low - 2 * step, high + 2 * step
    ticks = [round(i * step, 10) for i in range(math.floor(low / step), math.ceil(high / step) + 1)]
    top = max(abs(t) for t in ticks)
    unit, suffix = (100_000_000, "亿") if top >= 100_000_000 else (10_000, "万") if top >= 10_000 else (1, "")
    if language != "zh":
        unit, suffix = 1, ""
    decimals = max(0, -math.floor(math.log10(step / unit) + 1e-9))
    separator = "" if suffix else ","  # 万 and 亿 numbers are short: 2500万, as number() writes 123.5万

    def text(tick: float) -> str:
        scaled = tick / unit
        if round(scaled, decimals) == 0:
            return "0"
        return f"{scaled:{separator}.{decimals}f}{suffix}"

    return {"tickvals": ticks, "ticktext": [text(t) for t in ticks]}


def in_name_order(names, language: str = "en") -> list[str]:
    """Names in the order a reader looks them up: alphabetical in English; in Chinese by pinyin, with ICU's
    Chinese collation (DuckDB's built-in icu extension), as a Chinese index is ordered."""
    unique = [str(n) for n in dict.fromkeys(names)]
    if language != "zh":
        return sorted(unique, key=str.casefold)
    import duckdb  # the collation is DuckDB's; imported here so the module stays light for everything else

    with duckdb.connect() as con:
        rows = con.execute("SELECT n FROM unnest(?::VARCHAR[]) AS t(n) ORDER BY n COLLATE zh", [unique]).fetchall()
    return [n for (n,) in rows]
