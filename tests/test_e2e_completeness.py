"""In a real browser: a partial month uploaded through the Data page changes no comparison on the Overview,
which says which branches have not reported it yet.

`streamlit run` over a small hand-counted database (tests/test_completeness.py's TWO_YEARS: three branches,
January 2024 to October 2025), driven by Debian's chromium. Skipped without chromium or playwright, except in
CI, where that is a failure.
"""

from __future__ import annotations

import contextlib
import io

import e2e_server as e2e
import pytest
from conftest import FIXTURES, write
from test_completeness import EARLY, TWO_YEARS, monthly

from data import cli as data_cli

MISSING = e2e.missing_requirements()
if MISSING and not e2e.in_ci():
    pytest.skip(f"browser tests skipped: {MISSING}", allow_module_level=True)
if not MISSING:
    from playwright.sync_api import expect, sync_playwright

IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
EXCEPTION = '[data-testid="stException"]'
TIMEOUT_MS = 45_000
NOTE = (
    "Visits: 2 of 3 branches have reported November 2025; the comparison ends 31 October 2025. "
    "Not reported yet: Central Library."
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if MISSING:
        pytest.fail(f"{MISSING} (CI is set, so the browser tests fail instead of skipping)", pytrace=False)
    folder = tmp_path_factory.mktemp("e2e_completeness")
    files = [FIXTURES / "import" / "branches.csv", write(folder, "visits.csv", monthly(TWO_YEARS))]
    with contextlib.redirect_stdout(io.StringIO()):
        assert data_cli.main(["import", "--db", str(folder / "kpi.duckdb"), *map(str, files)]) == 0
    with e2e.StreamlitServer(folder / "kpi.duckdb", folder / "streamlit.log") as running:
        running.folder = folder
        yield running


@pytest.fixture(scope="module")
def page(server):
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=e2e.CHROMIUM, args=e2e.CHROMIUM_ARGS, headless=True)
        context = chromium.new_context(viewport={"width": 1600, "height": 1200}, locale="en-GB")
        context.set_default_timeout(TIMEOUT_MS)
        yield context.new_page()
        context.close()
        chromium.close()


def settled(page, drawn) -> None:
    """Until the run that draws `drawn` has finished, failing at once on an exception box."""
    drawn.or_(page.locator(EXCEPTION)).first.wait_for(state="visible")
    page.locator(IDLE).first.wait_for(state="attached")
    assert page.locator(EXCEPTION).count() == 0, page.locator(EXCEPTION).all_inner_texts()


def visits_card(page) -> tuple[str, str]:
    card = page.locator('[data-testid="stMetric"]').filter(has=page.get_by_text("Visits", exact=True)).first
    return card.locator('[data-testid="stMetricValue"]').inner_text(), card.locator(
        '[data-testid="stMetricDelta"]'
    ).inner_text()


def test_an_uploaded_partial_month_leaves_the_overview_comparison_alone(server, page):
    page.goto(server.url + "/")
    settled(page, page.locator('[data-testid="stMetric"]').first)
    before = visits_card(page)
    assert before[0] == "15,000"  # January-October 2025: 10 months x 1,500
    assert page.get_by_text("Not reported yet").count() == 0

    page.goto(server.url + "/data")
    settled(page, page.get_by_role("button", name="Import", exact=True))
    early = write(server.folder, "visits_november_early.csv", EARLY)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(early))
    expect(page.get_by_role("button", name="Import", exact=True)).to_be_enabled()  # disabled while the file uploads
    page.get_by_role("button", name="Import", exact=True).click()
    settled(page, page.get_by_text("LOADED").first)
    page.screenshot(path=str(_screenshot("completeness_upload.png")), full_page=True)

    page.goto(server.url + "/")
    settled(page, page.get_by_text("Not reported yet", exact=False).first)
    expect(page.get_by_text(NOTE)).to_be_visible()
    assert visits_card(page) == before  # same value, same year-over-year change
    page.screenshot(path=str(_screenshot("completeness_overview.png")), full_page=True)


def _screenshot(name: str):
    e2e.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return e2e.SCREENSHOTS / name
