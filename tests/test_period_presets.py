"""The sidebar's period presets as literal windows, worked out by hand for fixed as-of dates.

pages/_state.period_window turns a preset into the (from, to) every card and chart is computed over; the
page tests build their expected filters with it, so these literals are what stops a wrong window from
passing there too. Fiscal years start in January (1), April (4) or July (7); a fiscal year is named by
where it starts, and "this year" is the fiscal year that holds the as-of date.
"""

from __future__ import annotations

import datetime as dt

import pytest

from pages._state import PERIODS, period_window

D = dt.date

# as-of 2026-10-31 (the bundled sample's): after April and July, so every fiscal year began in 2026.
# as-of 2026-02-28: before April and July, so those fiscal years began in 2025.
# as-of 2024-02-29: a leap day; twelve months earlier has no 29 February.
CASES = {
    (D(2026, 10, 31), 1): {
        "this_year": (D(2026, 1, 1), D(2026, 12, 31)),
        "ytd": (D(2026, 1, 1), D(2026, 10, 31)),
        "last_year": (D(2025, 1, 1), D(2025, 12, 31)),
        "last_12m": (D(2025, 11, 1), D(2026, 10, 31)),
        "custom": (D(2026, 1, 1), D(2026, 10, 31)),  # no dates chosen yet: year to date
    },
    (D(2026, 10, 31), 4): {
        "this_year": (D(2026, 4, 1), D(2027, 3, 31)),
        "ytd": (D(2026, 4, 1), D(2026, 10, 31)),
        "last_year": (D(2025, 4, 1), D(2026, 3, 31)),
        "last_12m": (D(2025, 11, 1), D(2026, 10, 31)),
        "custom": (D(2026, 4, 1), D(2026, 10, 31)),
    },
    (D(2026, 10, 31), 7): {
        "this_year": (D(2026, 7, 1), D(2027, 6, 30)),
        "ytd": (D(2026, 7, 1), D(2026, 10, 31)),
        "last_year": (D(2025, 7, 1), D(2026, 6, 30)),
        "last_12m": (D(2025, 11, 1), D(2026, 10, 31)),
        "custom": (D(2026, 7, 1), D(2026, 10, 31)),
    },
    (D(2026, 2, 28), 1): {
        "this_year": (D(2026, 1, 1), D(2026, 12, 31)),
        "ytd": (D(2026, 1, 1), D(2026, 2, 28)),
        "last_year": (D(2025, 1, 1), D(2025, 12, 31)),
        "last_12m": (D(2025, 3, 1), D(2026, 2, 28)),
        "custom": (D(2026, 1, 1), D(2026, 2, 28)),
    },
    (D(2026, 2, 28), 4): {
        "this_year": (D(2025, 4, 1), D(2026, 3, 31)),
        "ytd": (D(2025, 4, 1), D(2026, 2, 28)),
        "last_year": (D(2024, 4, 1), D(2025, 3, 31)),
        "last_12m": (D(2025, 3, 1), D(2026, 2, 28)),
        "custom": (D(2025, 4, 1), D(2026, 2, 28)),
    },
    (D(2026, 2, 28), 7): {
        "this_year": (D(2025, 7, 1), D(2026, 6, 30)),
        "ytd": (D(2025, 7, 1), D(2026, 2, 28)),
        "last_year": (D(2024, 7, 1), D(2025, 6, 30)),
        "last_12m": (D(2025, 3, 1), D(2026, 2, 28)),
        "custom": (D(2025, 7, 1), D(2026, 2, 28)),
    },
    (D(2024, 2, 29), 1): {
        "this_year": (D(2024, 1, 1), D(2024, 12, 31)),
        "ytd": (D(2024, 1, 1), D(2024, 2, 29)),
        "last_year": (D(2023, 1, 1), D(2023, 12, 31)),
        "last_12m": (D(2023, 3, 1), D(2024, 2, 29)),  # 2023-02-28 is the day before the window
        "custom": (D(2024, 1, 1), D(2024, 2, 29)),
    },
}


@pytest.mark.parametrize(
    ("as_of", "fiscal_start", "preset"),
    [(as_of, fy, preset) for (as_of, fy), windows in CASES.items() for preset in windows],
)
def test_preset_window(as_of, fiscal_start, preset):
    assert period_window(preset, as_of, fiscal_start) == CASES[(as_of, fiscal_start)][preset]


def test_every_preset_is_pinned():
    assert all(set(windows) == set(PERIODS) for windows in CASES.values())


@pytest.mark.parametrize("fiscal_start", [1, 4, 7])
def test_custom_dates_are_taken_as_chosen(fiscal_start):
    as_of = D(2026, 10, 31)
    chosen = (D(2025, 3, 5), D(2025, 6, 20))
    assert period_window("custom", as_of, fiscal_start, *chosen) == chosen
    # Only one end chosen: the other is the fiscal year's start or the as-of date.
    start = {1: D(2026, 1, 1), 4: D(2026, 4, 1), 7: D(2026, 7, 1)}[fiscal_start]
    assert period_window("custom", as_of, fiscal_start, D(2025, 3, 5)) == (D(2025, 3, 5), as_of)
    assert period_window("custom", as_of, fiscal_start, None, D(2026, 9, 30)) == (start, D(2026, 9, 30))
