"""Golden values for the comparison engine, counted by hand on tiny exports.

The monthly fixture (visits, long layout), with the data ending 2025-04-30:
    albany     2023: 100 every month (1,200); 2024: 110 every month except February, missing (1,210);
               2025: 120 in January..April (480)
    chinatown  2023: 50 every month (600); 2024: 50 in January..June (300), then nothing (closed)
    riverside  opened March 2024: 10 a month from 2024-03 (2024: 100; 2025: 40)
"""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import load, write

from metrics.engine import compute, contribution, ranking
from metrics.filters import Filter


def monthly_rows() -> str:
    rows = ["month,branch,visits"]
    for month in range(1, 13):
        rows.append(f"2023-{month:02d},Albany Park,100")
        rows.append(f"2023-{month:02d},Chinatown,50")
        if month != 2:
            rows.append(f"2024-{month:02d},Albany Park,110")
        if month <= 6:
            rows.append(f"2024-{month:02d},Chinatown,50")
        if month >= 3:
            rows.append(f"2024-{month:02d},Riverside Reading Room,10")
    for month in range(1, 5):
        rows.append(f"2025-{month:02d},Albany Park,120")
        rows.append(f"2025-{month:02d},Riverside Reading Room,10")
    return "\n".join(rows) + "\n"


@pytest.fixture
def monthly_db(branches_db, tmp_path):
    assert load(branches_db, write(tmp_path, "monthly.csv", monthly_rows())).status == "loaded"
    targets = write(tmp_path, "targets.csv", "year,branch,metric,target\n2024,,visits,2000\n")
    assert load(branches_db, targets).status == "loaded"
    return branches_db


def rows(result, *columns):
    """Result rows as tuples, missing values as None."""
    table = result.table[list(columns)].astype(object)
    return [tuple(None if v != v else v for v in r) for r in table.itertuples(index=False)]


def test_yearly_yoy_with_partial_final_year(monthly_db):
    result = compute(monthly_db, "visits", grain="year", compare=True)
    assert result.as_of == dt.date(2025, 4, 30)
    # 2024: 1,210 + 300 + 100 = 1,610 vs 1,800. 2025 (Jan-Apr): 480 + 40 = 520 vs Jan-Apr 2024:
    # albany 330 (February missing) + chinatown 200 + riverside 20 = 550.
    assert rows(result, "period", "value", "prior_value", "partial") == [
        ("2023", 1800, None, False),
        ("2024", 1610, 1800, False),
        ("2025", 520, 550, True),
    ]
    table = result.table
    assert table["yoy_pct"].iloc[1] == pytest.approx((1610 - 1800) / 1800 * 100)
    assert table["yoy_pct"].iloc[2] == pytest.approx((520 - 550) / 550 * 100)
    assert str(table["period_end"].iloc[2]) == "2025-04-30"


def test_missing_month_never_shifts_the_comparison(monthly_db):
    result = compute(
        monthly_db,
        "visits",
        grain="month",
        by="branch",
        compare=True,
        flt=Filter(branches=("albany",), include_children=False),
    )
    by_period = {r.period: r for r in result.table.itertuples()}
    assert "2024-02" not in by_period  # missing, not zero
    feb, mar = by_period["2025-02"], by_period["2025-03"]
    assert feb.value == 120 and feb.prior_value != feb.prior_value  # NaN: February 2024 is missing
    assert (mar.value, mar.prior_value) == (120, 110)


def test_like_for_like_lists_new_and_gone_branches(monthly_db):
    result = compute(monthly_db, "visits", grain="year", compare=True, like_for_like=True)
    by_period = {r.period: r for r in result.table.itertuples()}
    # 2024: riverside is new, only albany and chinatown count: 1,210 + 300 vs 1,200 + 600.
    assert (by_period["2024"].value, by_period["2024"].prior_value) == (1510, 1800)
    # 2025: chinatown is gone: albany 480 + riverside 40 vs 330 + 20.
    assert (by_period["2025"].value, by_period["2025"].prior_value) == (520, 350)
    assert result.excluded["2024"] == {"new": ["riverside"], "gone": []}
    assert result.excluded["2025"] == {"new": [], "gone": ["chinatown"]}


def test_fiscal_year_starting_in_july(monthly_db):
    result = compute(monthly_db, "visits", grain="year", fiscal_start=7, compare=True)
    by_period = {r.period: r for r in result.table.itertuples()}
    assert list(by_period) == ["FY2022/23", "FY2023/24", "FY2024/25"]
    # FY2022/23 holds January-June 2023 only: 600 + 300.
    assert by_period["FY2022/23"].value == 900 and not by_period["FY2022/23"].partial
    # FY2023/24: albany 600 + 550, chinatown 300 + 300, riverside 40.
    assert (by_period["FY2023/24"].value, by_period["FY2023/24"].prior_value) == (1790, 900)
    # FY2024/25 to 2025-04-30: albany 660 + 480, riverside 60 + 40 = 1,240 against
    # July 2023-April 2024: albany 600 + 330, chinatown 300 + 200, riverside 20 = 1,450.
    assert (by_period["FY2024/25"].value, by_period["FY2024/25"].prior_value) == (1240, 1450)
    assert by_period["FY2024/25"].partial


def test_quarters_and_a_to_date_window(monthly_db):
    result = compute(monthly_db, "visits", grain="quarter", compare=True)
    by_period = {r.period: r for r in result.table.itertuples()}
    # 2024-Q1: albany 220 (Feb missing) + chinatown 150 + riverside 10 = 380 vs 300 + 150.
    assert (by_period["2024-Q1"].value, by_period["2024-Q1"].prior_value) == (380, 450)
    # 2025-Q2 holds April only and is partial: 120 + 10 vs April 2024: 110 + 50 + 10.
    assert (by_period["2025-Q2"].value, by_period["2025-Q2"].prior_value, by_period["2025-Q2"].partial) == (
        130,
        170,
        True,
    )
    ytd = compute(
        monthly_db,
        "visits",
        grain="year",
        compare=True,
        flt=Filter(date_from=dt.date(2024, 1, 1), date_to=dt.date(2024, 3, 31)),
    )
    # YTD to March 2024: 220 + 150 + 10 = 380 vs the same span of 2023: 300 + 150.
    assert rows(ytd, "period", "value", "prior_value", "partial") == [("2024", 380, 450, True)]


def test_contribution_includes_the_branch_that_closed(monthly_db):
    result = compute(monthly_db, "visits", grain="year", by="branch", compare=True)
    share = contribution(result)
    y2025 = {r.branch: r for r in share[share["period"] == "2025"].itertuples()}
    # Total change -30: albany +150, riverside +20, chinatown -200.
    assert {b: r.change for b, r in y2025.items()} == {
        "Albany Park": 150,
        "Riverside Reading Room": 20,
        "Chinatown": -200,
    }
    assert y2025["Chinatown"].share_of_change == pytest.approx(-200 / -30 * 100)
    ranked = ranking(result, "2024")
    assert list(ranked["branch"]) == ["Albany Park", "Chinatown", "Riverside Reading Room"]
    assert ranked["share"].tolist() == pytest.approx([1210 / 16.10, 300 / 16.10, 100 / 16.10])


def test_per_capita_and_target_attainment(monthly_db):
    per_capita = compute(monthly_db, "visits_per_capita", grain="year")
    # 2023: 1,800 visits over albany 60,000 + chinatown 52,000 (riverside did not report yet).
    assert per_capita.table["value"].iloc[0] == pytest.approx(1800 / 112_000)
    # 2024: 1,610 over 60,000 + 52,000 + 8,000.
    assert per_capita.table["value"].iloc[1] == pytest.approx(1610 / 120_000)
    attainment = compute(monthly_db, "target_attainment", grain="year")
    assert rows(attainment, "period", "value") == [("2024", pytest.approx(1610 / 2000 * 100))]


def test_branch_filter_rolls_children_up(monthly_db):
    # riverside is albany's community room: selecting albany brings it along unless asked not to.
    with_children = compute(monthly_db, "visits", grain="year", flt=Filter(branches=("albany",)))
    alone = compute(monthly_db, "visits", grain="year", flt=Filter(branches=("albany",), include_children=False))
    assert rows(with_children, "period", "value") == [("2023", 1200), ("2024", 1310), ("2025", 520)]
    assert rows(alone, "period", "value") == [("2023", 1200), ("2024", 1210), ("2025", 480)]


def test_leap_day_at_day_and_month_grain(branches_db, tmp_path):
    daily = write(
        tmp_path,
        "daily.csv",
        "date,branch,visits\n2023-02-28,Bezazian,5\n2023-03-01,Bezazian,6\n"
        "2024-02-28,Bezazian,10\n2024-02-29,Bezazian,20\n2024-03-01,Bezazian,30\n"
        "2025-02-28,Bezazian,40\n2025-03-01,Bezazian,50\n",
    )
    load(branches_db, daily)
    days = {r.period: r for r in compute(branches_db, "visits", grain="day", compare=True).table.itertuples()}
    assert days["2025-02-28"].prior_value == 10  # the 28th, not the leap day
    assert days["2024-02-29"].prior_value != days["2024-02-29"].prior_value  # no 29 February in 2023
    assert days["2025-03-01"].prior_value == 30
    months = {r.period: r for r in compute(branches_db, "visits", grain="month", compare=True).table.itertuples()}
    assert (months["2024-02"].value, months["2024-02"].prior_value) == (30, 5)
    assert (months["2025-02"].value, months["2025-02"].prior_value) == (40, 30)


def test_same_weekday_alignment(branches_db, tmp_path):
    # 2024-03-05 is a Tuesday; 364 days earlier, 2023-03-07, is a Tuesday too.
    daily = write(
        tmp_path,
        "daily.csv",
        "date,branch,visits\n2023-03-05,Bezazian,1\n2023-03-07,Bezazian,2\n2024-03-05,Bezazian,3\n",
    )
    load(branches_db, daily)
    plain = compute(branches_db, "visits", grain="day", compare=True).table.set_index("period")
    aligned = compute(branches_db, "visits", grain="day", compare=True, same_weekday=True).table.set_index("period")
    assert plain.loc["2024-03-05", "prior_value"] == 1
    assert aligned.loc["2024-03-05", "prior_value"] == 2


def test_monthly_rows_are_not_split_into_days(monthly_db):
    assert compute(monthly_db, "visits", grain="day").table.empty
    assert compute(monthly_db, "visits", grain="week").table.empty


def test_comparison_with_the_window_some_months_earlier(monthly_db):
    # April-June 2024 against January-March 2024 (three months back). Albany Park 110 a month but nothing in
    # February 2024; Chinatown 50 a month to June 2024; Riverside 10 a month from March 2024.
    # April-June: 3 x (110 + 50 + 10) = 510; January-March: 110 + 0 + 110 + 3 x 50 + 10 = 380.
    window = Filter(date_from=dt.date(2024, 4, 1), date_to=dt.date(2024, 6, 30))
    card = compute(monthly_db, "visits", window, grain="window", compare=True, months_back=3).table.iloc[0]
    assert (card["value"], card["prior_value"]) == (510, 380)
    assert card["yoy_pct"] == pytest.approx((510 - 380) / 380 * 100)
    monthly = compute(monthly_db, "visits", window, grain="month", compare=True, months_back=3).table
    # Each month against the month three before: April with January (160), May with February (50), June
    # with March (170).
    assert list(monthly["prior_value"]) == [160, 50, 170]
    # Twelve months back is the year-over-year comparison itself.
    yoy = compute(monthly_db, "visits", window, grain="month", compare=True).table
    assert list(
        compute(monthly_db, "visits", window, "month", compare=True, months_back=12).table["prior_value"]
    ) == list(yoy["prior_value"])
    with pytest.raises(ValueError, match="month, quarter, year or window"):
        compute(monthly_db, "visits", window, grain="day", compare=True, months_back=3)
