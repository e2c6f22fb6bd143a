"""The performance benchmark: import, page queries, interaction and growth, written to bench/RESULTS.md.

    python -m bench.run [--sizes 1000000,3000000,10000000] [--repeat 3] [--small] [--out FILE] [--work DIR]

For each size (transactions in the generated export; bench/generate.py writes the files into the work
folder, bench/work/ by default, once) and each of `--repeat` repetitions (medians are reported):

- import: `python -m data import --db <fresh db> transactions.csv` after the branch list was imported by a
  separate command; against DuckDB's bare aggregate scan of the same file and pandas read_csv + groupby
  (bench/baseline.py), each its own process, wall time and peak memory from `/usr/bin/time -v`;
- queries: every call each page makes for its default and its filtered view (bench/queries.py), timed
  per page on the imported database (visits and events imported too), Streamlit's caches not involved;
  the loans calls also computed from the raw transaction rows (`raw_tx`), for the raw/ours ratio;
- interaction: an AppTest filter change on each page, and `streamlit run` to the first Plotly chart in
  chromium (bench/interact.py); at the largest size, a meeting: 10 chromium sessions change a filter of one
  shared link at once (bench/meeting.py);
- growth: all of the above by size, as ratios to the smallest size;
- robustness (once, not by size; bench/robustness.py): the data checks over the bundled sample, every file
  of the hostile input corpus imported, and 200 MB broken files refused (not with --small). These were
  wall-clock assertions in the tests; they are figures against targets here.

`--small` is the smoke-test mode: 20,000 rows, 20 branches, one repetition, no browser, results written
to bench/work/RESULTS-small.md unless --out says otherwise. `--snapshot` measures a copy of the code taken
at the start (for runs while the tree is being edited); the results name the source fingerprint either way.
`--render JSON` rewrites the report from the raw results of an earlier run (kept in <work>/results.json).
`--huge 100000000` also imports a file of that many transactions (a province's year, about 6 GB; written
once into `--huge-dir`), only the import, once, ours and the same-dimensions baseline: its time ratio and
its peak memory against the bound.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import generate as gen
from bench import meeting

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "RESULTS.md"
DEFAULT_SIZES = (1_000_000, 3_000_000, 10_000_000)
SMALL_ROWS = 20_000
SMALL_BRANCHES = 20  # fewer branches keep the smoke test's visits import and data checks short
TIME_BIN = "/usr/bin/time"
SECTIONS = ("## Machine", "## Import", "## Queries", "## Interaction", "## Robustness", "## Growth", "## Targets")

# The issue's targets (evaluated at the largest size run).
IMPORT_VS_DIMS = 1.25  # at most this many times DuckDB's scan keeping the same dimensions
IMPORT_VS_PANDAS = 1.5  # at least this many times faster than pandas
QUERY_REPEAT = 9  # passes over the page query sets per size (each takes a few seconds)
IMPORT_MEMORY_MB = 1024
HUGE_MEMORY_MB = 2048  # a --huge import's peak memory stays under this, whatever the file's size
PAGE_QUERIES_MS = 100
RAW_RATIO = 10
APPTEST_S = 0.5
FIRST_CHART_S = 4  # issue 15 (it was 5)
QUERY_FLAT = 2.0  # "roughly flat": a page's query time at the largest size at most this times the smallest's
FINDINGS_PAGES = ("overview", "branches", "data")  # the pages whose call set includes the data checks


# The code being measured (its fingerprint goes into the results), and what a snapshot copies.
SOURCE = ("data", "metrics", "pages", "reports", "dashboard.py", "serve.py")
SNAPSHOT = (
    "bench",
    "data",
    "metrics",
    "pages",
    "reports",  # pages/_data.py and the Report page import it
    "tests/app",
    "tests/corpus",  # bench/robustness.py imports the corpus into a small fixture database
    "tests/fixtures/import",
    "dashboard.py",
    "serve.py",  # bench/meeting.py serves the app as `make run` does
    ".streamlit",
    "pyproject.toml",
)


def log(message: str) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}] {message}", flush=True)


# ------------------------------------------------------------------------------------ processes and load


def cpu_busy(seconds: float = 1.0) -> float:
    """Cores kept busy over `seconds` (all processes, ours included), from /proc/stat."""

    def sample():
        with open("/proc/stat") as handle:
            values = [int(v) for v in handle.readline().split()[1:]]
        return sum(values), values[3] + values[4]  # total, idle + iowait

    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except OSError:
        return 0.0
    cores = os.cpu_count() or 1
    return round((1 - (idle1 - idle0) / max(total1 - total0, 1)) * cores, 2)


def wait_quiet(limit: float, threshold: float = 0.3) -> dict:
    """Wait (up to `limit` seconds) until other processes leave the CPU nearly idle; what was seen."""
    started = time.monotonic()
    busy = cpu_busy()
    while busy > threshold and time.monotonic() - started < limit:
        time.sleep(4)
        busy = cpu_busy()
    return {"busy_cores": busy, "waited_s": round(time.monotonic() - started, 1)}


def run_timed(command: list[str], timeout: float, env: dict | None = None) -> dict:
    """Run a command under `/usr/bin/time -v`: wall seconds, peak RSS (MB), exit status, output tail."""
    with tempfile.NamedTemporaryFile("r", suffix=".time", delete=False) as report:
        report_path = report.name
    full = [TIME_BIN, "-v", "-o", report_path, *command] if Path(TIME_BIN).exists() else command
    started = time.perf_counter()
    try:
        done = subprocess.run(
            full, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, errors="replace"
        )
    except subprocess.TimeoutExpired as exc:
        Path(report_path).unlink(missing_ok=True)
        return {"wall": None, "rss_mb": None, "rc": None, "error": f"timed out after {exc.timeout:.0f} s"}
    elapsed = time.perf_counter() - started
    text = Path(report_path).read_text(errors="replace") if Path(report_path).exists() else ""
    Path(report_path).unlink(missing_ok=True)
    wall, rss = _parse_time(text)
    out = (done.stdout or "") + (done.stderr or "")
    result = {
        "wall": wall if wall is not None else elapsed,
        "rss_mb": rss,
        "rc": done.returncode,
        "tail": out.strip().splitlines()[-8:],
    }
    if done.returncode != 0:
        result["error"] = f"exit status {done.returncode}"
    return result


def _parse_time(text: str) -> tuple[float | None, float | None]:
    wall = rss = None
    match = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):(\d+(?:\.\d+)?)", text)
    if match:
        hours, minutes, seconds = match.groups()
        wall = int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    if match:
        rss = int(match.group(1)) / 1024
    return wall, rss


def run_json(command: list[str], timeout: float, env: dict, log_file: Path) -> dict:
    """Run a bench helper that prints one JSON object on its last line; {"error": ...} when it fails."""
    try:
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, errors="replace"
        )
    except subprocess.TimeoutExpired as exc:
        return {"error": f"timed out after {exc.timeout:.0f} s"}
    log_file.write_text((done.stdout or "") + "\n--- stderr ---\n" + (done.stderr or ""))
    lines = (done.stdout or "").strip().splitlines()
    if done.returncode != 0 or not lines:
        errors = [line for line in (done.stderr or "").splitlines() if line.strip()]
        return {"error": f"exit status {done.returncode}: " + (errors[-1] if errors else "no output")}
    return json.loads(lines[-1])


# ------------------------------------------------------------------------------------------- the phases


def python() -> str:
    return sys.executable


def phase_import(files: gen.Files, folder: Path, repeat: int, timeout: float, pandas: bool) -> tuple[dict, Path]:
    """Each repetition: a fresh database with the branch list, then the three timed runs on the file."""
    runs: dict[str, list] = {"ours": [], "duckdb": [], "duckdb_dims": [], "pandas": []}
    last_db = None
    for stale in folder.glob("import_*"):  # databases an earlier run left behind
        shutil.rmtree(stale, ignore_errors=True)
    for rep in range(repeat):
        target = folder / f"import_{rep}"
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        database = target / "kpi.duckdb"
        prepared = run_timed([python(), "-m", "data", "import", "--db", str(database), str(files.branches)], timeout)
        if prepared.get("error"):
            raise RuntimeError(f"branch list import failed: {prepared}")
        command = [python(), "-m", "data", "import", "--db", str(database), str(files.transactions)]
        runs["ours"].append(run_timed(command, timeout))
        log(f"  import {rep + 1}/{repeat}: {_brief(runs['ours'][-1])}")
        runs["duckdb"].append(run_timed([python(), "-m", "bench.baseline", "duckdb", str(files.transactions)], timeout))
        log(f"  duckdb scan {rep + 1}/{repeat}: {_brief(runs['duckdb'][-1])}")
        dims = [python(), "-m", "bench.baseline", "duckdb-dims", str(files.transactions)]
        runs["duckdb_dims"].append(run_timed(dims, timeout))
        log(f"  duckdb scan, same dimensions {rep + 1}/{repeat}: {_brief(runs['duckdb_dims'][-1])}")
        if pandas:
            runs["pandas"].append(
                run_timed([python(), "-m", "bench.baseline", "pandas", str(files.transactions)], timeout)
            )
            log(f"  pandas {rep + 1}/{repeat}: {_brief(runs['pandas'][-1])}")
        if last_db is not None:
            shutil.rmtree(last_db.parent, ignore_errors=True)
        last_db = database
    return runs, last_db


def phase_huge(rows: int, args, work: Path) -> dict:
    """--huge: the import alone, once, of a file too large for the other phases; ours and the same-dimensions
    baseline (pandas would need more memory than the bound being shown)."""
    folder = args.huge_dir or work / "data"
    existed = (folder / f"transactions_{rows}.csv").exists()
    log(f"huge {rows:,}: " + ("file present" if existed else f"generating into {folder}"))
    started = time.perf_counter()
    branches = gen.BRANCHES if args.small else args.branches  # the full run's network even beside --small
    files = gen.generate(rows, folder, branches=branches)
    result = {"rows": rows, "branches": branches, "file_mb": files.transactions.stat().st_size / 1e6}
    result["generate_s"] = None if existed else time.perf_counter() - started
    result["quiet"] = wait_quiet(args.quiet_wait)
    target = work / "huge"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    database = target / "kpi.duckdb"
    prepared = run_timed([python(), "-m", "data", "import", "--db", str(database), str(files.branches)], args.timeout)
    if prepared.get("error"):
        raise RuntimeError(f"branch list import failed: {prepared}")
    command = [python(), "-m", "data", "import", "--db", str(database), str(files.transactions)]
    result["ours"] = run_timed(command, args.timeout)
    log(f"  import: {_brief(result['ours'])}")
    dims = [python(), "-m", "bench.baseline", "duckdb-dims", str(files.transactions)]
    result["duckdb_dims"] = run_timed(dims, args.timeout)
    log(f"  duckdb scan, same dimensions: {_brief(result['duckdb_dims'])}")
    if rows in spark_sizes(args):
        log(f"huge {rows:,}: the Overview's query set on DuckDB and on Spark (bench/engines.py)")
        result["engines"] = phase_engines(database, rows, target / "lake", args.timeout, work / "huge-engines.log")
        result["engines"]["scope"] = "transactions only"  # this database has no visits or events imported
    shutil.rmtree(target, ignore_errors=True)
    return result


def phase_engines(database: Path, rows: int, lake: Path, timeout: float, log_file: Path) -> dict:
    """bench/engines.py in its own process: the Overview's query set on the database and on the lake written from
    it, through DuckDB and on Spark."""
    command = [python(), "-m", "bench.engines", "--db", str(database), "--lake", str(lake), "--rows", str(rows)]
    return run_json([*command, "--json"], timeout, dict(os.environ), log_file)


def _brief(run: dict) -> str:
    if run.get("error") and run.get("wall") is None:
        return run["error"]
    text = f"{run['wall']:.2f} s, {run['rss_mb'] or 0:.0f} MB"
    return text + (f" ({run['error']})" if run.get("error") else "")


def phase_queries(database: Path, raw_db: Path, transactions: Path, repeat: int, warmup: int = 1) -> dict:
    """Every page's call set per view, timed `repeat` times after `warmup` untimed passes; the raw-rows
    loans set beside it."""
    import streamlit.logger

    streamlit.logger.set_log_level("error")  # pages._state and pages._data import streamlit
    import duckdb

    from bench import queries
    from data import db
    from metrics import quality

    out: dict = {"views": {}, "raw_check": {}, "filter_districts": list(queries.FILTER_DISTRICTS)}
    raw_con = duckdb.connect(str(raw_db))
    started = time.perf_counter()
    queries.load_raw(raw_con, str(transactions), str(database))
    out["raw_load_s"] = time.perf_counter() - started
    con = db.connect(database, read_only=True)
    try:
        as_of = queries.as_of(con)
        out["as_of"] = str(as_of)
        found = quality.findings_frame(con)  # how much the data checks have to report drives their time
        out["findings"] = {f"{t} {k}": int(n) for (t, k), n in found.groupby(["table", "kind"]).size().items()}
        filters = {view.name: queries.view_filter(view, as_of) for view in queries.VIEWS}
        for view in queries.VIEWS:
            out["raw_check"][view.name] = queries.check_raw_matches(con, raw_con, view, filters[view.name])
            out["views"][view.name] = {
                page: {"total": [], "no_findings": [], "loans": [], "raw": [], "calls": {}} for page in queries.PAGES
            }
        for rep in range(warmup + repeat):  # warm-up passes fill DuckDB's buffers and are not counted
            for view in queries.VIEWS:
                flt = filters[view.name]
                for page in queries.PAGES:
                    timing = queries.time_page(con, page, view, flt)
                    raw = queries.time_raw_page(raw_con, page, view, flt)
                    if rep < warmup:
                        continue
                    slot = out["views"][view.name][page]
                    slot["total"].append(timing.total)
                    slot["no_findings"].append(timing.total - timing.findings)
                    if raw is not None:
                        slot["loans"].append(timing.loans)
                        slot["raw"].append(raw)
                    for i, (label, seconds) in enumerate(timing.calls):
                        slot["calls"].setdefault(f"{i:02d} {label}", []).append(seconds)
    finally:
        con.close()
        raw_con.close()
    return out


def run_size(rows: int, args, repeat: int, work: Path) -> dict:
    result: dict = {"rows": rows, "repeat": repeat}
    log(f"size {rows:,}: generating")
    started = time.perf_counter()
    existed = (work / "data" / f"transactions_{rows}.csv").exists() and not args.regenerate
    files = gen.generate(rows, work / "data", branches=args.branches, force=args.regenerate)
    result["generate_s"] = None if existed else time.perf_counter() - started
    result["file_mb"] = files.transactions.stat().st_size / 1e6
    folder = work / str(rows)
    folder.mkdir(parents=True, exist_ok=True)
    quiet = result["quiet"] = {}
    quiet["import"] = wait_quiet(args.quiet_wait)
    log(f"size {rows:,}: import x{repeat} (other load before: {quiet['import']['busy_cores']} cores busy)")
    result["import"], database = phase_import(files, folder, repeat, args.timeout, pandas=not args.no_pandas)
    if result["import"]["ours"][-1].get("error"):
        result["error"] = f"the transaction import failed: {result['import']['ours'][-1]}"
        return result
    log(f"size {rows:,}: importing visits and events into the last database")
    setup = run_timed(
        [python(), "-m", "data", "import", "--db", str(database), str(files.visits), str(files.events)], args.timeout
    )
    result["setup_import"] = setup
    status = subprocess.run(
        [python(), "-m", "data", "status", "--db", str(database)], cwd=ROOT, capture_output=True, text=True
    )
    result["db_status"] = status.stdout.strip().splitlines()
    result["db_mb"] = database.stat().st_size / 1e6
    quiet["queries"] = wait_quiet(args.quiet_wait)
    log(f"size {rows:,}: page queries x{repeat} (other load before: {quiet['queries']['busy_cores']} cores busy)")
    raw_db = folder / "raw.duckdb"
    raw_db.unlink(missing_ok=True)
    # The page query sets take milliseconds: more passes than the slow phases, for steadier medians.
    result["query_repeat"] = query_repeat = args.query_repeat or (1 if args.small else max(QUERY_REPEAT, repeat))
    result["queries"] = phase_queries(database, raw_db, files.transactions, query_repeat, warmup=0 if args.small else 1)
    if rows in spark_sizes(args):
        log(f"size {rows:,}: the Overview's query set on DuckDB and on Spark (bench/engines.py)")
        result["engines"] = phase_engines(database, rows, folder / "lake", args.timeout, folder / "engines.log")
    env = {**os.environ, "KPI_DB": str(database)}
    quiet["apptest"] = wait_quiet(args.quiet_wait)
    log(f"size {rows:,}: AppTest filter change x{repeat} (other load before: {quiet['apptest']['busy_cores']})")
    districts = ",".join(result["queries"]["filter_districts"])
    result["apptest"] = run_json(
        [python(), "-m", "bench.interact", "apptest", "--repeat", str(repeat), "--districts", districts],
        args.timeout,
        env,
        folder / "apptest.log",
    )
    if args.no_browser:
        result["browser"] = {"skipped": "--small run" if args.small else "--no-browser"}
    else:
        quiet["browser"] = wait_quiet(args.quiet_wait)
        log(f"size {rows:,}: first chart in chromium x{repeat} (other load before: {quiet['browser']['busy_cores']})")
        result["browser"] = run_json(
            [python(), "-m", "bench.interact", "browser", "--repeat", str(repeat), "--districts", districts],
            args.timeout,
            env,
            folder / "browser.log",
        )
        if rows == args.meeting_rows:
            quiet["meeting"] = wait_quiet(args.quiet_wait)
            log(f"size {rows:,}: a meeting in chromium (other load before: {quiet['meeting']['busy_cores']})")
            command = [python(), "-m", "bench.meeting", "--db", str(database)]
            result["meeting"] = run_json(command, args.timeout, env, folder / "meeting.log")
    return result


def spark_sizes(args) -> list[int]:
    """The sizes at which Spark is measured against DuckDB (--spark-sizes)."""
    return [int(n) for n in args.spark_sizes.split(",")] if args.spark_sizes else []


def fingerprint(root: Path = ROOT) -> str:
    """A short hash of the measured source files, to tell which version of the code a result is for."""
    digest = hashlib.sha256()
    for name in SOURCE:
        path = root / name
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(str(file.relative_to(root)).encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()[:12]


def take_snapshot(work: Path) -> Path:
    """A copy of the code in <work>/snapshot, so that edits made while the benchmark runs do not mix versions."""
    snapshot = work / "snapshot"
    shutil.rmtree(snapshot, ignore_errors=True)
    skip = shutil.ignore_patterns("__pycache__", "work", "*.duckdb", "*.duckdb.*", "*_rejected", "*_uploads")
    for name in SNAPSHOT:
        source, target = ROOT / name, snapshot / name
        if source.is_dir():
            shutil.copytree(source, target, ignore=skip)
        elif source.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return snapshot


# ------------------------------------------------------------------------------------------------ report


def machine() -> dict:
    info: dict = {"cores": os.cpu_count()}
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        info["cpu"] = re.search(r"model name\s*:\s*(.+)", cpuinfo).group(1).strip()
    except (OSError, AttributeError):
        info["cpu"] = platform.processor() or "unknown"
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        info["ram_gb"] = round(kb / 1024 / 1024, 1)
    except (OSError, AttributeError):
        info["ram_gb"] = None
    try:
        info["os"] = re.search(r'PRETTY_NAME="(.+)"', Path("/etc/os-release").read_text()).group(1)
    except (OSError, AttributeError):
        info["os"] = platform.platform()
    import duckdb
    import numpy
    import pandas
    import pyarrow
    import streamlit

    info["python"] = platform.python_version()
    info["versions"] = {
        "duckdb": duckdb.__version__,
        "pandas": pandas.__version__,
        "streamlit": streamlit.__version__,
        "pyarrow": pyarrow.__version__,
        "numpy": numpy.__version__,
    }
    try:
        chromium = subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True, timeout=20)
        info["chromium"] = chromium.stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        info["chromium"] = None
    return info


def med(values) -> float | None:
    values = [v for v in values or [] if v is not None]
    return statistics.median(values) if values else None


def _runs(size: dict, tool: str) -> list[dict]:
    return [r for r in size.get("import", {}).get(tool, []) if not r.get("error")]


def import_median(size: dict, tool: str, key: str = "wall") -> float | None:
    return med(r[key] for r in _runs(size, tool))


def fmt(value, spec: str = ".2f", unit: str = "") -> str:
    if value is None:
        return "–"
    return f"{value:{spec}}{unit}"


def ratio(a, b) -> float | None:
    return a / b if a is not None and b else None


def _rows(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return f"{n:,}"


def page_ms(size: dict, view: str, page: str, key: str = "total") -> float | None:
    slot = size.get("queries", {}).get("views", {}).get(view, {}).get(page)
    value = med(slot.get(key)) if slot else None
    return value * 1000 if value is not None else None


def render(results: dict) -> str:
    sizes = [results["sizes"][k] for k in sorted(results["sizes"], key=int)]
    largest = sizes[-1] if sizes else None
    m = results["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items())
    repeats = sorted({s["repeat"] for s in sizes})
    repeat_text = (
        f"median of {repeats[0]} repetition{'s' if repeats[0] > 1 else ''}"
        if len(repeats) == 1
        else "median of " + ", ".join(f"{s['repeat']} at {_rows(s['rows'])}" for s in sizes) + " repetitions"
    )
    lines = [
        "# Benchmark results",
        "",
        f"Written by `{results['command']}` on {results['date']} ({repeat_text}; wall time "
        f"{results.get('elapsed_min', 0):.0f} min). Generated data: {results.get('branches', 80)} branches, "
        "2021-01-01..2025-12-31 "
        "(`bench/generate.py`, seeded); the transaction count is the size.",
    ]
    if results.get("note"):
        lines += ["", results["note"]]
    code = results.get("code") or {}
    if code:
        lines += [
            "",
            f"Code measured: source fingerprint `{code.get('fingerprint')}` (sha256 of {', '.join(SOURCE)})"
            + (
                f", {code['snapshot']}, so that edits made during the run could not mix versions."
                if code.get("snapshot")
                else ", the working tree as it was during the run."
            ),
        ]
    lines += [
        "",
        "## Machine",
        "",
        f"- CPU: {m['cpu']}, {m['cores']} cores; RAM {m['ram_gb']} GB; {m['os']}",
        f"- Python {m['python']}; {versions}",
        f"- Browser: {m.get('chromium') or 'not found'}",
        "- Other load: CPU cores kept busy by other processes just before each phase (the runner waits up to "
        "`--quiet-wait` seconds for them to drop under 0.3): "
        + "; ".join(f"{_rows(s['rows'])} {_quiet_text(s)}" for s in sizes)
        + ".",
        "",
        "## Import",
        "",
        "Transactions file only (the branch list was imported by an earlier command into the fresh database). "
        "Wall time and peak RSS of the whole process from `/usr/bin/time -v`; medians.",
        "",
        "| rows | file | ours | ours peak RSS | DuckDB scan | its RSS | DuckDB, same dimensions | its RSS | pandas "
        "| its RSS | ours / DuckDB | ours / same dimensions | pandas / ours |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in sizes:
        ours, duck, dims, pand = (import_median(s, t) for t in ("ours", "duckdb", "duckdb_dims", "pandas"))
        lines.append(
            f"| {_rows(s['rows'])} | {s['file_mb']:.0f} MB | {fmt(ours, '.2f', ' s')} | "
            f"{fmt(import_median(s, 'ours', 'rss_mb'), '.0f', ' MB')} | {fmt(duck, '.2f', ' s')} | "
            f"{fmt(import_median(s, 'duckdb', 'rss_mb'), '.0f', ' MB')} | {fmt(dims, '.2f', ' s')} | "
            f"{fmt(import_median(s, 'duckdb_dims', 'rss_mb'), '.0f', ' MB')} | {fmt(pand, '.2f', ' s')} | "
            f"{fmt(import_median(s, 'pandas', 'rss_mb'), '.0f', ' MB')} | {fmt(ratio(ours, duck), '.2f', '×')} | "
            f"{fmt(ratio(ours, dims), '.2f', '×')} | {fmt(ratio(pand, ours), '.2f', '×')} |"
        )
    failures = [
        f"{_rows(s['rows'])} {tool}: {r['error']}"
        for s in sizes
        for tool in ("ours", "duckdb", "duckdb_dims", "pandas")
        for r in s.get("import", {}).get(tool, [])
        if r.get("error")
    ]
    lines += [""] + ([f"Failed runs: {'; '.join(failures)}.", ""] if failures else [])
    lines += _huge_lines(results.get("huge"))
    lines += [
        "Baselines (`bench/baseline.py`, each its own process): DuckDB "
        "`SELECT CAST(timestamp AS DATE) d, branch, action, count(*) FROM read_csv(file) GROUP BY ALL` into a "
        "DataFrame; *same dimensions*: that scan grouped by item type and patron category as well, the groups "
        "DESIGN.md has the import keep (about 8× as many here), into a DuckDB temporary table; pandas "
        "`read_csv(usecols=[timestamp, branch, action])`, `to_datetime(...).dt.normalize()`, "
        "`groupby([day, branch, action]).size()`. The CSV is in the OS page cache for all of them. Ours also "
        "hashes the file (re-imports are recognised by content), checks every row's date, branch and action, "
        "copies the database into a new generation, writes, checkpoints and fsyncs it (data/store.py).",
    ]
    if largest and largest.get("db_status"):
        lines += [
            "",
            f"Database after the {_rows(largest['rows'])} import plus visits and events "
            f"({largest.get('db_mb', 0):.0f} MB):",
            "",
            "```",
            *largest["db_status"],
            "```",
        ]
    lines += _queries_section(sizes, largest)
    lines += _interaction_section(sizes)
    lines += meeting.section(largest.get("meeting") if largest else None)
    lines += _robustness_section(results.get("robustness"))
    lines += _growth_section(sizes)
    lines += _targets_section(sizes, largest, results)
    from bench import spark_import

    lines += spark_import.section(results.get("spark_import"))
    from bench import engines

    measured = {size["rows"]: size["engines"] for size in sizes if size.get("engines")}
    if (results.get("huge") or {}).get("engines"):
        measured[results["huge"]["rows"]] = results["huge"]["engines"]
    lines += ["", *engines.section(measured).splitlines()] if measured else []
    lines += _notes_section(sizes, results)
    return "\n".join(lines) + "\n"


def _huge_lines(huge: dict | None) -> list[str]:
    """The --huge import, when one was run: one row, then a blank line."""
    if not huge:
        return []
    if huge.get("error"):
        return [f"`--huge` import of {_rows(huge['rows'])} rows failed: {huge['error']}.", ""]
    ours, dims = huge["ours"], huge["duckdb_dims"]
    made = "present already" if huge.get("generate_s") is None else f"written in {huge['generate_s']:.0f} s"
    return [
        f"A province's year (`--huge`, once, only the import; file by `bench/generate.py`, {huge['branches']} "
        f"branches, {made}; other load "
        f"before: {huge['quiet']['busy_cores']} cores busy):",
        "",
        "| rows | file | ours | ours peak RSS | DuckDB, same dimensions | its RSS | ours / same dimensions |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        f"| {_rows(huge['rows'])} | {huge['file_mb'] / 1000:.1f} GB | {fmt(ours.get('wall'), '.1f', ' s')} "
        f"| {fmt(ours.get('rss_mb'), '.0f', ' MB')} | {fmt(dims.get('wall'), '.1f', ' s')} "
        f"| {fmt(dims.get('rss_mb'), '.0f', ' MB')} | {fmt(ratio(ours.get('wall'), dims.get('wall')), '.2f', '×')} |",
        "",
    ]


def _huge_target(huge: dict | None) -> list[str]:
    if not huge or huge.get("error"):
        return []
    rss, wall = huge["ours"].get("rss_mb"), huge["ours"].get("wall")
    vs_dims = ratio(wall, huge["duckdb_dims"].get("wall"))
    ok = None if rss is None else rss < HUGE_MEMORY_MB
    return [
        f"- Import of {_rows(huge['rows'])} rows in bounded memory {_verdict(ok)}: peak memory "
        f"{fmt(rss, '.0f', ' MB')} (target < {HUGE_MEMORY_MB} MB), {fmt(wall, '.1f', ' s')} = "
        f"{fmt(vs_dims, '.2f', '×')} DuckDB's scan keeping the same dimensions (once, for information)."
    ]


def _queries_section(sizes, largest) -> list[str]:
    from bench.queries import PAGES, VIEWS

    q = largest.get("queries", {}) if largest else {}
    q_passes = largest.get("query_repeat", largest.get("repeat", "?")) if largest else "?"
    districts = ", ".join(q.get("filter_districts", []))
    lines = [
        "",
        "## Queries",
        "",
        "Every call each page makes for its view (`bench/queries.py` CALLS: the engine, satisfaction and "
        "data-check functions the pages call through `pages/_data.py`, plus the sidebar's listings and the "
        "as-of date every page run reads), called directly so Streamlit's caches play no part; one untimed "
        "warm-up pass first (none in `--small` runs), which also fills the metrics layer's per-database memo "
        "(`metrics/memo.py`: where each table's data starts and ends, branch names and lists, filter choices, "
        "targets: facts that change only with an import), then the median of "
        f"{q_passes} passes over the whole set, in ms. Default view: this year "
        f"(the data's as-of year, {q.get('as_of', '?')[:4]}), year over year. Filtered view: districts "
        f"{districts}, and loans as the Overview/Branches trend indicator. *raw* is the same pages' loans calls "
        "computed from the raw transaction rows loaded into a DuckDB table `raw_tx` (same filter, window and "
        "year-earlier window); *ours* beside it is the time of those same loans calls in the engine. "
        "*Without data checks* leaves out `findings` (the data-quality findings the import kept in the database, "
        "metrics.quality network_findings, filtered to the view), which the dashboard reads once per data "
        "version and then serves from its cache whatever the filter.",
        "",
        "| rows | page | view | whole set | without data checks | loans calls: ours | raw rows | raw / ours |",
        "|---:|---|---|---:|---:|---:|---:|---:|",
    ]
    for s in sizes:
        for page in PAGES:
            for view in VIEWS:
                loans, raw = page_ms(s, view.name, page, "loans"), page_ms(s, view.name, page, "raw")
                lines.append(
                    f"| {_rows(s['rows'])} | {page} | {view.name} | {fmt(page_ms(s, view.name, page), '.1f')} | "
                    f"{fmt(page_ms(s, view.name, page, 'no_findings'), '.1f')} | "
                    f"{fmt(loans, '.1f')} | {fmt(raw, '.1f')} | {fmt(ratio(raw, loans), '.2f', '×')} |"
                )
    if largest and q.get("views"):
        calls = []
        for view, pages in q["views"].items():
            for page, slot in pages.items():
                for label, values in slot["calls"].items():
                    calls.append((med(values) * 1000, page, view, label.split(" ", 1)[1]))
        calls.sort(reverse=True)
        lines += [
            "",
            f"Slowest calls at {_rows(largest['rows'])} (median ms; the same call on several pages is listed "
            "once per page):",
            "",
            "| ms | page | view | call |",
            "|---:|---|---|---|",
            *[f"| {ms:.1f} | {page} | {view} | {label} |" for ms, page, view, label in calls[:12]],
        ]
    mismatches = [
        f"{_rows(s['rows'])} {v}: {p}"
        for s in sizes
        for v, ps in s.get("queries", {}).get("raw_check", {}).items()
        for p in ps
    ]
    lines += [
        "",
        "Check: the raw-rows loans totals equal the engine's for every loans call"
        + (" — except: " + "; ".join(mismatches) if mismatches else " (all matched)."),
    ]
    return lines


def _interaction_section(sizes) -> list[str]:
    from bench.queries import PAGES

    lines = [
        "",
        "## Interaction",
        "",
        "AppTest (`streamlit.testing.v1`, `tests/app/entry.py`, pages switched by absolute path, KPI_DB the "
        "bench database): each page opened with `?metric=loans`, then the sidebar's districts set to the "
        "filtered view's and the rerun timed, in seconds (median; Streamlit's data cache emptied before each "
        "session, so the filtered view is computed cold). First chart: `streamlit run dashboard.py` started "
        "→ first `.js-plotly-plot` visible in headless chromium (Playwright, loopback port), in seconds; "
        "*server ready* is when `/_stcore/health` first answered, *page loaded* when the page's `load` "
        "event fired, *first KPI card* when the Overview's first `st.metric` was visible (all from the same "
        "start). *Filter change in chromium*: once that first run has finished, the filtered view's first "
        "district is chosen in the sidebar as a user does it; seconds from the click until the Visits card "
        "shows the new value, and until the rerun has finished with every chart drawn (computed cold, on a "
        "new server). The *page open* row is for information: "
        "the first run of the page in a fresh session, every cache cold (for the Data page it includes a run "
        "of the Overview first).",
        "",
        "| rows | AppTest | " + " | ".join(PAGES) + " |",
        "|---:|---|" + "---:|" * len(PAGES),
    ]
    for s in sizes:
        app = s.get("apptest", {}).get("pages", {})
        changes = [fmt(app.get(p, {}).get("median"), ".2f") for p in PAGES]
        opens = [fmt(med(app.get(p, {}).get("open")), ".2f") for p in PAGES]
        lines.append(f"| {_rows(s['rows'])} | filter change | " + " | ".join(changes) + " |")
        lines.append(f"| {_rows(s['rows'])} | page open | " + " | ".join(opens) + " |")
    lines += [
        "",
        "| rows | first chart | server ready | page loaded | first KPI card | each run (first chart) "
        "| filter change in chromium: new value | rerun finished |",
        "|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for s in sizes:
        browser = s.get("browser", {})
        if browser.get("skipped") or browser.get("error"):
            text = browser.get("skipped") or "failed"
            lines.append(f"| {_rows(s['rows'])} | {text} | | | | | | |")
            continue
        each = ", ".join(f"{r['first_chart']:.2f}" for r in browser.get("runs", []))
        lines.append(
            f"| {_rows(s['rows'])} | {fmt(browser.get('median'), '.2f')} | {fmt(browser.get('median_ready'), '.2f')} "
            f"| {fmt(browser.get('median_loaded'), '.2f')} | {fmt(browser.get('median_card'), '.2f')} | {each} "
            f"| {fmt(browser.get('median_filter_value'), '.2f')} | {fmt(browser.get('median_filter_rerun'), '.2f')} |"
        )
    errors = [
        f"{_rows(s['rows'])} {what}: {s[what]['error']}"
        for s in sizes
        for what in ("apptest", "browser")
        if s.get(what, {}).get("error")
    ]
    if errors:
        lines += ["", "Failed: " + "; ".join(errors) + "."]
    return lines


def _growth_rows(sizes) -> list[tuple[str, list]]:
    from bench.queries import PAGES, VIEWS

    rows = [
        ("import, ours (s)", [import_median(s, "ours") for s in sizes]),
        ("import, ours peak RSS (MB)", [import_median(s, "ours", "rss_mb") for s in sizes]),
        ("DuckDB bare scan (s)", [import_median(s, "duckdb") for s in sizes]),
        ("DuckDB scan, same dimensions (s)", [import_median(s, "duckdb_dims") for s in sizes]),
        ("pandas (s)", [import_median(s, "pandas") for s in sizes]),
    ]
    for page in PAGES:
        for view in VIEWS:
            rows.append((f"queries {page}, {view.name} (ms)", [page_ms(s, view.name, page) for s in sizes]))
            if page in FINDINGS_PAGES:
                rows.append(
                    (
                        f"queries {page}, {view.name}, without data checks (ms)",
                        [page_ms(s, view.name, page, "no_findings") for s in sizes],
                    )
                )
    for page in PAGES:
        rows.append(
            (
                f"AppTest filter change {page} (s)",
                [s.get("apptest", {}).get("pages", {}).get(page, {}).get("median") for s in sizes],
            )
        )
    rows.append(("first chart (s)", [s.get("browser", {}).get("median") for s in sizes]))
    return rows


def _growth_section(sizes) -> list[str]:
    names = [_rows(s["rows"]) for s in sizes]
    first = names[0] if names else ""
    ratio_heads = [f"{n}/{first}" for n in names[1:]]
    growth = " and ".join(f"{s['rows'] / sizes[0]['rows']:g}×" for s in sizes[1:])
    lines = [
        "",
        "## Growth",
        "",
        "Medians by size, and each size's figure as a multiple of the smallest size's "
        + (f"(rows grow {growth})." if growth else "(only one size was run)."),
        "",
        "| figure | " + " | ".join(names + ratio_heads) + " |",
        "|---|" + "---:|" * (len(names) + len(ratio_heads)),
    ]
    for label, values in _growth_rows(sizes):
        spec = ".0f" if "MB" in label else ".1f" if "ms" in label else ".2f"
        cells = [fmt(v, spec) for v in values] + [fmt(ratio(v, values[0]), ".2f", "×") for v in values[1:]]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def _verdict(ok: bool | None) -> str:
    return "**met**" if ok else "**not met**" if ok is not None else "**not measured**"


def _targets_section(sizes, largest, results) -> list[str]:
    from bench.queries import PAGES, VIEWS

    if not largest:
        return ["", "## Targets", "", "Nothing was measured."]
    at = _rows(largest["rows"])
    caveat = (
        f" (this is a `--small` run: the targets are meant for 10M rows and are evaluated here at {at})"
        if results.get("small")
        else ""
        if largest["rows"] >= 10_000_000
        else f" (evaluated at the largest size run, {at})"
    )
    lines = ["", "## Targets", "", f"Evaluated at {at} rows{caveat}.", ""]
    ours, duck, dims, pand = (import_median(largest, t) for t in ("ours", "duckdb", "duckdb_dims", "pandas"))
    rss = import_median(largest, "ours", "rss_mb")
    vs_dims, vs_pandas = ratio(ours, dims), ratio(pand, ours)
    ok = (
        None
        if None in (vs_dims, vs_pandas, rss)
        else (vs_dims <= IMPORT_VS_DIMS and vs_pandas >= IMPORT_VS_PANDAS and rss < IMPORT_MEMORY_MB)
    )
    lines.append(
        f"- Import {_verdict(ok)}: {fmt(ours, '.2f', ' s')} = {fmt(vs_dims, '.2f', '×')} DuckDB's scan keeping the "
        f"same dimensions (target ≤ {IMPORT_VS_DIMS}× {'✓' if vs_dims and vs_dims <= IMPORT_VS_DIMS else '✗'}; "
        f"{fmt(ratio(ours, duck), '.2f', '×')} the bare scan, for information), "
        f"{fmt(vs_pandas, '.2f', '×')} faster than pandas (target ≥ {IMPORT_VS_PANDAS}× "
        f"{'✓' if vs_pandas and vs_pandas >= IMPORT_VS_PANDAS else '✗'}), peak memory {fmt(rss, '.0f', ' MB')} "
        f"(target < {IMPORT_MEMORY_MB} MB {'✓' if rss and rss < IMPORT_MEMORY_MB else '✗'})."
    )
    lines += _huge_target(results.get("huge"))
    totals = {(p, v.name): page_ms(largest, v.name, p) for p in PAGES for v in VIEWS}
    slow = {k: v for k, v in totals.items() if v is not None and v >= PAGE_QUERIES_MS}
    measured = [v for v in totals.values() if v is not None]
    ok_ms = None if not measured else not slow
    worst = max(totals.items(), key=lambda kv: kv[1] or 0) if measured else None
    ratios = {
        (p, v.name): ratio(page_ms(largest, v.name, p, "raw"), page_ms(largest, v.name, p, "loans"))
        for p in PAGES
        for v in VIEWS
    }
    ratios = {k: r for k, r in ratios.items() if r is not None}
    ok_raw = None if not ratios else all(r >= RAW_RATIO for r in ratios.values())
    ok_q = None if ok_ms is None else ok_ms and bool(ok_raw)
    lines.append(
        f"- Page queries {_verdict(ok_q)}: every page's full set < {PAGE_QUERIES_MS} ms "
        f"{'✓' if ok_ms else '✗'} — "
        + (
            ", ".join(f"{p} {v} {fmt(ms, '.0f', ' ms')}" for (p, v), ms in totals.items())
            + (f"; slowest {worst[0][0]} {worst[0][1]}" if worst else "")
        )
        + f"; ≥ {RAW_RATIO}× faster than over raw rows {'✓' if ok_raw else '✗'} — raw/ours for the loans calls: "
        + (", ".join(f"{p} {v} {r:.2f}×" for (p, v), r in ratios.items()) or "none measured")
        + " (only loans have a raw-rows equivalent; pages without a loans call have no ratio)."
    )
    app = largest.get("apptest", {}).get("pages", {})
    app_values = {p: app.get(p, {}).get("median") for p in PAGES}
    ok_app = None if not app or None in app_values.values() else all(v < APPTEST_S for v in app_values.values())
    lines.append(
        f"- AppTest filter change per page < {APPTEST_S} s {_verdict(ok_app)}: "
        + ", ".join(f"{p} {fmt(v, '.2f', ' s')}" for p, v in app_values.items())
        + "."
    )
    browser = largest.get("browser", {})
    chart = browser.get("median")
    lines.append(
        f"- First chart < {FIRST_CHART_S} s after `streamlit run` "
        f"{_verdict(None if chart is None else chart < FIRST_CHART_S)}: "
        + (
            f"{chart:.2f} s (server answering after {browser.get('median_ready', 0):.2f} s)."
            if chart is not None
            else browser.get("skipped") or browser.get("error") or "not measured"
        )
    )
    if browser.get("median_filter_value") is not None:
        lines.append(
            f"- Feels instant in a real browser (no numeric target; for information): a district chosen in "
            f"chromium's sidebar shows the new Visits value after {browser['median_filter_value']:.2f} s and the "
            f"rerun has finished with its charts drawn after {browser['median_filter_rerun']:.2f} s."
        )
    if len(sizes) > 1:
        first = sizes[0]
        grow = largest["rows"] / first["rows"]
        import_growth = ratio(import_median(largest, "ours"), import_median(first, "ours"))
        query_growth = {
            (p, v.name + (", without data checks" if key == "no_findings" else "")): ratio(
                page_ms(largest, v.name, p, key), page_ms(first, v.name, p, key)
            )
            for p in PAGES
            for v in VIEWS
            for key in ("total", "no_findings")
        }
        query_growth = {k: r for k, r in query_growth.items() if r is not None}
        ok_import = None if import_growth is None else import_growth <= grow
        ok_flat = None if not query_growth else all(r <= QUERY_FLAT for r in query_growth.values())
        worst_q = max(query_growth.items(), key=lambda kv: kv[1]) if query_growth else None
        lines.append(
            f"- Growth {_verdict(None if ok_import is None or ok_flat is None else ok_import and ok_flat)}: import "
            f"{_rows(first['rows'])}→{at} grew {fmt(import_growth, '.2f', '×')} for {grow:g}× the rows (no worse than "
            f"linear {'✓' if ok_import else '✗'}); page query sets grew at most "
            + (f"{worst_q[1]:.2f}× ({worst_q[0][0]} {worst_q[0][1]})" if worst_q else "–")
            + f" (whole sets and sets without data checks; roughly flat, taken as ≤ {QUERY_FLAT:g}× "
            f"{'✓' if ok_flat else '✗'})."
        )
    else:
        lines.append("- Growth **not measured**: one size only.")
    return lines


def _quiet_text(size: dict) -> str:
    quiet = size.get("quiet", {})
    return ", ".join(f"{phase} {q['busy_cores']:g}" for phase, q in quiet.items()) or "?"


def _robustness_section(found: dict | None) -> list[str]:
    from bench import robustness as rb

    lines = [
        "",
        "## Robustness",
        "",
        "Measured once per run by `bench/robustness.py` (what these operations do is tested in "
        "`tests/test_quality.py` and `tests/test_corpus.py`; how fast they are is measured here). Data checks: "
        "`metrics.quality.findings` over the whole bundled sample database, median of the passes. Corpus: each "
        "file of `tests/corpus/CASES.tsv` through `python -m data import` (in one process) into a fresh copy of "
        "a small database. Huge files: 200 MB broken exports refused by `python -m data import`, each its own "
        "process.",
        "",
    ]
    if not found:
        return [*lines, "Not measured (results from before this phase existed)."]
    if found.get("error"):
        return [*lines, f"Failed: {found['error']}."]
    findings, corpus, huge = found["findings"], found["corpus"], found["huge"]
    lines += [
        "| check | measured | target | |",
        "|---|---:|---:|---|",
        f"| data checks over the sample ({findings['findings']} findings) | {fmt(findings['median_s'], '.2f', ' s')} "
        f"| under {rb.FINDINGS_S:g} s | {_verdict(findings['median_s'] < rb.FINDINGS_S)} |",
        f"| corpus: slowest of {corpus['files']} files (`{corpus['slowest']}`; median {fmt(corpus['median_s'], '.2f')} "
        f"s, all {fmt(corpus['total_s'], '.1f')} s) | {fmt(corpus['max_s'], '.2f', ' s')} | under "
        f"{rb.CORPUS_FILE_S:g} s each | {_verdict(corpus['max_s'] < rb.CORPUS_FILE_S)} |",
    ]
    if huge.get("skipped"):
        lines.append(f"| 200 MB broken files refused | skipped ({huge['skipped']}) | under {rb.HUGE_S:g} s each | |")
    else:
        for kind, run in huge["kinds"].items():
            refused = "" if run["rc"] == 1 else f" (exit status {run['rc']}, not a refusal)"
            lines.append(
                f"| 200 MB file, {kind.replace('_', ' ')}, refused{refused} | {fmt(run['seconds'], '.2f', ' s')} "
                f"| under {rb.HUGE_S:g} s | {_verdict(run['seconds'] < rb.HUGE_S and run['rc'] == 1)} |"
            )
    return lines


def _notes_section(sizes, results) -> list[str]:
    lines = ["", "## Notes", ""]
    for s in sizes:
        setup = s.get("setup_import", {})
        q = s.get("queries", {})
        generated = s.get("generate_s")
        lines.append(
            f"- {_rows(s['rows'])}: "
            + (f"file generated in {generated:.1f} s" if generated is not None else "file reused from the work folder")
            + f"; visits + events import {fmt(setup.get('wall'), '.1f', ' s')}; raw rows loaded into "
            f"`raw_tx` in {fmt(q.get('raw_load_s'), '.1f', ' s')}; waited for other load "
            + ", ".join(f"{phase} {v.get('waited_s', 0):.0f} s" for phase, v in s.get("quiet", {}).items())
            + "."
            + (f" Error: {s['error']}" if s.get("error") else "")
        )
    counts = {_rows(s["rows"]): sum(s.get("queries", {}).get("findings", {}).values()) for s in sizes}
    if any(counts.values()):
        lines.append(
            "- Data checks (`findings`): "
            + ", ".join(
                f"{size} {n} finding(s)"
                + (f" ({', '.join(f'{k} {v}' for k, v in s['queries']['findings'].items())})" if n else "")
                for (size, n), s in zip(counts.items(), sizes, strict=True)
            )
            + ". They are computed when an import is written (part of the import's time), and how long that "
            "takes follows how much they find rather than the row count: with few transactions the small "
            "branches' daily loan series have days without any loan (gaps, zero runs), reported one by one."
        )
    lines += [f"- {note}" for note in results.get("notes", [])]
    lines.append(
        "- Raw figures: `bench/work/results.json` (every repetition, every call); re-render this file with "
        "`python -m bench.run --render bench/work/results.json`."
    )
    return lines


# -------------------------------------------------------------------------------------------------- main


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", help="transaction counts, comma separated (default 1000000,3000000,10000000)")
    parser.add_argument(
        "--repeat", default=None, help="repetitions per size (median reported): one number, or one per size (3,3,2)"
    )
    parser.add_argument(
        "--query-repeat",
        type=int,
        help=f"passes over the page query sets (default the larger of {QUERY_REPEAT} and --repeat)",
    )
    parser.add_argument("--small", action="store_true", help=f"smoke test: {SMALL_ROWS:,} rows, once, no browser")
    parser.add_argument(
        "--out", type=Path, help="results file (default bench/RESULTS.md; --small: <work>/RESULTS-small.md)"
    )
    parser.add_argument("--work", type=Path, default=gen.WORK, help="work folder (default bench/work, git-ignored)")
    parser.add_argument("--branches", type=int, default=gen.BRANCHES)
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds allowed for one command")
    parser.add_argument("--no-browser", action="store_true", help="skip the first-chart measurement")
    parser.add_argument("--browser", action="store_true", help="measure the first chart even with --small")
    parser.add_argument("--no-pandas", action="store_true", help="skip the pandas baseline")
    parser.add_argument("--regenerate", action="store_true", help="rewrite the generated files even if present")
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=120.0,
        help="seconds to wait for other processes to leave the CPU idle before each size (default 120)",
    )
    parser.add_argument(
        "--snapshot",
        action="store_true",
        help="measure a copy of the code taken at the start (for when the tree is being edited during the run)",
    )
    parser.add_argument(
        "--huge", type=int, metavar="ROWS", help="also import a file of ROWS transactions, only the import, once"
    )
    parser.add_argument("--huge-dir", type=Path, help="folder for the --huge file (default <work>/data)")
    parser.add_argument("--note", help="a sentence to put at the top of the results (e.g. why repeats differ)")
    parser.add_argument("--render", type=Path, metavar="JSON", help="only rewrite the results file from a results.json")
    parser.add_argument(
        "--spark-sizes", help="also time the import roll-up on Spark vs DuckDB at these sizes (bench/spark_import.py)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    work = args.work.resolve()
    out = args.out or (work / "RESULTS-small.md" if args.small else RESULTS)
    if args.render:
        results = json.loads(args.render.read_text())
        if args.note:
            results["note"] = args.note
        out.write_text(render(results), encoding="utf-8")
        print(f"wrote {out}")
        return 0
    if args.small:
        sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else [SMALL_ROWS]
        args.no_browser = args.no_browser or not args.browser
        args.quiet_wait = min(args.quiet_wait, 0)
        if args.branches == gen.BRANCHES:
            args.branches = SMALL_BRANCHES
    else:
        sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else list(DEFAULT_SIZES)
    repeat_arg = args.repeat or ("1" if args.small else "3")
    repeats = [int(r) for r in repeat_arg.split(",")]
    if len(repeats) == 1:
        repeats *= len(sizes)
    if len(repeats) != len(sizes) or min(repeats) < 1:
        parser.error("--repeat takes one number or one per size")
    sizes, repeats = zip(*sorted(zip(sizes, repeats, strict=True)), strict=True)
    args.meeting_rows = sizes[-1]  # the meeting (bench/meeting.py) runs at the largest size only
    work.mkdir(parents=True, exist_ok=True)
    given = sys.argv[1:] if argv is None else list(argv)
    command = os.environ.get("BENCH_COMMAND") or "python -m bench.run" + "".join(f" {shlex.quote(a)}" for a in given)
    if args.snapshot and not os.environ.get("BENCH_SNAPSHOT"):
        snapshot = take_snapshot(work)
        taken = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        log(f"measuring a snapshot of the code in {snapshot}")
        env = {**os.environ, "BENCH_COMMAND": command, "BENCH_SNAPSHOT": f"a copy of {ROOT} taken at {taken}"}
        rest = [a for a in given if a != "--snapshot"] + [
            "--snapshot",
            "--out",
            str(out.resolve()),
            "--work",
            str(work),
        ]
        status = subprocess.call([sys.executable, "-m", "bench.run", *rest], cwd=snapshot, env=env)
        shutil.rmtree(snapshot, ignore_errors=True)
        return status
    results = {
        "command": command,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "code": {"fingerprint": fingerprint(), "snapshot": os.environ.get("BENCH_SNAPSHOT")},
        "machine": machine(),
        "small": args.small,
        "branches": args.branches,
        "note": args.note,
        "sizes": {},
        "notes": [],
    }
    started = time.perf_counter()
    raw_json = work / "results.json"
    for rows, repeat in zip(sizes, repeats, strict=True):
        try:
            results["sizes"][str(rows)] = run_size(rows, args, repeat, work)
        except Exception as exc:  # a failed size is reported, the others still run
            log(f"size {rows:,} failed: {exc!r}")
            results["sizes"].setdefault(str(rows), {"rows": rows, "repeat": repeat, "file_mb": 0})
            results["sizes"][str(rows)]["error"] = repr(exc)
        results["elapsed_min"] = (time.perf_counter() - started) / 60
        raw_json.write_text(json.dumps(results, indent=1, default=str))
    if args.huge:
        try:
            results["huge"] = phase_huge(args.huge, args, work)
        except Exception as exc:  # reported, like a failed size
            log(f"huge {args.huge:,} failed: {exc!r}")
            results["huge"] = {"rows": args.huge, "error": repr(exc)}
        raw_json.write_text(json.dumps(results, indent=1, default=str))
    log("robustness: data checks on the sample, the input corpus" + ("" if args.small else ", 200 MB files"))
    command = [python(), "-m", "bench.robustness", "--repeat", str(max(repeats)), "--work", str(work)]
    results["robustness"] = run_json(
        command + (["--no-huge"] if args.small else []), args.timeout, dict(os.environ), work / "robustness.log"
    )
    if args.spark_sizes:
        from bench import spark_import

        log("spark vs duckdb: the import roll-up")
        # The generated files of --huge-dir when given, so a 6 GB file is written once for both measurements.
        results["spark_import"] = spark_import.measure(spark_sizes(args), work=args.huge_dir or work)
    results["elapsed_min"] = (time.perf_counter() - started) / 60
    raw_json.write_text(json.dumps(results, indent=1, default=str))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(results), encoding="utf-8")
    log(f"wrote {out} ({results['elapsed_min']:.1f} min); raw figures in {raw_json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
