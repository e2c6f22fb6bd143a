"""Issue 6, injection: no value ever reaches SQL text, nothing from the data is rendered as HTML or
Markdown, and exported names cannot run as spreadsheet formulas.

SQL: every metric of the registry is computed with every filter field of metrics.filters.Filter set to
hostile values, at every grain, `by`, fiscal start and comparison mode, and so are the satisfaction,
data-check and command-line entry points. Every SQL text DuckDB receives is recorded twice: by a proxy
around the connection (with its parameters) and by DuckDB's own query log (which sees every statement,
whatever Python object sent it). The texts must be the same as with harmless values of the same shape,
hold none of the hostile values, and the tables must be intact afterwards.

Rendering: the pages run under AppTest (both languages) against a database whose names and labels are
hostile (tests/hostile_data.py, imported by the real importer); no element that Streamlit interprets as
Markdown or HTML may carry them, and Plotly figures carry them escaped. tests/test_e2e_injection.py does
the same in a real browser.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import io
import itertools
import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import hostile_data as hostile
import openpyxl
import pandas as pd
import pytest
import streamlit as st
from google.protobuf.message import Message
from streamlit.testing.v1 import AppTest

from metrics import cli as metrics_cli
from metrics import engine, filters, periods, quality, satisfaction
from metrics.filters import DIMENSION_COLUMNS, Filter, matching_branches
from metrics.registry import METRICS, dimensions
from pages import PAGES
from pages._export import to_csv, to_excel

ROOT = Path(__file__).resolve().parents[1]
ENTRY = ROOT / "tests" / "app" / "entry.py"

# Values a user (a link, a form, the command line) could send in place of a name or code. None of them
# is in the hostile database, so each must match nothing.
HOSTILE = (
    "'; DROP TABLE visits; --",
    "' OR 1=1 --",
    "') OR ('1'='1",
    '"quoted"',
    '" OR ""="',
    "\\",
    "\\'; DROP TABLE events; --",
    "%",
    "_",
    "%' OR branch_id LIKE '%",
    "?",
    "$1",
    "; SELECT * FROM duckdb_settings(); --",
    "<script>alert(1)</script>",
    "ünïcödé ☃ \u202e 𝕏 \u200b",
    "城东分馆'); DELETE FROM branches; --",
    "x" * 5000,
)
# The same number of harmless values: the SQL text may depend on how many values there are, never on which.
HARMLESS = tuple(f"nomatch{i}" for i in range(len(HOSTILE)))
SWAP = dict(zip(HOSTILE, HARMLESS, strict=True))
GRAINS = (*periods.GRAINS, engine.WINDOW)
DATES = (
    (None, None),
    (dt.date(1900, 1, 1), dt.date(2999, 12, 31)),
    (dt.date(2024, 2, 29), dt.date(2024, 2, 29)),
    (dt.date(2025, 6, 1), dt.date(2024, 6, 1)),  # the wrong way round
)


def list_fields() -> list[str]:
    """Every field of Filter that holds names or codes (branch ids, districts, ... and any added later)."""
    return [f.name for f in dataclasses.fields(Filter) if str(f.type).startswith("tuple[str")]


# ---------------------------------------------------------------------------------------------- recording


class Recorder:
    """(sql, parameters) of every statement sent through a RecordingConnection, plus DuckDB's own log."""

    def __init__(self):
        self.statements: list[tuple[str, tuple]] = []
        self.logged: list[str] = []

    def texts(self) -> list[str]:
        return [sql for sql, _ in self.statements]


class RecordingConnection:
    """A DuckDB connection or cursor that records each statement before running it (DuckDB's classes
    cannot be patched, so the connection is wrapped). The connection itself (not its cursors) copies
    DuckDB's query log into the recorder when it closes."""

    def __init__(self, real, recorder: Recorder, owner: bool = False):
        self._real = real
        self._recorder = recorder
        self._owner = owner

    def _record(self, sql, parameters) -> None:
        self._recorder.statements.append((str(sql), tuple(parameters or ())))

    def execute(self, sql, parameters=None, *args, **kwargs):
        self._record(sql, parameters)
        self._real.execute(sql, parameters, *args, **kwargs)
        return self

    def executemany(self, sql, parameters=None, *args, **kwargs):
        self._record(sql, [p for row in parameters or () for p in row])
        self._real.executemany(sql, parameters, *args, **kwargs)
        return self

    def sql(self, sql, *args, **kwargs):
        self._record(sql, kwargs.get("params"))
        return self._real.sql(sql, *args, **kwargs)

    query = sql

    def cursor(self):
        return RecordingConnection(self._real.cursor(), self._recorder)

    def harvest(self) -> None:
        """Copy DuckDB's query log (of this database, so far) into the recorder."""
        if not self._owner:
            return
        with contextlib.suppress(duckdb.Error):
            rows = self._real.execute("SELECT message FROM duckdb_logs WHERE type = 'QueryLog'").fetchall()
            self._recorder.logged += [row[0] for row in rows]
            self._real.execute("CALL truncate_duckdb_logs()")

    def close(self):
        self.harvest()
        return self._real.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.harvest()
        return self._real.__exit__(*exc)

    def __getattr__(self, name):
        return getattr(self._real, name)


def recording(real, recorder: Recorder) -> RecordingConnection:
    real.execute("CALL enable_logging('QueryLog')")
    return RecordingConnection(real, recorder, owner=True)


def own_query(sql: str) -> bool:
    """The harness's own statements (logging, table counts), which are not the code under test."""
    return "duckdb_logs" in sql or "enable_logging" in sql or sql.startswith('SELECT count(*) FROM "')


def assert_clean(recorder: Recorder, values=HOSTILE) -> None:
    """No value in any SQL text, and the proxy saw every statement DuckDB's log has."""
    texts = recorder.texts() + recorder.logged
    distinctive = [v for v in values if len(v) >= 3]
    for sql in texts:
        found = [v[:40] for v in distinctive if v in sql]
        assert not found, f"values in SQL text {found}: {sql[:300]}"
    unseen = {sql.strip() for sql in recorder.logged if not own_query(sql)} - {s.strip() for s in recorder.texts()}
    assert not unseen, f"statements DuckDB ran that bypassed the recording proxy: {sorted(unseen)[:3]}"


def counts(con) -> dict[str, int]:
    tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()]
    return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


# ---------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory) -> Path:
    """The hostile database, as the dashboard and the command line open it."""
    return hostile.build(tmp_path_factory.mktemp("hostile"))


@pytest.fixture
def writable(hostile_db, tmp_path):
    """A writable copy of the hostile database (read-only would hide a DROP that got through)."""
    copy = tmp_path / "sweep.duckdb"
    shutil.copyfile(hostile_db.resolve(), copy)
    con = duckdb.connect(str(copy))
    yield con
    con.close()


@pytest.fixture
def recorder(writable):
    """(recorder, recording connection) on the writable copy; tables are checked intact at the end."""
    before = counts(writable)
    assert before["visits"] > 0 and before["branches"] == len(hostile.BRANCHES)
    rec = Recorder()
    proxy = recording(writable, rec)
    yield rec, proxy
    proxy.harvest()
    assert_clean(rec)
    assert counts(writable) == before, "a table changed or disappeared"


def run_both(rec: Recorder, call, flt: Filter):
    """call(flt) with the hostile values and with harmless ones of the same shape: the SQL texts must be
    the same, and the parameters too but for the values swapped. Returns both results."""
    start = len(rec.statements)
    hostile_result = call(flt)
    middle = len(rec.statements)
    harmless_flt = dataclasses.replace(
        flt,
        **{name: tuple(SWAP.get(v, v) for v in getattr(flt, name)) for name in list_fields() if getattr(flt, name)},
    )
    harmless_result = call(harmless_flt)
    with_hostile, with_harmless = rec.statements[start:middle], rec.statements[middle:]
    assert [s for s, _ in with_hostile] == [s for s, _ in with_harmless]
    swapped = [tuple(SWAP.get(p, p) if isinstance(p, str) else p for p in params) for _, params in with_hostile]
    assert swapped == [params for _, params in with_harmless]
    return hostile_result, harmless_result


def tables_of(metric) -> set[str]:
    if metric.compute == "satisfaction":
        return {"surveys", "events"}
    return {engine._table(metric)}


def applies(field: str, metric) -> bool:
    """Whether a filter field restricts every table the metric reads (then hostile values leave nothing)."""
    if field in ("branches", "districts", "kinds", "scope"):
        return True
    column = {"categories": "category", "audiences": "audience", "formats": "format"}.get(field)
    return all(column in DIMENSION_COLUMNS.get(table, set()) for table in tables_of(metric))


# ---------------------------------------------------------------------------------------------- 1. SQL


def test_every_metric_with_every_filter_field_hostile(recorder, capsys):
    rec, con = recorder
    fields = list_fields()
    assert {"branches", "districts", "kinds", "categories", "audiences", "formats"} <= set(fields)
    modes = itertools.cycle([(True, False, False), (True, True, False), (False, False, False), (True, False, True)])
    cases = 0
    for index, (metric, field) in enumerate(itertools.product(METRICS, [*fields, "all"])):
        by = [None, *dimensions(metric)][index % (len(dimensions(metric)) + 1)]
        grain = GRAINS[index % len(GRAINS)]
        fiscal_start = index % 12 + 1
        compare, like_for_like, same_weekday = next(modes)
        date_from, date_to = DATES[index % len(DATES)]
        values = {name: HOSTILE for name in fields} if field == "all" else {field: HOSTILE}
        flt = Filter(date_from=date_from, date_to=date_to, include_children=index % 2 == 0, **values)

        def call(f, metric=metric, by=by, grain=grain, fy=fiscal_start, modes=(compare, like_for_like, same_weekday)):
            result = engine.compute(con, metric.id, f, grain, by, fy, *modes)
            return result.table

        table, harmless = run_both(rec, call, flt)
        pd.testing.assert_frame_equal(table, harmless)  # hostile values behave as any name that is not there
        if field == "all" or applies(field, metric):
            assert table.empty, f"{metric.id} with hostile {field}: {len(table)} rows instead of none"
        cases += 1
    assert cases == len(METRICS) * (len(fields) + 1)
    con.harvest()
    assert len(rec.logged) >= len(rec.statements) > 4 * cases
    with capsys.disabled():
        print(f"\nSQL sweep: {len(METRICS)} metrics x {len(fields) + 1} filter fields = {cases} cases, ", end="")
        print(f"{len(rec.statements)} statements recorded, {len(rec.logged)} in DuckDB's log")


def test_every_breakdown_and_grain_with_hostile_filters(recorder):
    """Each metric by each of its dimensions at each grain, every filter field hostile at once."""
    rec, con = recorder
    everything = Filter(**{name: HOSTILE for name in list_fields()})
    for metric in METRICS:
        # every dimension, the grains in turn
        for by, grain in zip([None, *dimensions(metric)], itertools.cycle(GRAINS[::-1]), strict=False):

            def call(f, metric=metric, by=by, grain=grain):
                return engine.compute(con, metric.id, f, grain, by).table

            table, _ = run_both(rec, call, everything)
            assert table.empty
    assert len(rec.statements) > 2 * len(METRICS)


def test_satisfaction_checks_and_branch_lists_with_hostile_filters(recorder):
    rec, con = recorder
    for field in list_fields():
        flt = Filter(**{field: HOSTILE})
        for by in (None, *satisfaction.BY_CHOICES):
            trend, _ = run_both(rec, lambda f, b=by: satisfaction.trend(con, f, "quarter", 4, b), flt)
            if field != "formats":  # surveys have no format: a format choice applies to event ratings only
                assert trend.empty
        run_both(rec, lambda f: satisfaction.distribution(con, f), flt)
        run_both(rec, lambda f: satisfaction.observations(con, f, question=None), flt)
        found, _ = run_both(rec, lambda f: quality.findings_frame(con, f), flt)
        run_both(rec, lambda f: quality.estimated_dates(con, f), flt)
        branches, _ = run_both(rec, lambda f: matching_branches(con, f), flt)
        if field in ("branches", "districts", "kinds", "scope"):
            assert branches == set() and found.empty
        if field == "scope":  # a signed-in user's branch list and filter choices
            listed, _ = run_both(rec, lambda f: filters.branch_list(con, f.scope), flt)
            offered, _ = run_both(rec, lambda f: filters.choices(con, f.scope), flt)
            assert listed.empty and not any(offered.values())
    for question in HOSTILE:  # the survey question is a bound value too (event ratings answer only "overall")
        assert satisfaction.distribution(con, Filter(), question=question).empty
        assert satisfaction.observations(con, Filter(), question=question).empty
        assert satisfaction.observations(con, Filter(question=question)).empty
    assert len(rec.statements) > 100


def test_hostile_names_in_the_data_match_only_themselves(recorder):
    """Names that are themselves hostile (in the database) select exactly their own rows."""
    rec, con = recorder
    quote_id = "'; DROP TABLE branches; --"
    names = {bid: name for bid, (name, _, _) in hostile.BRANCHES.items()}
    for flt, expected in (
        (Filter(branches=(quote_id,)), {names[quote_id]}),
        (Filter(branches=("h-script", "h-img"), include_children=False), {hostile.SCRIPT, hostile.IMG}),
        (Filter(districts=(hostile.SCRIPT,)), {hostile.SCRIPT}),
        (Filter(districts=("' OR ''='", hostile.FORMULA)), {names[quote_id], hostile.FORMULA}),
        (Filter(districts=(hostile.LINK,)), {hostile.LINK}),
    ):
        table = engine.compute(con, "visits", flt, "year", "branch").table
        assert set(table["branch"]) == expected
    stored = [row[0] for row in con.execute("SELECT DISTINCT category FROM events ORDER BY 1").fetchall()]
    for category in stored:
        table = engine.compute(con, "events", Filter(categories=(category,)), "year", "category").table
        assert set(table["category"]) == {category}
    bad = engine.compute(con, "events", Filter(categories=("' OR 1=1 --",)), "year").table
    assert bad.empty
    assert_clean(rec, [quote_id, hostile.SCRIPT, hostile.IMG, hostile.FORMULA, hostile.LINK, *stored])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda con: engine.compute(con, "visits'; DROP TABLE visits; --", Filter()), "unknown metric"),
        (lambda con: engine.compute(con, "visits", Filter(), "month; DROP TABLE visits; --"), "unknown grain"),
        (lambda con: engine.compute(con, "visits", Filter(), "month", "branch_id FROM visits; --"), "choose from"),
        (lambda con: engine.compute(con, "visits", Filter(), "month", "category"), "choose from"),
        (lambda con: engine.compute(con, "visits", Filter(), "quarter", fiscal_start=0), "fiscal"),
        (lambda con: engine.compute(con, "visits", Filter(), "quarter", fiscal_start=13), "fiscal"),
        (lambda con: engine.compute(con, "visits", Filter(), "year", fiscal_start=10**9), "fiscal"),
        (lambda con: engine.compute(con, "visits", Filter(), "year", fiscal_start="4; DROP TABLE visits"), "fiscal"),
        (lambda con: satisfaction.trend(con, Filter(), "month; --"), "unknown grain"),
        (lambda con: satisfaction.trend(con, Filter(), "month", 1, "name FROM branches; --"), "cannot group"),
        (lambda con: satisfaction.trend(con, Filter(), "quarter", 0), "fiscal"),
        (lambda con: quality.findings(con, Filter(), ("visits; DROP TABLE visits",)), "no quality rules"),
    ],
    ids=[
        "metric",
        "grain",
        "by",
        "by-not-for-this-metric",
        "fiscal-0",
        "fiscal-13",
        "fiscal-huge",
        "fiscal-text",
        "satisfaction-grain",
        "satisfaction-by",
        "satisfaction-fiscal",
        "quality-table",
    ],
)
def test_identifiers_come_from_allow_lists(recorder, call, message):
    """A metric id, grain, breakdown, fiscal start or table name outside its allow-list is refused with a
    message naming the choices, before any SQL is made from it."""
    rec, con = recorder
    with pytest.raises((KeyError, ValueError)) as raised:
        call(con)
    assert message in str(raised.value)
    assert_clean(rec, ["DROP TABLE", "FROM branches", "FROM visits;"])


# ---------------------------------------------------------------------------------------------- the CLI


@pytest.fixture
def cli_recorder(hostile_db, monkeypatch):
    """Every connection the metrics command line opens goes through a recording proxy."""
    rec = Recorder()
    before = counts_of(hostile_db)
    real_connect = duckdb.connect
    monkeypatch.setattr(duckdb, "connect", lambda *a, **k: recording(real_connect(*a, **k), rec))
    yield rec
    monkeypatch.undo()
    assert counts_of(hostile_db) == before


def counts_of(path: Path) -> dict[str, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return counts(con)
    finally:
        con.close()


def run_cli(db: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = metrics_cli.main(["query", "--db", str(db), *args])
        except SystemExit as exc:  # argparse refusing a choice
            code = exc.code
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("value", HOSTILE, ids=lambda v: repr(v[:20]))
def test_cli_hostile_filter_values_match_nothing(hostile_db, cli_recorder, value):
    args = ["--metric", "attendance", "--grain", "month", "--by", "category", "--compare", "yoy"]
    for option in ("--district", "--kind", "--category", "--audience", "--event-format"):
        code, out, err = run_cli(hostile_db, *args, option, value, "--format", "csv")
        assert code == 0, err
        assert out.splitlines() == ["period,category,value,prior_value,yoy_pct,partial"]
    code, out, err = run_cli(hostile_db, *args, "--branch", value)
    assert code == 2 and "unknown branch" in err and out == ""
    assert_clean(cli_recorder, [value] if len(value) >= 3 else [])


def test_cli_hostile_branch_names_in_the_data(hostile_db, cli_recorder):
    """A branch whose id or name is hostile is found by it and brings only its own rows."""
    for spelling, expected in (
        ("'; DROP TABLE branches; --", 'Quote Branch O\'Brien "Q"'),
        (hostile.SCRIPT, hostile.SCRIPT),
        (hostile.BOLD, hostile.BOLD),
        (hostile.LINK, hostile.LINK),
    ):
        code, out, err = run_cli(
            hostile_db, "--metric", "visits", "--by", "branch", "--branch", spelling, "--format=json"
        )
        assert code == 0, err
        assert {row["branch"] for row in json.loads(out)["rows"]} == {expected}
    assert_clean(cli_recorder, ["'; DROP TABLE branches; --", hostile.SCRIPT, hostile.BOLD, hostile.LINK])


@pytest.mark.parametrize(
    "args",
    [
        ["--metric", "visits'; DROP TABLE visits; --"],
        ["--metric", "visits", "--grain", "month; DROP TABLE visits"],
        ["--metric", "visits", "--by", "branch_id FROM visits; --"],
        ["--metric", "visits", "--fiscal-start", "1; DROP TABLE visits"],
        ["--metric", "visits", "--fiscal-start", "13"],
        ["--metric", "visits", "--from", "2024-01-01'; DROP TABLE visits; --"],
        ["--metric", "visits", "--to", "' OR 1=1 --"],
        ["--metric", "visits", "--compare", "yoy; --"],
        ["--metric", "visits", "--format", "csv'; --"],
    ],
    ids=["metric", "grain", "by", "fiscal-text", "fiscal-13", "from", "to", "compare", "format"],
)
def test_cli_refuses_hostile_identifiers(hostile_db, cli_recorder, args):
    code, out, err = run_cli(hostile_db, *args)
    assert code == 2 and out == ""
    assert "Traceback" not in err and err.strip()
    if cli_recorder.statements:
        assert_clean(cli_recorder, ["DROP TABLE", "FROM visits;", "OR 1=1"])


def test_cli_as_a_process(hostile_db):
    """`python -m metrics query` itself: hostile values give an empty table and exit 0, tables intact."""
    before = counts_of(hostile_db)
    command = [sys.executable, "-m", "metrics", "query", "--db", str(hostile_db), "--metric", "visits", "--by"]
    command += ["branch", "--district", "' OR 1=1 --", "--kind", "'; DROP TABLE visits; --", "--compare", "yoy"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["period,branch,value,prior_value,yoy_pct,partial"]
    assert counts_of(hostile_db) == before


# ---------------------------------------------------------------------------------------------- 2. rendering

# What would be live if a page rendered data as Markdown or HTML. Escaped text (`\*\*`, `&lt;`) has none.
MARKUP = ("<script", "<img", "onerror", "<a ", "<b>", "**bold**", "**粗体**", "[link](", "[链接](", "$x$", "pwned")
# The tags the pages' own figures use (hover templates); any other "<" in a figure is unescaped data.
OWN_TAGS = ("<extra>", "</extra>", "<br>")
# Element fields that Streamlit shows as plain text (or that are not shown); every other string field of
# every element is treated as Markdown, so a new element carrying data is caught until it is listed here.
PLAIN_ANYWHERE = {"id", "icon", "type", "tag", "url", "theme", "config", "form_id", "default", "format"}
PLAIN = {
    ("selectbox", "options"),
    ("selectbox", "raw_value"),
    ("multiselect", "options"),
    ("multiselect", "raw_values"),
    ("multiselect", "default"),
    ("dataframe", "columns"),  # column configuration: the grid shows its labels as text
    ("code", "body"),
    ("text", "body"),  # st.text: shown as it is, nothing interpreted (the Report page's paragraphs)
    ("plotly_chart", "spec"),  # checked separately: Plotly's own pseudo-HTML
}
# Data as each language shows it: branch names (the Chinese name in Chinese), districts, categories
# and audiences (stored with "_" for spaces, shown with spaces).
SHOWN = {
    "en": [name for name, _, _ in hostile.BRANCHES.values()],
    "zh": [zh for _, zh, _ in hostile.BRANCHES.values()],
}


def proto_strings(message, path: str = ""):
    """(field path, text) of every string in a protobuf message, nested messages included."""
    for descriptor, value in message.ListFields():
        name = f"{path}.{descriptor.name}" if path else descriptor.name
        repeated = getattr(descriptor, "is_repeated", None)
        items = value if (repeated if repeated is not None else descriptor.label == 3) else [value]
        for item in items:
            if isinstance(item, Message):
                yield from proto_strings(item, name)
            elif isinstance(item, str):
                yield name, item


def figure_strings(spec: str):
    """Every string in a Plotly figure's JSON."""

    def walk(node):
        if isinstance(node, dict):
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)
        elif isinstance(node, str):
            yield node

    return list(walk(json.loads(spec)))


def inspect(at: AppTest) -> dict:
    """Every string of every element, sorted into interpreted (Markdown/HTML), plain and figure text."""
    seen = {"interpreted": [], "plain": [], "figure": [], "types": set()}
    for node in at._tree:
        if not hasattr(node, "proto") or hasattr(node, "children") or node.proto is None:
            continue
        seen["types"].add(node.type)
        for field, text in proto_strings(node.proto):
            leaf = field.rsplit(".", 1)[-1]
            if node.type == "plotly_chart" and field == "spec":
                seen["figure"] += figure_strings(text)
            elif leaf in PLAIN_ANYWHERE or (node.type, field) in PLAIN:
                seen["plain"].append(text)
            else:
                seen["interpreted"].append((node.type, field, text))
        if node.type == "dataframe":
            with contextlib.suppress(Exception):
                seen["plain"] += [str(v) for v in node.value.astype(str).to_numpy().ravel()]
    return seen


@pytest.fixture
def hostile_app(hostile_db, monkeypatch):
    monkeypatch.setenv("KPI_DB", str(hostile_db))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield hostile_db
    st.cache_data.clear()
    st.cache_resource.clear()


def open_page(page_file: Path, query: dict) -> AppTest:
    at = AppTest.from_file(str(ENTRY), default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(str(page_file))
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def views(at: AppTest, key: str):
    """The page as opened, and for the satisfaction page each of its breakdowns."""
    yield "default"
    if key == "satisfaction":
        for by in ("branch", "district", "audience", "category"):
            at.button_group(key="sat_by").set_value(by)
            at.run()
            assert not at.exception, [e.message for e in at.exception]
            yield by


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("page", [p[1] for p in PAGES])
def test_pages_never_interpret_data(hostile_app, page, lang):
    page_file = next(Path(p[0]) for p in PAGES if p[1] == page)
    drill = "h-img" if lang == "en" else "'; DROP TABLE branches; --"
    at = open_page(page_file, {"lang": lang, "drill": drill})
    shown_anywhere = []
    for view in views(at, page):
        seen = inspect(at)
        assert not at.error, [e.value for e in at.error]
        for element, field, text in seen["interpreted"]:
            live = [m for m in MARKUP if m in text]
            assert not live, f"{page}/{view}: {element}.{field} renders data as Markdown/HTML: {text[:200]!r}"
        for text in seen["figure"]:
            bare = text
            for tag in OWN_TAGS:
                bare = bare.replace(tag, "")
            assert "<" not in bare, f"{page}/{view}: unescaped in a figure: {text!r}"
        markdown = [e for e in at._tree if getattr(e, "type", "") in ("markdown", "caption") and e.proto.allow_html]
        assert not markdown, f"{page}/{view}: unsafe_allow_html used"
        shown_anywhere += seen["plain"] + seen["figure"]
    # Not vacuous: the hostile names are on the page, as plain text (sidebar lists, tables) or escaped
    # in figures.
    plain = set(shown_anywhere)
    for name in SHOWN[lang]:
        escaped = name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        assert any(name in text or escaped in text for text in plain), f"{name!r} not shown on {page}"


def test_figures_carry_hostile_labels_escaped(hostile_app):
    """The charts that label bars or panels with branch names or categories escape them for Plotly."""
    expected = {
        "branches": [hostile.SCRIPT, hostile.IMG, hostile.ANCHOR],
        "events": ["<img src=x onerror=window.pwnedcat=1>", "<script>window.pwnedcat=1</script>", "<b>loud</b> talk"],
    }
    for page, names in expected.items():
        at = open_page(next(Path(p[0]) for p in PAGES if p[1] == page), {"drill": "h-script"})
        figures = [s for s in inspect(at)["figure"]]
        for name in names:
            escaped = name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            assert any(escaped in text for text in figures), f"{name!r} not in the {page} charts"
            assert not any(name in text for text in figures)


# ---------------------------------------------------------------------------------------------- 3. exports


def test_exported_hostile_names_are_neutralised(hostile_db):
    """Branch names, districts and audiences from the data, exported as the pages export them."""
    con = duckdb.connect(str(hostile_db), read_only=True)
    try:
        ranking = engine.compute(con, "visits", Filter(), "window", "branch", compare=True).table
        audiences = engine.compute(con, "events", Filter(), "window", "audience").table
        categories = engine.compute(con, "events", Filter(), "window", "category").table
        places = con.execute("SELECT name, name_zh, district FROM branches ORDER BY branch_id").fetchall()
    finally:
        con.close()
    frame = pd.concat(
        [
            ranking[["branch", "value", "yoy_pct"]].rename(columns={"branch": "name"}),
            audiences[["audience", "value"]].rename(columns={"audience": "name"}),
            categories[["category", "value"]].rename(columns={"category": "name"}),
            pd.DataFrame({"name": [text for row in places for text in row]}),
            pd.DataFrame({"name": ["a decline"], "value": [-3.0], "yoy_pct": [-12.5]}),
        ],
        ignore_index=True,
    )
    dangerous = [n for n in frame["name"] if isinstance(n, str) and n.startswith(("=", "+", "-", "@"))]
    assert {hostile.FORMULA, "@sum(a1)", "=1+1"} <= set(dangerous)

    back = pd.read_csv(io.BytesIO(to_csv(frame)), encoding="utf-8-sig", keep_default_na=False)
    for name in dangerous:
        assert "'" + name in set(back["name"])
    assert not any(str(v).startswith(("=", "+", "-", "@")) for v in back["name"])
    assert hostile.SCRIPT in set(back["name"])  # text stays text

    sheet = openpyxl.load_workbook(io.BytesIO(to_excel(frame))).active
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    names = [cell.value for cell in cells if cell.column == 1]
    for name in dangerous:
        assert "'" + name in names
    assert not any(isinstance(v, str) and v.startswith(("=", "+", "-", "@")) for v in names)
    numbers = [cell for cell in cells if cell.column in (2, 3) and cell.value is not None]
    assert numbers and all(cell.data_type == "n" for cell in numbers)
    assert {-3, -12.5} <= {cell.value for cell in numbers}  # negative numbers stay numbers
