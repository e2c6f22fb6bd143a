"""Contract over the registry: every additive metric's breakdowns add up to its total.

For each metric whose parts add up (metrics.registry.Metric.is_additive: sums and the count of responses;
never ratios, means, shares, per-capita figures or target attainments) and each `--by` dimension it allows
(metrics.registry.dimensions), the values of the breakdown add up to the total in every period, at month
and year grain and over the whole window (grain "window"); so do the year-earlier values, counting the
`by` values that only had one (result.gone). Checked on the bundled sample and on generated exports that
leave dimensions blank (stored as the default or as NULL) and put a branch in no district.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict

import pytest
from conftest import branches_database
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data import db
from data.cli import build_sample
from metrics import registry
from metrics.engine import WINDOW, compute
from metrics.filters import Filter

GRAINS = ("month", "year", WINDOW)
ADDITIVE = [m.id for m in registry.METRICS if m.is_additive]


def totals(result, column: str) -> dict[str, float]:
    """period -> the column summed over the result's rows and its gone rows (NaN counts as nothing)."""
    out: dict[str, float] = defaultdict(float)
    for frame in (result.table, result.gone):
        if frame.empty:
            continue
        for period, value in zip(frame["period"], frame[column], strict=True):
            if value == value:
                out[period] += value
    return dict(out)


def assert_parts_add_up(con, metric_id: str, by: str, grain: str, whole=None, flt: Filter | None = None) -> None:
    """The breakdown by `by` adds up to `whole` (the total's result for the filter, computed here when not
    given)."""
    whole = whole or compute(con, metric_id, flt, grain, compare=True)
    parts = compute(con, metric_id, flt, grain, by=by, compare=True)
    assert set(parts.table["period"]) == set(whole.table["period"]), (metric_id, by, grain)
    for column in ("value", "prior_value"):
        expected = totals(whole, column)
        got = totals(parts, column)
        assert got.keys() == expected.keys(), (metric_id, by, grain, column)
        for period, value in expected.items():
            assert math.isclose(got[period], value, rel_tol=1e-9, abs_tol=1e-9), (metric_id, by, grain, column, period)


# ---------------------------------------------------------------- the registry's additive metrics


def test_additive_metrics_are_the_sums_and_the_response_count():
    assert {"visits", "loans", "events", "attendance", "online_attendance", "participation", "responses"} <= set(
        ADDITIVE
    )
    never = {"attendance_per_event", "plan_completion", "satisfaction", "satisfied_share", "minors_share"}
    never |= {"complaint_resolution_rate", "visits_per_capita", "loans_per_capita", "target_attainment"}
    assert not never & set(ADDITIVE)
    for metric_id in ADDITIVE:
        metric = registry.get(metric_id)
        assert metric.compute == "sum" and not metric.is_ratio or metric_id == "responses"


# ---------------------------------------------------------------- on the bundled sample


@pytest.fixture(scope="module")
def sample_con(tmp_path_factory):
    path = tmp_path_factory.mktemp("contract") / "kpi.duckdb"
    assert build_sample(str(path)) == 0
    con = db.connect(path, read_only=True)
    yield con
    con.close()


@pytest.mark.parametrize("metric_id", ADDITIVE)
def test_breakdown_adds_up_on_the_sample(sample_con, metric_id):
    for grain in GRAINS:
        whole = compute(sample_con, metric_id, None, grain, compare=True)
        # The sample has data for every additive metric but e-media loans: it has no e-media line (system-wide
        # lines and their breakdowns are checked in tests/test_system_lines.py).
        assert not whole.table.empty or not registry.get(metric_id).service_points, (metric_id, grain)
        for by in registry.dimensions(registry.get(metric_id)):
            assert_parts_add_up(sample_con, metric_id, by, grain, whole)


# A view as the sidebar makes it: a year, two districts, two event categories (ignored by other tables).
FILTERED = Filter(
    date_from=dt.date(2025, 1, 1),
    date_to=dt.date(2025, 12, 31),
    districts=("East", "North"),
    categories=("lecture", "reading"),
)


@pytest.mark.parametrize("metric_id", ADDITIVE)
def test_breakdown_adds_up_on_the_sample_in_a_filtered_view(sample_con, metric_id):
    for grain in ("month", WINDOW):
        whole = compute(sample_con, metric_id, FILTERED, grain, compare=True)
        for by in registry.dimensions(registry.get(metric_id)):
            assert_parts_add_up(sample_con, metric_id, by, grain, whole, FILTERED)


# ---------------------------------------------------------------- on generated exports

BRANCHES = ("Central Library", "Albany Park", "Bezazian", "Chinatown", "Riverside Reading Room", "Mobile Library 1")
MONTHS = 24  # 2023-01 .. 2024-12: every year has a year earlier but the first
SETTINGS = settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def month(index: int) -> str:
    return f"{2023 + index // 12}-{index % 12 + 1:02d}"


def cell(value) -> str:
    return "" if value is None else str(value)


branch = st.sampled_from(BRANCHES)
month_index = st.integers(0, MONTHS - 1)
blank_or = st.one_of(st.none(), st.integers(0, 400))  # None: a blank cell, "not reported"

events = st.lists(
    st.tuples(
        branch,
        month_index,
        st.integers(1, 28),
        st.sampled_from(["lecture", "storytime", "reading", ""]),  # "" : the default category
        st.sampled_from(["adults", "families", ""]),
        st.sampled_from(["onsite", "offsite", "online", ""]),
        blank_or,  # attendance
        st.one_of(st.none(), st.integers(0, 6)),  # volunteers
        st.one_of(st.none(), st.integers(0, 40).map(lambda half_hours: half_hours / 2)),  # volunteer hours
        blank_or,  # beneficiaries
        st.booleans(),  # planned, not held
    ),
    max_size=30,
)
circulation = st.dictionaries(
    st.tuples(branch, month_index, st.sampled_from(["book", "dvd", ""]), st.sampled_from(["adult", "child", ""])),
    st.tuples(blank_or, blank_or, blank_or).filter(lambda counts: counts != (None, None, None)),
    max_size=30,
)
visits = st.dictionaries(st.tuples(branch, month_index), st.integers(0, 5_000), max_size=30)
measures = st.dictionaries(
    st.tuples(branch, month_index, st.sampled_from(["new_registrations", "complaints_received"])),
    st.integers(0, 50),
    max_size=20,
)
surveys = st.lists(
    st.tuples(
        branch,
        month_index,
        st.integers(1, 28),
        st.integers(1, 5),
        st.sampled_from(["lecture", "reading", ""]),  # "" : no category (NULL, "unspecified")
        st.sampled_from(["adults", ""]),
    ),
    max_size=20,
)


def exports(event_rows, circulation_rows, visit_rows, measure_rows, survey_rows) -> dict[str, str]:
    """The generated facts as CSV exports, by file name (files without rows are left out)."""
    files = {}
    if event_rows:
        lines = [
            f"g{i},{month(m)}-{d:02d},{b},t{i},{c},{a},{f},{cell(n)},{cell(v)},{cell(h)},{cell(k)},{str(p).lower()}"
            for i, (b, m, d, c, a, f, n, v, h, k, p) in enumerate(event_rows)
        ]
        header = "event_id,date,branch,title,category,audience,format,attendance,volunteers,volunteer_hours,"
        files["events.csv"] = header + "beneficiaries,planned\n" + "\n".join(lines) + "\n"
    if circulation_rows:
        lines = [
            f"{month(m)},{b},{i},{p},{','.join(map(cell, counts))}"
            for (b, m, i, p), counts in sorted(circulation_rows.items())
        ]
        header = "month,branch,item_type,patron_category,checkouts,renewals,returns\n"
        files["circulation.csv"] = header + "\n".join(lines) + "\n"
    if visit_rows:
        lines = [f"{month(m)},{b},{v}" for (b, m), v in sorted(visit_rows.items())]
        files["visits.csv"] = "month,branch,visits\n" + "\n".join(lines) + "\n"
    if measure_rows:
        lines = [f"{month(m)},{b},{name},{v}" for (b, m, name), v in sorted(measure_rows.items())]
        files["measures.csv"] = "month,branch,measure,value\n" + "\n".join(lines) + "\n"
    if survey_rows:
        lines = [
            f"r{i},{month(m)}-{d:02d},{b},overall,{s},5,{c},{a}" for i, (b, m, d, s, c, a) in enumerate(survey_rows)
        ]
        header = "respondent_id,date,branch,question,score,scale_max,category,audience\n"
        files["surveys.csv"] = header + "\n".join(lines) + "\n"
    return files


database = branches_database  # the fixture branches and the exports, imported by the real importer


# One grain per test (each example computes every additive metric by each of its dimensions), so that a
# few examples per grain keep the module's time reasonable on a shared machine.
@pytest.mark.parametrize("grain", GRAINS)
@SETTINGS
@given(event_rows=events, circulation_rows=circulation, visit_rows=visits, measure_rows=measures, survey_rows=surveys)
def test_breakdown_adds_up_on_generated_exports(
    grain, event_rows, circulation_rows, visit_rows, measure_rows, survey_rows
):
    with database(exports(event_rows, circulation_rows, visit_rows, measure_rows, survey_rows)) as con:
        for metric_id in ADDITIVE:
            whole = compute(con, metric_id, None, grain, compare=True)
            for by in registry.dimensions(registry.get(metric_id)):
                assert_parts_add_up(con, metric_id, by, grain, whole)


def test_a_blank_dimension_is_counted_in_its_breakdown(tmp_path):
    """Hand-counted: blank survey categories and a branch without a district are parts of their own."""
    files = {
        "surveys.csv": "respondent_id,date,branch,question,score,scale_max,category,audience\n"
        "r1,2024-03-01,Albany Park,overall,4,5,lecture,adults\n"
        "r2,2024-03-02,Mobile Library 1,overall,5,5,,\n"  # no category, no audience; bus1 has no district
        "r3,2024-03-03,Mobile Library 1,overall,2,5,,adults\n",
        "visits.csv": "month,branch,visits\n2024-03,Albany Park,100\n2024-03,Mobile Library 1,7\n",
    }
    with database(files) as con:
        responses = compute(con, "responses", grain="year", by="category").table
        assert dict(zip(responses["category"], responses["value"], strict=True)) == {"lecture": 1, "unspecified": 2}
        district = compute(con, "visits", grain="year", by="district").table
        assert dict(zip(district["district"], district["value"], strict=True)) == {"North": 100, "unspecified": 7}
        for by in ("category", "audience", "district", "branch", "kind"):
            assert_parts_add_up(con, "responses", by, "year")
