"""A meeting: several browser sessions open the same shared link and each changes a filter at once (issue 15).

    python -m bench.meeting [--db PATH] [--sessions 10] [--districts North,East] [--period last_year]
                            [--before DIR [--rounds 2]] [--profile FILE] [--browser-nice 10]

One `streamlit run serve.py` on a free loopback port over the database (--db; without it the bundled sample,
imported into a temporary folder), one Debian chromium with one browser context per session (its own cookies, so
its own Streamlit session). Every session opens the shared link (the Overview with a period and districts in the
query string; three at a time) and waits until its Visits card shows the link's value. Then each opens the
Branches filter on a branch of its own (branches of the link's districts, chosen so that no two sessions expect
the same Visits value), all wait at a barrier, and all click their branch at once.

Per session: seconds from the click (as the page received it) until the Visits card shows the value
metrics.engine computes for that session's filter (page clock; a MutationObserver notes the first DOM change that
shows it), every text the card showed on the way (anything but the link's value and its own would be another
session's figure), and the card's text once its rerun has finished. CPU seconds over the change of the server
and of the browser, and the cores the whole machine kept busy, say whether the reruns waited for CPU.

--before DIR: the same meeting on the code in DIR (a checkout of an earlier commit) and on this code,
alternately, for before/after figures from one run. --profile FILE: py-spy's stacks of the server's threads
holding the GIL over the change. --browser-nice N: the browser at niceness N over the change (in a real meeting
every participant's browser runs on their own computer).

Prints one JSON object on the last line of stdout; bench/run.py runs it at its largest size and `section` writes
its part of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

from bench.interact import CHROMIUM, CHROMIUM_ARGS, _free_port, _wait_healthy

ROOT = Path(__file__).resolve().parents[1]
SESSIONS = 10
DISTRICTS = ("North", "East")  # in the bundled sample (13 service points between them) and in bench/generate.py
PERIOD = "last_year"  # a whole year, so the figures do not depend on the day the data ends
GOAL_P95_S = 1.5  # issue 15, item 5: on 2 cores
HEADLINE = ("visits", "loans", "events")  # pages/_data.py HEADLINE: the tables that make the as-of date
CARD = "Visits"  # the Overview card watched (its English label: the link does not set a language)
BRANCHES_LABEL = "Branches (with their reading rooms)"  # the sidebar's branch filter (pages/_i18n.py branch_pick)
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
VIEWPORT = {"width": 1400, "height": 1000}
# Sessions opening the link at the same time. What is measured is the change, not the opening: on two cores, ten
# pages loading Streamlit's scripts at once take minutes, so they open a few at a time.
OPENING = 3

# Installed in a page once its branch option is showing: notes when the click arrives (page clock and wall
# clock, the latter to see how close together the sessions clicked), every text the card shows afterwards, and
# the first moment it shows the expected text. Mutations come before the paint of the same frame.
WATCH = """([label, expected]) => {
  const read = () => {
    for (const card of document.querySelectorAll('[data-testid="stMetric"]')) {
      const name = card.querySelector('[data-testid="stMetricLabel"]');
      if (name && name.innerText.trim() === label) {
        const value = card.querySelector('[data-testid="stMetricValue"]');
        return value ? value.innerText.trim() : null;
      }
    }
    return null;
  };
  const seen = (window.__meeting = {clicked: null, clickedAt: null, shown: null, texts: [read()]});
  document.addEventListener('click', () => {
    if (seen.clicked === null) { seen.clicked = performance.now(); seen.clickedAt = Date.now(); }
  }, true);
  new MutationObserver(() => {
    const text = read();
    if (text !== null && text !== seen.texts[seen.texts.length - 1]) seen.texts.push(text);
    if (text === expected && seen.clicked !== null && seen.shown === null) seen.shown = performance.now();
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


# ------------------------------------------------------------------------------------- what each should see


def expected_text(con, districts: tuple[str, ...], branches: tuple[str, ...], period: str) -> str:
    """The Visits card's text for the sidebar's choices, as the Overview computes it (pages/_page.py context and
    kpi_card: the as-of date of the chosen branches, the period's window, year over year, English figures)."""
    from metrics import display, engine
    from metrics.filters import Filter
    from metrics.registry import get
    from pages._state import period_window  # imports streamlit; only its pure function is used

    as_of = engine.as_of(con, HEADLINE, Filter(branches=branches, districts=districts))
    date_from, date_to = period_window(period, as_of, 1)
    flt = Filter(date_from=date_from, date_to=date_to, branches=branches, districts=districts)
    table = engine.compute(con, "visits", flt, "window", None, 1, compare=True).table
    return display.number(table["value"].iloc[0] if not table.empty else None, get("visits").fmt, "en")


def plan(db_path: Path, sessions: int, districts: tuple[str, ...], period: str) -> dict:
    """The link's Visits text and, per session, a branch of the districts (its name as the filter shows it)
    with the text expected once it is chosen: all different from each other and from the link's."""
    from data import db

    con = db.connect(db_path, read_only=True)
    try:
        shared = expected_text(con, districts, (), period)
        rows = con.execute(
            "SELECT branch_id, name FROM branches WHERE district IN (SELECT unnest(?)) ORDER BY branch_id",
            [list(districts)],
        ).fetchall()
        chosen, seen = [], {shared}
        for branch_id, name in rows:
            text = expected_text(con, districts, (branch_id,), period)
            if text in seen or text == "–":
                continue  # a figure another session could show too would hide a mix-up
            seen.add(text)
            chosen.append({"branch": branch_id, "name": name, "expected": text})
            if len(chosen) == sessions:
                break
    finally:
        con.close()
    if len(chosen) < sessions:
        raise RuntimeError(f"only {len(chosen)} branches of {', '.join(districts)} have a Visits figure of their own")
    return {"shared": shared, "sessions": chosen}


def shared_link(url: str, districts: tuple[str, ...], period: str) -> str:
    """The link the meeting was sent: the Overview with the period and the districts."""
    return f"{url}/?{urlencode({'period': period, 'districts': ','.join(districts)}, safe=',')}"


# -------------------------------------------------------------------------------------------------- sessions


async def meet(
    url: str,
    chosen: dict,
    districts: tuple[str, ...],
    period: str,
    timeout: float,
    pid=None,
    around=None,
    browser_nice: int = 0,
) -> dict:
    """Open the shared link in one browser context per planned session, then change every session's branch at
    once; what each session saw and when. `pid`: the server's process, whose CPU time over the change is noted;
    `around`: a context manager entered once every session is ready to click and left once all are done (a
    profiler). `browser_nice`: the browser's niceness over the change (0: as started)."""
    from playwright.async_api import async_playwright

    link = shared_link(url, districts, period)
    ready, go = asyncio.Barrier(len(chosen["sessions"]) + 1), asyncio.Barrier(len(chosen["sessions"]) + 1)
    opening = asyncio.Semaphore(OPENING)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            tasks = [
                asyncio.create_task(_session(browser, link, chosen["shared"], s, (opening, ready, go), timeout))
                for s in chosen["sessions"]
            ]
            try:
                await asyncio.wait_for(ready.wait(), timeout * len(tasks))
            except (TimeoutError, asyncio.BrokenBarrierError):  # a session failed on the way: its error says why
                await ready.abort()
                failed = await asyncio.gather(*tasks, return_exceptions=True)
                errors = {repr(e).splitlines()[0] for e in failed if isinstance(e, BaseException)}
                raise RuntimeError("the sessions did not all open the link: " + "; ".join(errors)) from None
            if browser_nice:
                _lower_browser(pid, browser_nice)
            with around or contextlib.nullcontext():
                before = (_cpu_seconds(pid), _browser_seconds(pid), _machine_seconds(), time.perf_counter())
                await go.wait()
                sessions = await asyncio.gather(*tasks)
                after = (_cpu_seconds(pid), _browser_seconds(pid), _machine_seconds(), time.perf_counter())
        finally:
            await browser.close()  # and every session's context: they stay open until measured
    server, browser_cpu, machine, wall = (b - a if a is not None else None for a, b in zip(before, after, strict=True))
    return summary(sessions, link, wall, {"server": server, "browser": browser_cpu, "machine": machine})


async def _session(browser, link: str, shared: str, mine: dict, gates: tuple, timeout: float) -> dict:
    """One participant: open the link (a few at a time), get its branch ready in the filter's list, wait for
    everyone, click it, watch the card. `gates`: (the opening semaphore, the ready barrier, the go barrier)."""
    from playwright.async_api import expect

    opening, ready, go = gates
    context = await browser.new_context(viewport=VIEWPORT, locale="en-US")
    context.set_default_timeout(timeout * 1000)
    try:
        page = await context.new_page()
        card = page.locator('[data-testid="stMetric"]').filter(has=page.get_by_text(CARD, exact=True))
        value = card.locator('[data-testid="stMetricValue"]')
        async with opening:
            if ready.broken:  # another session failed: the meeting is off
                raise asyncio.BrokenBarrierError
            opened = time.perf_counter()
            await page.goto(link)
            await expect(value).to_have_text(shared, timeout=timeout * 1000)
            first = time.perf_counter() - opened
            await page.locator(IDLE).wait_for(state="attached")
            combobox = page.locator('[data-testid="stSidebar"]').get_by_role("combobox", name=BRANCHES_LABEL)
            await combobox.click()
            await combobox.press_sequentially(mine["name"])  # the list narrowed to it: its option is on screen
            option = page.get_by_role("option", name=mine["name"], exact=True)
            await option.wait_for(state="visible")
            await page.evaluate(WATCH, [CARD, mine["expected"]])
    except BaseException:
        await ready.abort()  # the others would wait for this one in vain
        await context.close()
        raise
    await ready.wait()
    await go.wait()
    await option.click()
    try:
        await page.wait_for_function("() => window.__meeting.shown !== null", timeout=timeout * 1000)
    except Exception as exc:  # noqa: BLE001 (a session that never shows its value is a result, not a crash)
        error = f"{type(exc).__name__}: the card never showed {mine['expected']}"
    else:
        error = None
    await page.locator(IDLE).wait_for(state="attached")
    seen = await page.evaluate("() => window.__meeting")
    final = (await value.inner_text()).strip()
    foreign = [text for text in seen["texts"] if text not in (shared, mine["expected"])]
    return {
        **mine,
        "first_value_s": round(first, 3),
        "changed_s": None if seen["shown"] is None else round((seen["shown"] - seen["clicked"]) / 1000, 3),
        "clicked_at_ms": seen["clickedAt"],
        "texts": seen["texts"],
        "final": final,
        "correct": error is None and final == mine["expected"] and not foreign,
        "foreign": foreign,
        "error": error,
    }


def _cpu_seconds(pid: int | None) -> float | None:
    """utime + stime of a process (its threads included) from /proc, in seconds; None without one."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _browser_processes(server: int | None) -> dict[int, int]:
    """This process's descendants but the server (Playwright's driver, chromium's processes): pid -> CPU ticks."""
    parents, ticks = {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            head, rest = stat.read_text().rsplit(")", 1)
        except OSError:
            continue  # ended meanwhile
        fields = rest.split()
        pid = int(head.split(" (", 1)[0])
        parents[pid], ticks[pid] = int(fields[1]), int(fields[11]) + int(fields[12])

    def ours(pid: int) -> bool:
        while pid > 1:
            pid = parents.get(pid, 0)
            if pid == os.getpid():
                return True
            if pid == server:
                return False
        return False

    return {pid: n for pid, n in ticks.items() if pid != server and ours(pid)}


def _browser_seconds(server: int | None) -> float:
    return sum(_browser_processes(server).values()) / os.sysconf("SC_CLK_TCK")


def _lower_browser(server: int | None, nice: int) -> None:
    """Every thread of the browser's processes at niceness `nice`: in a real meeting each participant's browser
    runs on their own computer, so here it should not take the server's cores."""
    for pid in _browser_processes(server):
        for task in Path(f"/proc/{pid}/task").glob("*"):
            with contextlib.suppress(OSError):  # a thread that ended meanwhile
                os.setpriority(os.PRIO_PROCESS, int(task.name), nice)


def _machine_seconds() -> float:
    """CPU seconds all processes have used since boot (every core's non-idle time, /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")  # less idle and iowait


def summary(sessions: list[dict], link: str, wall: float, cpu: dict) -> dict:
    """Per-session results and their p50, p95 and max; how far apart the clicks landed; CPU seconds over the
    change of the server, the browser and the whole machine (other people's work included)."""
    times = sorted(s["changed_s"] for s in sessions if s["changed_s"] is not None)
    clicks = [s["clicked_at_ms"] for s in sessions if s["clicked_at_ms"] is not None]
    return {
        "link": link,
        "sessions": sessions,
        "count": len(sessions),
        "correct": sum(s["correct"] for s in sessions),
        "p50": percentile(times, 50),
        "p95": percentile(times, 95),
        "max": times[-1] if times else None,
        "click_spread_ms": max(clicks) - min(clicks) if clicks else None,
        "wall_s": round(wall, 3),
        "server_cpu_s": None if cpu["server"] is None else round(cpu["server"], 2),
        "browser_cpu_s": round(cpu["browser"], 2),
        "busy_cores": round(cpu["machine"] / wall, 2),  # every process on the machine
    }


def percentile(values: list[float], pct: float) -> float | None:
    """The pct-th percentile, interpolated between the two nearest ranks (numpy's default), of sorted values."""
    if not values:
        return None
    rank = (len(values) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (rank - low)


# ---------------------------------------------------------------------------------------------------- server


@contextlib.contextmanager
def serving(db_path: Path, log_path: Path, timeout: float, code: Path = ROOT) -> Iterator[tuple[str, int]]:
    """`streamlit run serve.py` (as `make run` starts it) from the code folder on a free loopback port over the
    database: (its URL, its process id)."""
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "serve.py",
        "--server.headless",
        "true",
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
    ]
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        env = {**os.environ, "KPI_DB": str(db_path)}
        process = subprocess.Popen(command, cwd=code, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_healthy(url, process, timeout)
            yield url, process.pid
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def measure(
    db_path: Path,
    sessions: int,
    districts: tuple[str, ...],
    period: str,
    timeout: float,
    code: Path = ROOT,
    profile: Path | None = None,
    browser_nice: int = 0,
) -> dict:
    """One meeting on a new server running the code in `code` (a new server: every session's change is computed
    cold; the link's view is warm once the first session has opened it); `profile`: py-spy's file of the change."""
    chosen = plan(db_path, sessions, districts, period)
    with tempfile.TemporaryDirectory(prefix="kpi-meeting-") as folder:
        log = Path(folder) / "streamlit.log"
        try:
            with serving(db_path, log, timeout, code) as (url, pid):
                around = py_spy(pid, profile) if profile else None
                found = asyncio.run(meet(url, chosen, districts, period, timeout, pid, around, browser_nice))
        except Exception as exc:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-40:])
            raise RuntimeError(f"{exc}\n--- the server's log ends:\n{tail}") from exc
    return {**found, "code": str(code), "districts": list(districts), "period": period, "browser_nice": browser_nice}


@contextlib.contextmanager
def py_spy(pid: int, out: Path) -> Iterator[None]:
    """py-spy (`pip install py-spy`; on PATH) sampling the server's threads while they hold the GIL, written to
    `out` as collapsed stacks (one line a stack, its sample count last): where the reruns spend Python time."""
    spy = subprocess.Popen(
        ["py-spy", "record", "--pid", str(pid), "--gil", "--threads", "--rate", "200", "--format", "raw"]
        + ["--output", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)  # attached before anyone clicks
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)  # py-spy writes its file on an interrupt
        spy.wait(timeout=30)


def compare(
    db_path: Path, before: Path, rounds: int, sessions: int, districts, period, timeout, browser_nice: int = 0
) -> dict:
    """Meetings on the code in `before` and on this code, alternately (each `rounds` times), so both meet the
    same load from the rest of the machine: the before/after figures of one run."""
    meetings = []
    for _ in range(rounds):
        for label, code in (("before", before), ("after", ROOT)):
            found = measure(db_path, sessions, districts, period, timeout, code, browser_nice=browser_nice)
            meetings.append({**found, "label": label})
    return {"meetings": meetings, "pooled": {label: pooled(meetings, label) for label in ("before", "after")}}


def pooled(meetings: list[dict], label: str) -> dict:
    """p50, p95 and max over every session of the meetings with the label."""
    times = sorted(s["changed_s"] for m in meetings if m["label"] == label for s in m["sessions"] if s["changed_s"])
    count = sum(m["count"] for m in meetings if m["label"] == label)
    correct = sum(m["correct"] for m in meetings if m["label"] == label)
    return {
        "count": count,
        "correct": correct,
        "p50": percentile(times, 50),
        "p95": percentile(times, 95),
        "max": times[-1] if times else None,
    }


@contextlib.contextmanager
def sample_database() -> Iterator[Path]:
    """The bundled sample, imported into a temporary folder as the run command builds it."""
    from data.cli import build_sample

    with tempfile.TemporaryDirectory(prefix="kpi-meeting-db-") as folder:
        path = Path(folder) / "kpi.duckdb"
        with contextlib.redirect_stdout(io.StringIO()):  # the import report of every sample file
            if build_sample(str(path)) != 0:
                raise RuntimeError("the bundled sample did not import")
        yield path


# -------------------------------------------------------------------------------------------------- report


def section(found: dict | None, sessions: int = SESSIONS) -> list[str]:
    """The Markdown section of bench/RESULTS.md: one meeting, or the meetings of a before/after comparison."""
    lines = [
        "",
        f"## A meeting: {sessions} sessions change a filter at once",
        "",
        "`bench/meeting.py`: one `streamlit run serve.py` on the bench database, one headless chromium with a "
        "browser context per session. Every session opens the same shared link (the Overview with a period and "
        "two districts in its query string) and waits for its Visits card; then all click a branch of their own "
        "in the sidebar's Branches filter at the same instant (a barrier). Time: from the click, as the page "
        "received it, until the Visits card shows the value `metrics.engine` computes for that session's "
        "filter (page clock, first DOM change showing it). Correct: that value shown, no other figure on the way "
        "(another session's would be a mix-up), and still shown once the rerun has finished. Browser and server "
        "share the machine's cores (in a real meeting every browser has its own computer): CPU seconds over the "
        "change of the server and of the browser, and the cores every process on the machine kept busy meanwhile "
        "(2.00 on two cores: the server waited for CPU).",
        "",
    ]
    if not found:
        return [*lines, "Not measured (no browser in this run)."]
    if found.get("error"):
        return [*lines, f"Failed: {found['error']}."]
    meetings = found.get("meetings") or [found]
    lines += [
        "| code | sessions | correct | p50 | p95 | max | goal p95 | clicks within | server CPU | browser CPU "
        "| busy cores |",
        "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    for m in meetings:
        code = m.get("label", "this") + (f", browser nice {m['browser_nice']}" if m.get("browser_nice") else "")
        lines.append(
            f"| {code} | {m['count']} | {m['correct']} / {m['count']} | {_s(m['p50'])} "
            f"| {_s(m['p95'])} | {_s(m['max'])} | < {GOAL_P95_S:g} s {_goal(m)} | {m['click_spread_ms']} ms "
            f"| {_s(m['server_cpu_s'])} in {_s(m['wall_s'])} | {_s(m['browser_cpu_s'])} | {m['busy_cores']:.2f} |"
        )
    for label, m in found.get("pooled", {}).items():
        lines.append(
            f"| {label}, all rounds | {m['count']} | {m['correct']} / {m['count']} | {_s(m['p50'])} | {_s(m['p95'])} "
            f"| {_s(m['max'])} | < {GOAL_P95_S:g} s {_goal(m)} | | | | |"
        )
    last = meetings[-1]
    lines += ["", f"Link: `{last['link'].split('/', 3)[-1]}`. Per session of the last meeting:", ""]
    for s in last["sessions"]:
        mark = "" if s["correct"] else f" **wrong**: saw {', '.join(s['texts'])}, ends on {s['final']}"
        lines.append(f"- {s['name']}: {_s(s['changed_s'])}, {s['expected']}{mark}")
    return lines


def _goal(m: dict) -> str:
    met = m["p95"] is not None and m["p95"] < GOAL_P95_S and m["correct"] == m["count"]
    return "**met**" if met else "**missed**"


def _s(value) -> str:
    return "–" if value is None else f"{value:.2f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.meeting", description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="the database (default: the bundled sample, imported afresh)")
    parser.add_argument("--sessions", type=int, default=SESSIONS)
    parser.add_argument("--districts", default=",".join(DISTRICTS), help="the shared link's districts")
    parser.add_argument("--period", default=PERIOD, help="the shared link's period preset")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds allowed for one wait")
    parser.add_argument("--before", type=Path, help="a checkout of earlier code: meet on it and on this, alternately")
    parser.add_argument("--rounds", type=int, default=2, help="meetings on each code with --before")
    parser.add_argument("--profile", type=Path, help="py-spy's collapsed stacks of the server over the change")
    parser.add_argument(
        "--browser-nice",
        type=int,
        default=0,
        help="run the browser at this niceness over the change (10: as if on the participants' own computers)",
    )
    args = parser.parse_args(argv)
    districts = tuple(d for d in args.districts.split(",") if d)
    with contextlib.ExitStack() as stack:
        # absolute(), not resolve(): the database's name is a link to its current generation (data/store.py)
        path = args.db.absolute() if args.db else stack.enter_context(sample_database())
        meeting = (args.sessions, districts, args.period, args.timeout)
        if args.before:
            result = compare(path, args.before.resolve(), args.rounds, *meeting, args.browser_nice)
        else:
            result = measure(path, *meeting, profile=args.profile, browser_nice=args.browser_nice)
    print("\n".join(section(result, args.sessions)), file=sys.stderr)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
