"""Issue 6, injection, in a real browser: every page over a database whose names are script tags,
`<img onerror>` handlers, Markdown, LaTeX and formulas (tests/hostile_data.py, imported by the real
importer). Nothing runs (`window.__pwned` stays undefined, no alert), no injected element reaches the DOM,
and the hostile names are on screen as the literal text they are.

Uses the server helper and chromium of tests/test_e2e_browser.py; skipped like it without a browser,
except in CI.
"""

from __future__ import annotations

from urllib.parse import urlencode

import e2e_server as e2e
import hostile_data as hostile
import pytest

from pages import PAGES
from pages._i18n import STRINGS

MISSING = e2e.missing_requirements()
if MISSING and not e2e.in_ci():
    pytest.skip(f"browser tests skipped: {MISSING}", allow_module_level=True)
if not MISSING:
    from playwright.sync_api import expect, sync_playwright

from test_e2e_browser import (  # noqa: E402
    CHART,
    ERROR_BOX,
    IDLE,
    SKELETON,
    TIMEOUT_MS,
    VIEWPORT,
    assert_no_error,
)

# What the payloads would leave behind if any of them ran or reached the DOM as markup.
TRACES_JS = r"""() => ({
  pwned: typeof window.__pwned,
  pwnedcat: typeof window.pwnedcat,
  images: document.querySelectorAll('img[src="x"], img[onerror]').length,
  scripts: [...document.querySelectorAll('script')].filter((s) => s.textContent.includes('pwned')).length,
  links: [...document.querySelectorAll('a')].filter((a) =>
    /^\s*javascript:/i.test(a.getAttribute('href') || a.getAttribute('xlink:href') || '')).length,
  handlers: [...document.querySelectorAll('*')].filter((e) => e.getAttribute('onerror')).length,
  bold: [...document.querySelectorAll('strong, b, em, i')].filter((e) =>
    ['bold', '粗体', 'Branch', 'Bold', 'loud'].includes(e.textContent)).length,
})"""
CLEAN = {"pwned": "undefined", "pwnedcat": "undefined", "images": 0, "scripts": 0, "links": 0, "handlers": 0}
CLEAN |= {"bold": 0}
# Text drawn by Plotly (SVG) for the charts that label bars and panels with names or categories.
CHART_TEXT = '[data-testid="stPlotlyChart"] svg text'
URLS = {key: "" if index == 0 else url for index, (_, key, _, url) in enumerate(PAGES)}  # the first is at /

# (page, language, query, texts that its charts must draw as they are)
VIEWS = [
    ("overview", "en", {}, []),
    ("branches", "en", {"drill": "h-anchor"}, [hostile.ANCHOR, hostile.SCRIPT, hostile.BOLD]),
    ("events", "en", {}, ["<b>loud</b> talk", "<img src=x onerror=window.pwnedcat=1>"]),
    ("satisfaction", "en", {"sat_by": "branch"}, [hostile.ANCHOR, hostile.LINK]),
    ("data", "en", {}, []),
    ("branches", "zh", {"drill": "h-script"}, [f"{hostile.SCRIPT}城东分馆", "<b>粗体</b>分馆"]),
    ("events", "zh", {}, ["<b>loud</b> talk"]),
    ("satisfaction", "zh", {"sat_by": "district"}, ["<b>Bold</b> district", "District **bold** North"]),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if MISSING:
        pytest.fail(f"{MISSING} (CI is set, so the browser tests fail instead of skipping)", pytrace=False)
    folder = tmp_path_factory.mktemp("e2e_hostile")
    with e2e.StreamlitServer(hostile.build(folder), folder / "streamlit.log") as running:
        yield running


@pytest.fixture(scope="module")
def browser(server):
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=e2e.CHROMIUM, args=e2e.CHROMIUM_ARGS, headless=True)
        warm_up(chromium, server)
        yield chromium
        chromium.close()


def warm_up(chromium, server) -> None:
    """Open the front page once, as test_e2e_browser.py's first test does: the first session on a fresh
    server that opens a page other than the front one can lose its filter state (a KeyError on the page),
    which is not what this module tests."""
    context = chromium.new_context(viewport=VIEWPORT, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto(server.url + "/")
        settle(page, page.get_by_role("heading", name=STRINGS["overview"][0], exact=True))
    finally:
        context.close()


def settle(page, drawn) -> None:
    """test_e2e_browser.wait_run with the page's whole time limit for the last steps too (widgets whose
    code is still loading, charts still plotting), so a busy machine is slow rather than failing."""
    exception = page.locator(ERROR_BOX)
    drawn.or_(exception).first.wait_for(state="visible")
    page.locator(IDLE).or_(exception).first.wait_for(state="attached")
    assert_no_error(page)
    expect(page.locator(SKELETON)).to_have_count(0, timeout=TIMEOUT_MS)
    charts = page.locator('[data-testid="stPlotlyChart"]').count()
    expect(page.locator(CHART)).to_have_count(charts, timeout=TIMEOUT_MS)


def branch_options(page) -> list[str]:
    """The texts of the sidebar's branch list, as the dropdown shows them."""
    page.locator('[data-testid="stSidebar"] .st-key-branches [role="combobox"]').first.click()
    options = page.get_by_role("option")
    options.first.wait_for(state="visible")
    texts = options.all_inner_texts()
    page.keyboard.press("Escape")
    return [text for text in texts if text != "Select all"]  # Streamlit's own first entry


@pytest.mark.parametrize(("key", "lang", "query", "drawn"), VIEWS, ids=[f"{v[0]}-{v[1]}" for v in VIEWS])
def test_hostile_names_stay_text(server, browser, key, lang, query, drawn):
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    dialogs = []
    try:
        page = context.new_page()
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(f"{server.url}/{URLS[key]}?{urlencode({'lang': lang, **query})}")
        heading = page.get_by_role("heading", name=STRINGS[key][1 if lang == "zh" else 0], exact=True)
        settle(page, heading)
        assert_no_error(page)

        shown = branch_options(page)
        names = [zh if lang == "zh" else name for name, zh, _ in hostile.BRANCHES.values()]
        assert sorted(shown) == sorted(names)  # every name, literally: no tag swallowed, no Markdown applied
        for text in drawn:
            expect(page.locator(CHART_TEXT).filter(has_text=text).first).to_be_attached(timeout=TIMEOUT_MS)
        page.wait_for_timeout(300)  # an onerror handler would fire once its image failed to load
        assert page.evaluate(TRACES_JS) == CLEAN
        assert dialogs == []
    finally:
        context.close()


# Issue 16, item 3: hand-made links and upload names in the real browser: a message, never an exception.
HOSTILE_LINK = {"period": "custom", "date_from": "0001-01-01", "fy": "0", "branches": "x" * 5000}


@pytest.mark.parametrize("key", ["overview", "branches", "events", "satisfaction"])
def test_a_hostile_link_shows_a_note_not_a_traceback(server, browser, key):
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto(f"{server.url}/{URLS[key]}?{urlencode(HOSTILE_LINK)}")
        settle(page, page.get_by_role("heading", name=STRINGS[key][0], exact=True))
        note = page.locator('[data-testid="stAlertContentWarning"]').filter(has_text="were not valid")
        expect(note).to_have_count(1)
        assert all(name in note.inner_text() for name in ("date_from", "fy", "branches"))
        assert "Traceback" not in page.content() and "year 0 is out of range" not in page.content()
        assert "0001-01-01" not in page.url  # the link is rewritten without the dropped values
    finally:
        context.close()


def test_an_upload_with_a_300_character_name_is_refused_with_a_message(server, browser):
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto(f"{server.url}/{URLS['data']}")
        settle(page, page.get_by_role("heading", name=STRINGS["data"][0], exact=True))
        name = "v" * 296 + ".csv"
        content = b"date,branch,visits\n2025-06-01,Plain Main Library,5\n"
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
            files=[{"name": name, "mimeType": "text/csv", "buffer": content}]
        )
        page.get_by_role("button", name=STRINGS["import_button"][0], exact=True).click()
        refused = page.locator('[data-testid="stAlertContentError"]').filter(has_text="not imported")
        refused.wait_for(state="visible")
        assert "300 characters" in refused.inner_text()
        page.locator(IDLE).first.wait_for(state="attached")
        assert page.locator('[data-testid="stException"]').count() == 0  # a message, not an exception
    finally:
        context.close()
