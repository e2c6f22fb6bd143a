"""The dashboard in a real browser: `streamlit run` on the sample database, driven by Debian's chromium.

Checks what AppTest cannot: the page renders in a browser (KPI cards, Plotly charts), a sidebar filter
changes the URL and the numbers, a copied link reproduces the view in a new session, Chinese glyphs are
drawn (not tofu boxes), and no page shows an error box (an exception or an st.error alert) while every page
with charts draws at least one Plotly figure. Screenshots go to test-artifacts/screenshots/.
Without chromium or playwright the module is skipped, except in CI (CI set), where that is a failure.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import time

import docx
import e2e_server as e2e
import pytest

from pages import PAGES
from pages._i18n import STRINGS

MISSING = e2e.missing_requirements()
if MISSING and not e2e.in_ci():
    pytest.skip(f"browser tests skipped: {MISSING}", allow_module_level=True)
if not MISSING:
    from playwright.sync_api import expect, sync_playwright

APP = '[data-testid="stApp"]'
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
# An exception box, or an alert of the error kind (st.error: a damaged database, a failed query...).
ERROR_BOX = '[data-testid="stException"], [data-testid="stAlertContentError"]'
CHART = '[data-testid="stPlotlyChart"] .js-plotly-plot'
DRAWN_CHART = f"{CHART} .main-svg"  # Plotly has drawn the figure, not only created its element
PAGES_WITHOUT_CHARTS = {"data"}  # tables only: imports, loaded tables, data checks, definitions
SKELETON = '[data-testid="stSkeleton"], [data-testid="stSkeletonElement"], [data-testid="stAppSkeleton"]'
TIMEOUT_MS = 45_000
VIEWPORT = {"width": 1920, "height": 1400}
TIMINGS = e2e.ROOT / "test-artifacts" / "e2e-timings.json"


# ---------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def server(tmp_path_factory, sample_db_path):
    """The dashboard served by `streamlit run` over the session's sample database (conftest; only read)."""
    if MISSING:
        pytest.fail(f"{MISSING} (CI is set, so the browser tests fail instead of skipping)", pytrace=False)
    folder = tmp_path_factory.mktemp("e2e")
    with e2e.StreamlitServer(sample_db_path, folder / "streamlit.log") as running:
        yield running


@pytest.fixture(scope="module")
def browser(server):
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=e2e.CHROMIUM, args=e2e.CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def timings():
    """Measured durations (seconds), printed and written to test-artifacts/e2e-timings.json at the end."""
    measured: dict[str, float] = {}
    yield measured
    if measured:
        TIMINGS.parent.mkdir(parents=True, exist_ok=True)
        TIMINGS.write_text(json.dumps(measured, indent=2) + "\n")
        print("\ne2e timings (s): " + ", ".join(f"{k}={v:.2f}" for k, v in measured.items()))


@pytest.fixture
def new_page(browser):
    """A factory of pages, each in its own browser context (its own cookies, so its own Streamlit session)."""
    contexts = []

    def make():
        context = browser.new_context(viewport=VIEWPORT, locale="en-GB")
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def record(timings, record_property, name: str, seconds: float) -> None:
    timings[name] = round(seconds, 3)
    record_property(name, round(seconds, 3))
    print(f"{name}: {seconds:.2f} s")


# ---------------------------------------------------------------------------------------------- helpers
#
# A page load or a widget change starts a script run. `stApp` carries the run state, but it already reads
# "notRunning" before the first run begins, so every wait first sees something the new run drew (a title,
# a changed value) and only then waits for the run to finish.


def wait_run(page, drawn) -> None:
    """Until the run that draws `drawn` has finished and the browser has drawn what it sent: no skeleton
    left (widgets whose code is still loading) and every Plotly chart plotted. Fails at once with the text
    of any exception box."""
    exception = page.locator(ERROR_BOX)
    drawn.or_(exception).first.wait_for(state="visible", timeout=TIMEOUT_MS)
    page.locator(IDLE).or_(exception).first.wait_for(state="attached", timeout=TIMEOUT_MS)
    assert_no_error(page)
    expect(page.locator(SKELETON)).to_have_count(0, timeout=TIMEOUT_MS)
    expect(page.locator(CHART)).to_have_count(page.locator('[data-testid="stPlotlyChart"]').count(), timeout=TIMEOUT_MS)


def assert_no_error(page) -> None:
    boxes = page.locator(ERROR_BOX)
    assert boxes.count() == 0, "error box on the page:\n" + "\n---\n".join(boxes.all_inner_texts())


def assert_page_healthy(page, charts: bool = True) -> None:
    """No error box, and (unless the page has no charts) at least one Plotly figure drawn."""
    assert_no_error(page)
    if charts:
        expect(page.locator(DRAWN_CHART).first).to_be_visible()
        assert page.locator(DRAWN_CHART).count() >= 1


def first_chart(page):
    return page.locator(CHART).first


def visits_value(page):
    """The value of the Visits KPI card (overview)."""
    card = page.locator('[data-testid="stMetric"]').filter(has=page.get_by_text("Visits", exact=True))
    return card.locator('[data-testid="stMetricValue"]')


def chosen_tags(page, key: str):
    """The chips of a sidebar multiselect (by its widget key)."""
    return page.locator(f'[data-testid="stSidebar"] .st-key-{key} [data-tag] [title]')


def screenshot(page, name: str) -> None:
    """The whole page: Streamlit scrolls inside stMain, so the viewport is made as tall as its content."""
    e2e.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    height = page.evaluate("() => document.querySelector('[data-testid=stMain]')?.scrollHeight ?? 0")
    tall = min(max(height, VIEWPORT["height"]), 10_000)
    if tall > VIEWPORT["height"]:
        page.set_viewport_size({"width": VIEWPORT["width"], "height": tall})
        page.wait_for_timeout(300)  # let the grids and charts paint the newly visible part
        expect(page.locator(SKELETON)).to_have_count(0)
    page.screenshot(path=str(e2e.SCREENSHOTS / f"{name}.png"))
    page.set_viewport_size(VIEWPORT)


# ---------------------------------------------------------------------------------------------- tests


def test_overview_shows_cards_and_charts(server, new_page, timings, record_property):
    page = new_page()
    page.goto(server.url + "/")
    first_chart(page).or_(page.locator(ERROR_BOX)).first.wait_for(state="visible", timeout=TIMEOUT_MS)
    assert_no_error(page)
    record(timings, record_property, "streamlit_run_to_health", server.healthy_after)
    record(timings, record_property, "streamlit_run_to_first_chart", time.monotonic() - server.started)
    wait_run(page, first_chart(page))
    expect(page.get_by_role("heading", name="Overview", exact=True)).to_be_visible()
    expect(page.locator('[data-testid="stMetric"]')).to_have_count(6)
    expect(visits_value(page)).to_have_text(re.compile(r"^\d{1,3}(,\d{3})+$"))
    assert_page_healthy(page)
    screenshot(page, "1_overview")


@pytest.fixture(scope="module")
def filtered_view(server, browser, timings):
    """Choose the North district through the sidebar; returns the resulting URL and Visits value."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto(server.url + "/")
        wait_run(page, first_chart(page))
        before = visits_value(page).inner_text()
        page.locator('[data-testid="stSidebar"]').get_by_role("combobox", name="Districts").click()
        option = page.get_by_role("option", name="North", exact=True)
        option.wait_for(state="visible")
        started = time.monotonic()
        option.click()
        expect(visits_value(page)).not_to_have_text(before)
        changed = time.monotonic() - started
        wait_run(page, first_chart(page))
        redrawn = time.monotonic() - started
        expect(page).to_have_url(re.compile(r"[?&]districts=North(&|$)"))
        timings["filter_change_to_new_visits_value"] = round(changed, 3)
        timings["filter_change_to_rerun_finished"] = round(redrawn, 3)
        print(f"filter change: new Visits value after {changed:.2f} s, rerun finished after {redrawn:.2f} s")
        page.keyboard.press("Escape")  # close the dropdown before the screenshot
        after = visits_value(page).inner_text()
        assert_page_healthy(page)
        screenshot(page, "2_filter_north")
        yield {"url": page.url, "before": before, "after": after, "changed": changed, "redrawn": redrawn}
    finally:
        context.close()


def test_sidebar_filter_updates_url_and_numbers(filtered_view, record_property):
    assert re.search(r"[?&]districts=North(&|$)", filtered_view["url"]), filtered_view["url"]
    assert filtered_view["after"] != filtered_view["before"]
    record_property("filter_change_to_new_visits_value", round(filtered_view["changed"], 3))
    record_property("filter_change_to_rerun_finished", round(filtered_view["redrawn"], 3))


def test_shared_link_reproduces_the_view(filtered_view, new_page):
    page = new_page()  # a new browser context: nothing shared with the page that made the link
    page.goto(filtered_view["url"])
    wait_run(page, first_chart(page))
    expect(chosen_tags(page, "districts")).to_have_text(["North"])
    expect(visits_value(page)).to_have_text(filtered_view["after"])
    expect(page).to_have_url(re.compile(r"[?&]districts=North(&|$)"))
    assert_page_healthy(page)
    screenshot(page, "3_shared_link")


# Draws each character on a canvas in the given font; a font without the glyphs draws the same box for all.
GLYPHS_JS = """([text, font]) => {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 64;
  const g = canvas.getContext('2d');
  return Array.from(text).map((ch) => {
    g.clearRect(0, 0, 64, 64);
    g.font = font;
    g.textBaseline = 'top';
    g.fillStyle = '#000';
    g.fillText(ch, 4, 4);
    const alpha = g.getImageData(0, 0, 64, 64).data.filter((_, i) => i % 4 === 3);
    let hash = 0, ink = 0;
    for (const a of alpha) { hash = (hash * 31 + a) | 0; if (a > 0) ink++; }
    return {ch, ink, hash, width: g.measureText(ch).width};
  });
}"""


def test_chinese_renders_with_cjk_glyphs(server, new_page):
    fc_list = shutil.which("fc-list")
    assert fc_list, "fc-list is missing (apt-get install fontconfig fonts-noto-cjk)"
    fonts = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True, check=False).stdout
    assert fonts.strip(), "no Chinese font installed (apt-get install fonts-noto-cjk)"
    page = new_page()
    page.goto(server.url + "/")
    wait_run(page, first_chart(page))
    page.locator('[data-testid="stSidebar"]').get_by_role("radio", name="简体中文").click()
    label = page.locator('[data-testid="stMetricLabel"] p').get_by_text("到馆人次", exact=True)
    wait_run(page, label)
    expect(page).to_have_url(re.compile(r"[?&]lang=zh(&|$)"))
    expect(page.get_by_role("heading", name="总览", exact=True)).to_be_visible()
    expect(page.locator('[data-testid="stSidebar"]').get_by_text("筛选", exact=True)).to_be_visible()

    # The page's own font stack (Source Sans, then the system fallback) must draw four different glyphs.
    family = label.evaluate("el => getComputedStyle(el).fontFamily")
    glyphs = page.evaluate(GLYPHS_JS, ["到馆人次", f"40px {family}"])
    assert all(g["ink"] > 30 and g["width"] > 20 for g in glyphs), glyphs
    assert len({g["hash"] for g in glyphs}) == 4, f"the CJK characters draw as identical boxes: {glyphs}"

    # And the label as shown on screen has ink in it.
    from PIL import Image

    shot = label.screenshot()
    dark = sum(Image.open(io.BytesIO(shot)).convert("L").histogram()[:128])
    assert dark > 50, f"the label 到馆人次 looks blank ({dark} dark pixels)"
    e2e.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (e2e.SCREENSHOTS / "4_label_zh.png").write_bytes(shot)
    assert_page_healthy(page)
    screenshot(page, "4_chinese")


@pytest.mark.parametrize(("url", "title_key"), [(p[3], p[1]) for p in PAGES[1:]], ids=[p[3] for p in PAGES[1:]])
def test_every_page_opens_without_error(server, new_page, url, title_key):
    page = new_page()
    page.goto(f"{server.url}/{url}")
    wait_run(page, page.get_by_role("heading", name=STRINGS[title_key][0], exact=True))
    expect(page.get_by_role("heading", name=STRINGS[title_key][0], exact=True)).to_be_visible()
    if url in PAGES_WITHOUT_CHARTS:
        expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible()
    assert_page_healthy(page, charts=url not in PAGES_WITHOUT_CHARTS)
    screenshot(page, f"5_{url}")


def test_a_link_to_a_page_works_as_the_first_request_of_a_fresh_server(server, new_page, tmp_path):
    """Before any script has called st.navigation, Streamlit would run pages/branches.py on its own for
    /branches, without the sidebar (pages/__init__.py sends it through the router)."""
    with e2e.StreamlitServer(server.db_path, tmp_path / "fresh.log") as fresh:
        page = new_page()
        page.goto(f"{fresh.url}/branches?districts=North&period=last_year")
        heading = page.get_by_role("heading", name=STRINGS["branches"][0], exact=True)
        wait_run(page, heading)
        assert "districts=North" in page.url and "period=last_year" in page.url
        expect(page.locator('[data-testid="stSidebar"] .st-key-districts [data-tag] [title]')).to_have_count(1)
        assert_page_healthy(page)


def test_report_page_downloads_a_chinese_word_file_with_the_dashboards_figures(server, new_page, tmp_path):
    """The director's path: the Report page in Chinese, the year 2026, prepare, download Word; the file's text
    holds the same visits figure and sentence as the report built from the metric layer."""
    page = new_page()
    page.goto(f"{server.url}/report?lang=zh")
    heading = page.get_by_role("heading", name=STRINGS["report"][1], exact=True)
    wait_run(page, heading)
    expect(page.get_by_text("2026年1—10月接待读者354.9万人次", exact=False).first).to_be_visible()
    for label in ("Markdown 文本", "数据来源（JSON）", "2027年计划表"):
        expect(page.get_by_role("button", name=label)).to_be_visible()
    page.get_by_role("button", name=STRINGS["prepare_files"][1]).click()
    word = page.get_by_role("button", name=STRINGS["download_docx"][1])
    word.wait_for(state="visible", timeout=120_000)  # the charts are drawn by a headless browser first
    expect(page.get_by_role("button", name=STRINGS["download_pdf"][1])).to_be_visible()
    with page.expect_download() as download:
        word.click()
    path = tmp_path / "report.docx"
    download.value.save_as(path)
    text = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    assert "2026年1—10月接待读者354.9万人次，同比增长4.9%，完成年度目标的83.9%。" in text
    assert_no_error(page)
    screenshot(page, "6_report_zh")


def click_bar(chart) -> None:
    """Click the first bar of a Plotly chart, scrolled to the middle of the view (the app's header would
    take a click at the top)."""
    bar = chart.locator(".bars .point path").first
    bar.evaluate("element => element.scrollIntoView({block: 'center'})")
    bar.click(force=True)  # Plotly takes clicks on its drag layer above the bars and finds the bar itself


def test_clicking_a_bar_drills_through_and_the_link_says_so(server, new_page):
    """A meeting's flow: on the Branches page a click on a contribution bar opens that branch below (its own
    cards) and puts it in the URL; on the Events page a click on a category bar filters the view to it."""
    page = new_page()
    page.goto(f"{server.url}/branches")
    wait_run(page, page.get_by_role("heading", name=STRINGS["branches"][0], exact=True))
    click_bar(page.locator('.st-key-contribution [data-testid="stPlotlyChart"] .js-plotly-plot'))
    expect(page).to_have_url(re.compile(r"[?&]drill=[^&]+"), timeout=TIMEOUT_MS)
    wait_run(page, page.get_by_text("its own figures", exact=False).first)
    assert page.locator('[data-testid="stMetric"]').count() >= 4
    page.goto(f"{server.url}/events")
    wait_run(page, page.get_by_role("heading", name=STRINGS["events"][0], exact=True))
    click_bar(page.locator('.st-key-sessions_category [data-testid="stPlotlyChart"] .js-plotly-plot'))
    expect(page).to_have_url(re.compile(r"[?&]categories=[^&]+"), timeout=TIMEOUT_MS)
    assert_no_error(page)


# ---------------------------------------------------------------------------------------------- issue 14, item 6:
# first load and phones; item 1: charts in Chinese as the browser draws them

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.0.0 Mobile Safari/537.36"
    ),
}
NAVIGATION = (
    '[data-testid="stSidebarNav"], [data-testid="stSidebarNavItems"], [data-testid="stTopNavLinkContainer"], '
    "nav, header"
)
# Streamlit names a page of the pages/ folder after its file ("data_status.py" -> "data status", "_charts.py" ->
# "charts"); the tab after the main script ("dashboard"). None of them may be read in any navigation.
MODULES = sorted(
    {p.stem.lstrip("_").replace("_", " ") for p in (e2e.ROOT / "pages").glob("*.py") if p.stem != "__init__"}
    | {"dashboard", "serve"}
)
MODULE_NAME = re.compile(r"\b(" + "|".join(re.escape(m) for m in MODULES) + r")\b|\.py\b|(^|\s)_[a-z]")
NAVIGATION_TEXT_JS = """(selector) => [document.title,
  ...Array.from(document.querySelectorAll(selector)).map((el) => el.innerText)]"""
SCROLL_WIDTHS_JS = """() => ({
  page: document.scrollingElement.scrollWidth,
  main: document.querySelector('[data-testid="stMain"]').scrollWidth,
  block: document.querySelector('[data-testid="stMainBlockContainer"]').scrollWidth,
})"""


def module_names_seen(page, until) -> tuple[set[str], int]:
    """Sample the navigation's text and the tab's title from the start of a load until `until` is visible:
    the module names read at any moment, and how many samples were taken."""
    seen, samples = set(), 0
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        for text in page.evaluate(NAVIGATION_TEXT_JS, NAVIGATION):
            seen |= {m.group(0).strip() for m in MODULE_NAME.finditer(text)}
        samples += 1
        if until.is_visible():
            return seen, samples
    raise AssertionError(f"nothing drawn within {TIMEOUT_MS / 1000:.0f} s")


def test_first_load_shows_no_module_names(server, browser, tmp_path):
    """From the first byte of the first page load of a fresh server (the load Streamlit used to run as an
    old-style multipage app) to the first chart, and on a phone, where the navigation is in the sidebar."""
    with e2e.StreamlitServer(server.db_path, tmp_path / "first.log") as fresh:
        for options, name in ((dict(viewport=VIEWPORT, locale="en-GB"), "screen"), (PHONE, "phone")):
            context = browser.new_context(**options)
            context.set_default_timeout(TIMEOUT_MS)
            try:
                page = context.new_page()
                page.goto(fresh.url + "/", wait_until="commit")
                seen, samples = module_names_seen(page, page.locator(DRAWN_CHART).first)
                assert not seen, f"{name}: module names in the navigation during the first load: {seen}"
                assert samples > 5, samples
                if name == "phone":
                    page.locator('[data-testid="stExpandSidebarButton"]').click()
                    seen, _ = module_names_seen(page, page.locator('[data-testid="stSidebarNav"]'))
                    assert not seen, seen
                # The navigation was there to be read: it names the pages by their titles.
                texts = " ".join(page.evaluate(NAVIGATION_TEXT_JS, NAVIGATION))
                assert all(STRINGS[key][0] in texts for key in ("overview", "branches", "report")), texts
                assert page.title() == "Public service KPIs"
            finally:
                context.close()


def phone_screenshot(page, name: str) -> dict:
    """The whole page at the phone's width (the viewport made as tall as the content, so everything is laid
    out), written to the screenshots folder; returns the scroll widths measured at that height."""
    e2e.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    height = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": PHONE["viewport"]["width"], "height": min(max(height, 844), 10_000)})
    page.wait_for_timeout(300)
    expect(page.locator(SKELETON)).to_have_count(0)
    widths = page.evaluate(SCROLL_WIDTHS_JS)
    page.screenshot(path=str(e2e.SCREENSHOTS / f"{name}.png"))
    return widths


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("url", ["overview", "branches", "report"])
def test_phone_pages_do_not_scroll_sideways(server, browser, url, lang):
    context = browser.new_context(**PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto(f"{server.url}/{url}?lang={lang}")
        heading = page.get_by_role("heading", name=STRINGS[url][lang == "zh"], exact=True)
        wait_run(page, heading)
        assert_page_healthy(page, charts=url != "report")
        limit = PHONE["viewport"]["width"] + 1
        widths = page.evaluate(SCROLL_WIDTHS_JS)
        assert all(w <= limit for w in widths.values()), widths
        if url == "overview":  # the cards stack, one a row, each the width of the screen
            boxes = [c.bounding_box() for c in page.locator('[data-testid="stMetric"]').all()]
            assert len(boxes) == 6 and len({round(b["x"]) for b in boxes}) == 1, boxes
            assert all(b["width"] > 300 for b in boxes), boxes
        if url == "branches":  # two small charts a row on a phone
            boxes = [t.bounding_box() for t in page.locator(".st-key-multiples .annotation-text").all()]
            centres = {round((b["x"] + b["width"] / 2) / 20) for b in boxes}  # a panel's title is centred on it
            assert len(boxes) > 2 and len(centres) == 2, centres
        widths = phone_screenshot(page, f"7_phone_{url}_{lang}")
        assert all(w <= limit for w in widths.values()), widths
    finally:
        context.close()


TICK_TEXTS_JS = """(root) => ({
  x: Array.from(root.querySelectorAll('.xtick text')).map((e) => e.textContent),
  y: Array.from(root.querySelectorAll('.ytick text')).map((e) => e.textContent),
  toolbar: Array.from(root.querySelectorAll('.modebar-btn')).map((b) => [b.getAttribute('data-title'),
    getComputedStyle(b, '::after').content]),
})"""


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_trend_chart_as_drawn_speaks_the_language(server, new_page, lang):
    """What Plotly draws from the figure and the locale: month ticks, value ticks, the hover and the toolbar."""
    page = new_page()
    page.goto(f"{server.url}/?lang={lang}")
    chart = page.locator(f".st-key-trend_chart {CHART}")
    wait_run(page, chart)
    drawn = chart.evaluate(TICK_TEXTS_JS)
    month = r"^\d{4}年\d{1,2}月$" if lang == "zh" else r"^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}$"
    assert drawn["x"] and all(re.match(month, text) for text in drawn["x"]), drawn["x"]
    value = r"^(0|\d+(\.\d)?万)$" if lang == "zh" else r"^\d{1,3}(,\d{3})*$"
    assert drawn["y"] and all(re.match(value, text) for text in drawn["y"]), drawn["y"]
    if lang == "zh":  # every tooltip of the toolbar in Chinese, Streamlit's full-screen button too
        tips = [content.strip('"') for _, content in drawn["toolbar"]]
        assert tips and not any(re.search("[A-Za-z]", tip) for tip in tips), drawn["toolbar"]

    # Onto a point of this period's line (its markers): the hover shows within a few pixels of a point's x.
    chart.scroll_into_view_if_needed()
    point = chart.locator(".scatterlayer .trace .points path").nth(4).bounding_box()
    x, y = point["x"] + point["width"] / 2, point["y"] + point["height"] / 2
    page.mouse.move(x - 30, y, steps=3)
    page.mouse.move(x, y, steps=3)
    hover = chart.locator(".hoverlayer text")
    expect(hover.first).to_be_visible()
    header, *rows = hover.all_text_contents()
    header_pattern = r"^\d{4}年\d{1,2}月$" if lang == "zh" else r"^[A-Z][a-z]+ \d{4}$"
    assert re.match(header_pattern, header), header
    number = r"\d+(\.\d)?万$" if lang == "zh" else r"\d{1,3}(,\d{3})+$"
    assert rows and all(re.search(number, row) for row in rows), rows
