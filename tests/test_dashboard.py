"""The dashboard under AppTest, against a real database built from the bundled sample.

Every number a page shows is checked against metrics.engine.compute for the same Filter, formatted the
way the page formats it. The app is started from tests/app/entry.py (see there why) and pages are
switched with their absolute paths, so every run goes through the router and its shared sidebar.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from data import db
from metrics import engine
from metrics.filters import Filter
from metrics.registry import get
from pages import PAGES, _data, _tables
from pages._i18n import STRINGS, number, percent_change
from pages._state import FIELDS, period_window
from reports import annual

ROOT = Path(__file__).resolve().parents[1]
ENTRY = ROOT / "tests" / "app" / "entry.py"
PAGE_FILE = {key: Path(file) for file, key, _, _ in PAGES}
PAGE_URL = {key: url for _, key, _, url in PAGES}
OVERVIEW_CARDS = ("visits", "loans", "events", "attendance", "satisfaction", "new_registrations")
EVENT_CARDS = (
    "events",
    "attendance",
    "online_attendance",
    "participation",
    "attendance_per_event",
    "plan_completion",
    "volunteer_hours",
)
# A change of a share or a 0-100 score is told in points, of anything else in percent.
POINTS = {"%": ("{:+.1f} pts", "{:+.1f}个百分点"), "score 0-100": ("{:+.1f} pts", "{:+.1f}分")}
SIDEBAR_LISTS = ("kinds", "districts", "branches", "categories", "audiences", "formats")


# ---------------------------------------------------------------- fixtures and helpers


@pytest.fixture(scope="session")
def sample_db(sample_db_path) -> Path:
    """The database built from data/sample/ exactly as the run command builds it (conftest, once per session)."""
    return sample_db_path


@pytest.fixture
def app_env(sample_app):
    """$KPI_DB pointing at the sample, and empty Streamlit caches before and after each test (conftest)."""
    return sample_app


@pytest.fixture
def con(app_env):
    """A connection of our own to the same database, for the expected numbers."""
    connection = db.connect(app_env, read_only=True)
    yield connection
    connection.close()


@pytest.fixture
def as_of(con) -> dt.date:
    """The data's as-of date: the last day the headline tables cover."""
    return max(e for e in (engine.data_span(con, get(m), "year")[1] for m in _data.HEADLINE) if e)


def open_app(page: str = "overview", query: dict[str, str] | None = None) -> AppTest:
    """A fresh session opening a link to `page` with `query` as its query string.

    Before the first run AppTest knows pages by file name only, so a page whose url path differs from
    its file name (data_status.py is "data") is reached by a first run on the default page and a switch.
    """
    at = AppTest.from_file(str(ENTRY), default_timeout=30)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    if PAGE_FILE[page].stem == PAGE_URL[page]:
        at.switch_page(str(PAGE_FILE[page]))
        return ok(at.run())
    return switch(ok(at.run()), page)


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.message for e in at.exception]
    return at


def switch(at: AppTest, page: str) -> AppTest:
    at.switch_page(str(PAGE_FILE[page]))
    return ok(at.run())


def title(key: str, lang: str = "en") -> str:
    return STRINGS[key][1 if lang == "zh" else 0]


def cards(at: AppTest) -> list[tuple[str, str, str]]:
    """(label, value, delta) of every st.metric on the page."""
    return [(m.label, m.value, m.delta) for m in at.metric]


WIDGET = {key: "multiselect" for key in SIDEBAR_LISTS} | {
    "period": "selectbox",
    "fy": "selectbox",
    "lang": "button_group",
    "cmp": "selectbox",
    "cmp_from": "date_input",
    "lfl": "toggle",
    "date_from": "date_input",
    "date_to": "date_input",
}


def choose(at: AppTest, **values) -> AppTest:
    """Set sidebar filters by widget key and rerun (always on the latest element tree: after a run the
    old elements are detached, and values set on them are silently ignored)."""
    for key, value in values.items():
        getattr(at.sidebar, WIDGET[key])(key=key).set_value(value)
    return ok(at.run())


def sidebar_values(at: AppTest) -> dict:
    """Every sidebar filter widget's current value."""
    bar = at.sidebar
    values = {key: tuple(bar.multiselect(key=key).value) for key in SIDEBAR_LISTS}
    values |= {key: bar.selectbox(key=key).value for key in ("period", "fy", "cmp")}
    values |= {key: bar.button_group(key=key).value for key in ("lang",)}
    values["lfl"] = bar.toggle(key="lfl").value
    return values


def view_filter(as_of: dt.date, period="this_year", fy=1, date_from=None, date_to=None, **dims) -> Filter:
    """The Filter the sidebar's choices stand for (built independently of pages/_state.current_filter)."""
    start, end = period_window(period, as_of, fy, date_from, date_to)
    return Filter(date_from=start, date_to=end, **{k: tuple(v) for k, v in dims.items()})


def expected_cards(con, metric_ids, flt: Filter, fy=1, compare=True, lfl=False, lang="en"):
    """What the cards should read: engine.compute over the window, formatted as the pages format it."""
    out = []
    for metric_id in metric_ids:
        metric = get(metric_id)
        table = engine.compute(
            con, metric_id, flt, grain="window", fiscal_start=fy, compare=compare, like_for_like=lfl and compare
        ).table
        value = table["value"].iloc[0] if not table.empty else None
        change = table["yoy_pct"].iloc[0] if not table.empty and compare else None
        delta = percent_change(change)
        if metric.unit in POINTS and not table.empty and compare and table["change"].notna().iloc[0]:
            delta = POINTS[metric.unit][lang == "zh"].format(table["change"].iloc[0])
        label = metric.label_zh if lang == "zh" else metric.label_en
        out.append((label, number(value, metric.fmt, lang), delta))
    return out


# ---------------------------------------------------------------- smoke: every page, both languages


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("page", [key for _, key, _, _ in PAGES])
def test_page_runs_in_both_languages(app_env, page, lang):
    at = open_app(page, {"lang": lang} if lang != "en" else None)
    assert [t.value for t in at.title] == [title(page, lang)]
    assert at.sidebar.button_group(key="lang").value == lang
    assert not at.error
    if lang == "zh":
        assert at.sidebar.header[0].value == title("filters", "zh")


# ---------------------------------------------------------------- the numbers on the page are the engine's


def test_overview_cards_match_the_engine(app_env, con, as_of):
    at = open_app()
    assert at.caption[0].value.startswith(f"Data as of {as_of.isoformat()}")
    assert cards(at) == expected_cards(con, OVERVIEW_CARDS, view_filter(as_of))

    choose(at, period="last_year", districts=["East", "North"], lfl=True)
    flt = view_filter(as_of, "last_year", districts=["East", "North"])
    assert f"{flt.date_from} – {flt.date_to}" in at.caption[0].value
    assert cards(at) == expected_cards(con, OVERVIEW_CARDS, flt, lfl=True)

    # Branches (with their reading rooms), a fiscal year from April, no comparison: no deltas.
    choose(at, districts=[], branches=["east", "lakeside"], period="last_12m", fy=4, cmp="none")
    flt = view_filter(as_of, "last_12m", 4, branches=["east", "lakeside"])
    shown = cards(at)
    assert shown == expected_cards(con, OVERVIEW_CARDS, flt, fy=4, compare=False, lfl=True)
    assert all(delta == "" for _, _, delta in shown)

    # The same view in Chinese: labels and 万 numbers.
    choose(at, lang="zh", cmp="yoy")
    shown = cards(at)
    assert shown == expected_cards(con, OVERVIEW_CARDS, flt, fy=4, lfl=True, lang="zh")
    assert any("万" in value for _, value, _ in shown)


def test_events_cards_match_the_engine(app_env, con, as_of):
    at = open_app("events")
    assert cards(at) == expected_cards(con, EVENT_CARDS, view_filter(as_of))

    dims = {"categories": ["lecture", "storytime"], "audiences": ["children_0_5", "families", "general"]}
    choose(at, period="ytd", fy=7, **dims)
    flt = view_filter(as_of, "ytd", 7, **dims)
    shown = cards(at)
    assert shown == expected_cards(con, EVENT_CARDS, flt, fy=7)
    unfiltered = expected_cards(con, EVENT_CARDS, view_filter(as_of, "ytd", 7), fy=7)
    assert shown[0] != unfiltered[0]  # the category filter really reached the numbers

    choose(at, districts=["South"], cmp="none")
    flt = view_filter(as_of, "ytd", 7, districts=["South"], **dims)
    assert cards(at) == expected_cards(con, EVENT_CARDS, flt, fy=7, compare=False)


def ranking_expected(con, metric_id: str, flt: Filter, fy=1, compare=True, lfl=False) -> pd.DataFrame:
    """The engine's ranking figures written as the page writes them (pages/_tables.py, English)."""
    table = engine.compute(
        con, metric_id, flt, grain="window", by="branch", fiscal_start=fy, compare=compare, like_for_like=lfl
    ).table
    table = engine.service_points_only(table)
    fmt = get(metric_id).fmt
    formats = {"value": fmt, "prior_value": fmt, "yoy_pct": _tables.CHANGE}
    return _tables.written(table.set_index("branch")[["value", "prior_value", "yoy_pct"]], formats, "en").sort_index()


def shares_total(shown: pd.DataFrame) -> float:
    """The sum of the ranking's shares as written ("27.6%"), each rounded to one decimal."""
    return sum(float(s.rstrip("%")) for s in shown["share"])


def ranking_shown(at: AppTest) -> pd.DataFrame:
    frame = at.dataframe[0].value
    return frame.set_index("branch")[["value", "prior_value", "yoy_pct"]].sort_index()


def test_branch_ranking_matches_the_engine(app_env, con, as_of):
    at = open_app("branches")
    shown = at.dataframe[0].value
    ranked = engine.rank(engine.compute(con, "visits", view_filter(as_of), "window", "branch").table, get("visits"))
    assert list(shown["branch"]) == list(ranked["branch"])  # ranked, best first
    assert shares_total(shown) == pytest.approx(100, abs=0.05 * len(shown))
    pd.testing.assert_frame_equal(ranking_shown(at), ranking_expected(con, "visits", view_filter(as_of)))

    at.sidebar.selectbox(key="period").set_value("last_year")
    at.sidebar.multiselect(key="districts").set_value(["East", "West"])
    at.main.selectbox(key="metric").set_value("loans")
    ok(at.run())
    flt = view_filter(as_of, "last_year", districts=["East", "West"])
    pd.testing.assert_frame_equal(ranking_shown(at), ranking_expected(con, "loans", flt))
    names = set(con.execute("SELECT name FROM branches WHERE district IN ('East', 'West')").df()["name"])
    assert set(ranking_shown(at).index) <= names


def test_branch_ranking_shows_each_branchs_target_when_the_metric_has_branch_targets(app_env):
    at = open_app("branches")
    shown = at.dataframe[0].value.set_index("branch")
    # targets_2026.csv: South Branch 248,000 visits. January-October 2026 213,557 = 86.11 %; expected by now its
    # own January-October 2025 over its whole 2025, 197,146 / 236,111 = 83.50 %; 86.1 - 83.5 = +2.6 points.
    south = shown.loc["South Branch"]
    assert (south["tgt_target"], south["value"]) == ("248,000", "213,557")
    assert (south["tgt_attainment"], south["tgt_expected"], south["tgt_ahead_pts"]) == ("86.1%", "83.5%", "+2.6")
    # Reading rooms have no target of their own: no figure ("–"), never a zero and never "None".
    assert list(shown.loc["Willow Shade Community Reading Room", ["tgt_target", "tgt_attainment"]]) == ["–", "–"]
    at.main.selectbox(key="metric").set_value("events")  # events have a network target only
    assert not [c for c in ok(at.run()).dataframe[0].value.columns if c.startswith("tgt_")]


# ---------------------------------------------------------------- literal expectations for the sample
# The tests above compare the page with the engine over a window built by the page's own period_window.
# These pin what a director reads on the Overview for the bundled sample as literals, worked out from the
# sample's CSV files and by hand, so a wrong window, as-of date or caption cannot pass because the page
# and the expectation share the mistake. The sample's data ends with October 2026 (make_sample.END_MONTH);
# its events.csv also holds plans for November and December, which must not count.
SAMPLE_AS_OF = "Data as of 2026-10-31"


def test_overview_header_shows_the_sample_as_of_and_the_chosen_window(app_env):
    at = open_app()
    assert at.caption[0].value == f"{SAMPLE_AS_OF} · 2026-01-01 – 2026-12-31"  # this year, calendar
    for choice, window in (
        ({"period": "ytd"}, "2026-01-01 – 2026-10-31"),
        ({"period": "last_year"}, "2025-01-01 – 2025-12-31"),
        ({"period": "last_12m"}, "2025-11-01 – 2026-10-31"),
        ({"period": "this_year", "fy": 4}, "2026-04-01 – 2027-03-31"),
        ({"period": "last_year", "fy": 7}, "2025-07-01 – 2026-06-30"),
        ({"period": "ytd", "fy": 7}, "2026-07-01 – 2026-10-31"),
        ({"period": "custom", "fy": 1}, "2026-01-01 – 2026-10-31"),  # no dates chosen yet
        ({"date_from": dt.date(2025, 3, 5), "date_to": dt.date(2025, 6, 20)}, "2025-03-05 – 2025-06-20"),
    ):
        choose(at, **choice)
        assert at.caption[0].value == f"{SAMPLE_AS_OF} · {window}", choice


def test_overview_visits_card_and_target_captions_for_the_sample(app_env):
    at = open_app()
    # Visits January-October 2026 from the sample files: visits_daily.csv 2,913,497 + the museum's
    # monthly "all" rows 352,601 + the community reading rooms' 2026 sheet (months, not 合计) 282,991
    # = 3,549,089. January-October 2025: 2,779,552 + 333,209 + 270,268 = 3,383,029; +4.9 %.
    assert cards(at)[0] == ("Visits", "3,549,089", "+4.9%")
    # targets_2026.csv: visits 4,230,000, loans 1,790,000 (network). Loans 2026 (renewals count):
    # circulation_monthly.csv checkouts 1,509,890 + renewals 303,757 + the mobile routes' 1,578 checkout
    # and 127 renewal transactions = 1,815,352. 3,549,089 / 4,230,000 = 83.90 %; 1,815,352 / 1,790,000 = 101.42 %.
    # Events 862 / 1,130 = 76.28 %; attendance 120,193 / 300,000 = 40.06 %; new registrations 20,376 / 24,500
    # = 83.17 % (the events and the measures of January-October 2026).
    # Expected by now: January-October 2025 over the whole of 2025. Visits 3,383,029 / 4,028,080 = 83.99 %;
    # loans 1,718,619 / 2,054,763 = 83.64 %; events 918 / 1,073 = 85.55 %; attendance 136,028 / 156,665 =
    # 86.83 %; new registrations 19,695 / 23,314 = 84.48 %. Ahead or behind: the two as written, subtracted.
    # Satisfaction (a level): 91.0 against targets_2026.csv's 95: not reached, 4.0 points short.
    targets = [c.value for c in at.caption if "target" in c.value]
    assert targets == [
        "83.9% of the year's target · expected by now 84.0% (behind 0.1 pts)",
        "101.4% of the year's target · expected by now 83.6% (ahead 17.8 pts)",
        "76.3% of the year's target · expected by now 85.6% (behind 9.3 pts)",
        "40.1% of the year's target · expected by now 86.8% (behind 46.7 pts)",
        "Year's target 95.0: not reached, 4.0 pts short",
        "83.2% of the year's target · expected by now 84.5% (behind 1.3 pts)",
    ]
    assert cards(at)[4][1] == "91.0"
    zh = [c.value for c in choose(at, lang="zh").caption if "目标" in c.value]
    assert (zh[0], zh[4]) == (
        "完成年度目标的83.9% · 按进度应完成84.0%（落后0.1个百分点）",
        "年度目标95.0：未达到，差4.0分",
    )


# ---------------------------------------------------------------- links: the query string reproduces the view


def test_url_round_trip_reproduces_the_view(app_env, con, as_of):
    at = open_app("events")
    choose(
        at, lang="zh", period="last_12m", fy=4, districts=["East", "North"], categories=["reading", "lecture"], lfl=True
    )
    query = dict(at.query_params)
    assert query == {
        "lang": "zh",
        "period": "last_12m",
        "fy": "4",
        "districts": "East,North",
        "categories": "reading,lecture",
        "lfl": "1",
    }

    again = open_app("events", query)
    assert sidebar_values(again) == sidebar_values(at)
    assert cards(again) == cards(at)
    flt = view_filter(as_of, "last_12m", 4, districts=["East", "North"], categories=["reading", "lecture"])
    assert cards(again) == expected_cards(con, EVENT_CARDS, flt, fy=4, lfl=True, lang="zh")
    assert dict(again.query_params) == query


def test_url_round_trip_keeps_page_choices_and_custom_dates(app_env):
    at = open_app("branches")
    at.sidebar.selectbox(key="period").set_value("custom")
    ok(at.run())
    at.sidebar.date_input(key="date_from").set_value(dt.date(2025, 3, 1))
    at.sidebar.date_input(key="date_to").set_value(dt.date(2025, 8, 31))
    at.selectbox(key="metric").set_value("loans")
    at.selectbox(key="drill").set_value("north")
    ok(at.run())
    ok(at.run())  # page widgets are mirrored into the URL by the sidebar on the next run
    query = dict(at.query_params)
    assert query == {
        "period": "custom",
        "date_from": "2025-03-01",
        "date_to": "2025-08-31",
        "metric": "loans",
        "drill": "north",
    }
    assert "2025-03-01 – 2025-08-31" in at.caption[0].value

    again = open_app("branches", query)
    assert again.sidebar.date_input(key="date_from").value == dt.date(2025, 3, 1)
    assert again.sidebar.date_input(key="date_to").value == dt.date(2025, 8, 31)
    assert again.selectbox(key="metric").value == "loans"
    assert again.selectbox(key="drill").value == "north"
    pd.testing.assert_frame_equal(again.dataframe[0].value, at.dataframe[0].value)


HOSTILE = {
    "lang": "xx",
    "period": "evil",
    "fy": "99",
    "cmp": "<b>",
    "branches": "nope,<script>alert(1)</script>",
    "districts": "East,Nowhere",
    "kinds": "=cmd|' /C calc'!A0",
    "categories": "lecture,'; DROP TABLE events; --",
    "date_from": "2025-13-45",
    "date_to": "yesterday",
    "lfl": "maybe",
    "unknown": "whatever",
}


def test_hostile_link_values_are_dropped(app_env, con, as_of):
    at = open_app("overview", HOSTILE)
    assert [t.value for t in at.title] == [title("overview")]
    values = sidebar_values(at)
    defaults = {key: FIELDS[key].default for key in values}
    assert values == defaults | {"districts": ("East",), "categories": ("lecture",)}
    assert dict(at.query_params) == {"districts": "East", "categories": "lecture"}
    flt = view_filter(as_of, districts=["East"], categories=["lecture"])
    assert cards(at) == expected_cards(con, OVERVIEW_CARDS, flt)
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] > 0


@pytest.mark.parametrize(
    ("page", "query", "widget"),
    [
        ("overview", {"metric": "evil"}, "metric"),
        ("branches", {"metric": "satisfaction", "drill": "<script>"}, "metric"),
        ("satisfaction", {"sat_by": "evil"}, "sat_by"),
    ],
    ids=["overview-metric", "branches-metric-drill", "satisfaction-sat_by"],
)
def test_hostile_page_choices_are_dropped(app_env, page, query, widget):
    """The page-level keys of a link (metric, drill, sat_by) are checked like the sidebar's."""
    at = open_app(page, query)
    assert [t.value for t in at.title] == [title(page)]
    main = at.main.button_group if widget == "sat_by" else at.main.selectbox
    assert main(key=widget).value == FIELDS[widget].default
    assert not set(query) & set(at.query_params), dict(at.query_params)


# ---------------------------------------------------------------- reset and page switches


def test_reset_restores_defaults_and_keeps_language(app_env):
    at = open_app()
    at.main.selectbox(key="metric").set_value("loans")
    choose(at, lang="zh", period="last_year", fy=10, cmp="none", kinds=["branch"], districts=["West"], lfl=True)
    assert len(at.query_params) >= 7

    ok(at.sidebar.button(key="reset").click().run())
    values = sidebar_values(at)
    assert values == {key: FIELDS[key].default for key in values} | {"lang": "zh"}
    assert at.selectbox(key="metric").value == FIELDS["metric"].default
    assert dict(at.query_params) == {"lang": "zh"}
    assert at.title[0].value == title("overview", "zh")


def test_filters_survive_page_switches(app_env, con, as_of):
    at = open_app()
    choose(at, districts=["South"], period="last_year")
    chosen = sidebar_values(at)
    switch(at, "branches")
    assert at.title[0].value == title("branches")
    assert sidebar_values(at) == chosen
    assert dict(at.query_params) == {"districts": "South", "period": "last_year"}
    flt = view_filter(as_of, "last_year", districts=["South"])
    pd.testing.assert_frame_equal(ranking_shown(at), ranking_expected(con, "visits", flt))

    switch(at, "overview")
    assert at.title[0].value == title("overview")
    assert sidebar_values(at) == chosen
    assert cards(at) == expected_cards(con, OVERVIEW_CARDS, flt)


# ---------------------------------------------------------------- timing (printed for the notes, not asserted)


def test_rerun_time_of_a_filter_change(app_env, capsys):
    at = open_app()
    timings = {}
    for index, (_, key, _, _) in enumerate(PAGES):
        switch(at, key)
        at.sidebar.multiselect(key="districts").set_value(
            [["East"], ["North"], ["West"], ["South"], ["Central"], ["East", "North"], ["West", "South"]][index]
        )
        start = time.perf_counter()
        ok(at.run())
        timings[key] = time.perf_counter() - start
    with capsys.disabled():
        print("\nrerun after a district change (cold cache for that filter): ", end="")
        print(", ".join(f"{key} {seconds:.2f} s" for key, seconds in timings.items()))


# ---------------------------------------------------------------- the Report page


def _texts(at) -> str:
    return "\n".join([*(m.value for m in at.markdown), *(t.value for t in at.text)])


def _downloads(at) -> dict[str, object]:
    return {d.proto.label: d for d in at.get("download_button")}


def test_preview_equals_the_report_and_the_engine(app_env, con):
    at = open_app("report", {"lang": "zh"})
    at.selectbox(key="report_year").set_value(2026).run()
    assert not at.exception
    expected = annual.build(con, annual.Request(2026, lang="zh"))
    visits = next(f for f in expected.figures if f.key == "visits")
    assert visits.text == "354.9万"
    text = _texts(at).replace("\\", "")
    assert "2026年1—10月接待读者354.9万人次，同比增长4.9%，完成年度目标的83.9%。" in text
    assert [s.title for s in expected.document.sections][0] in text
    labels = set(_downloads(at))
    assert {"Markdown 文本", "数据来源（JSON）", "2027年计划表"} <= labels
    assert "Word 文档" not in labels  # made only when asked for (charts take a headless browser)


def test_report_language_follows_the_choice_and_scope_the_sidebar(app_env, con):
    at = open_app("report", {"lang": "en", "branches": "north"})
    at.selectbox(key="report_year").set_value(2025).run()
    at.radio(key="report_lang").set_value("zh").run()
    assert not at.exception
    text = _texts(at).replace("\\", "")
    expected = annual.build(con, annual.Request(2025, lang="zh", flt=Filter(branches=("north",))))
    north = next(f for f in expected.figures if f.key == "visits")
    assert f"全年接待读者{north.text}人次" in text
    assert "城北分馆" in text and "城东分馆" not in text


def test_word_and_pdf_after_prepare(app_env):
    at = open_app("report", {"lang": "en"})
    at.selectbox(key="report_year").set_value(2025).run()
    at.button(key="prepare_files").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert {"Word", "PDF"} <= set(_downloads(at))


def test_comparison_with_the_period_just_before_and_a_chosen_one(app_env, con, as_of):
    """The cards compare with what the sidebar says, and the link carries it: the quarter just before, or a
    comparison period chosen by its start (the same number of months), each as the engine computes it."""
    at = open_app("overview")
    choose(at, period="custom")
    choose(at, date_from=dt.date(2026, 7, 1), date_to=dt.date(2026, 9, 30), cmp="previous")
    window = Filter(date_from=dt.date(2026, 7, 1), date_to=dt.date(2026, 9, 30), beyond_complete=True)
    expected = engine.compute(con, "visits", window, "window", compare=True, months_back=3).table.iloc[0]
    assert cards(at)[0] == ("Visits", number(expected["value"], "int", "en"), percent_change(expected["yoy_pct"]))
    assert at.query_params["cmp"] in ("previous", ["previous"])
    assert "vs 1 April 2026 – 30 June 2026" in [m.proto.delta_description for m in at.metric][0]
    choose(at, cmp="custom")
    choose(at, cmp_from=dt.date(2025, 1, 1))  # July-September 2026 against January-March 2025: 18 months back
    expected = engine.compute(con, "visits", window, "window", compare=True, months_back=18).table.iloc[0]
    assert cards(at)[0][2] == percent_change(expected["yoy_pct"])
    assert at.query_params["cmp_from"] in ("2025-01-01", ["2025-01-01"])
