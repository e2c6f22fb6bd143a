"""System-wide lines (issue 12, item 7): renewal channels, e-media and other channels are network-level rows of
their own kind, never service points (DESIGN.md section 7, December additions).

Recognised by what they are (data/systemlines.py), not by a list of spellings; stored under a branch row marked
in `system_lines`; counted in the network's figures where the metric's definition counts them (loans count
renewal channels, ISO 2789 / PLS 553; e-media loans are a metric of their own; a line is never visits); absent
from rankings, branch lists, per-branch views, data checks and completeness; listed in the import report.

The Chicago-like fixture tests/fixtures/shapes/circulation_by_location_2023.csv (LOCATION, ADDRESS, CITY, ZIP,
JANUARY..DECEMBER, YTD and a TOTAL row) has six branches with addresses, three renewal channels without (one of
them 8.2 million loans) and an e-media line. Its yearly totals, counted by hand from the file:
    Albany Park           8812+7960+9123+8870+9011+8523+9310+9456+8734+9102+8650+7901       =   105,452
    Altgeld               1203+1110+1302+1244+1198+1087+1156+1210+1175+1233+1190+1045       =    14,153
    Back of the Yards     3310+3025+3402+3290+3355+3120+3240+3301+3150+3288+3177+2890       =    38,548
    Beverly               6120+5804+6455+6302+6230+5990+6410+6530+6102+6344+6011+5523       =    73,821
    Brainerd              2201+2010+2302+2250+2198+2105+2230+2280+2190+2240+2155+1980       =    26,141
    Bucktown-Wicker Park  12040+11230+12660+12310+12502+11890+12730+12910+12150+12620+12080+11020 = 146,142
      branches together                                                                        =   404,257
    Online Renewals       690214+641877+702356+688120+701934+672450+712388+730215+688901+709822+676103+620076
                                                                                               = 8,234,456
    Renewals - Phone      4120+3877+4213+4050+3998+3720+3866+3902+3811+3954+3760+3402       =    46,673
    Self-Check Renewals   15230+14402+15876+15123+15540+14987+15650+16012+15321+15702+15110+13998 = 182,951
      renewal channels together                                                                = 8,464,080
    eBooks (OverDrive)    51233+48820+53110+52004+53871+52230+55410+56730+53390+54120+52880+50230 = 634,028
"""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import FIXTURES, load, table_snapshot, write
from test_breakdown_contract import assert_parts_add_up

from data import completeness, db, remove, systemlines
from data.names import non_branch_reason
from data.report import describe
from metrics import quality
from metrics.engine import WINDOW, compute, rank
from metrics.filters import Filter, branch_list, choices
from metrics.registry import get

CHICAGO = FIXTURES / "shapes" / "circulation_by_location_2023.csv"
BRANCH_TOTALS = {
    "Albany Park": 105452,
    "Altgeld": 14153,
    "Back of the Yards": 38548,
    "Beverly": 73821,
    "Brainerd": 26141,
    "Bucktown-Wicker Park": 146142,
}
BRANCHES = 404257  # the six branches, counted above
RENEWAL_CHANNELS = 8234456 + 46673 + 182951  # = 8,464,080
E_MEDIA = 634028


def year_value(con, metric_id, flt=None):
    table = compute(con, metric_id, flt, grain="year").table
    return dict(zip(table["period"], table["value"], strict=True))


# --- recognition ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "line_type"),
    [
        # the spellings the old hand list had
        ("Online Renewals", "renewals"),
        ("Renewals Online", "renewals"),
        ("Phone Renewals", "renewals"),
        ("线上续借", "renewals"),
        ("Downloadable Media", "e-media"),
        ("Virtual Library", "e-media"),
        ("数字资源", "e-media"),
        ("Talking Book and Braille", "other-channel"),
        # unseen ones
        ("Renewals - Phone", "renewals"),
        ("Self-Check Renewals", "renewals"),
        ("RENEWALS (WEB)", "renewals"),
        ("Auto-renewals", "renewals"),
        ("自助续借", "renewals"),
        ("电话续借", "renewals"),
        ("eBooks (OverDrive)", "e-media"),
        ("E-Books", "e-media"),
        ("e-Media", "e-media"),
        ("Digital Library", "e-media"),
        ("Hoopla streaming", "e-media"),
        ("Databases", "e-media"),
        ("电子书借阅", "e-media"),
        ("数字图书馆", "e-media"),
        ("有声读物", "e-media"),
        ("Internet", "other-channel"),
        ("Website", "other-channel"),
        ("Books by Mail", "other-channel"),
        ("Telephone Reference", "other-channel"),
        ("Mobile App", "other-channel"),
        ("Self Check", "other-channel"),
        ("Home Delivery", "other-channel"),
        ("网上借阅", "other-channel"),
        ("在线服务", "other-channel"),
        ("移动端", "other-channel"),
        ("微信小程序", "other-channel"),
        ("网路服务", "other-channel"),  # 网路 (network) is no road
    ],
)
def test_channels_and_media_are_recognised_by_their_words(name, line_type):
    line = systemlines.classify(name)
    assert line is not None and line.line_type == line_type, (name, line)
    assert non_branch_reason(name) is None  # not a totals row: a line of its own


@pytest.mark.parametrize(
    "name",
    [
        "Albany Park",
        "Phoenix Park",
        "Chinatown",
        "Downtown",  # not "download"
        "Webster Place",  # not "web"
        "Appleton",  # not "app"
        "Bookmobile One",
        "Mobile Library 1",  # a mobile service point, not a mobile app
        "Digital Hub Branch",  # a place word wins: a branch named after a digital hub
        "Web Street Library",
        "Central Library",
        "城东分馆",
        "电子城分馆",  # Electronics Town branch
        "数字社区图书室",
        "Renfrew",
        "Mailand",
    ],
)
def test_places_are_not_lines(name):
    assert systemlines.classify(name) is None


@pytest.mark.parametrize("name", ["Total", "TOTALS", "All branches", "All Locations", "合计", "全馆合计", "总计"])
def test_totals_rows_stay_totals_rows(name):
    assert non_branch_reason(name) == "totals row"


def test_a_line_without_the_address_the_service_points_have_is_a_line_of_its_own():
    line = systemlines.classify("Outreach Services", has_address=False)
    assert line == systemlines.Line("other-channel", "no address, where the file's service points have one")
    assert systemlines.classify("Outreach Services", has_address=True) is None
    assert systemlines.classify("Outreach Services") is None  # the file gives no addresses
    both = systemlines.classify("Online Renewals", has_address=False)
    assert both.line_type == "renewals" and both.reason.endswith(", and no address")


def test_addresses_count_only_when_the_service_points_have_them():
    header = ["LOCATION", "ADDRESS", "JANUARY"]
    rows = [(2, ["A", "1 Main St.", "5"]), (3, ["B", "2 Main St.", "6"]), (4, ["Web", "", "7"])]
    assert systemlines.addresses(header, rows, {2, 3, 4}) == {2: True, 3: True, 4: False}
    sparse = [(2, ["A", "1 Main St.", "5"]), (3, ["B", "", "6"]), (4, ["C", "", "7"])]
    assert systemlines.addresses(header, sparse, {2, 3, 4}) is None  # one address in three rows: not given
    assert systemlines.addresses(["BRANCH", "JANUARY"], rows, {2, 3, 4}) is None
    assert systemlines.address_column(["馆名", "馆址", "一月"]) == 1


# --- a Chicago-like circulation export ---------------------------------------------------------------------------


@pytest.fixture
def chicago(fresh_db):
    report = load(fresh_db, CHICAGO, allow_new_branches=True)
    assert report.status == "loaded", report.problems
    return fresh_db, report


def test_lines_are_never_new_service_points(chicago):
    con, report = chicago
    assert report.branches_new == {
        "albany-park",
        "altgeld",
        "back-of-the-yards",
        "beverly",
        "brainerd",
        "bucktown-wicker-park",
    }
    assert set(report.system_lines) == {"online-renewals", "renewals-phone", "self-check-renewals", "ebooks-overdrive"}
    stored = dict(con.execute("SELECT branch_id, line_type FROM system_lines").fetchall())
    assert stored == {
        "online-renewals": "renewals",
        "renewals-phone": "renewals",
        "self-check-renewals": "renewals",
        "ebooks-overdrive": "e-media",
    }
    assert con.execute(
        "SELECT DISTINCT kind FROM branches WHERE list_contains(?, branch_id)", [list(stored)]
    ).fetchall() == [("other",)]
    # Branch lists, filter choices and branch counts hold the service points only.
    assert sorted(branch_list(con)["name"]) == sorted(BRANCH_TOTALS)
    assert choices(con)["kinds"] == ["branch"]
    status = {row["table"]: row["branches"] for row in db.status(con)}
    assert status["branches"] == status["circulation"] == 6
    assert report.rows_read == report.rows_accepted + report.rows_skipped + report.rows_rejected == 11


def test_network_loans_are_the_branches_plus_the_renewal_channels(chicago):
    con, _ = chicago
    assert year_value(con, "loans") == {"2023": BRANCHES + RENEWAL_CHANNELS}  # 404,257 + 8,464,080 = 8,868,337
    assert year_value(con, "renewals") == {"2023": RENEWAL_CHANNELS}  # a renewal channel's count is renewals
    assert year_value(con, "e_media_loans") == {"2023": E_MEDIA}  # its own metric, never in loans
    assert year_value(con, "loans_initial") == {}  # the file gives totals only: no initial loans
    # A branch, district or kind selection holds service points only.
    assert year_value(con, "loans", Filter(branches=("albany-park",))) == {"2023": 105452}
    assert year_value(con, "loans", Filter(kinds=("other",))) == {}
    assert year_value(con, "e_media_loans", Filter(kinds=("branch",))) == {}


def test_the_ranking_is_unchanged_by_the_lines(chicago):
    con, _ = chicago
    result = compute(con, "loans", grain="year", by="branch")
    ranked = rank(result.table, get("loans"))
    assert list(ranked["branch"]) == sorted(BRANCH_TOTALS, key=BRANCH_TOTALS.get, reverse=True)
    assert dict(zip(ranked["branch"], ranked["value"], strict=True)) == BRANCH_TOTALS
    assert ranked["share"].iloc[0] == pytest.approx(146142 / BRANCHES * 100)  # shares of the branches' total
    # The breakdown itself keeps one row for the lines, so that its parts add up to the network's loans.
    parts = dict(zip(result.table["branch"], result.table["value"], strict=True))
    assert parts["System-wide lines"] == RENEWAL_CHANNELS
    assert sum(parts.values()) == BRANCHES + RENEWAL_CHANNELS
    for metric_id in ("loans", "renewals", "e_media_loans"):
        for by in ("branch", "district", "kind"):
            for grain in ("month", "year", WINDOW):
                assert_parts_add_up(con, metric_id, by, grain)


def test_the_import_report_lists_the_lines_with_their_totals(chicago):
    con, report = chicago
    text = describe(report)
    assert "system-wide lines (network-level, not branches): 4" in text
    assert "Online Renewals: 8,234,456 loans, counted in the network's loans as renewals" in text
    assert "Renewals - Phone: 46,673 loans, counted in the network's loans as renewals" in text
    assert "Self-Check Renewals: 182,951 loans, counted in the network's loans as renewals" in text
    assert "eBooks (OverDrive): 634,028 e-media loans, not in the network's loans" in text
    assert "6 new" in text
    listed = {line["name"]: line["total"] for line in systemlines.listing(con)}
    assert listed == {
        "Online Renewals": 8234456,
        "Renewals - Phone": 46673,
        "Self-Check Renewals": 182951,
        "eBooks (OverDrive)": 634028,
    }


def test_lines_are_never_expected_to_report_nor_checked(chicago, tmp_path):
    con, _ = chicago
    assert set(completeness.histories(con, "circulation")) == {
        "albany-park",
        "altgeld",
        "back-of-the-yards",
        "beverly",
        "brainerd",
        "bucktown-wicker-park",
    }
    # Online Renewals stops after June 2024: a branch would be "not reported"; a line never holds a period back.
    text = (
        "BRANCH,JANUARY,FEBRUARY,MARCH,APRIL,MAY,JUNE,JULY\nAlbany Park,1,2,3,4,5,6,7\nOnline Renewals,9,9,9,9,9,9,\n"
    )
    path = write(tmp_path, "circulation_2024.csv", text)
    assert load(con, path, allow_new_branches=True).status == "loaded"
    status = completeness.of_network(con, "circulation")
    assert status.complete_through == dt.date(2024, 7, 31) and status.pending == ()
    lines = set(systemlines.stored(con))
    assert not {f.branch_id for f in quality.findings(con)} & lines


def test_the_same_file_without_allow_new_branches(fresh_db, tmp_path):
    before = table_snapshot(fresh_db)
    refused = load(fresh_db, CHICAGO)
    assert refused.status == "rejected" and refused.rows_rejected == 6  # the six unknown branches, not the lines
    assert table_snapshot(fresh_db) == before  # nothing written: no line either
    listing = "name,kind\n" + "".join(f"{name},branch\n" for name in BRANCH_TOTALS)
    assert load(fresh_db, write(tmp_path, "branches.csv", listing)).status == "loaded"
    report = load(fresh_db, CHICAGO)
    assert report.status == "loaded", report.problems
    assert len(report.branches_matched) == 6 and report.branches_new == set()
    assert {line["name"] for line in report.system_lines.values()} == {
        "Online Renewals",
        "Renewals - Phone",
        "Self-Check Renewals",
        "eBooks (OverDrive)",
    }
    assert year_value(fresh_db, "loans") == {"2023": BRANCHES + RENEWAL_CHANNELS}
    assert load(fresh_db, CHICAGO).status == "unchanged"
    assert year_value(fresh_db, "loans") == {"2023": BRANCHES + RENEWAL_CHANNELS}  # never counted twice


def test_a_known_branch_with_a_channel_word_stays_a_branch(fresh_db, tmp_path):
    listing = "branch_id,name,kind\nVIR,Virtual Library,other\nWEB,Web Street,branch\nAB,Albany Park,branch\n"
    assert load(fresh_db, write(tmp_path, "branches.csv", listing)).status == "loaded"
    text = (
        "Branch,Year,Circulation\n"
        "Virtual Library,2023,100\nWeb Street,2023,20\nAlbany Park,2023,3\nOnline Renewals,2023,4000\n"
    )
    report = load(fresh_db, write(tmp_path, "circulation.csv", text))
    assert report.status == "loaded", report.problems
    assert report.branches_matched == {"VIR", "WEB", "AB"}
    assert [line["name"] for line in report.system_lines.values()] == ["Online Renewals"]
    ranked = rank(compute(fresh_db, "loans", grain="year", by="branch").table, get("loans"))
    assert dict(zip(ranked["branch"], ranked["value"], strict=True)) == {
        "Virtual Library": 100,
        "Web Street": 20,
        "Albany Park": 3,
    }
    assert year_value(fresh_db, "loans") == {"2023": 100 + 20 + 3 + 4000}


def test_a_virtual_visits_line_is_not_visits(fresh_db, tmp_path):
    text = (
        "Branch,Month,Visits\nAltgeld,2024-01,500\nAltgeld,2024-02,450\nWebsite,2024-01,90000\nWebsite,2024-02,85000\n"
    )
    report = load(fresh_db, write(tmp_path, "visits.csv", text), allow_new_branches=True)
    assert report.status == "loaded", report.problems
    assert "Website: 175,000 visits, not counted in visits" in describe(report)  # 90,000 + 85,000
    assert year_value(fresh_db, "visits") == {"2024": 950}  # Altgeld 500 + 450 only
    assert list(branch_list(fresh_db)["name"]) == ["Altgeld"]


def test_removing_the_import_takes_its_lines_back(chicago):
    con, _ = chicago
    remove.remove(con, [CHICAGO.name])
    assert con.execute("SELECT count(*) FROM system_lines").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM branches").fetchone() == (0,)


def test_a_database_made_before_the_table_still_reads(tmp_path):
    path = tmp_path / "old.duckdb"
    con = db.connect(path)
    load(con, write(tmp_path, "visits.csv", "Branch,Month,Visits\nAltgeld,2024-01,500\n"), allow_new_branches=True)
    con.execute("DROP TABLE system_lines")
    con.close()
    reader = db.connect(path, read_only=True)
    try:
        assert year_value(reader, "visits") == {"2024": 500}
        assert year_value(reader, "e_media_loans") == {}
        assert list(branch_list(reader)["name"]) == ["Altgeld"]
        assert systemlines.stored(reader) == {}
    finally:
        reader.close()


def test_answers_through_a_channel_are_one_group_never_a_branch(fresh_db, tmp_path):
    from metrics import satisfaction

    text = "date,branch,score,scale_max\n2024-03-01,Altgeld,5,5\n2024-03-02,Altgeld,3,5\n2024-03-03,Online,4,5\n"
    report = load(fresh_db, write(tmp_path, "surveys.csv", text), allow_new_branches=True, kind="surveys")
    assert report.status == "loaded", report.problems
    assert [line["name"] for line in report.system_lines.values()] == ["Online"]
    by_branch = compute(fresh_db, "responses", grain="year", by="branch").table
    assert dict(zip(by_branch["branch"], by_branch["value"], strict=True)) == {"Altgeld": 2, "System-wide lines": 1}
    assert year_value(fresh_db, "responses") == {"2024": 3}  # the network counts all three answers
    assert list(rank(by_branch, get("responses"))["branch"]) == ["Altgeld"]
    rows = satisfaction.period_statistics(fresh_db, Filter(), "year", 1, "branch", whole_window=False)
    assert {row[2] for row in rows} == {"Altgeld", "(system-wide lines)"}


def _lines_page(lines: dict, kind: str, language: str) -> None:
    """The Data page's listing of an import's system-wide lines, alone (for AppTest)."""
    from types import SimpleNamespace

    import streamlit as st

    from pages import _imports

    st.session_state["lang"] = language
    _imports.system_lines(SimpleNamespace(ok=True, kind=kind, system_lines=lines))


@pytest.mark.parametrize(
    ("language", "name", "kind_of_line", "counted"),
    [
        ("en", "Line", "Renewal channel", "In the network's loans, as renewals"),
        ("zh", "名称", "续借渠道", "计入全网外借册次（作为续借）"),
    ],
)
def test_the_data_page_lists_the_lines_in_both_languages(chicago, language, name, kind_of_line, counted):
    from streamlit.testing.v1 import AppTest

    _, report = chicago
    page = AppTest.from_function(_lines_page, args=(report.system_lines, "circulation", language)).run()
    assert not page.exception
    frame = page.dataframe[0].value
    assert list(frame.iloc[0])[:2] == ["Online Renewals", kind_of_line] and frame.columns[0] == name
    assert list(frame.iloc[0])[3] == counted
    assert len(frame) == 4 and set(frame.iloc[:, 0]) == {
        "Online Renewals",
        "eBooks (OverDrive)",
        "Self-Check Renewals",
        "Renewals - Phone",
    }


def test_a_channel_line_in_a_chinese_sheet_of_several_kinds(fresh_db, tmp_path):
    """A code + name sheet holding loans and visits: the 线上续借 line is made once (not once per kind), its
    loans are renewals in the network's loans, and it adds no visits."""
    text = (
        "馆代码,馆名,统计月份,借书册次,读者到馆人次\n"
        "FG01,城东分馆,2025年11月,1200,5400\n"
        "FG02,城西分馆,2025年11月,860,3900\n"
        "XS01,线上续借,2025年11月,700,0\n"
        "合计,,,2760,9300\n"
    )
    report = load(fresh_db, write(tmp_path, "分馆统计_2025.csv", text), allow_new_branches=True)
    assert report.status == "loaded", (report.message, report.problems)
    assert fresh_db.execute("SELECT branch_id, line_type FROM system_lines").fetchall() == [("XS01", "renewals")]
    assert sorted(branch_list(fresh_db)["name"]) == ["城东分馆", "城西分馆"]
    assert year_value(fresh_db, "loans") == {"2025": 1200 + 860 + 700}
    assert year_value(fresh_db, "renewals") == {"2025": 700}
    assert year_value(fresh_db, "visits") == {"2025": 5400 + 3900}
