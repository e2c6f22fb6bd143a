"""Interaction timings, each run in its own process by bench/run.py (with $KPI_DB set to the bench database):

    python -m bench.interact apptest --repeat 3 [--districts North,Riverside] [--metric loans]
    python -m bench.interact browser --repeat 3 [--districts North]

`apptest`: for each page, a fresh AppTest session on tests/app/entry.py opens the page (with the trend
indicator given as a link's `?metric=`), then the sidebar's districts are changed and the rerun that
follows is timed. Streamlit's data cache is emptied before each session, so the rerun computes the
filtered view cold, while what a user already had (the as-of date, the branch list, the findings for
the data version) stays cached, as it would in a real session.

`browser`: `streamlit run dashboard.py` on a free loopback port, timed from the moment the process is
started until the first Plotly chart is visible in Debian's chromium (driven by Playwright; the browser
is started before the clock starts, as a user's browser would already be open). A new server each time.
On the way it notes when the server first answers its health check, when the page's `load` event fired
and when the Overview's first KPI card became visible. Then, once that first run has finished, it chooses
a district in the sidebar (the first of --districts) and times the click until the Visits card shows the
new value and until the rerun has finished with its charts drawn.

Both print one JSON object on the last line of stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENTRY = ROOT / "tests" / "app" / "entry.py"
CHROMIUM = "/usr/bin/chromium"
# Debian chromium on this machine: the flags that keep it off the closed network (tests/e2e_server.py too).
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


def apptest(repeat: int, districts: list[str], metric: str, timeout: float) -> dict:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from pages import PAGES

    out: dict = {"pages": {}, "districts": districts, "metric": metric}
    for file, key, _, url in PAGES:
        times, opens = [], []
        for _ in range(repeat):
            st.cache_data.clear()
            at = AppTest.from_file(str(ENTRY), default_timeout=timeout)
            at.query_params["metric"] = metric
            t0 = time.perf_counter()
            if Path(file).stem != url:  # reached through the default page (see tests/test_dashboard.py open_app)
                _ok(at.run(), key)
            at.switch_page(str(file))
            _ok(at.run(), key)
            opens.append(time.perf_counter() - t0)
            at.sidebar.multiselect(key="districts").set_value(districts)
            t0 = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - t0)
            _ok(at, key)
            chosen = tuple(at.session_state["districts"])
            if chosen != tuple(districts):
                raise RuntimeError(f"{key}: the districts filter did not take ({chosen})")
        out["pages"][key] = {"filter_change": times, "open": opens, "median": statistics.median(times)}
    st.cache_resource.clear()
    return out


def _ok(at, page: str):
    if at.exception:
        raise RuntimeError(f"{page}: " + "; ".join(e.message for e in at.exception))
    return at


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"streamlit did not answer within {seconds:.0f} s")


def browser(repeat: int, timeout: float, district: str = "North") -> dict:
    from playwright.sync_api import sync_playwright

    runs = []
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for _ in range(repeat):
                runs.append(_first_chart(chromium, timeout, district))
        finally:
            chromium.close()
    return {
        "runs": runs,
        "median": statistics.median(r["first_chart"] for r in runs),
        "median_ready": statistics.median(r["server_ready"] for r in runs),
        "median_loaded": statistics.median(r["page_loaded"] for r in runs),
        "median_card": statistics.median(r["first_card"] for r in runs),
        "median_filter_value": statistics.median(r["filter_value"] for r in runs),
        "median_filter_rerun": statistics.median(r["filter_rerun"] for r in runs),
    }


def _first_chart(chromium, timeout: float, district: str) -> dict:
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
    url = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=ROOT, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        _wait_healthy(url, process, timeout)
        ready = time.perf_counter() - started
        context = chromium.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
        try:
            page = context.new_page()
            page.set_default_timeout(timeout * 1000)
            page.goto(url)  # returns when the page's `load` event fired
            loaded = time.perf_counter() - started
            page.locator('[data-testid="stMetric"]').first.wait_for(state="visible")  # the Overview's first card
            card = time.perf_counter() - started
            page.locator(".js-plotly-plot").first.wait_for(state="visible")
            chart = time.perf_counter() - started
            if page.locator('[data-testid="stException"]').count():
                raise RuntimeError("the page shows an exception")
            changed, redrawn = _filter_change(page, district, timeout)
        finally:
            context.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return {
        "server_ready": ready,
        "page_loaded": loaded,
        "first_card": card,
        "first_chart": chart,
        "filter_value": changed,
        "filter_rerun": redrawn,
    }


IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'  # as tests/test_e2e_browser.py waits


def _filter_change(page, district: str, timeout: float) -> tuple[float, float]:
    """Once the first run has finished: a district chosen in the sidebar, as a user does it. Seconds from the
    click until the Visits card shows the new value, and until the rerun has finished and its charts are
    drawn. The filter's values are computed cold (a new server each time)."""
    from playwright.sync_api import expect

    page.locator(IDLE).wait_for(state="attached")
    card = page.locator('[data-testid="stMetric"]').filter(has=page.get_by_text("Visits", exact=True))
    value = card.locator('[data-testid="stMetricValue"]')
    before = value.inner_text()
    page.locator('[data-testid="stSidebar"]').get_by_role("combobox", name="Districts").click()
    option = page.get_by_role("option", name=district, exact=True)
    option.wait_for(state="visible")
    started = time.perf_counter()
    option.click()
    expect(value).not_to_have_text(before, timeout=timeout * 1000)
    changed = time.perf_counter() - started
    page.locator(IDLE).wait_for(state="attached")
    expect(page.locator('[data-testid="stPlotlyChart"] .js-plotly-plot')).to_have_count(
        page.locator('[data-testid="stPlotlyChart"]').count(), timeout=timeout * 1000
    )
    return changed, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.interact", description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=("apptest", "browser"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--districts", default="North,Riverside")
    parser.add_argument("--metric", default="loans", help="the trend indicator the pages are opened with")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds allowed for one run or page load")
    args = parser.parse_args(argv)
    if not os.environ.get("KPI_DB"):
        parser.error("set KPI_DB to the database to use")
    if args.what == "apptest":
        result = apptest(args.repeat, [d for d in args.districts.split(",") if d], args.metric, args.timeout)
    else:
        result = browser(args.repeat, args.timeout, args.districts.split(",")[0])
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
