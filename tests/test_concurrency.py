"""Imports while people read: reader processes opening the database as the dashboard does, and a real
`streamlit run` server with several browser sessions, all while imports run in other processes. Readers
must see the data before or after each import, never a mix and never an error; two imports at once
queue on the lock, or the second gives up with a clear message when asked not to wait.

Every process is on this machine (loopback only), bounded in count and time."""

from __future__ import annotations

import json
import queue
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from data_cli import run as cli
from data_cli import start
from dbstate import digest

from data import store

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
READERS = 4  # reader processes; reported in the closing note of issue 6
STEPS = 4  # imports while they read
SAFETY_SECONDS = 300  # only so that a hung reader cannot hang the suite; never a measure of speed
BRANCHES = ("North Branch", "Qinghe Main Library", "East Branch")


def step_exports(folder: Path, step: int) -> tuple[int, int]:
    """Two exports that land together in one import (visits and loans for one year): (visits, loans)."""
    folder.mkdir(parents=True)
    year = 2010 + step
    visits, loans = [], []
    for month in range(1, 13):
        for n, branch in enumerate(BRANCHES):
            visits.append((f"{year}-{month:02d}-15", branch, 100 * step + 10 * month + n))
            loans.append((f"{year}-{month:02d}", branch, 50 * step + month + n))
    (folder / f"visits_{year}.csv").write_text(
        "date,branch,visits\n" + "".join(f"{d},{b},{v}\n" for d, b, v in visits), encoding="utf-8"
    )
    (folder / f"loans_{year}.csv").write_text(
        "month,branch,checkouts\n" + "".join(f"{d},{b},{v}\n" for d, b, v in loans), encoding="utf-8"
    )
    return sum(v for *_, v in visits), sum(v for *_, v in loans)


@pytest.fixture
def base(tmp_path):
    """A database holding the sample's branch list only."""
    target = tmp_path / "db" / "kpi.duckdb"
    assert cli("import", "--db", str(target), str(SAMPLE / "branches.csv")).returncode == 0
    return target


def test_readers_see_each_import_whole_and_never_fail(base, tmp_path):
    steps = [step_exports(tmp_path / f"step{i}", i) for i in range(1, STEPS + 1)]
    allowed, visits, loans = {(1, 0.0, 0.0)}, 0, 0
    for i, (v, lo) in enumerate(steps, start=1):
        visits, loans = visits + v, loans + lo
        allowed.add((1 + 2 * i, float(visits), float(loans)))
    stop = tmp_path / "stop"
    readers = [
        subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "concurrent_reader.py"), str(base), str(stop)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(READERS)
    ]
    # Each reader's stderr, line by line: the states it sees for the first time, and its errors.
    lines = [queue.Queue() for _ in readers]
    for reader, into in zip(readers, lines, strict=True):
        threading.Thread(target=lambda r=reader, q=into: [q.put(line) for line in r.stderr], daemon=True).start()

    def until_every_reader_saw(imports: int) -> None:
        """Wait (for the readers, not for a length of time) until every reader has read the state after
        `imports` imports. The bound only keeps a hung reader from hanging the suite."""
        for n, into in enumerate(lines):
            while True:
                try:
                    line = json.loads(into.get(timeout=SAFETY_SECONDS))
                except queue.Empty:
                    pytest.fail(f"reader {n} did not read the state after {imports} imports")
                assert "error" not in line, line["error"]
                if line["state"][0] == imports:
                    break

    try:
        until_every_reader_saw(1)  # the readers are up and have read the first state
        for i in range(1, STEPS + 1):
            done = cli("import", "--db", str(base), str(tmp_path / f"step{i}"))
            assert done.returncode == 0, done.stdout + done.stderr
            until_every_reader_saw(1 + 2 * i)  # so every reader reads every state, however slow the machine
        stop.touch()
        outputs = [reader.communicate(timeout=SAFETY_SECONDS)[0] for reader in readers]
    finally:
        for reader in readers:
            reader.kill()
    seen, reads = set(), 0
    for out in outputs:
        result = json.loads(out)
        assert result["errors"] == [], result["errors"]
        seen |= {tuple(s) for s in result["seen"]}
        reads += result["reads"]
    assert seen <= allowed, f"a reader saw a state no import produced: {sorted(seen - allowed)}"
    assert seen == allowed, f"the readers did not see every state: {sorted(allowed - seen)}"
    print(f"\n{READERS} reader processes, {reads} reads during {STEPS} imports: {len(seen)} states, all whole")


def test_two_imports_at_once_queue_and_both_land(base, tmp_path):
    totals = [step_exports(tmp_path / f"step{i}", i) for i in (1, 2)]
    runs = [start("import", "--db", str(base), str(tmp_path / f"step{i}")) for i in (1, 2)]
    results = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], results
    con, _ = store.open_reader(base)
    with con:
        assert con.execute("SELECT sum(visits) FROM visits").fetchone()[0] == totals[0][0] + totals[1][0]
        assert con.execute("SELECT count(*) FROM imports").fetchone()[0] == 5


def test_an_import_that_will_not_wait_is_refused_clearly_while_another_runs(base, tmp_path):
    step_exports(tmp_path / "step1", 1)
    step_exports(tmp_path / "step2", 2)
    before = digest(base)
    first = start("import", "--db", str(base), str(tmp_path / "step1"), env={store.PAUSE_ENV: "imported"})
    try:
        assert first.stderr.readline().strip() == "paused at imported"  # holding the lock, mid-write
        second = cli("import", "--wait", "0", "--db", str(base), str(tmp_path / "step2"))
        assert second.returncode == 3 and "another import into" in second.stderr, second.stderr
        assert digest(base) == before
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    assert digest(base) == before


# ------------------------------------------------------------------------ a real server, real browsers

e2e = pytest.importorskip("e2e_server")
SESSIONS = 3  # browser sessions reloading the Overview while an import runs
HOLD_SECONDS = 6


def test_dashboard_sessions_show_old_or_new_data_during_an_import(tmp_path, sample_db_copy):
    if e2e.missing_requirements():
        if e2e.in_ci():
            pytest.fail(e2e.missing_requirements())
        pytest.skip(e2e.missing_requirements())
    from playwright.sync_api import sync_playwright

    target = sample_db_copy  # this test imports into it: a copy of the session's sample database
    # One more month of visits for every branch: the as-of date and the Visits card both move.
    extra = tmp_path / "extra"
    extra.mkdir()
    shutil.copy(SAMPLE / "branches.csv", extra / "branches.csv")
    with (extra / "visits_2026_11.csv").open("w", encoding="utf-8") as handle:
        handle.write("date,branch,visits\n")
        for day in range(1, 21):
            for branch in BRANCHES:
                handle.write(f"2026-11-{day:02d},{branch},{500 + day}\n")

    def snapshot(page) -> tuple[str, str]:
        # The main library's own view: the import adds 20 November days of three branches only, which the network's
        # view leaves out (its complete-through date stays at October) and the main library's own view shows.
        page.goto(server.url + "/?kinds=main", wait_until="domcontentloaded")
        page.wait_for_selector('[data-testid="stMetric"]', timeout=60_000)
        page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000)
        assert page.locator('[data-testid="stException"]').count() == 0
        caption = page.locator('[data-testid="stCaptionContainer"]').first.inner_text()
        card = page.locator('[data-testid="stMetric"]').first.inner_text()
        return caption, card

    with e2e.StreamlitServer(target, tmp_path / "streamlit.log") as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=e2e.CHROMIUM, args=e2e.CHROMIUM_ARGS, headless=True)
        pages = [browser.new_context(viewport={"width": 1600, "height": 1200}).new_page() for _ in range(SESSIONS)]
        old = snapshot(pages[0])
        # Held for a few seconds with the new data written but not yet published.
        importer = start("import", "--db", str(target), str(extra), env={store.PAUSE_ENV: f"imported:{HOLD_SECONDS}"})
        seen = []
        while importer.poll() is None:
            for page in pages:
                seen.append(snapshot(page))
        assert importer.returncode == 0, importer.communicate()
        new = snapshot(pages[0])
        seen += [snapshot(page) for page in pages]
        browser.close()
    assert new != old, "the import changed nothing visible"
    assert set(seen) <= {old, new}, f"a session showed a mix of old and new: {set(seen) - {old, new}}"
    print(f"\n{SESSIONS} browser sessions, {len(seen)} page loads during and after an import: old or new only")
