"""Programme evaluation (issue 14, item 5): the t distribution, golden before/during/after figures and tests on a
hand-made network imported by the real importer, the plain words, the events.programme column (import with and
without it, header synonyms in context, migration of an older database) and the page under AppTest.

Every expected p-value below is worked out by hand from the closed forms of Student's t for an even number of
degrees of freedom (Abramowitz & Stegun 26.7.3, θ = atan(t / √ν)):
    ν = 2: P(|T| < t) = sin θ                                  = t / √(t² + 2)
    ν = 4: P(|T| < t) = sin θ · (1 + cos²θ / 2)
    ν = 6: P(|T| < t) = sin θ · (1 + cos²θ / 2 + 3 cos⁴θ / 8)
and checked against a printed t table where one is quoted.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest
import streamlit as st
from conftest import FIXTURES, TODAY, load, write
from streamlit.testing.v1 import AppTest

from data import db
from data.importer import Options, import_file
from metrics import programme as pg
from metrics import stats
from pages import PAGES
from pages import _prog_parts as view
from pages._i18n import STRINGS, number

ROOT = Path(__file__).resolve().parents[1]
ENTRY = ROOT / "tests" / "app" / "entry.py"
PAGE = next(Path(file) for file, key, _, _ in PAGES if key == "prog_page")
START, END = dt.date(2025, 4, 10), dt.date(2025, 6, 10)  # 暖夕相伴's first and last event in the fixture


# ---------------------------------------------------------------- the t distribution


def test_regularized_beta_against_a_binomial_sum():
    # I_x(a, b) = P(Binomial(a + b - 1, x) >= a): I_0.5(2, 3) = P(Bin(4, ½) >= 2) = 1 - (1 + 4)/16 = 11/16.
    assert stats.regularized_beta(0.5, 2, 3) == pytest.approx(11 / 16, abs=1e-14)
    assert stats.regularized_beta(0.0, 2, 3) == 0.0 and stats.regularized_beta(1.0, 2, 3) == 1.0


@pytest.mark.parametrize("t", [0.0, 0.3, 1.0, 2.5, 12.7, 400.0])
def test_two_sided_p_equals_the_closed_forms(t):
    # ν = 1 is the Cauchy distribution: P(|T| >= t) = 1 - 2·atan(t)/π; ν = 2: 1 - t/√(t² + 2).
    assert stats.t_two_sided_p(t, 1) == pytest.approx(1 - 2 * math.atan(t) / math.pi, abs=1e-12)
    assert stats.t_two_sided_p(t, 2) == pytest.approx(1 - t / math.sqrt(t * t + 2), abs=1e-12)
    assert stats.t_two_sided_p(-t, 2) == stats.t_two_sided_p(t, 2)


@pytest.mark.parametrize(
    ("df", "t_975", "t_995"),
    # A printed t table (two-sided 5% and 1% points), to three decimals.
    [(1, 12.706, 63.657), (2, 4.303, 9.925), (5, 2.571, 4.032), (10, 2.228, 3.169), (30, 2.042, 2.750)],
)
def test_quantiles_match_a_printed_t_table(df, t_975, t_995):
    assert stats.t_quantile(0.05, df) == pytest.approx(t_975, abs=5e-4)
    assert stats.t_quantile(0.01, df) == pytest.approx(t_995, abs=5e-4)
    assert stats.t_two_sided_p(stats.t_quantile(0.05, df + 0.5), df + 0.5) == pytest.approx(0.05, abs=1e-9)


def test_welch_by_hand_and_its_refusals():
    # Means 20 and 50 of three months each, variances 100: t = 30/√(200/3) = √13.5, df = 4.
    result = stats.welch(stats.Sample(20, 100, 3), stats.Sample(50, 100, 3))
    assert result.t == pytest.approx(math.sqrt(13.5)) and result.df == pytest.approx(4.0)
    assert stats.welch(stats.Sample(20, 0, 3), stats.Sample(20, 0, 3)) is None  # no spread: nothing to test
    assert stats.welch(stats.Sample(20, 100, 1), stats.Sample(50, 100, 3)) is None  # a group of one
    assert stats.mean_interval([5.0]) is None


# ---------------------------------------------------------------- a hand-made network

# Albany Park (tests/fixtures/import/branches.csv). Seniors' events, one a month; 暖夕相伴 runs April-June 2025.
#   month      attendance  rating (of 5) x responses   programme
#   Jan-Mar    10, 20, 30  4.0 x 2 (Jan), 4.5 x 2 (Feb)
#   Apr-Jun    40, 50, 60  4.5 x 2 (Apr), 5.0 x 2 (May)  暖夕相伴
#   Jul-Sep    30, 30, 30  4.25 x 2 (Jul), 4.75 x 2 (Aug)
# A children's event (999 people, rated 1 of 5 by 50) and a planned seniors' session that was not held
# must count nowhere.
EVENTS = (
    "event_id,date,branch,title,项目,category,audience,attendance,satisfaction,responses,scale_max,planned\n"
    "E01,2025-01-10,Albany Park,Health talk,,lecture,seniors,10,4.0,2,5,false\n"
    "E02,2025-02-10,Albany Park,Health talk,,lecture,seniors,20,4.5,2,5,false\n"
    "E03,2025-03-10,Albany Park,Health talk,,lecture,seniors,30,,,,false\n"
    "E04,2025-04-10,Albany Park,Phone class,暖夕相伴,training,seniors,40,4.5,2,5,false\n"
    "E05,2025-05-10,Albany Park,Phone class,暖夕相伴,training,seniors,50,5.0,2,5,false\n"
    "E06,2025-06-10,Albany Park,Phone class,暖夕相伴,training,seniors,60,,,,false\n"
    "E07,2025-07-10,Albany Park,Health talk,,lecture,seniors,30,4.25,2,5,false\n"
    "E08,2025-08-10,Albany Park,Health talk,,lecture,seniors,30,4.75,2,5,false\n"
    "E09,2025-09-10,Albany Park,Health talk,,lecture,seniors,30,,,,false\n"
    "E10,2025-02-12,Albany Park,Storytime,,storytime,children_0_5,999,1.0,50,5,false\n"
    "E11,2025-05-20,Albany Park,Phone class,暖夕相伴,training,seniors,,,,,true\n"
)
# Loans of seniors 100 a month before, 110/120/130 during, 100 after; adults' 1,000 a month never count.
LOANS = "month,branch,patron_category,checkouts\n" + "".join(
    f"2025-{m:02d},Albany Park,senior,{senior}\n2025-{m:02d},Albany Park,adult,1000\n"
    for m, senior in zip(range(1, 10), (100, 100, 100, 110, 120, 130, 100, 100, 100), strict=True)
)
# Complaints received 10 a month; resolved 8, 9, 10 before (80%, 90%, 100%), 10 during (100%); July none
# received (no rate), August 10 of 10, September not reported yet: AFTER is partial (two months of three).
COMPLAINTS = "month,branch,measure,value\n" + "".join(
    f"2025-{m:02d},Albany Park,complaints_received,{received}\n2025-{m:02d},Albany Park,complaints_resolved,{done}\n"
    for m, received, done in zip(
        range(1, 9), (10, 10, 10, 10, 10, 10, 0, 10), (8, 9, 10, 10, 10, 10, 0, 10), strict=True
    )
)


@pytest.fixture(scope="module")
def network(tmp_path_factory) -> Path:
    """The hand-made network's database (read it through read_only connections)."""
    folder = tmp_path_factory.mktemp("programme")
    con = db.connect(folder / "kpi.duckdb")
    assert import_file(con, FIXTURES / "import" / "branches.csv", Options(today=TODAY)).status == "loaded"
    for name, text in (("events.csv", EVENTS), ("loans.csv", LOANS), ("measures.csv", COMPLAINTS)):
        report = load(con, write(folder, name, text))
        assert report.status == "loaded", report.problems
    con.close()
    return folder / "kpi.duckdb"


@pytest.fixture(scope="module")
def seniors(network) -> pg.Evaluation:
    """Seniors' events, before, during and after 暖夕相伴, with the loans of the patron category senior."""
    con = db.connect(network, read_only=True)
    try:
        return pg.evaluate(con, None, pg.Choice("audience", "seniors"), START, END, "senior")
    finally:
        con.close()


def test_the_programme_is_listed_with_its_dates_and_audience(network):
    con = db.connect(network, read_only=True)
    listed = pg.programmes(con)
    con.close()
    assert listed.to_dict("records") == [
        # E11 was planned and not held: neither its date nor its session counts.
        {"programme": "暖夕相伴", "first_date": START, "last_date": END, "events": 3, "audience": "seniors"}
    ]


def test_spans_are_whole_months_before_and_after():
    window = pg.spans(START, END)
    assert window.before == (dt.date(2025, 1, 1), dt.date(2025, 3, 31))
    assert window.during == (dt.date(2025, 4, 1), dt.date(2025, 6, 30))
    assert window.after == (dt.date(2025, 7, 1), dt.date(2025, 9, 30))
    assert pg.spans(START, END, before_months=12).before == (dt.date(2024, 4, 1), dt.date(2025, 3, 31))
    with pytest.raises(ValueError):
        pg.spans(END, START)


def test_satisfaction_golden(seniors):
    sat = seniors.measures["satisfaction"]
    # Responses as scores of 100: before 80, 80, 90, 90 (n 4, mean 85, s² = 4·25/3 = 33.33);
    # during 90, 90, 100, 100 (mean 95); after 85, 85, 95, 95 (mean 90). The children's 1-of-5 ratings count nowhere.
    assert [sat.figures[s].value for s in pg.SPANS] == pytest.approx([85.0, 95.0, 90.0])
    assert [sat.figures[s].n for s in pg.SPANS] == [4, 4, 4]
    # 95% interval: 85 ± 1.96·√(33.33/4) = 85 ± 5.658.
    before = sat.figures["before"]
    assert (before.ci_low, before.ci_high) == pytest.approx((79.342, 90.658), abs=1e-3)
    # During: t = 10/√(33.33/4 + 33.33/4) = √6, df = 6; θ = 45°: p = 1 - (√2/2)(1 + 1/4 + 3/32) = 0.049824.
    assert sat.during.test.t == pytest.approx(math.sqrt(6)) and sat.during.test.df == pytest.approx(6.0)
    assert sat.during.p == pytest.approx(1 - math.sqrt(2) / 2 * (1 + 1 / 4 + 3 / 32), abs=1e-10)
    # After: t = 5/√16.67 = √1.5, df = 6; tan θ = ½, sin θ = 1/√5, cos²θ = 4/5: p = 1 - (1/√5)(1 + 0.4 + 0.24).
    assert sat.after.p == pytest.approx(1 - 1 / math.sqrt(5) * 1.64, abs=1e-10)
    assert pg.verdict(sat.during, "score") == "up 10.0 points; unlikely to be chance, p = 0.0498"
    assert pg.verdict(sat.during, "score", "zh") == "上升10.0分；不太可能是偶然（p = 0.0498）"
    assert pg.verdict(sat.after, "score") == "up 5.0 points; could be chance (p = 0.27)"
    assert pg.verdict(sat.after, "score", "zh") == "上升5.0分；可能是偶然波动（p = 0.27）"


def test_participation_golden(seniors):
    part = seniors.measures["participation"]
    assert [part.monthly[dt.date(2025, m, 1)] for m in range(1, 10)] == [10, 20, 30, 40, 50, 60, 30, 30, 30]
    assert [part.figures[s].value for s in pg.SPANS] == pytest.approx([20.0, 50.0, 30.0])
    assert [part.figures[s].total for s in pg.SPANS] == [60, 150, 90]
    # Before: 20 ± t(0.975, 2)·√(100/3) = 20 ± 4.303·5.774 = 20 ± 24.84, clipped at 0 (people are never fewer).
    assert (part.figures["before"].ci_low, part.figures["before"].ci_high) == pytest.approx((0.0, 44.841), abs=1e-3)
    # During: t = √13.5, df = 4; sin θ = √(3.375/4.375), cos²θ = 1/4.375: p = 1 - sin θ (1 + cos²θ/2) = 0.021312.
    sin, cos2 = math.sqrt(3.375 / 4.375), 1 / 4.375
    assert part.during.p == pytest.approx(1 - sin * (1 + cos2 / 2), abs=1e-10)
    assert part.during.percent == pytest.approx(150.0)
    # After: 30, 30, 30 (no spread) against 10, 20, 30: t = 10/√(100/3) = √3, df = 2: p = 1 - √3/√5 = 0.2254.
    assert part.after.test.df == pytest.approx(2.0)
    assert part.after.p == pytest.approx(1 - math.sqrt(3 / 5), abs=1e-10)
    assert pg.verdict(part.during, "count") == "up 150.0%; unlikely to be chance, p = 0.02"
    assert pg.verdict(part.after, "count", "zh") == "上升50.0%；可能是偶然波动（p = 0.23）"


def test_loans_of_the_patron_category_golden(seniors):
    loans = seniors.measures["loans"]
    assert [loans.figures[s].value for s in pg.SPANS] == pytest.approx([100.0, 120.0, 100.0])
    # During: 110, 120, 130 against 100 ×3: t = 20/√(100/3) = √12, df = 2: p = 1 - √12/√14 = 0.0742.
    assert loans.during.p == pytest.approx(1 - math.sqrt(12 / 14), abs=1e-10)
    assert pg.verdict(loans.during, "count") == "up 20.0%; could be chance (p = 0.07)"
    # After: 100 ×3 against 100 ×3: nothing changed and nothing varied.
    assert loans.after.test is None and loans.after.untested == "flat"
    assert pg.verdict(loans.after, "count") == "no change"
    assert pg.verdict(loans.after, "count", "zh") == "没有变化"


def test_complaint_resolution_rate_golden_with_a_partial_after(seniors):
    rate = seniors.measures["complaint_resolution_rate"]
    # Before 80%, 90%, 100%; during 100% ×3: t = 10/√(100/3) = √3, df = 2: p = 1 - √3/√5.
    assert [rate.figures[s].value for s in ("before", "during")] == pytest.approx([90.0, 100.0])
    assert rate.during.p == pytest.approx(1 - math.sqrt(3 / 5), abs=1e-10)
    assert pg.verdict(rate.during, "rate") == "up 10.0 percentage points; could be chance (p = 0.23)"
    # After: July received none (no rate), August 100%, September not reported: 2 of 3 months, one value.
    after = rate.figures["after"]
    assert (after.months, after.months_in_span, after.n, after.partial) == (2, 3, 1, True)
    assert dt.date(2025, 7, 1) in rate.monthly and rate.monthly[dt.date(2025, 7, 1)] is None
    assert dt.date(2025, 9, 1) not in rate.monthly
    assert pg.verdict(rate.after, "rate") == "up 10.0 percentage points; too few data to test"
    assert pg.verdict(rate.after, "rate", "zh") == "上升10.0个百分点；数据太少，无法检验"


def test_a_named_programme_counts_only_its_own_events(network):
    con = db.connect(network, read_only=True)
    own = pg.evaluate(con, None, pg.Choice("programme", "暖夕相伴"), START, END)
    con.close()
    part, sat = own.measures["participation"], own.measures["satisfaction"]
    assert [part.figures[s].value for s in pg.SPANS] == pytest.approx([0.0, 50.0, 0.0])
    # 0, 0, 0 against 40, 50, 60: t = 50/√(100/3) = √75, df = 2: p = 1 - √75/√77 = 0.0131; a rise from nothing
    # is told in people a month.
    assert part.during.p == pytest.approx(1 - math.sqrt(75 / 77), abs=1e-10)
    assert pg.verdict(part.during, "count") == "up 50 a month; unlikely to be chance, p = 0.01"
    assert pg.verdict(part.during, "count", "zh") == "每月增加50；不太可能是偶然（p = 0.01）"
    # Its ratings: 90 ×2 and 100 ×2 during, none before or after.
    assert sat.figures["during"].value == pytest.approx(95.0) and sat.figures["before"].n == 0
    assert pg.verdict(sat.during, "score") == "no data to compare"
    assert pg.verdict(sat.during, "score", "zh") == "没有可比的数据"


# ---------------------------------------------------------------- the programme column on import


def stored(con) -> list[tuple]:
    return con.execute("SELECT event_id, title, programme FROM events ORDER BY event_id").fetchall()


def test_programme_column_imports_with_and_without_it(branches_db, tmp_path):
    with_it = "活动编号,日期,分馆,活动名称,项目,参加人次\nA1,2025-03-01,Albany Park,健康讲座,暖夕相伴,30\n"
    with_it += "A2,2025-03-02,Albany Park,故事会,,12\n"
    assert load(branches_db, write(tmp_path, "a.csv", with_it)).status == "loaded"
    without = "event_id,date,branch,title,attendance\nB1,2025-03-03,Albany Park,Chess,9\n"
    assert load(branches_db, write(tmp_path, "b.csv", without)).status == "loaded"
    assert stored(branches_db) == [("A1", "健康讲座", "暖夕相伴"), ("A2", "故事会", None), ("B1", "Chess", None)]


@pytest.mark.parametrize(
    ("header", "row", "expected"),
    [
        ("Title,Programme", "Talk,Silver Days", ("Talk", "Silver Days")),
        ("Programme,Event name", "Silver Days,Talk", ("Talk", "Silver Days")),
        ("Program", "Talk", ("Talk", None)),  # alone, a program is the event itself (as PLS counts programs)
        ("Event name,Project", "Talk,Silver Days", ("Talk", "Silver Days")),
        ("活动名称,品牌项目", "Talk,Silver Days", ("Talk", "Silver Days")),
        ("主题,项目", "Talk,Silver Days", ("Talk", "Silver Days")),  # 项目 beside 参加人次: the programme
        ("项目名称", "Silver Days", (None, "Silver Days")),
    ],
    ids=["title-programme", "programme-first", "program-alone", "project", "brand", "xiangmu", "xiangmu-mingcheng"],
)
def test_programme_header_spellings(branches_db, tmp_path, header, row, expected):
    text = f"date,branch,参加人次,{header}\n2025-03-01,Albany Park,5,{row}\n"
    report = load(branches_db, write(tmp_path, "e.csv", text))
    assert report.status == "loaded", report.problems
    assert branches_db.execute("SELECT title, programme FROM events").fetchone() == expected


def test_a_measures_file_keeps_xiangmu_as_its_measure(branches_db, tmp_path):
    """项目 is also the measure column of a statistics sheet: there, beside a value, it stays the measure."""
    for name, header, month in (("m1.csv", "项目", "2025-01"), ("m2.csv", "项目名称", "2025-02")):
        text = f"月份,分馆,{header},数值\n{month},Albany Park,投诉办结,3\n"
        report = load(branches_db, write(tmp_path, name, text))
        assert report.status == "loaded", report.problems
    rows = branches_db.execute("SELECT measure, value FROM measures ORDER BY date").fetchall()
    assert rows == [("complaints_resolved", 3.0), ("complaints_resolved", 3.0)]


def test_a_formula_as_a_programme_is_refused(branches_db, tmp_path):
    text = 'date,branch,title,programme,attendance\n2025-03-01,Albany Park,Talk,"=HYPERLINK(""x"")",5\n'
    report = load(branches_db, write(tmp_path, "f.csv", text))
    assert report.status == "rejected"
    assert [(p.line, p.column) for p in report.problems] == [(2, "programme")]
    assert branches_db.execute("SELECT count(*) FROM events").fetchone() == (0,)


def test_an_older_database_gets_the_programme_column(tmp_path):
    path = tmp_path / "old.duckdb"
    con = db.connect(path)
    con.execute("ALTER TABLE events DROP COLUMN programme")
    con.close()
    reader = db.connect(path, read_only=True)
    assert not db.has_column(reader, "events", "programme")
    # Read-only, nothing migrates: the metric layer sees no named programme and still evaluates.
    assert pg.programmes(reader).empty
    nothing = pg.evaluate(reader, None, pg.Choice("programme", "暖夕相伴"), START, END)
    assert nothing.measures["participation"].figures["during"].value is None
    reader.close()
    con = db.connect(path)  # written again: the column is added
    assert db.has_column(con, "events", "programme")
    assert import_file(con, FIXTURES / "import" / "branches.csv", Options(today=TODAY)).status == "loaded"
    text = "date,branch,title,programme,attendance\n2025-03-01,Albany Park,Talk,暖夕相伴,5\n"
    assert load(con, write(tmp_path, "e.csv", text)).status == "loaded"
    assert con.execute("SELECT programme FROM events").fetchall() == [("暖夕相伴",)]
    con.close()


# ---------------------------------------------------------------- the page, on the bundled sample

ASCII_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October")


def open_programme(query: dict[str, str]) -> AppTest:
    """A fresh session opening a link to /programme with `query`, through the router (tests/app/entry.py)."""
    at = AppTest.from_file(str(ENTRY), default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page(str(PAGE))
    return ok(at.run())


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def expected(sample_db_path, choice: pg.Choice, start, end, patron, before=None) -> pg.Evaluation:
    con = db.connect(sample_db_path, read_only=True)
    try:
        return pg.evaluate(con, None, choice, start, end, patron, before_months=before)
    finally:
        con.close()


def card_values(result: pg.Evaluation, lang: str) -> list[str]:
    from metrics.registry import get

    return [number(result.measures[m].figures[s].value, get(m).fmt, lang) for m in pg.MEASURES for s in pg.SPANS]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_sample_programme_on_the_page(sample_app, lang):
    at = open_programme({"lang": lang})
    assert [t.value for t in at.title] == [STRINGS["prog_page"][lang == "zh"]]
    names = at.main.selectbox(key="prog").options
    assert {"暖夕相伴", "星光护航"} <= set(names)
    at.main.selectbox(key="prog").set_value("暖夕相伴")
    ok(at.run())
    con = db.connect(sample_app, read_only=True)
    row = pg.programmes(con).set_index("programme").loc["暖夕相伴"]
    con.close()
    # The dates are the programme's first and last held event; its audience (seniors) borrows as "senior".
    assert (at.date_input(key="prog_from").value, at.date_input(key="prog_to").value) == (
        row["first_date"],
        row["last_date"],
    )
    assert row["audience"] == "seniors" and at.selectbox(key="prog_patron").value == "senior"
    assert dict(at.query_params) == {
        **({"lang": "zh"} if lang == "zh" else {}),
        "prog": "暖夕相伴",
        "prog_from": row["first_date"].isoformat(),
        "prog_to": row["last_date"].isoformat(),
        "prog_patron": "senior",
    }
    # Counted by default: every seniors' event before, during and after (the programme's own have no before).
    result = expected(sample_app, pg.Choice("audience", "seniors"), row["first_date"], row["last_date"], "senior")
    assert [m.value for m in at.metric] == card_values(result, lang)
    captions = [c.value for c in at.caption]
    words = pg.verdict(result.measures["satisfaction"].during, "score", lang)
    template = STRINGS["prog_during_words"][lang == "zh"]
    assert template.format(words=words) in captions
    assert len(at.get("plotly_chart")) == 1 and len(at.dataframe) == 1
    if lang == "zh":  # every card and caption is Chinese: no English month names, words or "None"
        shown = [m.label for m in at.metric] + captions + [str(v) for v in at.dataframe[0].value.to_numpy().ravel()]
        assert not [s for s in shown if any(month in s for month in ASCII_MONTHS) or "None" in s or "nan" in s]
        assert all("年" in m.label for m in at.metric)


def test_a_link_reproduces_the_view(sample_app):
    query = {
        "lang": "zh",
        "prog": "暖夕相伴",
        "prog_scope": "own",
        "prog_from": "2025-05-01",
        "prog_to": "2025-07-31",
        "prog_before": "3",
        "prog_patron": "adult",
    }
    at = open_programme(query)
    assert at.main.selectbox(key="prog").value == "暖夕相伴"
    assert at.main.button_group(key="prog_scope").value == "own"
    assert at.date_input(key="prog_from").value == dt.date(2025, 5, 1)
    assert at.selectbox(key="prog_before").value == 3 and at.selectbox(key="prog_patron").value == "adult"
    assert dict(at.query_params) == query
    result = expected(
        sample_app, pg.Choice("programme", "暖夕相伴"), dt.date(2025, 5, 1), dt.date(2025, 7, 31), "adult", 3
    )
    assert result.spans.before == (dt.date(2025, 2, 1), dt.date(2025, 4, 30))
    assert [m.value for m in at.metric] == card_values(result, "zh")
    assert STRINGS["prog_own_note"][1] in [c.value for c in at.caption]


def test_choices_the_data_does_not_offer_fall_back(sample_app):
    at = open_programme(
        {"prog_kind": "evil", "prog": "<script>x</script>", "prog_patron": "nobody", "prog_before": "99"}
    )
    assert at.main.button_group(key="prog_kind").value == "programme"
    assert at.main.selectbox(key="prog").value == at.main.selectbox(key="prog").options[0]
    assert at.selectbox(key="prog_before").value == 0
    # The first programme (星光护航, for people with disabilities) has no patron category of its own: all loans.
    assert at.main.selectbox(key="prog").value == "星光护航" and at.selectbox(key="prog_patron").value == "all"
    assert "<script>x</script>" not in dict(at.query_params).values()


def test_a_category_choice_and_its_default_dates(sample_app):
    at = open_programme({"prog_kind": "category", "prog": "lecture"})
    assert at.main.selectbox(key="prog").value == "lecture"
    # A category has no dates: six months, ending six months before the data's end (31 October 2026).
    assert at.date_input(key="prog_from").value == dt.date(2025, 11, 1)
    assert at.date_input(key="prog_to").value == dt.date(2026, 4, 30)
    result = expected(sample_app, pg.Choice("category", "lecture"), dt.date(2025, 11, 1), dt.date(2026, 4, 30), "all")
    assert [m.value for m in at.metric] == card_values(result, "en")
    assert not result.measures["participation"].figures["after"].partial


def test_the_monthly_chart_shades_the_three_spans(seniors):
    figure = view.monthly_figure(
        seniors.monthly_table().assign(label=[f"m{i}" for i in range(9)]),
        [(m, m, ",.0f", ",.0f", "", True) for m in pg.MEASURES],
        [("before", 0, 2, "#111111"), ("during", 3, 5, "#222222"), ("after", 6, 8, "#333333")],
        "title",
    )
    shapes = [(s.x0, s.x1) for s in figure.layout.shapes]
    assert shapes.count((-0.5, 2.5)) == shapes.count((2.5, 5.5)) == shapes.count((5.5, 8.5)) == len(pg.MEASURES)
    lines = [trace.y for trace in figure.data]
    assert list(lines[1]) == [10, 20, 30, 40, 50, 60, 30, 30, 30]  # participation, in its own panel
    # A month without a value is a gap, never a zero: July has no complaint resolution rate.
    assert math.isnan(lines[3][6])


def test_hostile_programme_names_stay_text(tmp_path, monkeypatch):
    """Programme names from the data (tests/hostile_data.py: script, image, Markdown, formulas) are only ever
    options of a list or plain text on the page, in both ways of counting."""
    import hostile_data as hostile
    from test_injection import MARKUP, inspect

    monkeypatch.setenv("KPI_DB", str(hostile.build(tmp_path)))
    st.cache_data.clear()
    st.cache_resource.clear()
    try:
        for scope in ("own", "audience"):
            at = open_programme({"lang": "zh", "prog_scope": scope})
            assert set(at.main.selectbox(key="prog").options) == set(hostile.TITLES)
            seen = inspect(at)
            assert not [(e, f, x) for e, f, x in seen["interpreted"] if any(m in x for m in MARKUP)]
            name = at.main.selectbox(key="prog").value
            if scope == "own":  # said in running text, as plain text
                assert any(name in text.value for text in at.text)
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()


def test_no_helper_module_shares_a_page_file_name():
    """Before st.navigation runs, Streamlit reads pages/ as an old-style page folder, naming each file's URL by
    its name without the leading underscore: pages/_programme.py beside pages/programme.py made two files claim
    /programme, and the first load of that page failed in a browser (tests/test_e2e_browser.py opens it)."""
    pages = {Path(file).stem for file, _, _, _ in PAGES}
    helpers = {path.stem.lstrip("_") for path in (ROOT / "pages").glob("_*.py")}
    assert not pages & helpers
