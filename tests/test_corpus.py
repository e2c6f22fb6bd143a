"""The hostile and broken input corpus (tests/corpus/, manifest CASES.tsv): every file through the real
command line, with its expected outcome, message and exact change to the database. Plus 200 MB files made
at test time (refused in bounded memory) and generated malformed files (hypothesis). How long the imports
take is a bench figure (bench/robustness.py), never an assertion here."""

from __future__ import annotations

import contextlib
import csv
import io
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from dbstate import VOLATILE, digest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.robustness import HUGE, write_huge
from data import cli

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(__file__).parent / "corpus"
MANIFEST = CORPUS / "CASES.tsv"
BRANCHES = Path(__file__).parent / "fixtures" / "import" / "branches.csv"
SEED = "date,branch,visits\n2024-03-01,Central Library,100\n2024-03-02,Central Library,110\n"


def read_manifest() -> list[dict]:
    lines = [ln for ln in MANIFEST.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]
    header = lines[0].split("\t")
    cases = [dict(zip(header, ln.split("\t"), strict=True)) for ln in lines[1:]]
    return cases


CASES = read_manifest()
IMPORTED = [c for c in CASES if c["outcome"] != "sidecar"]


def run_import(db: Path, path: Path, *options: str) -> tuple[int, str]:
    """`python -m data import` in this process: (exit status, everything it printed)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = cli.main(["import", *options, "--db", str(db), str(path)])
    return code, out.getvalue()


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A folder holding a database with the fixture branch list and a small seed file of visits."""
    folder = tmp_path_factory.mktemp("template")
    seed = folder / "seed_visits.csv"
    seed.write_text(SEED, encoding="utf-8")
    for path in (BRANCHES, seed):
        code, out = run_import(folder / "kpi.duckdb", path)
        assert code == 0, out
    return folder


@pytest.fixture(scope="module")
def template_state(template) -> tuple[str, dict[str, Counter]]:
    """(digest, rows of every table) of the template database: what each copy starts from."""
    return digest(template / "kpi.duckdb"), table_rows(template / "kpi.duckdb")


def copy_db(template: Path, into: Path) -> Path:
    """A private copy of the template database (whatever files and links it is made of)."""
    shutil.copytree(template, into, symlinks=True)
    return into / "kpi.duckdb"


def table_rows(db: Path) -> dict[str, Counter]:
    """Every table's rows (import times left out) as a multiset, to say exactly what an import added."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        tables = con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1"
        ).fetchall()
        for (table,) in tables:
            columns = [
                c
                for (c,) in con.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
                    [table],
                ).fetchall()
                if c not in VOLATILE
            ]
            listed = ", ".join(f'"{c}"' for c in columns)  # names from the catalog
            out[table] = Counter(map(repr, con.execute(f'SELECT {listed} FROM "{table}"').fetchall()))
        return out
    finally:
        con.close()


# Rewritten by every write whatever the file: the data checks' findings kept for the new data and their stamp in
# `meta` (data/store.py); a rejected file still leaves them untouched (the digest check above).
DERIVED = {"meta", "quality_findings"}


def parse_changes(text: str) -> dict[str, int]:
    if text == "-":
        return {}
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"(\w+)\+(\d+)", text)}


@pytest.mark.parametrize("case", IMPORTED, ids=[c["file"] for c in IMPORTED])
def test_corpus_case(case, template, template_state, tmp_path):
    db = copy_db(template, tmp_path / "db")
    path = CORPUS / case["file"]
    before_digest, before = template_state
    options = [] if case["options"] == "-" else case["options"].split()
    code, out = run_import(db, path, *options)  # its duration is a bench figure (bench/robustness.py)
    assert "Traceback" not in out
    for phrase in case["message"].split(" && "):
        assert phrase.replace("{file}", str(path)) in out, f"{phrase!r} not in:\n{out}"
    if case["outcome"] == "rejected":
        assert code == 1, out
        assert "REJECTED" in out
        assert digest(db) == before_digest, "a rejected file changed the database"
        return
    # README says 1 for quarantined rows; the command line gives 0 (the file is not rejected). Either is fine here.
    assert code in ((0,) if case["outcome"] == "loaded" else (0, 1)), out
    assert case["outcome"].upper() in out
    after = table_rows(db)
    expected = parse_changes(case["changes"])
    assert set(expected) <= set(after), f"unknown tables in the manifest: {set(expected) - set(after)}"
    for table, rows in after.items():
        if table in DERIVED:
            continue
        assert not before[table] - rows, f"{table}: rows disappeared"
        added = sum((rows - before[table]).values())
        assert added == expected.get(table, 0), f"{table}: {added} rows added, expected {expected.get(table, 0)}"
    if case["outcome"] == "quarantined":
        written = Path(re.search(r"rejected rows written to (.+)", out).group(1).strip())
        lines = written.read_text(encoding="utf-8-sig").splitlines()
        assert lines[0].endswith("_line,_reason") and len(lines) - 1 == expected["rejected_rows"]


def test_manifest_lists_every_corpus_file_once():
    listed = [c["file"] for c in CASES]
    assert len(listed) == len(set(listed)), "a file is listed twice"
    present = {p.name for p in CORPUS.iterdir() if p.name not in (MANIFEST.name, ".gitattributes")}
    assert set(listed) == present, {"not listed": present - set(listed), "missing": set(listed) - present}
    for case in CASES:
        assert case["outcome"] in ("rejected", "loaded", "quarantined", "sidecar"), case
        assert case["what"].strip() and case["message"].strip(), case
        if case["outcome"] == "sidecar":  # a mapping file found beside its export
            assert case["file"].endswith(".mapping.toml")
            assert case["file"].replace(".mapping.toml", ".csv") in listed
        elif case["outcome"] == "rejected":
            assert case["changes"] == "-", case
        else:
            assert parse_changes(case["changes"]), case


# 200 MB files (bench/robustness.py writes them; the bench times their refusal), made at test time and
# removed afterwards: refused from their first 256 KB.


MEASURE = (
    "import resource, sys\n"
    "from data import cli\n"
    "code = cli.main(sys.argv[1:])\n"
    "sys.stdout.flush()\n"
    "print('MAXRSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def _measured_import(db: Path, path: Path) -> tuple[int, str, int]:
    """(exit status, output, peak memory in MB) of `python -m data import` in its own process."""
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, "import", "--db", str(db), str(path)],
        cwd=db.parent,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    peak = int(re.search(r"MAXRSS_KB (\d+)", done.stderr).group(1)) // 1024
    return done.returncode, done.stdout + done.stderr, peak


@pytest.fixture(scope="module")
def baseline_mb(template, tmp_path_factory) -> int:
    """Peak memory of the same command on a one-line file: the interpreter, DuckDB and pandas."""
    folder = tmp_path_factory.mktemp("baseline")
    small = folder / "small.csv"
    small.write_text("date,branch,visits\n2024-01-01,Nowhere,1\n", encoding="utf-8")
    code, out, peak = _measured_import(copy_db(template, folder / "db"), small)
    assert code == 1 and "unknown branch" in out, out
    return peak


@pytest.mark.parametrize(
    "kind, phrase",
    [
        pytest.param(kind, phrase, id=kind)
        for kind, phrase in [
            ("png_then_random_bytes", "binary file (a PNG image)"),
            ("text_without_header", "a mapping file (in the first 256 KB of this 200 MB file; the rest was not read)"),
            ("header_then_garbage_rows", "rows cannot be imported (in the first 256 KB of this 200 MB file"),
            ("quote_never_closed", "line 3: a cell longer than 16 MB; a quote opened in this row is probably never"),
        ]
    ],
)
def test_huge_file_refused_in_bounded_memory(kind, phrase, template, template_state, baseline_mb, tmp_path):
    db = copy_db(template, tmp_path / "db")
    before = template_state[0]
    path = tmp_path / f"{kind}.csv"
    try:
        write_huge(path, kind)
        assert path.stat().st_size == HUGE
        code, out, peak = _measured_import(db, path)
    finally:
        path.unlink(missing_ok=True)
    assert code == 1 and "REJECTED" in out and "Traceback" not in out, out
    assert phrase in out, out
    assert digest(db) == before
    assert peak - baseline_mb < 150, f"peak {peak} MB against {baseline_mb} MB for a one-line file"


# Generated malformed files: never an uncaught exception; a rejected file changes nothing.
VALID = (
    "date,branch,visits,method\n"
    "2024-05-01,Bezazian,12,counted\n"
    "2024-05-02,Albany Park,7,estimated\n"
    "2024-05-03,中心馆,1234,counted\n"
)
HOSTILE = [
    "<script>alert(1)</script>",
    "'; DROP TABLE visits; --",
    '=HYPERLINK("http://x","y")',
    "Bez\u0430zian",
    "Bez\u200bazian",
    "Harbour\u202eBranch",
    "2025-02-30",
    "31/12/24",
    "1,234.5",
    "1.234,5",
    "1e9",
    "-5",
    "NaN",
    "Total",
    "注：说明",
    '"',
    '""',
    "\r",
    "\n",
    "\x00",
    "\ufeff",
    "9" * 400,
    "Central Library",
    "2099-01-01",
    "",
]
HEADERS = [
    ["date", "branch", "visits"],
    ["month", "branch", "checkouts", "renewals"],
    ["event_id", "date", "branch", "title", "attendance"],
    ["branch_id", "name", "kind", "parent_id", "opened_on"],
    ["Branch", "JANUARY", "FEBRUARY", "YTD"],
    ["timestamp", "branch", "action", "item_type"],
    ["year", "metric", "target", "branch"],
]


def _mutate(data: bytes, ops: list[tuple[int, int, bytes]]) -> bytes:
    for kind, where, extra in ops:
        where = where % (len(data) + 1)
        if kind == 0:
            data = data[:where]  # truncated
        elif kind == 1:
            data = data[:where] + data[where + len(extra) + 1 :]  # bytes lost
        elif kind == 2:
            data = data[:where] + extra + data[where:]  # bytes inserted
        else:
            data = data[:where] + extra + data[where + len(extra) :]  # bytes overwritten
    return data


random_bytes = st.binary(max_size=3000)
mutated = st.builds(
    _mutate,
    st.sampled_from([VALID.encode(), VALID.encode("gb18030"), VALID.encode("utf-16")]),
    st.lists(
        st.tuples(
            st.integers(0, 3),
            st.integers(0, 400),
            st.one_of(st.binary(max_size=8), st.sampled_from(HOSTILE).map(lambda s: s.encode())),
        ),
        max_size=4,
    ),
)


@st.composite
def hostile_tables(draw) -> bytes:
    header = draw(st.sampled_from(HEADERS))
    cell = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=12))
    rows = draw(st.lists(st.lists(cell, min_size=0, max_size=len(header) + 2), max_size=8))
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    if draw(st.booleans()):
        out = io.StringIO()
        quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]))
        writer = csv.writer(out, delimiter=delimiter, quoting=quoting, lineterminator=draw(st.sampled_from("\n\r")))
        writer.writerows([header, *rows])
        text = out.getvalue()
    else:  # written by hand: stray quotes and delimiters stay as they are
        quote = draw(st.sampled_from(["", '"', "'"]))
        text = "\n".join(delimiter.join(f"{quote}{c}{quote}" for c in row) for row in [header, *rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]))
    return text.encode(encoding, errors="replace")


OPTION_SETS = [[], ["--allow-new-branches"], ["--quarantine"], ["--kind", "visits"], ["--kind", "branches"]]


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(random_bytes, mutated, hostile_tables()), options=st.sampled_from(OPTION_SETS))
def test_generated_malformed_files_never_crash_and_rejections_change_nothing(template, template_state, data, options):
    with tempfile.TemporaryDirectory() as folder:
        db = copy_db(template, Path(folder) / "db")
        path = Path(folder) / "case.csv"
        path.write_bytes(data)
        before = template_state[0]
        code, out = run_import(db, path, *options)
        assert code in (0, 1) and "Traceback" not in out, out
        assert re.search(r"case\.csv: (LOADED|REPLACED|UNCHANGED|QUARANTINED|REJECTED)", out), out
        if code == 1:
            assert "REJECTED" in out
            assert digest(db) == before, out
