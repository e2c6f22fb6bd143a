"""End to end in a real browser: `streamlit run dashboard.py` on a free loopback port, driven with
Debian's chromium through Playwright (never a downloaded browser).

Screenshots go to test-artifacts/screenshots/. In CI (CI set) a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from data.cli import build_sample

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TIMEOUT_MS = 60_000


def _require_browser():
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append(f"{CHROMIUM} (apt-get install chromium fonts-noto-cjk)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package (requirements-dev.txt)")
    if missing:
        message = "browser tests need " + " and ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError("streamlit did not answer within a minute")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A real Streamlit server on the sample database, on loopback; stopped at the end."""
    _require_browser()
    database = tmp_path_factory.mktemp("browser") / "kpi.duckdb"
    assert build_sample(str(database)) == 0
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "dashboard.py",
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    env = {**os.environ, "KPI_DB": str(database)}
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process)
        yield {"url": url, "started": started}
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _open(browser, url: str):
    page = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US").new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url)
    return page


def _wait_for_app(page) -> None:
    """Until the page's charts are drawn and Streamlit has stopped running the script."""
    page.locator(".js-plotly-plot").first.wait_for(state="visible")
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')")


def _wait_for_query(page, text: str) -> None:
    """Until the address bar's query string holds `text` (Streamlit rewrites it without a page load)."""
    page.wait_for_function("(text) => window.location.search.includes(text)", arg=text)


def _card_value(page, label: str) -> str:
    card = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return card.locator('[data-testid="stMetricValue"]').inner_text()


def _no_exception(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0


def test_overview_filter_link_language_and_pages(server, browser):
    page = _open(browser, server["url"] + "/")
    _wait_for_app(page)
    first_chart = time.monotonic() - server["started"]
    assert page.get_by_text("Visits").first.is_visible()
    before = _card_value(page, "Visits")
    assert any(ch.isdigit() for ch in before)
    _no_exception(page)
    page.screenshot(path=SHOTS / "1-overview.png", full_page=True)

    # Change a filter through the UI: the period becomes the last full year.
    changed = time.monotonic()
    page.get_by_label("Period").first.click()
    page.get_by_role("option", name="Last full year").click()
    _wait_for_query(page, "period=last_year")
    page.wait_for_function(
        "(before) => [...document.querySelectorAll('[data-testid=\"stMetricValue\"]')]"
        ".some(e => e.innerText !== before) ",
        arg=before,
    )
    _wait_for_app(page)
    redraw = time.monotonic() - changed
    after = _card_value(page, "Visits")
    assert after != before
    page.screenshot(path=SHOTS / "2-last-year.png", full_page=True)

    # A shared link opens the same view in a fresh browser context.
    link = page.url
    assert parse_qs(urlparse(link).query)["period"] == ["last_year"]
    other = _open(browser, link)
    _wait_for_app(other)
    assert _card_value(other, "Visits") == after
    period_box = other.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first
    shown = period_box.evaluate(
        "e => e.textContent + ' ' + [...e.querySelectorAll('input')].map(i => i.value).join(' ')"
    )
    assert "Last full year" in shown, shown
    other.screenshot(path=SHOTS / "3-shared-link.png", full_page=True)

    # Chinese: labels in Chinese, and the glyphs really render with a CJK font.
    other.get_by_text("简体中文").first.click()
    _wait_for_query(other, "lang=zh")
    other.get_by_text("到馆人次").first.wait_for(state="visible")
    _wait_for_app(other)
    assert other.get_by_text("筛选").first.is_visible()
    widths = other.evaluate(
        """() => {
            const c = document.createElement('canvas').getContext('2d');
            c.font = '32px "Noto Sans CJK SC"'; const cjk = c.measureText('到馆人次').width;
            c.font = '32px "No Such Font"'; const fallback = c.measureText('到馆人次').width;
            return {cjk, fallback, loaded: document.fonts.check('32px "Noto Sans CJK SC"', '到馆人次')};
        }"""
    )
    assert widths["cjk"] > 100, widths  # four full-width glyphs, not empty boxes of zero width
    other.screenshot(path=SHOTS / "4-chinese.png", full_page=True)
    # Every page by its address, in Chinese, without an error box.
    for path, title in (("branches", "分馆"), ("events", "活动"), ("satisfaction", "满意度"), ("data", "数据")):
        other.goto(f"{server['url']}/{path}?lang=zh&period=last_year")
        other.get_by_role("heading", name=title).first.wait_for(state="visible")
        if path != "data":
            _wait_for_app(other)
        _no_exception(other)
        other.screenshot(path=SHOTS / f"5-{path}.png", full_page=True)
    print(f"\nstreamlit run to first chart: {first_chart:.1f} s; filter change redraw: {redraw:.2f} s")
    shutil.copy(SHOTS / "4-chinese.png", SHOTS / "latest-chinese.png")
