"""A meeting in a real browser: sessions that open the same shared link and change their filter at the same
instant each end on their own figure (bench/meeting.py drives them; it measures the time, this checks only what
each session shows). One `streamlit run serve.py` over the bundled sample for the module, one chromium.
Without chromium or playwright the module is skipped, except in CI (CI set), where that is a failure.
"""

from __future__ import annotations

import asyncio

import e2e_server as e2e
import pytest

from bench import meeting

MISSING = e2e.missing_requirements()
if MISSING and not e2e.in_ci():
    pytest.skip(f"browser tests skipped: {MISSING}", allow_module_level=True)

SESSIONS = 3
TIMEOUT_S = 60.0


@pytest.fixture(scope="module")
def server(tmp_path_factory, sample_db_path):
    if MISSING:
        pytest.fail(f"{MISSING} (CI is set, so the browser tests fail instead of skipping)", pytrace=False)
    with e2e.StreamlitServer(sample_db_path, tmp_path_factory.mktemp("meeting") / "streamlit.log") as running:
        yield running


@pytest.fixture(scope="module")
def planned(sample_db_path) -> dict:
    return meeting.plan(sample_db_path, SESSIONS, meeting.DISTRICTS, meeting.PERIOD)


def test_the_plan_gives_every_session_a_figure_of_its_own(planned):
    figures = [planned["shared"], *(s["expected"] for s in planned["sessions"])]
    assert len(set(figures)) == SESSIONS + 1
    assert len({s["branch"] for s in planned["sessions"]}) == SESSIONS


def test_concurrent_filter_changes_each_end_on_their_own_value(server, planned):
    found = asyncio.run(meeting.meet(server.url, planned, meeting.DISTRICTS, meeting.PERIOD, TIMEOUT_S))
    assert found["count"] == SESSIONS
    for session in found["sessions"]:
        assert session["error"] is None, session
        assert session["foreign"] == [], f"{session['name']} showed another figure: {session['texts']}"
        assert session["texts"][0] == planned["shared"]  # the shared link's figure first
        assert session["final"] == session["expected"], session
        assert session["correct"]
    assert found["correct"] == SESSIONS
    assert "?period=last_year&districts=North,East" in found["link"]
