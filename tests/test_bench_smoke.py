"""The benchmark harness runs end to end in its small mode and writes a complete results file.

Only that it completes and reports is checked, never how fast anything was: timings on a shared test
machine say nothing. The results go to a temporary folder, so bench/RESULTS.md is never touched.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench import generate
from bench.queries import CALLS, PAGES, VIEWS, page_calls
from bench.run import SECTIONS

ROOT = Path(__file__).resolve().parents[1]


def test_small_run_writes_every_section(tmp_path):
    out = tmp_path / "RESULTS.md"
    work = tmp_path / "work"
    real = ROOT / "bench" / "RESULTS.md"
    before = real.stat().st_mtime_ns if real.exists() else None
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--small", "--huge", "30000", "--out", str(out), "--work", str(work)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    text = out.read_text(encoding="utf-8")
    for section in SECTIONS:
        assert section in text, section
    results = json.loads((work / "results.json").read_text())
    (size,) = results["sizes"].values()
    assert "error" not in size, size.get("error")
    assert all(r["rc"] == 0 for r in size["import"]["ours"]), size["import"]["ours"]
    assert "error" not in size["apptest"], size["apptest"]
    assert size["queries"]["raw_check"] == {view.name: [] for view in VIEWS}  # raw rows agree with the engine
    for view in VIEWS:
        for page in PAGES:
            assert size["queries"]["views"][view.name][page]["total"], (view.name, page)
    assert "| 20k | overview | default |" in text
    huge = results["huge"]  # the import alone of a larger file, with its peak memory against the bound
    assert huge["rows"] == 30_000 and huge["ours"]["rc"] == 0 and huge["duckdb_dims"]["rc"] == 0, huge
    assert "| 30k |" in text and "rows in bounded memory" in text
    # The timings moved out of the tests are reported (the figures themselves are never checked).
    robustness = results["robustness"]
    assert "error" not in robustness, robustness
    assert robustness["findings"]["findings"] == 4  # the sample's four planted findings (tests/test_quality.py)
    assert robustness["corpus"]["files"] == 60  # tests/corpus/CASES.tsv, less its one sidecar mapping file
    assert robustness["huge"] == {"skipped": "--no-huge"}
    assert "| data checks over the sample (4 findings) |" in text
    assert (real.stat().st_mtime_ns if real.exists() else None) == before  # the real results are left alone


def test_generator_is_deterministic(tmp_path):
    first = generate.generate(5_000, tmp_path / "a", branches=12)
    second = generate.generate(5_000, tmp_path / "b", branches=12)
    for name in ("branches", "transactions", "visits", "events"):
        assert getattr(first, name).read_bytes() == getattr(second, name).read_bytes(), name
    lines = first.transactions.read_text().splitlines()
    assert lines[0] == "timestamp,branch,action,item_type,patron_category"
    assert len(lines) == 5_001


def test_every_page_has_calls_in_both_views():
    assert {page for pages, _ in CALLS for page in pages} == set(PAGES)
    for view in VIEWS:
        for page in PAGES:
            assert page_calls(page, view), (page, view.name)
