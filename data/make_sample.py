"""Deterministic sample exports of a fictional city's public cultural service network.

The city is Qinghe (清河市). Its network has one main library (``main``), nine branches,
sixteen community reading rooms (社区图书室, each under a branch), two mobile library routes,
one museum, one cultural centre (文化馆) and one volunteer service centre (志愿服务中心), in five
districts. Run ``python -m data.make_sample [--out data/sample] [--end-month 2026-10]``; the
output is byte-identical on every run (fixed seed, fixed END_MONTH, no clock, fixed order), and
it is imported as of the fixed TODAY (the day after END_MONTH), not the real date.

Files written (all UTF-8 without BOM and ``\\n`` line endings unless stated):

- ``branches.csv``: the register of service points, with ``|``-separated aliases and each district's
  Chinese name (``district_zh``).
- ``visits_daily.csv``: one row per open day for the main library, the branches and the
  cultural centre, 2021-01-01 to the last day of END_MONTH. The museum is NOT here (see below).
- ``museum_visits_monthly.csv``: the museum's monthly visits, audience ``all`` and the
  ``minors`` segment (a subset of ``all``, never to be added to it).
- ``社区图书室到馆人次_<year>.csv``: community reading room visits, a wide month-by-column
  sheet per year with Chinese headers, GB18030 encoded, CRLF line endings.
- ``circulation_monthly.csv``: monthly checkouts/renewals/returns (main, branches, rooms).
- ``circulation_transactions_mobile.csv``: transaction-level loans of the two mobile routes
  (they are not in the monthly file), CRLF line endings.
- ``events.csv``: one row per event, held or planned, with optional satisfaction and
  volunteer columns.
- ``surveys.csv`` + ``surveys.mapping.toml``: respondent-level answers; 9 means "don't know".
- ``measures_monthly.csv``: long-tail measures (registrations, complaints).
- ``targets_<END year>.csv``: targets for END_MONTH's year (blank branch = whole network).

Planted awkward cases (constants below name them so tests and docs can refer to them):

- Export drift in ``visits_daily.csv``: the main library is spelled in upper case
  (``QINGHE MAIN LIBRARY``) in the rows of UPPERCASE_MAIN_YEAR only, and ALIAS_BRANCH is
  always written as ALIAS_SPELLING, one of its aliases in ``branches.csv``.
- RENOVATION_BRANCH is closed for RENOVATION_MONTHS: no visits, circulation, events, measures
  or survey rows in those months.
- NEW_BRANCH opened on NEW_BRANCH_OPENED: no rows of any kind before that date.
- CLOSED_ROOM closed for good on CLOSED_ROOM_CLOSED_ON: blank cells after it in that year's
  wide sheet, no row at all in later sheets, no circulation/measures/events after it.
- ZERO_WEEK_BRANCH reads 0 visits on the 7 open days from ZERO_WEEK_START (rows present,
  method ``counted``): a broken door counter, not a closure.
- ESTIMATED_VISIT_DAYS: the only ``visits_daily.csv`` rows with method ``estimated``
  (values rounded to 50).
- Holiday closures (no ``visits_daily.csv`` row, no events): 1 January and the Spring
  Festival eve plus its first three days (SPRING_FESTIVAL); 2024-02-29 is an ordinary day.
  The museum and cultural centre are also closed on Mondays.
- Community sheets: FOOTNOTE_ROOM's Chinese name carries a trailing ``*`` in every sheet and
  a ``注：...`` footnote row ends each sheet, after a ``合计`` totals row. Sheets of
  THOUSANDS_SEPARATOR_YEARS write numbers >= 1000 as ``"1,234"``. The row total (合计 column)
  of WRONG_TOTAL_ROOM in the WRONG_TOTAL_YEAR sheet is off by WRONG_TOTAL_DELTA (the totals
  row's 合计 cell sums the printed column, so it is off too). NOT_REPORTED_CELL is blank
  (not reported). REAL_ZERO_CELL is a real 0: the room was shut that month, so its checkouts,
  returns and registrations are 0 too (only online renewals go on) and it holds no events.
  In the END year's sheet the months after END_MONTH are blank and 合计 sums the reported
  months only.
- ``events.csv`` (~1,000-1,100 a year, on open days only): ~3% past rows with planned
  ``true`` and blank attendance (planned, not held); planned ``true`` rows dated in the two
  months after END_MONTH (future plans); satisfaction/responses blank when no survey was
  run, responses often below 30; scale_max is always 5; volunteer columns filled for
  volunteer_service events (volunteer centre only) and a few others; some titles contain
  commas and double quotes. Two named programmes (PROGRAMMES) label the events of some titles for
  their audience in six months each, so that a programme has a before, a during and an after; the
  label is the only thing they change (no count, score or draw of the generator).
- ``circulation_transactions_mobile.csv``: route A stops on Tuesdays and Fridays, route B
  on Wednesdays and Saturdays (not on holiday closures); ~3% of service days are cancelled.
  Returns are fewer than checkouts because items may go back to any library.
- ``surveys.csv``: about 2,700 respondents a year (main library, branches, museum, cultural
  centre), two rows each; about 2% of answers are the "don't know" code 9 (declared in
  ``surveys.mapping.toml``).
- ``branches.csv``: blank district/service_population for the mobile routes and the
  museum/centres, blank opened_on where unknown.
"""

from __future__ import annotations

import argparse
import calendar
import csv
import math
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path

SEED = 20210101
END_MONTH = "2026-10"
START_YEAR = 2021
# The sample's "today": the day after END_MONTH closed, when its exports were taken. The bundled sample
# is imported with this date (data/cli.py build_sample), never the real clock's, so that what counts as
# "in the future" (rejected unless planned) and "a month not over yet" (a 0 read as blank) is the same
# on every run; the future plans of events.csv are the two months from here.
TODAY = date(2026, 11, 1)

RENOVATION_BRANCH = "west"
RENOVATION_MONTHS = ["2024-03", "2024-04", "2024-05", "2024-06", "2024-07"]
NEW_BRANCH = "riverside"
NEW_BRANCH_OPENED = date(2023, 9, 1)
ZERO_WEEK_BRANCH = "south"
ZERO_WEEK_START = date(2025, 3, 10)
CLOSED_ROOM = "cr-poplar"
CLOSED_ROOM_CLOSED_ON = date(2025, 6, 30)

ALIAS_BRANCH = "east"
ALIAS_SPELLING = "East Side Branch"
UPPERCASE_MAIN_YEAR = 2021
ESTIMATED_VISIT_DAYS = [
    ("north", date(2021, 7, 18)),
    ("main", date(2022, 8, 9)),
    ("oldtown", date(2023, 4, 2)),
    ("unitown", date(2024, 11, 23)),
    ("culture", date(2025, 5, 1)),
    ("riverside", date(2026, 1, 15)),
]

FOOTNOTE_ROOM = "cr-willow"
FOOTNOTE_TEXT = "注：*柳荫社区图书室人次含楼下流动借阅点"
THOUSANDS_SEPARATOR_YEARS = (2022, 2025)
WRONG_TOTAL_YEAR = 2024
WRONG_TOTAL_ROOM = "cr-maple"
WRONG_TOTAL_DELTA = 10
NOT_REPORTED_CELL = ("cr-lotus", "2023-05")
REAL_ZERO_CELL = ("cr-pine", "2023-08")

# The exact header of each file, in order.
BRANCHES_HEADER = [
    "branch_id",
    "name",
    "name_zh",
    "kind",
    "parent_id",
    "district",
    "district_zh",
    "service_population",
    "opened_on",
    "closed_on",
    "aliases",
]
# The five districts' Chinese names (branches.csv `district_zh`), shown on the Chinese pages and reports.
DISTRICT_ZH = {"Central": "中心城区", "North": "城北区", "East": "城东区", "South": "城南区", "West": "城西区"}
VISITS_HEADER = ["date", "branch", "visits", "method"]
MUSEUM_HEADER = ["month", "branch", "audience", "visits"]
CIRCULATION_HEADER = ["month", "branch", "checkouts", "renewals", "returns"]
MOBILE_HEADER = ["timestamp", "branch", "action", "item_type", "patron_category"]
EVENTS_HEADER = [
    "event_id",
    "date",
    "branch",
    "title",
    "title_zh",
    "category",
    "audience",
    "format",
    "attendance",
    "satisfaction",
    "responses",
    "scale_max",
    "volunteers",
    "volunteer_hours",
    "beneficiaries",
    "planned",
    "programme",
]
SURVEYS_HEADER = ["respondent_id", "date", "branch", "question", "score", "scale_max", "audience"]
MEASURES_HEADER = ["month", "branch", "measure", "value"]
TARGETS_HEADER = ["year", "branch", "metric", "target"]
COMMUNITY_FILE_PATTERN = "社区图书室到馆人次_{year}.csv"
COMMUNITY_HEADER = ["馆名", *[f"{m}月" for m in range(1, 13)], "合计"]
DONT_KNOW_CODE = "9"

# Lunar New Year's Day per year; libraries close on its eve and its first three days.
SPRING_FESTIVAL = {
    2021: date(2021, 2, 12),
    2022: date(2022, 2, 1),
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
}

# 2021 is still depressed by COVID-19 rules; afterwards the network grows ~4-6% a year.
YEAR_LEVEL = {2021: 0.72, 2022: 0.95, 2023: 1.0, 2024: 1.06, 2025: 1.11, 2026: 1.16, 2027: 1.21}
# School holidays (late Jan, Jul-Aug) are busy; February loses the Spring Festival week.
# fmt: off
MONTH_LEVEL = {
    1: 1.05, 2: 0.84, 3: 0.95, 4: 0.97, 5: 1.0, 6: 0.97,
    7: 1.25, 8: 1.3, 9: 0.95, 10: 1.02, 11: 0.95, 12: 0.98,
}
# fmt: on
# Monday..Sunday: libraries fill up at weekends.
WEEKDAY_LEVEL = (0.85, 0.88, 0.9, 0.92, 1.0, 1.45, 1.4)

MONDAY = 0
# New library cards a month per 10,000 residents served; rooms sign up their neighbours.
REGISTRATIONS_PER_10K = {"main": 25.0, "branch": 9.0, "community": 15.0}


@dataclass(frozen=True)
class Site:
    """A service point: its register entry plus the base levels that drive the generator."""

    branch_id: str
    name: str
    name_zh: str
    kind: str
    parent_id: str = ""
    district: str = ""
    service_population: int | None = None
    opened_on: date | None = None
    closed_on: date | None = None
    aliases: tuple[str, ...] = ()
    daily_visits: int = 0  # a typical weekday in 2023 (0 = not in visits_daily.csv)
    monthly_visits: int = 0  # museum and community rooms report monthly
    monthly_loans: int = 0  # 0 = not in circulation_monthly.csv
    events_per_year: int = 0
    closed_weekdays: tuple[int, ...] = field(default=())


def _room(
    slug: str,
    name: str,
    zh: str,
    parent: str,
    district: str,
    population: int,
    visits: int,
    loans: int,
    opened: date | None = None,
) -> Site:
    """A community reading room under a branch (``visits``/``loans`` are a typical month's)."""
    return Site(
        branch_id=f"cr-{slug}",
        name=f"{name} Community Reading Room",
        name_zh=f"{zh}社区图书室",
        kind="community",
        parent_id=parent,
        district=district,
        service_population=population,
        opened_on=opened,
        monthly_visits=visits,
        monthly_loans=loans,
        events_per_year=6,
    )


# fmt: off
SITES: list[Site] = [
    Site("main", "Qinghe Main Library", "清河市图书馆", "main", "", "Central", 210000,
         date(1958, 10, 1), None, ("Qinghe Library", "清河图书馆"), 2600, 0, 38000, 220),
    Site("north", "North Branch", "城北分馆", "branch", "main", "North", 142000,
         date(1996, 5, 18), None, (), 650, 0, 9800, 55),
    Site("east", "East Branch", "城东分馆", "branch", "main", "East", 156000,
         date(1988, 3, 1), None, ("East Side Branch", "东区分馆旧馆"), 720, 0, 10500, 55),
    Site("south", "South Branch", "城南分馆", "branch", "main", "South", 131000,
         None, None, (), 560, 0, 8200, 55),
    Site("west", "West Branch", "城西分馆", "branch", "main", "West", 118000,
         date(2001, 9, 28), None, ("West District Branch",), 480, 0, 7400, 55),
    Site("oldtown", "Old Town Branch", "老城分馆", "branch", "main", "Central", 97000,
         date(1979, 7, 1), None, ("Old Town Library", "老城区图书馆"), 390, 0, 6100, 55),
    Site("lakeside", "Lakeside Branch", "湖畔分馆", "branch", "main", "North", 88000,
         date(2010, 4, 23), None, (), 420, 0, 6600, 55),
    Site("unitown", "University Town Branch", "大学城分馆", "branch", "main", "East", 104000,
         date(2015, 9, 1), None, ("Univ. Town Branch", "大学城图书馆"), 610, 0, 11200, 55),
    Site("hightech", "High-Tech Zone Branch", "高新区分馆", "branch", "main", "South", 76000,
         date(2018, 12, 20), None, (), 350, 0, 5200, 55),
    Site(NEW_BRANCH, "Riverside Branch", "滨河分馆", "branch", "main", "West", 92000,
         NEW_BRANCH_OPENED, None, (), 430, 0, 6800, 55),
    _room("willow", "Willow Shade", "柳荫", "north", "North", 18500, 2400, 1500, date(2012, 4, 23)),
    _room("peach", "Peach Garden", "桃园", "north", "North", 12800, 1500, 1000),
    _room("bamboo", "Green Bamboo", "翠竹", "east", "East", 16200, 2100, 1400, date(2014, 6, 1)),
    _room("lotus", "Lotus Pond", "荷塘", "east", "East", 9800, 900, 650),
    _room("maple", "Maple Grove", "枫林", "east", "East", 14100, 1800, 1200, date(2016, 10, 10)),
    _room("pine", "Pine Ridge", "松岗", "south", "South", 8700, 750, 520),
    _room("orchid", "Orchid Court", "兰苑", "south", "South", 13300, 1650, 1100, date(2013, 5, 20)),
    _room("osmanthus", "Osmanthus", "桂香", "west", "West", 11900, 1300, 900),
    _room("plum", "Plum Ridge", "梅岭", "west", "West", 7600, 680, 450),
    _room("chrys", "Chrysanthemum Garden", "菊园", "oldtown", "Central", 10400, 1150, 800),
    _room("ginkgo", "Ginkgo", "银杏", "oldtown", "Central", 15600, 2600, 1700, date(2017, 4, 23)),
    _room("camphor", "Camphor Tree", "香樟", "lakeside", "North", 12200, 1400, 950),
    _room("magnolia", "Magnolia", "玉兰", "lakeside", "North", 9100, 820, 560),
    _room("poplar", "White Poplar", "白杨", "unitown", "East", 6900, 600, 400, date(2015, 7, 1)),
    _room("jasmine", "Jasmine", "茉莉", "unitown", "East", 17300, 3200, 2100, date(2019, 9, 1)),
    _room("cedar", "Cedar Hill", "雪松", "hightech", "South", 11000, 1250, 850, date(2020, 1, 15)),
    Site("mobile-a", "Bookmobile A", "流动图书车A线", "mobile", "main", "", None,
         date(2019, 6, 1), None, ("Mobile Library A", "流动图书车一号")),
    Site("mobile-b", "Bookmobile B", "流动图书车B线", "mobile", "main", "", None,
         date(2020, 10, 15), None, ("Mobile Library B", "流动图书车二号")),
    Site("museum", "Qinghe City Museum", "清河市博物馆", "museum", "", "Central", None,
         date(1984, 5, 18), None, ("Qinghe Museum", "市博物馆"), 0, 30000, 0, 80, (MONDAY,)),
    Site("culture", "Qinghe Cultural Centre", "清河市文化馆", "centre", "", "Central", None,
         None, None, ("Qinghe Culture Centre", "市文化馆"), 520, 0, 0, 130, (MONDAY,)),
    Site("volunteer", "Qinghe Volunteer Service Centre", "清河市志愿服务中心", "centre", "",
         "Central", None, date(2016, 3, 5), None, ("Volunteer Centre", "志愿者服务中心"),
         0, 0, 0, 60),
]
# fmt: on

# CLOSED_ROOM is a room from the table above; its closing date is set here so it stays visible.
SITES = [replace(s, closed_on=CLOSED_ROOM_CLOSED_ON) if s.branch_id == CLOSED_ROOM else s for s in SITES]
SITE_BY_ID = {s.branch_id: s for s in SITES}
SITE_ORDER = {s.branch_id: i for i, s in enumerate(SITES)}
SITE_ID_BY_NAME = {s.name: s.branch_id for s in SITES}

# Which mobile route stops on which weekdays (0 = Monday).
MOBILE_WEEKDAYS = {"mobile-a": (1, 4), "mobile-b": (2, 5)}

Row = list[str]


# --------------------------------------------------------------------------- calendar helpers


def stream_rng(stream: str) -> random.Random:
    """A generator per output file, so changing one file's logic leaves the others unchanged.

    String seeds are hashed with SHA-512 by ``random``, so this does not depend on PYTHONHASHSEED.
    """
    return random.Random(f"{SEED}:{stream}")


def month_of(day: date) -> str:
    """The ``YYYY-MM`` key of a day."""
    return f"{day.year:04d}-{day.month:02d}"


def first_day(month: str) -> date:
    """The first day of a ``YYYY-MM`` month."""
    return date(int(month[:4]), int(month[5:7]), 1)


def last_day(month: str) -> date:
    """The last day of a ``YYYY-MM`` month."""
    start = first_day(month)
    return start.replace(day=calendar.monthrange(start.year, start.month)[1])


def months_between(first: str, last: str) -> list[str]:
    """Every ``YYYY-MM`` from first to last inclusive."""
    out, year, month = [], int(first[:4]), int(first[5:7])
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def add_months(month: str, n: int) -> str:
    """The month n months after ``month``."""
    index = int(month[:4]) * 12 + int(month[5:7]) - 1 + n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def days_of(month: str) -> list[date]:
    """Every day of a month."""
    start, end = first_day(month), last_day(month)
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def holiday_closures(year: int) -> set[date]:
    """Days the whole network is shut: New Year's Day and Spring Festival eve + 3 days."""
    festival = SPRING_FESTIVAL[year]
    return {date(year, 1, 1)} | {festival + timedelta(days=k) for k in range(-1, 3)}


def in_service(site: Site, day: date) -> bool:
    """Whether the service point exists and is not under renovation on that day."""
    if site.opened_on and day < site.opened_on:
        return False
    if site.closed_on and day > site.closed_on:
        return False
    return not (site.branch_id == RENOVATION_BRANCH and month_of(day) in RENOVATION_MONTHS)


def is_open(site: Site, day: date) -> bool:
    """Whether the doors are open to the public (in service, not a holiday or rest day)."""
    if not in_service(site, day) or day in holiday_closures(day.year):
        return False
    if (site.branch_id, month_of(day)) == REAL_ZERO_CELL:
        return False  # the room with the real 0 was shut all month
    return day.weekday() not in site.closed_weekdays


def active_in_month(site: Site, month: str) -> bool:
    """Whether a monthly export has a row for the site in that month."""
    return any(in_service(site, day) for day in days_of(month))


def open_days(site: Site, month: str) -> list[date]:
    """The open days of a site in a month."""
    return [day for day in days_of(month) if is_open(site, day)]


def level(day_or_month: date | str) -> float:
    """The combined year and season level of a day or month (1.0 = an average 2023 month)."""
    d = day_or_month if isinstance(day_or_month, date) else first_day(day_or_month)
    return YEAR_LEVEL[d.year] * MONTH_LEVEL[d.month]


def ramp_up(site: Site, day: date) -> float:
    """A new branch takes a few months to reach its normal level."""
    if site.opened_on is None or site.opened_on.year < START_YEAR:
        return 1.0
    months_open = (day.year - site.opened_on.year) * 12 + day.month - site.opened_on.month
    return min(1.0, 0.7 + 0.1 * months_open)


def noisy(rng: random.Random, value: float, spread: float) -> float:
    """Multiplicative Gaussian noise, never negative."""
    return max(0.0, value * rng.gauss(1.0, spread))


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method; the means here are small)."""
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def weighted(rng: random.Random, options: dict[str, float]) -> str:
    """One key of ``options`` drawn with its weight (insertion order keeps this deterministic)."""
    return rng.choices(list(options), weights=list(options.values()))[0]


def sites_of(*kinds: str) -> list[Site]:
    """The sites of the given kinds, in register order."""
    return [s for s in SITES if s.kind in kinds]


# --------------------------------------------------------------------------- accumulators


class Actuals:
    """Yearly totals collected while generating, from which targets are derived."""

    def __init__(self) -> None:
        self.by_key: dict[tuple[str, str, int], float] = defaultdict(float)

    def add(self, metric: str, branch_id: str, year: int, value: float) -> None:
        """Add a value to a branch's and the network's (``""``) yearly total."""
        self.by_key[(metric, branch_id, year)] += value
        self.by_key[(metric, "", year)] += value

    def get(self, metric: str, branch_id: str, year: int) -> float:
        """A yearly total (0 when nothing was recorded)."""
        return self.by_key.get((metric, branch_id, year), 0.0)


# --------------------------------------------------------------------------- files


def make_branches() -> list[Row]:
    """The register of service points."""
    rows = []
    for s in SITES:
        rows.append(
            [
                s.branch_id,
                s.name,
                s.name_zh,
                s.kind,
                s.parent_id,
                s.district,
                DISTRICT_ZH.get(s.district, ""),
                "" if s.service_population is None else str(s.service_population),
                s.opened_on.isoformat() if s.opened_on else "",
                s.closed_on.isoformat() if s.closed_on else "",
                "|".join(s.aliases),
            ]
        )
    return rows


def visits_spelling(site: Site, day: date) -> str:
    """The branch name as the door-counter export spells it (with the planted drift)."""
    if site.branch_id == ALIAS_BRANCH:
        return ALIAS_SPELLING
    if site.kind == "main" and day.year == UPPERCASE_MAIN_YEAR:
        return site.name.upper()
    return site.name


def make_visits_daily(end: str, actuals: Actuals) -> list[Row]:
    """Daily door counts for the main library, branches and cultural centre."""
    rng = stream_rng("visits_daily")
    sites = [s for s in SITES if s.daily_visits]
    estimated = set(ESTIMATED_VISIT_DAYS)
    zero_week = {ZERO_WEEK_START + timedelta(days=k) for k in range(7)}
    rows = []
    for month in months_between(f"{START_YEAR}-01", end):
        for day in days_of(month):
            for site in sites:
                if not is_open(site, day):
                    continue
                expected = site.daily_visits * level(day) * WEEKDAY_LEVEL[day.weekday()]
                visits = round(noisy(rng, expected * ramp_up(site, day), 0.08))
                method = "counted"
                if (site.branch_id, day) in estimated:
                    visits, method = round(visits / 50) * 50, "estimated"
                if site.branch_id == ZERO_WEEK_BRANCH and day in zero_week:
                    visits = 0  # the counter was broken; the rows are still exported
                actuals.add("visits", site.branch_id, day.year, visits)
                rows.append([day.isoformat(), visits_spelling(site, day), str(visits), method])
    return rows


def check_planted_days(end: str) -> None:
    """Fail loudly if a planted day would not produce the row tests expect."""
    last = last_day(end)
    for branch_id, day in ESTIMATED_VISIT_DAYS:
        if day <= last and not is_open(SITE_BY_ID[branch_id], day):
            raise ValueError(f"estimated day {day} is not an open day of {branch_id}")
    for k in range(7):
        day = ZERO_WEEK_START + timedelta(days=k)
        if day <= last and not is_open(SITE_BY_ID[ZERO_WEEK_BRANCH], day):
            raise ValueError(f"zero-week day {day} is not an open day of {ZERO_WEEK_BRANCH}")


def make_museum_monthly(end: str, actuals: Actuals) -> list[Row]:
    """Monthly museum visits: the total and its minors segment."""
    rng = stream_rng("museum_visits_monthly")
    museum = SITE_BY_ID["museum"]
    rows = []
    for month in months_between(f"{START_YEAR}-01", end):
        total = round(noisy(rng, museum.monthly_visits * level(month), 0.07))
        # School trips and summer holidays push the share of minors up.
        share = 0.27 + (0.05 if month[5:] in ("07", "08") else 0.0) + rng.uniform(-0.02, 0.02)
        actuals.add("visits", museum.branch_id, int(month[:4]), total)
        rows.append([month, museum.name, "all", str(total)])
        rows.append([month, museum.name, "minors", str(round(total * share))])
    return rows


def community_visits(end: str, actuals: Actuals) -> dict[tuple[str, str], int | None]:
    """Monthly visits per (room, month); None = not reported; missing = no longer exists."""
    rng = stream_rng("community_visits")
    values: dict[tuple[str, str], int | None] = {}
    for month in months_between(f"{START_YEAR}-01", end):
        for room in sites_of("community"):
            if not active_in_month(room, month):
                continue
            value = round(noisy(rng, room.monthly_visits * level(month), 0.09))
            if (room.branch_id, month) == REAL_ZERO_CELL:
                value = 0
            actuals.add("visits", room.branch_id, int(month[:4]), value)
            values[(room.branch_id, month)] = value
    # Drawn above like every other cell so the random stream stays in step, then withheld.
    values[NOT_REPORTED_CELL] = None
    return values


def format_count(value: int, year: int) -> str:
    """A count as that year's sheet writes it (some years use thousands separators)."""
    return f"{value:,}" if year in THOUSANDS_SEPARATOR_YEARS else str(value)


def make_community_sheet(year: int, values: dict[tuple[str, str], int | None]) -> list[Row]:
    """One year's wide sheet: a row per room, a 合计 totals row and a footnote row."""
    rows = []
    column_totals: list[int | None] = [None] * 12
    printed_total_sum = 0
    for room in sites_of("community"):
        months = [f"{year:04d}-{m:02d}" for m in range(1, 13)]
        if not any((room.branch_id, m) in values for m in months):
            continue  # the room no longer exists
        cells, row_total = [], 0
        for i, month in enumerate(months):
            value = values.get((room.branch_id, month))
            if value is None:
                cells.append("")  # not reported, closed down, or after END_MONTH
                continue
            cells.append(format_count(value, year))
            row_total += value
            column_totals[i] = (column_totals[i] or 0) + value
        if year == WRONG_TOTAL_YEAR and room.branch_id == WRONG_TOTAL_ROOM:
            # A hand-typed total that the importer must not trust.
            row_total += WRONG_TOTAL_DELTA
        printed_total_sum += row_total
        name = room.name_zh + ("*" if room.branch_id == FOOTNOTE_ROOM else "")
        rows.append([name, *cells, format_count(row_total, year)])
    totals = ["" if t is None else format_count(t, year) for t in column_totals]
    rows.append(["合计", *totals, format_count(printed_total_sum, year)])
    rows.append([FOOTNOTE_TEXT] + [""] * 13)
    return rows


def make_circulation_monthly(end: str, actuals: Actuals) -> list[Row]:
    """Monthly checkouts, renewals and returns for the main library, branches and rooms."""
    rng = stream_rng("circulation_monthly")
    sites = [s for s in SITES if s.monthly_loans]
    rows = []
    for month in months_between(f"{START_YEAR}-01", end):
        for site in sites:
            if not active_in_month(site, month):
                continue
            expected = site.monthly_loans * level(month) * ramp_up(site, first_day(month))
            checkouts = round(noisy(rng, expected, 0.06))
            renewals = round(checkouts * rng.uniform(0.15, 0.25))
            returns = round(noisy(rng, checkouts, 0.04))
            if (site.branch_id, month) == REAL_ZERO_CELL:
                # Shut all month: nothing lent or returned on site, but renewals go on online.
                checkouts, returns, renewals = 0, 0, rng.randint(5, 20)
            actuals.add("loans", site.branch_id, int(month[:4]), checkouts)
            rows.append([month, site.name, str(checkouts), str(renewals), str(returns)])
    return rows


def service_time(rng: random.Random, day: date) -> datetime:
    """A moment within a mobile route's two stops (morning and afternoon)."""
    start = 9 * 3600 if rng.random() < 0.5 else 14 * 3600
    return datetime(day.year, day.month, day.day) + timedelta(seconds=start + rng.randrange(150 * 60))


def make_mobile_transactions(end: str, actuals: Actuals) -> list[Row]:
    """Transaction-level loans of the mobile routes, sorted by timestamp."""
    rng = stream_rng("circulation_transactions_mobile")
    items = {"book": 0.8, "periodical": 0.12, "audiovisual": 0.08}
    patrons = {"adult": 0.55, "child": 0.25, "senior": 0.2}
    records: list[tuple[datetime, int, str, str, str, str]] = []
    for month in months_between(f"{START_YEAR}-01", end):
        for day in days_of(month):
            for site in sites_of("mobile"):
                on_route = day.weekday() in MOBILE_WEEKDAYS[site.branch_id]
                if not on_route or not is_open(site, day):
                    continue
                if rng.random() < 0.03:
                    continue  # service cancelled (weather, vehicle breakdown)
                counts = {
                    "checkout": rng.randint(5, 15),
                    "renewal": rng.choice((0, 0, 1, 1, 2)),
                    "return": rng.randint(2, 9),
                }
                actuals.add("loans", site.branch_id, day.year, counts["checkout"])
                for action, count in counts.items():
                    for _ in range(count):
                        when = service_time(rng, day)
                        item, patron = weighted(rng, items), weighted(rng, patrons)
                        order = SITE_ORDER[site.branch_id]
                        records.append((when, order, site.name, action, item, patron))
    records.sort()
    return [
        [when.strftime("%Y-%m-%d %H:%M:%S"), name, action, item, patron]
        for when, _, name, action, item, patron in records
    ]


# Event templates per category: (title, title_zh, audiences the event is aimed at).
EVENT_TEMPLATES: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    "storytime": [
        ("Picture Book Storytime", "绘本故事会", ("children_0_5", "families")),
        ("Bilingual Storytime", "双语故事时间", ("children_0_5", "children_6_11")),
        ("Weekend Family Storytime", "周末亲子故事会", ("families",)),
    ],
    "reading": [
        ('Reading Club: "The Old Man and the Sea"', "读书会：《老人与海》", ("adults", "teens_12_18")),
        ("Classic Poetry Reading", "经典诗词诵读", ("adults", "seniors")),
        ("Teen Book Club", "青少年读书会", ("teens_12_18",)),
        ("Large-Print Reading Circle", "大字本阅读沙龙", ("seniors", "disabilities")),
        ("Reading Month: Books, Tea and Talk", "读书月：书、茶与对话", ("general",)),
    ],
    "lecture": [
        ("Qinghe Local History Lecture", "清河地方史讲座", ("adults", "seniors", "general")),
        ("Health Talk for Seniors", "老年健康讲座", ("seniors",)),
        ("Science, Technology and Society", "科学、技术与社会", ("adults", "teens_12_18")),
        ("Career Planning for Teens", "青少年职业规划讲座", ("teens_12_18",)),
    ],
    "exhibition": [
        ("Qinghe Through the Ages", "千年清河历史展", ("general",)),
        ("Children's Art Exhibition", "少儿美术作品展", ("children_6_11", "families")),
        ("Calligraphy and Painting Exhibition", "书画作品展", ("general", "seniors")),
    ],
    "training": [
        ("Smartphone Skills for Seniors", "老年人智能手机培训", ("seniors",)),
        ("Digital Library Resources Workshop", "数字资源使用培训", ("adults",)),
        ("Braille and Screen Reader Training", "盲文及读屏软件培训", ("disabilities",)),
        ("Coding for Kids", "少儿编程体验课", ("children_6_11",)),
    ],
    "performance": [
        ("Tea, Poetry and Song", "茶、诗与歌", ("general", "adults")),
        ("Spring Festival Folk Concert", "新春民乐音乐会", ("general", "families")),
        ("Children's Puppet Theatre", "儿童木偶剧", ("children_0_5", "children_6_11", "families")),
        ("Peking Opera Appreciation", "京剧赏析", ("seniors", "adults")),
    ],
    "volunteer_service": [
        ("Reading Companions for Left-behind Children", "留守儿童阅读陪伴", ("children_6_11",)),
        ("Book Delivery for Homebound Seniors", "送书上门助老服务", ("seniors",)),
        ("Accessible Reading Assistance", "无障碍阅读助残服务", ("disabilities",)),
        ("Community Library Shelving Day", "社区图书室整理志愿日", ("general",)),
    ],
}

# The programme mix of each kind of service point (category weights).
CATEGORY_MIX: dict[str, dict[str, float]] = {
    "main": {"lecture": 3, "exhibition": 1, "reading": 3, "training": 2, "performance": 1, "storytime": 3},
    "branch": {"storytime": 4, "reading": 3, "lecture": 2, "training": 2, "exhibition": 0.5},
    "community": {"storytime": 3, "reading": 3, "training": 1},
    "museum": {"exhibition": 3, "lecture": 3, "training": 1, "storytime": 0.5},
    "culture": {"performance": 4, "training": 3, "lecture": 1, "exhibition": 1},
    "volunteer": {"volunteer_service": 1},
}

# Typical onsite attendance range per category.
ATTENDANCE_RANGE = {
    "storytime": (12, 45),
    "reading": (8, 40),
    "lecture": (30, 160),
    "exhibition": (200, 2500),
    "training": (8, 30),
    "performance": (80, 450),
    "volunteer_service": (20, 300),
}


def event_mix(site: Site) -> dict[str, float]:
    """The category weights of a site's programme."""
    if site.branch_id in CATEGORY_MIX:
        return CATEGORY_MIX[site.branch_id]
    return CATEGORY_MIX[site.kind]


def pick_format(rng: random.Random, category: str) -> str:
    """Onsite, offsite (outreach) or online; volunteer service is mostly done out in the city."""
    if category == "volunteer_service":
        return weighted(rng, {"offsite": 0.7, "onsite": 0.3})
    return weighted(rng, {"onsite": 0.82, "offsite": 0.1, "online": 0.08})


def event_attendance(rng: random.Random, category: str, fmt: str) -> int:
    """Attendance of a held event; online sessions reach many more people."""
    if fmt == "online":
        return rng.randint(200, 3000)
    low, high = ATTENDANCE_RANGE[category]
    if fmt == "offsite":
        high = max(low + 10, high // 2)
    return rng.randint(low, high)


def survey_columns(rng: random.Random, attendance: int, fmt: str) -> tuple[str, str]:
    """(satisfaction, responses): blank when no survey was run, else a mean on a 1-5 scale."""
    if rng.random() < (0.5 if fmt == "online" else 0.3):
        return "", ""
    share = rng.uniform(0.02, 0.08) if fmt == "online" else rng.uniform(0.15, 0.6)
    responses = max(3, min(attendance, round(attendance * share)))
    # Small samples wander further from the true mean.
    spread = 0.12 + 0.6 / math.sqrt(responses)
    # A perfect 5.00 mean is only plausible from a handful of answers.
    ceiling = 5.0 if responses < 10 else 4.96
    satisfaction = min(ceiling, max(3.2, rng.gauss(4.55, spread)))
    return f"{satisfaction:.2f}", str(responses)


def volunteer_columns(rng: random.Random, category: str, attendance: int) -> tuple[str, str, str]:
    """(volunteers, volunteer_hours, beneficiaries); mostly blank outside volunteer service."""
    if category == "volunteer_service":
        volunteers = rng.randint(5, 40)
        hours = volunteers * rng.uniform(2.0, 4.0)
        return str(volunteers), f"{hours:.1f}", str(attendance)
    if rng.random() < 0.05:  # a few big events borrow helpers from the volunteer centre
        volunteers = rng.randint(2, 8)
        return str(volunteers), f"{volunteers * rng.uniform(2.0, 5.0):.1f}", ""
    return "", "", ""


def draw_event(rng: random.Random, site: Site, day: date, status: str) -> tuple[date, int, Row]:
    """One event row without its id; status is ``held``, ``not_held`` or ``future``."""
    category = weighted(rng, event_mix(site))
    title, title_zh, audiences = rng.choice(EVENT_TEMPLATES[category])
    audience = rng.choice(audiences)
    fmt = pick_format(rng, category)
    attendance = event_attendance(rng, category, fmt)
    satisfaction, responses = survey_columns(rng, attendance, fmt)
    volunteers, hours, beneficiaries = volunteer_columns(rng, category, attendance)
    attendance_cell = str(attendance)
    if status != "held":
        # Nothing happened (yet): no attendance, survey or volunteer effort to report.
        attendance_cell = satisfaction = responses = ""
        volunteers = hours = beneficiaries = ""
    row = [
        day.isoformat(),
        site.name,
        title,
        title_zh,
        category,
        audience,
        fmt,
        attendance_cell,
        satisfaction,
        responses,
        "5",
        volunteers,
        hours,
        beneficiaries,
        "false" if status == "held" else "true",
    ]
    return day, SITE_ORDER[site.branch_id], row


@dataclass(frozen=True)
class Programme:
    """A named programme: the events of `titles` for `audience` from `first_month` to `last_month` carry it."""

    name: str
    audience: str
    titles: tuple[str, ...]
    first_month: str
    last_month: str


PROGRAMMES = (
    Programme(
        "暖夕相伴",
        "seniors",
        ("Health Talk for Seniors", "Smartphone Skills for Seniors", "Book Delivery for Homebound Seniors"),
        "2025-04",
        "2025-09",
    ),
    Programme(
        "星光护航",
        "disabilities",
        ("Accessible Reading Assistance", "Braille and Screen Reader Training"),
        "2025-03",
        "2025-08",
    ),
)


def programme_of(day: date, title: str, audience: str) -> str:
    """The named programme an event belongs to, or "" for none (a rule on the row; no random draw)."""
    month = f"{day.year}-{day.month:02d}"
    for programme in PROGRAMMES:
        if (
            audience == programme.audience
            and title in programme.titles
            and programme.first_month <= month <= programme.last_month
        ):
            return programme.name
    return ""


def event_status(rng: random.Random, in_future: bool) -> str:
    """``future`` after END_MONTH; else ``held``, or ~3% ``not_held`` (cancelled plans)."""
    if in_future:
        return "future"
    return "not_held" if rng.random() < 0.03 else "held"


def make_events(end: str, actuals: Actuals) -> list[Row]:
    """Events held, planned-but-not-held, and planned for the two months after END_MONTH."""
    rng = stream_rng("events")
    hosts = [s for s in SITES if s.events_per_year]
    future = set(months_between(add_months(end, 1), add_months(end, 2)))
    drafts: list[tuple[date, int, Row]] = []
    for month in months_between(f"{START_YEAR}-01", add_months(end, 2)):
        for site in hosts:
            days = open_days(site, month)
            if not days:
                continue
            mean = site.events_per_year / 12 * (0.8 + 0.2 * level(month))
            if month in future:
                mean *= 0.5  # only part of the programme is on the calendar yet
            for _ in range(poisson(rng, mean)):
                status = event_status(rng, month in future)
                drafts.append(draw_event(rng, site, rng.choice(days), status))
    drafts.sort(key=lambda d: (d[0], d[1], d[2][2]))
    rows, sequence = [], defaultdict(int)
    for day, _, row in drafts:
        sequence[day.year] += 1
        rows.append([f"E{day.year}-{sequence[day.year]:05d}", *row, programme_of(day, row[2], row[5])])
        if row[-1] == "false":
            branch_id = SITE_ID_BY_NAME[row[1]]
            actuals.add("events", branch_id, day.year, 1)
            actuals.add("attendance", branch_id, day.year, int(row[7]))
    return rows


def survey_score(rng: random.Random, mean: float) -> str:
    """One answer on the 1-5 scale, or the "don't know" code about 2% of the time."""
    if rng.random() < 0.02:
        return DONT_KNOW_CODE
    return str(min(5, max(1, round(rng.gauss(mean, 0.8)))))


def survey_site(rng: random.Random, sites: list[Site], month: str) -> Site:
    """A site open in that month, picked in proportion to its footfall."""
    # The museum has no daily figure; ~1,000 a day matches its monthly total.
    weights = [s.daily_visits or 1000 for s in sites]
    site = rng.choices(sites, weights=weights)[0]
    while not open_days(site, month):  # renovation or not yet open: ask elsewhere
        site = rng.choice(sites)
    return site


def make_surveys(end: str) -> list[Row]:
    """Respondent-level answers to two questions, about 2,700 respondents a year."""
    rng = stream_rng("surveys")
    kinds = ("main", "branch", "museum")
    sites = [s for s in SITES if s.kind in kinds or s.branch_id == "culture"]
    # Each site has its own level of service; the spread shows up in branch comparisons.
    quality = {s.branch_id: rng.uniform(4.0, 4.6) for s in sites}
    audiences = {"adults": 0.6, "seniors": 0.2, "teens_12_18": 0.16, "disabilities": 0.04}
    rows = []
    for year in range(START_YEAR, int(end[:4]) + 1):
        respondents = []
        for month in months_between(f"{year}-01", min(end, f"{year}-12")):
            for _ in range(round(rng.gauss(230, 20))):
                site = survey_site(rng, sites, month)
                day = rng.choice(open_days(site, month))
                audience = weighted(rng, audiences)
                respondents.append((day, SITE_ORDER[site.branch_id], site, audience))
        respondents.sort(key=lambda r: (r[0], r[1]))
        for n, (day, _, site, audience) in enumerate(respondents, start=1):
            respondent_id = f"R{year % 100:02d}-{n:05d}"
            # Staff are rated a little higher than the service overall.
            for question, offset in (("overall", 0.0), ("staff", 0.15)):
                score = survey_score(rng, quality[site.branch_id] + offset)
                rows.append([respondent_id, day.isoformat(), site.name, question, score, "5", audience])
    return rows


def make_measures(end: str, actuals: Actuals) -> list[Row]:
    """New registrations (main, branches, rooms) and complaints (main, branches) per month."""
    rng = stream_rng("measures_monthly")
    registering = sites_of("main", "branch", "community")
    rows = []
    for month in months_between(f"{START_YEAR}-01", end):
        for site in registering:
            if not active_in_month(site, month):
                continue
            residents = (site.service_population or 0) / 10000
            expected = REGISTRATIONS_PER_10K[site.kind] * residents * level(month)
            value = round(noisy(rng, expected, 0.15))
            if site.opened_on == first_day(month):
                value *= 3  # opening month: a sign-up drive
            if (site.branch_id, month) == REAL_ZERO_CELL:
                value = 0
            actuals.add("new_registrations", site.branch_id, int(month[:4]), value)
            rows.append([month, site.name, "new_registrations", str(value)])
            if site.kind == "community":
                continue
            received = poisson(rng, 4.0 if site.kind == "main" else 1.2)
            resolved = received - (1 if received and rng.random() < 0.2 else 0)
            rows.append([month, site.name, "complaints_received", str(received)])
            rows.append([month, site.name, "complaints_resolved", str(resolved)])
    return rows


def nice_round(value: float) -> int:
    """Round a target the way a planning office would (2-3 significant figures)."""
    if value < 100:
        return max(1, round(value))
    step = 10 ** max(0, int(math.log10(value)) - 2)
    return int(round(value / step) * step)


def make_targets(year: int, actuals: Actuals) -> list[Row]:
    """Targets for ``year``: last year's actuals plus ~5%, network-wide and per branch."""
    base_year, growth = year - 1, 1.05

    def target(metric: str, branch_id: str = "") -> str:
        return str(nice_round(actuals.get(metric, branch_id, base_year) * growth))

    rows = [[str(year), "", m, target(m)] for m in ("visits", "loans", "events", "attendance")]
    rows.append([str(year), "", "satisfaction", "95"])  # 0-100 scale
    rows.append([str(year), "", "new_registrations", target("new_registrations")])
    for site in sites_of("main", "branch"):
        for metric in ("visits", "loans"):
            rows.append([str(year), site.name, metric, target(metric, site.branch_id)])
    return rows


SURVEY_MAPPING = """\
# Per-source mapping for surveys.csv: the survey codes "don't know" as 9.
dont_know_codes = ["9"]
"""


# --------------------------------------------------------------------------- writing


def write_csv(
    path: Path, header: Sequence[str], rows: Iterable[Row], *, encoding: str = "utf-8", crlf: bool = False
) -> int:
    """Write a CSV file with a fixed line ending and return its data row count."""
    count = 0
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n" if crlf else "\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def validate_end_month(value: str) -> str:
    """Check ``--end-month``: a YYYY-MM from START_YEAR+1 on, within the holiday table."""
    try:
        parsed = datetime.strptime(value, "%Y-%m")
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM month: {value!r}") from error
    # Targets need a previous full year; future events need the holiday table two months on.
    month = f"{parsed.year:04d}-{parsed.month:02d}"
    last_allowed = f"{max(YEAR_LEVEL)}-10"
    if not f"{START_YEAR + 1}-01" <= month <= last_allowed:
        raise argparse.ArgumentTypeError(f"end month must be between {START_YEAR + 1}-01 and {last_allowed}")
    return month


def generate(out: Path, end: str = END_MONTH) -> list[tuple[str, int, int]]:
    """Write every sample file into ``out``; return (file name, data rows, bytes) per file."""
    check_planted_days(end)
    out.mkdir(parents=True, exist_ok=True)
    actuals = Actuals()
    written: list[tuple[str, int]] = []

    def emit(name: str, header: Sequence[str], rows: list[Row], encoding: str = "utf-8", crlf: bool = False) -> None:
        written.append((name, write_csv(out / name, header, rows, encoding=encoding, crlf=crlf)))

    emit("branches.csv", BRANCHES_HEADER, make_branches())
    emit("visits_daily.csv", VISITS_HEADER, make_visits_daily(end, actuals))
    emit("museum_visits_monthly.csv", MUSEUM_HEADER, make_museum_monthly(end, actuals))
    room_values = community_visits(end, actuals)
    for year in range(START_YEAR, int(end[:4]) + 1):
        sheet = make_community_sheet(year, room_values)
        name = COMMUNITY_FILE_PATTERN.format(year=year)
        emit(name, COMMUNITY_HEADER, sheet, encoding="gb18030", crlf=True)
    circulation = make_circulation_monthly(end, actuals)
    emit("circulation_monthly.csv", CIRCULATION_HEADER, circulation)
    mobile = make_mobile_transactions(end, actuals)
    emit("circulation_transactions_mobile.csv", MOBILE_HEADER, mobile, crlf=True)
    emit("events.csv", EVENTS_HEADER, make_events(end, actuals))
    emit("surveys.csv", SURVEYS_HEADER, make_surveys(end))
    (out / "surveys.mapping.toml").write_bytes(SURVEY_MAPPING.encode("utf-8"))
    written.append(("surveys.mapping.toml", 2))
    emit("measures_monthly.csv", MEASURES_HEADER, make_measures(end, actuals))
    year = int(end[:4])
    emit(f"targets_{year}.csv", TARGETS_HEADER, make_targets(year, actuals))
    return [(name, rows, (out / name).stat().st_size) for name, rows in written]


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry point: generate the files and print a summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent / "sample",
        help="output directory (default: data/sample next to this script)",
    )
    parser.add_argument(
        "--end-month",
        type=validate_end_month,
        default=END_MONTH,
        help=f"last month with data, YYYY-MM (default: {END_MONTH})",
    )
    args = parser.parse_args(argv)
    summary = generate(args.out, args.end_month)
    width = max(len(name) for name, _, _ in summary)
    for name, rows, size in summary:
        print(f"{name:<{width}}  {rows:>7,} rows  {size / 1024:>8,.1f} KiB")
    total = sum(size for _, _, size in summary)
    print(f"{len(summary)} files, {total / 1024 / 1024:.2f} MiB in {args.out}")


if __name__ == "__main__":
    main()
