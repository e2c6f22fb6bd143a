"""How long the checks on bad input and data quality take: bench figures, not test assertions.

    python -m bench.robustness [--repeat 3] [--no-huge] [--work DIR]

The tests check what these operations do (tests/test_quality.py, tests/test_corpus.py); how fast they are
on a shared machine is measured here instead, and reported by bench/run.py next to its targets:

- `findings_s`: the data checks (metrics.quality.findings) over the whole bundled sample database,
  one pass each repetition (target: under FINDINGS_S);
- `corpus`: every file of the hostile input corpus (tests/corpus/CASES.tsv) imported by `python -m data
  import` (in this process) into a fresh copy of a small database, the way tests/test_corpus.py does it;
  the slowest file against CORPUS_FILE_S;
- `huge`: 200 MB broken files (write_huge, also used by the tests) refused by `python -m data import` in
  its own process, wall time each against HUGE_S (left out with --no-huge, as in `bench.run --small`).

Prints one JSON object on its last line.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus"
MANIFEST = CORPUS / "CASES.tsv"
BRANCHES = ROOT / "tests" / "fixtures" / "import" / "branches.csv"
SEED = "date,branch,visits\n2024-03-01,Central Library,100\n2024-03-02,Central Library,110\n"

FINDINGS_S = 2.0  # the data checks over the whole sample
CORPUS_FILE_S = 30.0  # one small corpus file through the command line
HUGE_S = 60.0  # a 200 MB broken file refused

# 200 MB files, made when measured and removed afterwards: refused from their first 256 KB.
HUGE = 200 * 1024 * 1024
MB = 1024 * 1024
HUGE_KINDS = ("png_then_random_bytes", "text_without_header", "header_then_garbage_rows", "quote_never_closed")


def write_huge(path: Path, kind: str) -> None:
    """A HUGE-byte broken export of one of HUGE_KINDS (seeded: the same bytes every time)."""
    rng = random.Random(kind)
    with path.open("wb") as handle:
        if kind == "png_then_random_bytes":
            handle.write(b"\x89PNG\r\n\x1a\n")
            chunk = rng.randbytes(MB)
            for i in range(HUGE // MB):
                handle.write(chunk[i:] + chunk[:i])
            handle.truncate(HUGE)
            return
        if kind == "text_without_header":
            line = "".join(rng.choice("abcdefghij klmnop;") for _ in range(999)) + "\n"
            chunk, head = (line * 1024).encode(), b""
        elif kind == "header_then_garbage_rows":
            head = b"date,branch,visits\n"
            cells = [b"xx", b"1e9", b"-3", b"??", b"12,34"]
            chunk = b"".join(b"2024-01-01,Bezazian,%s\n" % rng.choice(cells) for _ in range(40000))
        else:  # quote_never_closed: line 3 opens a quote; the rest of the file is good rows
            head = b'date,branch,visits\n2024-01-01,Bezazian,1\n2024-01-02,"Bezazian,2\n'
            chunk = b"2024-01-03,Bezazian,5\n" * 40000
        handle.write(head)
        for _ in range(-(-HUGE // len(chunk))):
            handle.write(chunk)
        handle.truncate(HUGE)


def _import(db: Path, path: Path, *options: str) -> int:
    """`python -m data import` in this process, its output swallowed; the exit status."""
    from data import cli

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return cli.main(["import", *options, "--db", str(db), str(path)])


def _cases() -> list[dict]:
    lines = [ln for ln in MANIFEST.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]
    header = lines[0].split("\t")
    cases = [dict(zip(header, ln.split("\t"), strict=True)) for ln in lines[1:]]
    return [c for c in cases if c["outcome"] != "sidecar"]


def _template(folder: Path) -> Path:
    """A folder holding a database with the fixture branch list and a small seed file of visits."""
    folder.mkdir(parents=True)
    seed = folder / "seed_visits.csv"
    seed.write_text(SEED, encoding="utf-8")
    for path in (BRANCHES, seed):
        if _import(folder / "kpi.duckdb", path) != 0:
            raise RuntimeError(f"could not import {path} into the template database")
    return folder


def measure_findings(work: Path, repeat: int) -> dict:
    from data import db
    from data.cli import build_sample
    from metrics.quality import findings

    path = work / "sample" / "kpi.duckdb"
    with contextlib.redirect_stdout(io.StringIO()):
        if build_sample(str(path)) != 0:
            raise RuntimeError("the sample did not import")
    con = db.connect(path, read_only=True)
    try:
        runs, found = [], 0
        for _ in range(repeat):
            started = time.perf_counter()
            found = len(findings(con))
            runs.append(time.perf_counter() - started)
    finally:
        con.close()
    return {"runs_s": runs, "median_s": statistics.median(runs), "findings": found, "target_s": FINDINGS_S}


def measure_corpus(work: Path) -> dict:
    template = _template(work / "template")
    seconds = {}
    for n, case in enumerate(_cases()):
        copy = work / "copies" / str(n)
        shutil.copytree(template, copy, symlinks=True)
        options = [] if case["options"] == "-" else case["options"].split()
        started = time.perf_counter()
        _import(copy / "kpi.duckdb", CORPUS / case["file"], *options)
        seconds[case["file"]] = time.perf_counter() - started
        shutil.rmtree(copy)
    slowest = max(seconds, key=seconds.get)
    return {
        "files": len(seconds),
        "median_s": statistics.median(seconds.values()),
        "max_s": seconds[slowest],
        "slowest": slowest,
        "total_s": sum(seconds.values()),
        "target_s": CORPUS_FILE_S,
    }


def measure_huge(work: Path) -> dict:
    template = _template(work / "huge_template")
    out = {}
    for kind in HUGE_KINDS:
        copy = work / "huge" / kind
        shutil.copytree(template, copy, symlinks=True)
        path = work / f"{kind}.csv"
        try:
            write_huge(path, kind)
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "data", "import", "--db", str(copy / "kpi.duckdb"), str(path)],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=600,
            )
            out[kind] = {"seconds": time.perf_counter() - started, "rc": done.returncode}
        finally:
            path.unlink(missing_ok=True)
            shutil.rmtree(copy, ignore_errors=True)
    return {"kinds": out, "max_s": max(r["seconds"] for r in out.values()), "target_s": HUGE_S}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.robustness", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="passes of the data checks (median reported)")
    parser.add_argument("--no-huge", action="store_true", help="skip the 200 MB files")
    parser.add_argument("--work", type=Path, help="work folder (default: a temporary one, removed afterwards)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-robustness-", dir=args.work) as folder:
        work = Path(folder)
        result = {"findings": measure_findings(work, max(1, args.repeat)), "corpus": measure_corpus(work)}
        result["huge"] = {"skipped": "--no-huge"} if args.no_huge else measure_huge(work)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
