"""Sign-in and roles: the users file, the sign-in form, and the guarantee that a supervisor sees only
their branches everywhere.

The users are tests/fixtures/users/users.toml: a director, a supervisor limited to North Branch (which
brings its two reading rooms) and Riverside Branch, and a viewer. Every path by which another branch's
figures could reach the supervisor is named in LEAK_PATHS, and each check says which path it tries
(test_every_leak_path_is_tried makes sure none is only listed). The scope is enforced once, in
metrics.filters.branch_sql; breaking it there fails these tests.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import streamlit as st
from google.protobuf import text_format
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as app_test_module
from streamlit.testing.v1.element_tree import Dataframe, Multiselect, UnknownElement
from test_dashboard import (
    ENTRY,
    EVENT_CARDS,
    OVERVIEW_CARDS,
    PAGE_FILE,
    expected_cards,
    ranking_expected,
    ranking_shown,
    shares_total,
    view_filter,
)

from data import db
from metrics import engine, quality, satisfaction, sessions, users
from metrics.filters import Filter, branch_list, choices, matching_branches
from metrics.registry import METRICS, dimensions, get
from pages import _auth

ROOT = Path(__file__).resolve().parents[1]
USERS_FILE = ROOT / "tests" / "fixtures" / "users" / "users.toml"
PASSWORDS = {"director": "director-pass-1", "sup": "supervisor-pass-2", "viewer": "viewer-pass-3"}
SCOPE = ("north", "riverside")
INSIDE = {"north", "cr-willow", "cr-peach", "riverside"}  # North Branch's reading rooms come with it
OTHER = "east"  # a branch outside the scope, with reading rooms of its own
SAT_CARDS = ("satisfaction", "satisfied_share", "responses")

# Every way another branch's data could reach a supervisor, tried below (each check calls tried() with its name).
LEAK_PATHS = {
    "overview_cards": "Overview KPI cards equal the engine over the scope",
    "overview_trend_chart": "Overview monthly trend chart values (chart proto) equal the engine over the scope",
    "overview_target_caption": "no network-wide target attainment shown inside a scope",
    "branches_ranking_table": "Branches ranking rows: only scoped branches, values equal the engine",
    "branches_ranking_share": "ranking shares are of the scope's total",
    "branches_contribution_chart": "contribution chart bars: only scoped branches",
    "branches_small_multiples": "each-branch-by-month chart traces: only scoped branches",
    "branches_drill_options": "drill-down branch selector offers only scoped branches",
    "events_cards": "Events KPI cards equal the engine over the scope",
    "events_charts": "Events charts (by category, audience, format) equal the engine over the scope",
    "satisfaction_cards": "Satisfaction cards equal the engine over the scope",
    "satisfaction_by_branch": "satisfaction by branch chart: only scoped branches",
    "satisfaction_by_district": "satisfaction by district chart: only the scope's districts",
    "data_findings": "Data page data checks: only scoped branches",
    "data_no_import": "Data page: no uploader, no import history, no rejected rows, no network counts",
    "sidebar_branch_options": "sidebar branch selector offers only scoped branches",
    "sidebar_district_options": "sidebar district and kind lists come from scoped branches only",
    "page_text_scan": "no other branch's name (English or Chinese) anywhere on any page",
    "downloads_csv": "every CSV download on every page holds no other branch",
    "downloads_excel": "every Excel download on every page holds no other branch",
    "url_branches": "a link's ?branches=<other> (and districts, kinds, drill) restores nothing of it",
    "url_mixed": "a link with a scoped and an other branch keeps only the scoped one",
    "session_state_branches": "a forged widget value naming another branch shows nothing of it",
    "cli_as_user": "`python -m metrics query --as-user` answers over the user's scope only",
    "cli_as_user_branch": "`--as-user` with `--branch <other>` returns nothing of it",
    "metrics_direct": "every metrics function given a scoped Filter returns only scoped branches",
    "metrics_direct_other": "a scoped Filter selecting another branch (or its district) returns nothing",
    "metrics_ranking_contribution": "ranking and contribution from a scoped result: only scoped branches",
    "provider_sign_in": "identity-provider sign-in maps to the same scope",
}
TRIED: set[str] = set()


def tried(name: str) -> None:
    assert name in LEAK_PATHS, name
    TRIED.add(name)


# ---------------------------------------------------------------- fixtures and helpers


@pytest.fixture(scope="module")
def sample_db(sample_db_path) -> Path:
    """The session's sample database (conftest); these tests only read it."""
    return sample_db_path


# AppTest has no browser: these stand for the browser's cookie jar and its page loads. The sign-in form's
# redirect to /_kpi/session is followed here the way serve.py's route does it (tests/test_signin_e2e.py
# drives the real route in chromium).
JAR: dict[str, str] = {}
REDIRECTS: list[str] = []


def signing_in(monkeypatch, tmp_path) -> None:
    """Sign-in on with the fixture users file, a private state folder, an empty cookie jar that follows the
    page's redirects (see follow()) and a fresh failed-sign-in limiter."""
    monkeypatch.setenv(users.USERS_ENV_VAR, str(USERS_FILE))
    monkeypatch.setenv(sessions.STATE_DIR_ENV_VAR, str(tmp_path / "signin-state"))
    monkeypatch.setattr(sessions, "ROUTES_INSTALLED", True)
    monkeypatch.setattr(sessions, "LIMITER", sessions.Limiter())
    monkeypatch.setattr(_auth, "_cookies", lambda: dict(JAR))
    monkeypatch.setattr(_auth, "_redirect", REDIRECTS.append)
    sessions.REVOKED.forget_loaded()
    JAR.clear()
    REDIRECTS.clear()


@pytest.fixture
def env(sample_db, monkeypatch, tmp_path):
    """The sample database, the fixture users file, empty caches, a private sign-in state folder, an empty
    cookie jar and a fresh failed-sign-in limiter."""
    monkeypatch.setenv("KPI_DB", str(sample_db))
    signing_in(monkeypatch, tmp_path)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield sample_db
    sessions.REVOKED.forget_loaded()
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def media(monkeypatch) -> list:
    """The media stores AppTest creates, one per run: they hold the download buttons' payloads."""
    stores = []

    class Recording(app_test_module.MemoryMediaFileStorage):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            stores.append(self)

    monkeypatch.setattr(app_test_module, "MemoryMediaFileStorage", Recording)
    return stores


@pytest.fixture
def con(env):
    connection = db.connect(env, read_only=True)
    yield connection
    connection.close()


@pytest.fixture
def as_of(con):
    return max(e for e in (engine.data_span(con, get(m), "year")[1] for m in ("visits", "loans", "events")) if e)


@pytest.fixture
def names(con) -> dict[str, set[str]]:
    """Branch names (English and Chinese) inside and outside the scope."""
    rows = con.execute("SELECT branch_id, name, name_zh FROM branches").fetchall()
    inside = {n for b, *both in rows if b in INSIDE for n in both if n}
    outside = {n for b, *both in rows if b not in INSIDE for n in both if n}
    return {"inside": inside, "outside": outside}


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.message for e in at.exception]
    return at


def open_signed_out(query: dict | None = None, **kwargs) -> AppTest:
    at = AppTest.from_file(str(ENTRY), default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    for key, value in kwargs.items():
        setattr(at, key, value)
    return ok(at.run())


def follow(at: AppTest) -> AppTest:
    """What the browser does with the page's redirects: redeem a sign-in ticket into the cookie (as
    serve.py's /_kpi/session does), or drop the cookie on sign-out; then load the page again."""
    while REDIRECTS:
        url = urllib.parse.urlsplit(REDIRECTS.pop(0))
        params = urllib.parse.parse_qs(url.query)
        if url.path == sessions.SESSION_ROUTE:
            ticket = sessions.TICKETS.redeem(params["ticket"][0])
            JAR[sessions.COOKIE_NAME] = sessions.make_cookie(ticket.user)[0]
        elif url.path == sessions.SIGN_OUT_ROUTE:
            JAR.pop(sessions.COOKIE_NAME, None)
        ok(at.run())
    return at


def submit(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input(key="sign_in_name").input(name)
    at.text_input(key="sign_in_password").input(password)
    return follow(ok(at.button(key="sign_in_submit").click().run()))


def sign_in(name: str, query: dict | None = None) -> AppTest:
    """`name` signs in from a fresh browser (no cookie yet) opened on the link `query`."""
    JAR.clear()
    at = submit(open_signed_out(query), name, PASSWORDS[name])
    assert at.title[0].value == "Overview", [t.value for t in at.title]
    return at


def switch(at: AppTest, page: str) -> AppTest:
    at.switch_page(str(PAGE_FILE[page]))
    return ok(at.run())


def signed_out(at: AppTest) -> bool:
    """Only the sign-in page: no figures, no filters, no navigation to data."""
    return (
        [t.value for t in at.title] in (["Sign in"], ["登录"])
        and not at.metric
        and not at.dataframe
        and not at.sidebar.multiselect
        and not at.get("plotly_chart")
    )


def decode(values):
    """Plotly's binary-encoded arrays ({"dtype", "bdata"}) as lists."""
    if isinstance(values, dict) and "bdata" in values:
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return values


def charts(at: AppTest) -> dict[str, list[dict]]:
    """Every Plotly chart on the page, by key, as its traces with x and y decoded (from the proto)."""
    out = {}
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        key = chart.proto.id.rsplit("-", 1)[-1]
        out[key] = [{**trace, "x": decode(trace.get("x")), "y": decode(trace.get("y"))} for trace in spec["data"]]
    return out


def page_texts(at: AppTest) -> list[str]:
    """The text of every element on the page: tables as CSV, charts as JSON, the rest as their protos."""
    out = []

    def walk(node) -> None:
        for child in getattr(node, "children", {}).values():
            walk(child)
        if isinstance(node, Dataframe):
            out.append(node.value.to_csv())
        elif isinstance(node, UnknownElement) and node.type == "plotly_chart":
            out.append(json.dumps(json.loads(node.proto.spec), ensure_ascii=False))
        elif getattr(node, "proto", None) is not None:
            out.append(text_format.MessageToString(node.proto, as_utf8=True))

    walk(at._tree)
    return out


def downloads(at: AppTest, stores: list) -> dict[str, bytes]:
    """Every download button's payload of the last run, by file name."""
    store = stores[-1]
    out = {}
    for button in at.get("download_button"):
        file_name = button.proto.url.rsplit("/", 1)[-1]
        out[f"{button.proto.id.rsplit('-', 1)[-1]}:{file_name}"] = store.get_file(file_name).content
    return out


def payload_text(name: str, content: bytes) -> str:
    if name.endswith(".csv"):
        return content.decode("utf-8-sig")
    book = openpyxl.load_workbook(io.BytesIO(content))
    return "\n".join(str(c) for sheet in book for row in sheet.iter_rows(values_only=True) for c in row)


def assert_no_other_branch(at: AppTest, stores: list, names: dict) -> None:
    """No name of a branch outside the scope anywhere on the page or in any of its downloads."""
    tried("page_text_scan")
    text = "\n".join(page_texts(at))
    assert not {n for n in names["outside"] if n in text}
    files = downloads(at, stores)
    assert any(name.endswith(".csv") for name in files) and any(name.endswith(".xlsx") for name in files)
    tried("downloads_csv")
    tried("downloads_excel")
    for file_name, content in files.items():
        found = {n for n in names["outside"] if n in payload_text(file_name, content)}
        assert not found, (file_name, found)
    for key in ("branches", "drill"):
        assert set(at.query_params.get(key, "").split(",")) - {""} <= INSIDE


def scoped(as_of, **choices) -> Filter:
    return Filter(**{**view_filter(as_of, **choices).__dict__, "scope": SCOPE})


# ---------------------------------------------------------------- sign-in off: nothing changes


def test_sign_in_is_off_without_a_users_file(sample_db, monkeypatch):
    monkeypatch.setenv("KPI_DB", str(sample_db))
    monkeypatch.delenv(users.USERS_ENV_VAR, raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = ok(AppTest.from_file(str(ENTRY), default_timeout=60).run())
    assert at.title[0].value == "Overview"
    assert not at.text_input
    assert "sign_out" not in [b.key for b in at.sidebar.button]
    assert len(at.sidebar.multiselect(key="branches").options) == 31


# ---------------------------------------------------------------- the sign-in form


@pytest.mark.parametrize(
    ("name", "password"),
    [("sup", "wrong-password"), ("nobody", "supervisor-pass-2"), ("sup", "director-pass-1"), ("", "")],
    ids=["wrong-password", "unknown-user", "another-users-password", "empty"],
)
def test_failed_sign_in_is_refused_with_one_message(env, name, password):
    at = submit(open_signed_out(), name, password)
    assert [e.value for e in at.error] == ["Wrong user name or password."]
    assert signed_out(at)


def test_sign_in_in_chinese_and_language_switch(env):
    at = open_signed_out({"lang": "zh"})
    assert at.title[0].value == "登录"
    assert [w.label for w in at.text_input] == ["用户名", "密码"]
    at = submit(at, "sup", "wrong")
    assert [e.value for e in at.error] == ["用户名或密码错误。"]
    at.button_group(key="lang").set_value("en")
    ok(at.run())
    assert at.title[0].value == "Sign in" and "lang" not in at.query_params
    at.button_group(key="lang").set_value("zh")
    ok(at.run())
    assert dict(at.query_params) == {"lang": "zh"}
    at = submit(at, "viewer", PASSWORDS["viewer"])
    assert at.title[0].value == "总览"  # the dashboard opens in the language chosen on the sign-in page
    assert at.sidebar.caption[-1].value == "当前用户：viewer（只读）"


def test_sign_out_returns_to_the_form(env):
    at = sign_in("sup", {"period": "last_year"})
    assert at.sidebar.caption[-1].value == "Signed in as Sam Supervisor (supervisor)"
    ok(at.sidebar.button(key="sign_out").click().run())
    assert signed_out(at)
    assert at.query_params["period"] == "last_year"  # the link survives, the session does not


# ---------------------------------------------------------------- the sign-in cookie (issue 16 items 1-2)
# tests/test_signin_e2e.py repeats these against a real server, in chromium and over the websocket.


def test_a_session_without_its_cookie_is_signed_out_before_anything_renders(env):
    at = sign_in("director", {"period": "last_year"})
    JAR.clear()  # the same session, now run from a request that carries no cookie (a replayed session id)
    ok(at.run())
    assert signed_out(at) and "sign_out" not in [b.key for b in at.sidebar.button]
    assert _auth.USER_KEY not in at.session_state
    JAR[sessions.COOKIE_NAME] = "v1.ZGlyZWN0b3I.9999999999." + "0" * 32 + "." + "A" * 43  # forged
    assert signed_out(ok(at.run()))


def test_the_cookie_signs_in_a_new_session_until_sign_out_revokes_it(env):
    at = sign_in("sup")
    cookie = JAR[sessions.COOKIE_NAME]
    again = open_signed_out({"period": "last_year"})  # a reload or a new tab: the cookie, no password
    assert again.title[0].value == "Overview" and again.sidebar.caption[-1].value.startswith("Signed in as Sam")
    ok(at.sidebar.button(key="sign_out").click().run())
    assert signed_out(at)
    assert REDIRECTS[-1] == f"{sessions.SIGN_OUT_ROUTE}?next=%2F"
    JAR[sessions.COOKIE_NAME] = cookie  # a copy of the cookie kept after signing out
    assert signed_out(open_signed_out())
    assert signed_out(ok(again.run()))  # the other tab is signed out on its next run


def test_sixth_failed_sign_in_in_a_minute_is_refused(env, caplog):
    at = open_signed_out()
    with caplog.at_level("INFO", logger="kpi.signin"):
        for attempt in range(1, 6):
            at = submit(at, "sup", f"wrong-{attempt}")
            assert at.error[0].value == "Wrong user name or password."
        assert [e.value for e in at.error][1].startswith("Too many failed sign-ins. Try again in 60 s")
        at = submit(at, "sup", PASSWORDS["sup"])  # the sixth, right this time: refused unchecked
        assert [e.value for e in at.error] == ["Too many failed sign-ins. Try again in 60 s."]
        assert signed_out(at) and sessions.COOKIE_NAME not in JAR
        at = submit(at, "director", PASSWORDS["director"])  # the same address (AppTest has none: "local")
        assert signed_out(at)
        sessions.LIMITER.clock = lambda: time.monotonic() + 61  # a minute later
        assert submit(at, "sup", PASSWORDS["sup"]).title[0].value == "Overview"
    assert caplog.text.count("sign-in failed for user 'sup' from local") == 5
    assert "sign-in refused for user 'sup' from local: too many failures" in caplog.text
    assert "signed in: 'sup' from local" in caplog.text
    assert not any(p in caplog.text for p in (*PASSWORDS.values(), "wrong-1"))


def test_sign_in_refuses_to_run_without_its_server(env, monkeypatch):
    monkeypatch.setattr(sessions, "ROUTES_INSTALLED", False)  # `streamlit run dashboard.py`, not serve.py
    at = open_signed_out()
    assert [e.value for e in at.error] == [
        "Sign-in is configured but the dashboard was started without its sign-in server; the server log says why."
    ]
    assert not at.text_input and not at.metric


def test_a_broken_users_file_shows_nothing(env, monkeypatch, tmp_path, capsys):
    bad = tmp_path / "users.toml"
    bad.write_text('[users.x]\nrole = "supervisor"\npassword = "plain text"\n', encoding="utf-8")
    for path in (bad, tmp_path / "missing.toml"):
        monkeypatch.setenv(users.USERS_ENV_VAR, str(path))
        at = open_signed_out()
        assert [e.value for e in at.error] == [
            "Sign-in is configured but the users file cannot be used; the server log says why."
        ]
        assert not at.title and not at.metric and not at.text_input and not at.sidebar.multiselect


# ---------------------------------------------------------------- roles


def test_director_sees_everything_and_can_import(env, con, as_of):
    at = sign_in("director")
    assert len(at.sidebar.multiselect(key="branches").options) == 31
    assert [(m.label, m.value) for m in at.metric] == [
        (label, value) for label, value, _ in expected_cards(con, OVERVIEW_CARDS, view_filter(as_of))
    ]
    at = switch(at, "data")
    assert at.get("file_uploader")
    headers = [h.value for h in at.subheader]
    assert {"Import exports", "What is loaded", "Import history", "Rejected rows"} <= set(headers)


def test_viewer_sees_every_branch_read_only(env, con, as_of):
    at = sign_in("viewer")
    assert len(at.sidebar.multiselect(key="branches").options) == 31
    assert [(m.label, m.value) for m in at.metric] == [
        (label, value) for label, value, _ in expected_cards(con, OVERVIEW_CARDS, view_filter(as_of))
    ]
    at = switch(at, "data")
    headers = [h.value for h in at.subheader]
    assert not at.get("file_uploader") and not at.get("form")
    assert "What is loaded" in headers and "Data checks" in headers
    assert not {"Import exports", "Import history", "Rejected rows"} & set(headers)


# ---------------------------------------------------------------- the supervisor, page by page


def test_supervisor_overview(env, con, as_of, names, media):
    at = sign_in("sup")
    tried("sidebar_branch_options")
    assert set(at.sidebar.multiselect(key="branches").options) == {
        "North Branch",
        "Riverside Branch",
        "Willow Shade Community Reading Room",
        "Peach Garden Community Reading Room",
    }
    tried("sidebar_district_options")
    assert at.sidebar.multiselect(key="districts").options == ["North", "West"]
    assert set(at.sidebar.multiselect(key="kinds").options) == {"Branch", "Community reading room"}

    tried("overview_cards")
    flt = scoped(as_of)
    shown = [(m.label, m.value, m.delta) for m in at.metric]
    assert shown == expected_cards(con, OVERVIEW_CARDS, flt)
    assert shown != expected_cards(con, OVERVIEW_CARDS, view_filter(as_of))  # the scope really applied
    tried("overview_target_caption")
    assert not [c for c in at.caption if "target" in c.value]

    tried("overview_trend_chart")
    trend = engine.compute(con, "visits", flt, "month", compare=True).table
    prior, this_period = charts(at)["trend_chart"][:2]
    assert this_period["x"] == list(trend["period"])
    assert this_period["y"] == pytest.approx(list(trend["value"]))
    assert prior["y"] == pytest.approx(list(trend["prior_value"]))
    assert_no_other_branch(at, media, names)


def test_supervisor_branches(env, con, as_of, names, media):
    at = switch(sign_in("sup"), "branches")
    tried("branches_ranking_table")
    flt = scoped(as_of)
    pd.testing.assert_frame_equal(ranking_shown(at), ranking_expected(con, "visits", flt))
    assert set(ranking_shown(at).index) <= names["inside"]
    tried("branches_ranking_share")
    assert shares_total(at.dataframe[0].value) == pytest.approx(100, abs=0.05 * len(at.dataframe[0].value))
    figures = charts(at)
    tried("branches_contribution_chart")
    assert set(figures["contribution"][0]["y"]) <= names["inside"]
    tried("branches_small_multiples")
    assert {trace["name"] for trace in figures["multiples"]} <= names["inside"]
    tried("branches_drill_options")
    assert set(at.selectbox(key="drill").options) == {
        "North Branch",
        "Riverside Branch",
        "Willow Shade Community Reading Room",
        "Peach Garden Community Reading Room",
    }
    assert_no_other_branch(at, media, names)
    at.selectbox(key="drill").set_value("north")
    ok(at.run())
    assert_no_other_branch(at, media, names)


def test_supervisor_events(env, con, as_of, names, media):
    at = switch(sign_in("sup"), "events")
    flt = scoped(as_of)
    tried("events_cards")
    assert [(m.label, m.value, m.delta) for m in at.metric] == expected_cards(con, EVENT_CARDS, flt)
    tried("events_charts")
    figures = charts(at)
    for dimension in ("category", "audience", "format"):
        sessions = engine.compute(con, "events", flt, "window", dimension, compare=True).table
        if sessions.empty:
            assert f"sessions_{dimension}" not in figures
            continue
        assert sorted(figures[f"sessions_{dimension}"][0]["x"]) == sorted(sessions["value"].tolist())
    assert_no_other_branch(at, media, names)


def test_supervisor_satisfaction(env, con, as_of, names, media):
    at = switch(sign_in("sup"), "satisfaction")
    flt = scoped(as_of)
    tried("satisfaction_cards")
    values = [m.value for m in at.metric]
    expected = [label_value for _, label_value, _ in expected_cards(con, SAT_CARDS, flt)]
    assert values == expected
    assert_no_other_branch(at, media, names)
    tried("satisfaction_by_branch")
    at.button_group(key="sat_by").set_value("branch")
    ok(at.run())
    assert set(charts(at)["sat_by_chart"][0]["y"]) <= names["inside"]
    assert_no_other_branch(at, media, names)
    tried("satisfaction_by_district")
    at.button_group(key="sat_by").set_value("district")
    ok(at.run())
    assert set(charts(at)["sat_by_chart"][0]["y"]) <= {"North", "West"}
    assert_no_other_branch(at, media, names)


def test_supervisor_data_page(env, con, names, media):
    at = switch(sign_in("sup"), "data")
    tried("data_no_import")
    headers = [h.value for h in at.subheader]
    assert not at.get("file_uploader") and not at.get("form")
    assert not {"Import exports", "What is loaded", "Import history", "Rejected rows"} & set(headers)
    tried("data_findings")
    assert set(quality.findings_frame(con)["branch_id"]) - INSIDE, "the sample has findings outside the scope"
    shown = [d.value for d in at.dataframe if "Service point" in d.value]
    expected = quality.findings_frame(con, Filter(scope=SCOPE))
    assert (set(shown[0]["Service point"]) if shown else set()) == set(expected["branch_name"])
    assert set(expected["branch_name"]) <= names["inside"]
    assert_no_other_branch(at, media, names)


# ---------------------------------------------------------------- links and forged state


def test_a_link_to_another_branch_restores_nothing_of_it(env, con, as_of, names, media):
    tried("url_branches")
    query = {"branches": OTHER, "districts": "East", "kinds": "museum", "drill": OTHER}
    at = sign_in("sup", query)
    bar = at.sidebar
    assert [list(bar.multiselect(key=k).value) for k in ("branches", "districts", "kinds")] == [[], [], []]
    assert not {"branches", "districts", "kinds", "drill"} & set(at.query_params)
    assert [(m.label, m.value, m.delta) for m in at.metric] == expected_cards(con, OVERVIEW_CARDS, scoped(as_of))
    assert_no_other_branch(at, media, names)
    at = switch(at, "branches")
    assert at.selectbox(key="drill").value is None
    assert_no_other_branch(at, media, names)

    tried("url_mixed")
    at = sign_in("sup", {"branches": f"north,{OTHER}"})
    assert list(at.sidebar.multiselect(key="branches").value) == ["north"]
    expected = expected_cards(con, OVERVIEW_CARDS, scoped(as_of, branches=["north"]))
    assert [(m.label, m.value, m.delta) for m in at.metric] == expected
    assert dict(at.query_params) == {"branches": "north"}


def test_a_forged_selection_shows_nothing_of_another_branch(env, con, as_of, names, media, monkeypatch):
    """A browser that sends another branch's name as the selection (the widget never offers it) gets
    nothing of it: Streamlit refuses the value before any figure is made."""
    tried("session_state_branches")
    at = sign_in("sup")
    sent = Multiselect.values

    def forged(widget):
        return ["East Branch"] if widget.key == "branches" else sent.fget(widget)

    monkeypatch.setattr(Multiselect, "values", property(forged))
    at.run()
    assert not at.metric and not at.dataframe and not at.get("plotly_chart") and not at.get("download_button")
    text = "\n".join(page_texts(at))
    assert not {n for n in names["outside"] if n in text}


# ---------------------------------------------------------------- the identity provider


AUTH_SECRETS = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "test-only-cookie-secret",
    "client_id": "dashboard",
    "client_secret": "test-only",
    "server_metadata_url": "https://idp.invalid/.well-known/openid-configuration",
}


def test_provider_sign_in_maps_the_email_to_the_same_scope(env, names, media):
    tried("provider_sign_in")
    at = open_signed_out(secrets={"auth": AUTH_SECRETS}, user={"is_logged_in": False})
    assert signed_out(at) and at.button(key="sign_in_provider").label == "Sign in with your organisation's account"

    at = open_signed_out(secrets={"auth": AUTH_SECRETS}, user={"is_logged_in": True, "email": "SAM@example.org"})
    assert at.title[0].value == "Overview"
    assert set(at.sidebar.multiselect(key="branches").options) <= names["inside"]
    assert_no_other_branch(at, media, names)

    for user in (
        {"is_logged_in": True, "email": "someone@example.org"},
        {"is_logged_in": True, "email": "sam@example.org", "email_verified": False},
    ):
        at = open_signed_out(secrets={"auth": AUTH_SECRETS}, user=user)
        assert signed_out(at)
        assert at.error[0].value.startswith("The account ")


def test_provider_email_without_provider_configured_is_ignored(env):
    at = open_signed_out(user={"is_logged_in": True, "email": "sam@example.org"})
    assert signed_out(at)


# ---------------------------------------------------------------- the metrics layer and the CLI


def test_scoped_filter_in_every_metrics_function(con):
    tried("metrics_direct")
    tried("metrics_direct_other")
    inside = Filter(scope=SCOPE)
    others = (Filter(scope=SCOPE, branches=(OTHER,)), Filter(scope=SCOPE, districts=("East",)), Filter(scope=()))
    assert matching_branches(con, inside) == INSIDE
    assert set(branch_list(con, SCOPE)["branch_id"]) == INSIDE
    assert choices(con, SCOPE)["districts"] == ["North", "West"]
    assert set(quality.findings_frame(con, inside)["branch_id"]) <= INSIDE
    assert set(satisfaction.observations(con, inside)["branch_id"]) <= INSIDE
    assert branch_list(con, ()).empty
    for flt in others:
        assert matching_branches(con, flt) == set()
        assert satisfaction.observations(con, flt).empty
        assert satisfaction.distribution(con, flt).empty
        assert satisfaction.trend(con, flt, "year").empty
        assert quality.findings_frame(con, flt).empty
        assert quality.estimated_dates(con, flt) == []
    for metric in METRICS:
        by = "branch" if "branch" in dimensions(metric) else None
        result = engine.compute(con, metric.id, inside, "year", by, compare=True)
        if by:
            assert set(result.table["branch"]) <= set(branch_list(con, SCOPE)["name"]), metric.id
        if metric.compute != "target":  # attainment has no network-wide target inside a scope
            same = engine.compute(con, metric.id, Filter(branches=SCOPE), "year", by, compare=True)
            pd.testing.assert_frame_equal(result.table, same.table, obj=metric.id)
        for flt in others:
            assert engine.compute(con, metric.id, flt, "year", by, compare=True).table.empty, metric.id
    assert engine.compute(con, "target_attainment", inside, "year").table.empty
    assert not engine.compute(con, "target_attainment", Filter(), "year").table.empty


def test_ranking_and_contribution_stay_in_scope(con):
    tried("metrics_ranking_contribution")
    result = engine.compute(con, "visits", Filter(scope=SCOPE), "year", "branch", compare=True)
    allowed = set(branch_list(con, SCOPE)["name"])
    assert set(engine.ranking(result)["branch"]) <= allowed
    assert set(engine.contribution(result)["branch"]) <= allowed
    assert engine.ranking(result)["share"].sum() == pytest.approx(100)


def run_cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "metrics", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_cli_as_user_restricts_to_the_scope(env, names):
    tried("cli_as_user")
    base = ("query", "--db", str(env), "--metric", "visits", "--users", str(USERS_FILE))
    for by, allowed in (("branch", names["inside"]), ("district", {"North", "West"})):
        result = run_cli(*base, "--by", by, "--as-user", "sup")
        assert result.returncode == 0, result.stderr
        shown = {line.split(",")[1] for line in result.stdout.splitlines()[1:]}
        assert shown and shown <= allowed
    everyone = run_cli(*base, "--by", "branch", "--as-user", "viewer")
    assert {line.split(",")[1] for line in everyone.stdout.splitlines()[1:]} & names["outside"]
    total = run_cli(*base, "--as-user", "sup", "--format", "json")
    expected = run_cli("query", "--db", str(env), "--metric", "visits", "--branch", "north", "--branch", "riverside")
    assert [r["value"] for r in json.loads(total.stdout)["rows"]] == [
        int(line.split(",")[1]) for line in expected.stdout.splitlines()[1:]
    ]

    tried("cli_as_user_branch")
    other = run_cli(*base, "--by", "branch", "--as-user", "sup", "--branch", "East Branch")
    assert other.returncode == 0 and other.stdout.splitlines() == ["period,branch,value"]

    unknown = run_cli(*base, "--as-user", "nobody")
    assert unknown.returncode == 2 and "no user 'nobody'" in unknown.stderr
    no_file = subprocess.run(
        [sys.executable, "-m", "metrics", "query", "--db", str(env), "--metric", "visits", "--as-user", "sup"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if k != users.USERS_ENV_VAR},
    )
    assert no_file.returncode == 2 and "needs a users file" in no_file.stderr


def test_every_leak_path_is_tried():
    """Each named path is exercised by a check in this file (not only listed)."""
    used = set(re.findall(r'tried\("(\w+)"\)', Path(__file__).read_text(encoding="utf-8")))
    assert set(LEAK_PATHS) == used, set(LEAK_PATHS) ^ used


# ---------------------------------------------------------------- the users file and its tools


def write_users(tmp_path, text: str) -> Path:
    path = tmp_path / "users.toml"
    path.write_text(text, encoding="utf-8")
    return path


HASH = users.hash_password("a-long-enough-password")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[users.a]\nrole = "boss"\npassword = "{h}"\n', "role must be one of"),
        ('[users.a]\nrole = "supervisor"\npassword = "{h}"\n', "a supervisor needs branches"),
        ('[users.a]\nrole = "viewer"\nbranches = ["north"]\npassword = "{h}"\n', "only a supervisor has branches"),
        ('[users.a]\nrole = "director"\npassword = "secret"\n', "must be an Argon2 hash"),
        ('[users.a]\nrole = "director"\n', "needs a password hash, an email"),
        ('[users.a]\nrole = "director"\npasword = "{h}"\n', "unknown key(s) pasword"),
        ('[users.a]\nrole = "director"\npassword = "{h}"\n[users.A]\nrole = "viewer"\npassword = "{h}"\n', "clash"),
        ("[users]\n", "no [users.NAME] entries"),
        ("not toml ][", "cannot be read"),
    ],
)
def test_users_file_mistakes_are_refused(tmp_path, text, message):
    with pytest.raises(users.ConfigError, match=re.escape(message)) as caught:
        users.load(write_users(tmp_path, text.replace("{h}", HASH)))
    assert HASH not in str(caught.value)


def test_verify_and_hash_password(tmp_path):
    config = users.load(USERS_FILE)
    assert [(u.name, u.role, u.scope) for u in config.users] == [
        ("director", "director", None),
        ("sup", "supervisor", SCOPE),
        ("viewer", "viewer", None),
    ]
    assert users.verify(config, " SUP ", PASSWORDS["sup"]).name == "sup"
    assert users.verify(config, "sup", PASSWORDS["viewer"]) is None
    assert users.verify(config, "nobody", PASSWORDS["sup"]) is None
    with pytest.raises(ValueError, match="at least 8"):
        users.hash_password("short")

    made = subprocess.run(
        [sys.executable, "-m", "metrics", "hash-password"],
        cwd=ROOT,
        input="my new password\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    hashed = made.stdout.strip()
    assert hashed.startswith("$argon2id$") and "my new password" not in made.stdout
    path = write_users(tmp_path, f'[users.new]\nrole = "viewer"\npassword = "{hashed}"\n')
    assert users.verify(users.load(path), "new", "my new password").name == "new"
    assert run_cli("users", "--users", str(path)).stdout.split() == ["new", "viewer", "all", "branches", "password"]
