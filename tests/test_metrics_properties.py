"""Properties of the comparison engine on random exports, imported by the real importer.

Each example builds its own database in a temporary folder (function-scoped pytest fixtures are not
reset between hypothesis examples).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from conftest import branches_database, load, write
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from metrics import periods
from metrics.engine import compute
from metrics.filters import Filter

BRANCHES = {  # display name -> branch id in tests/fixtures/import/branches.csv
    "Central Library": "central",
    "Albany Park": "albany",
    "Bezazian": "bezazian",
    "Chinatown": "chinatown",
    "Riverside Reading Room": "riverside",
    "Mobile Library 1": "bus1",
}
FIRST_YEAR = 2022  # monthly series run over 2022-2024: month index 0 is January 2022
# These properties are about the arithmetic over every row: count the months after the complete-through
# date too (random exports leave branches unreported; test_completeness.py covers that rule).
ALL_DATA = Filter(beyond_complete=True)
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def database(name: str, text: str):
    """A fresh database holding the fixture branch list and one export."""
    return branches_database({name: text})


def month_of(index: int) -> dt.date:
    return dt.date(FIRST_YEAR + index // 12, index % 12 + 1, 1)


def monthly_csv(counts: dict[tuple[str, int], int]) -> str:
    rows = [f"{month_of(m):%Y-%m},{name},{value}" for (name, m), value in sorted(counts.items())]
    return "month,branch,visits\n" + "\n".join(rows) + "\n"


def values(result, column: str = "value") -> dict:
    """period -> column (NaN as None)."""
    return {r.period: (None if r[column] != r[column] else r[column]) for _, r in result.table.iterrows()}


monthly_counts = st.dictionaries(
    st.tuples(st.sampled_from(sorted(BRANCHES)), st.integers(0, 35)),
    st.integers(0, 5_000),
    min_size=1,
    max_size=60,
)


@SETTINGS
@given(counts=monthly_counts)
def test_branches_add_up_to_the_total(counts):
    with database("visits.csv", monthly_csv(counts)) as con:
        for grain in ("month", "quarter", "year"):
            # The total per period, counted directly from the generated rows.
            expected = defaultdict(int)
            for (_, m), value in counts.items():
                expected[periods.label(periods.period_start(month_of(m), grain), grain)] += value
            total = compute(con, "visits", ALL_DATA, grain=grain, compare=True)
            assert values(total) == expected
            split = compute(con, "visits", ALL_DATA, grain=grain, by="branch", compare=True)
            summed = split.table.groupby("period")["value"].sum().to_dict()
            assert summed == expected
            # Prior values add up too, counting branches with nothing this period (result.gone).
            both = [split.table, split.gone]
            prior = defaultdict(float)
            for frame in both:
                for period, value in zip(frame["period"], frame["prior_value"], strict=True):
                    if value == value:
                        prior[period] += value
            for period, value in values(total, "prior_value").items():
                assert prior.get(period) == value


def shifted(day: dt.date) -> dt.date:
    """The same date a year later (29 February becomes 28 February)."""
    return periods.add_months(day, 12)


@SETTINGS
@given(
    counts=st.dictionaries(st.tuples(st.sampled_from(sorted(BRANCHES)), st.integers(0, 11)), st.integers(0, 5_000)),
    december=st.integers(0, 5_000),
)
def test_a_series_moved_one_year_later_has_zero_growth_by_month_and_year(counts, december):
    earlier = {(name, m): v for (name, m), v in counts.items()}
    earlier[("Albany Park", 11)] = december  # December present: the later year is complete
    later = {(name, m + 12): v for (name, m), v in earlier.items()}
    with database("visits.csv", monthly_csv({**earlier, **later})) as con:
        months = compute(con, "visits", ALL_DATA, grain="month", compare=True)
        for period, change in values(months, "change").items():
            if period.startswith(str(FIRST_YEAR + 1)):
                assert change == 0
        for _, row in months.table.iterrows():
            if row["period"].startswith(str(FIRST_YEAR + 1)) and row["prior_value"] > 0:
                assert row["yoy_pct"] == 0
        years = compute(con, "visits", ALL_DATA, grain="year", compare=True)
        later_year = years.table[years.table["period"] == str(FIRST_YEAR + 1)].iloc[0]
        # December is there: the year is partial only when some expected branch left a month unreported.
        assert later_year["partial"] == (years.complete_through < dt.date(FIRST_YEAR + 1, 12, 31))
        assert later_year["value"] == later_year["prior_value"] == sum(earlier.values())
        assert later_year["change"] == 0
        if later_year["prior_value"]:
            assert later_year["yoy_pct"] == 0


# Daily series over a whole base year; the base year is leap (2024, with 29 February) or not (2023).
daily_series = st.tuples(
    st.sampled_from([2023, 2024]),
    st.dictionaries(st.integers(0, 365), st.integers(0, 1_000), min_size=1, max_size=40),
    st.booleans(),  # force a count on 28 February
    st.booleans(),  # force a count on 29 February (leap base year only)
    st.booleans(),  # end the data on the last day of February
)


@SETTINGS
@example(series=(2024, {0: 5}, True, True, True))  # data ending 2025-02-28 after a 29 February
@given(series=daily_series)
def test_a_daily_series_moved_one_year_later_including_29_february(series):
    base, offsets, feb28, feb29, end_in_february = series
    start = dt.date(base, 1, 1)
    days = {start + dt.timedelta(days=o): v for o, v in offsets.items() if (start + dt.timedelta(days=o)).year == base}
    if feb28:
        days[dt.date(base, 2, 28)] = 7
    if feb29 and base == 2024:
        days[dt.date(2024, 2, 29)] = 11
    if end_in_february:
        last = periods.period_end(dt.date(base, 2, 1), "month")
        days = {d: v for d, v in days.items() if d <= last} or {last: 3}
    later = defaultdict(int)
    for day, value in days.items():
        later[shifted(day)] += value  # 29 February 2024 is added to 28 February 2025
    rows = [f"{d.isoformat()},Bezazian,{v}" for d, v in sorted(days.items()) + sorted(later.items())]
    with database("daily.csv", "date,branch,visits\n" + "\n".join(rows) + "\n") as con:
        by_day = compute(con, "visits", grain="day", compare=True).table.set_index("period")
        for day, value in later.items():
            row = by_day.loc[day.isoformat()]
            # At day grain a day is compared with the same date a year earlier; 29 February has no
            # counterpart, so 28 February 2025 (which holds it) is compared with 28 February 2024 alone.
            prior = days.get(dt.date(day.year - 1, day.month, day.day))
            assert row["value"] == value
            assert row["prior_value"] == prior if prior is not None else row["prior_value"] != row["prior_value"]
        for grain in ("month", "quarter", "year"):
            table = compute(con, "visits", grain=grain, compare=True).table
            compared = table[table["period"].str.startswith(str(base + 1))]
            assert not compared.empty
            # At month grain and coarser the leap day simply belongs to February.
            assert (compared["change"] == 0).all(), (grain, compared)
            assert (compared["value"] == compared["prior_value"]).all()


@SETTINGS
@given(counts=monthly_counts)
def test_like_for_like_counts_exactly_the_branches_in_both_periods(counts):
    with database("visits.csv", monthly_csv(counts)) as con:
        total = values(compute(con, "visits", ALL_DATA, grain="month", compare=True))
        result = compute(con, "visits", ALL_DATA, grain="month", compare=True, like_for_like=True)
        got = {r["period"]: (r["value"], r["prior_value"]) for _, r in result.table.iterrows()}
        expected = {}
        excluded = {}
        for m in sorted({m for _, m in counts}):
            now = {name for name, k in counts if k == m}
            before = {name for name, k in counts if k == m - 12}
            both = now & before
            label = f"{month_of(m):%Y-%m}"
            excluded[label] = {
                "new": sorted(BRANCHES[n] for n in now - both),
                "gone": sorted(BRANCHES[n] for n in before - now),
            }
            if both:
                expected[label] = (sum(counts[(n, m)] for n in both), sum(counts[(n, m - 12)] for n in both))
        assert got == expected
        assert result.excluded == excluded
        for period, (value, _) in got.items():
            assert value <= total[period]  # counts are not negative


def test_leap_day_counts_in_the_february_it_is_compared_with(branches_db, tmp_path):
    # Daily data ending on 28 February 2025 (a complete month): February 2025 is compared with all of
    # February 2024, 29th included: 10 + 20 vs 28 (the 28th) + 0.
    text = "date,branch,visits\n2024-02-28,Bezazian,10\n2024-02-29,Bezazian,20\n2025-02-28,Bezazian,30\n"
    assert load(branches_db, write(tmp_path, "daily.csv", text)).status == "loaded"
    result = compute(branches_db, "visits", grain="month", compare=True)
    feb = result.table.set_index("period").loc["2025-02"]
    assert (feb["value"], feb["prior_value"], feb["partial"]) == (30, 30, False)
    year = compute(branches_db, "visits", grain="year", compare=True).table.set_index("period").loc["2025"]
    assert (year["value"], year["prior_value"]) == (30, 30)  # January-February 2024: 10 + 20
