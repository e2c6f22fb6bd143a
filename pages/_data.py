"""The dashboard's data access: one cached read-only connection per database generation, and query
results cached as bounded data keyed by the database path, its generation (a new one with every
import, see data/store.py) and the filters. A page run reads one generation from start to end, so it
never mixes data from before and after an import.

The importer and the report modules are imported inside the functions that use them: every page run imports
this module, and they (the Word and image export libraries above all) would delay the first chart by a second
or more for what only an upload or a report download needs."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from data import db, private, remove, store
from data.completeness import TABLES as COMPLETENESS_TABLES
from metrics import display, engine, filters, quality, satisfaction
from metrics.filters import Filter, matching_branches
from pages._i18n import STRINGS, join_names, lang, long_date, number, period_name, t
from pages._state import from_key
from reports.phrases import phrase

if TYPE_CHECKING:
    from reports.annual import Request

CACHE = {"ttl": 3600, "max_entries": 512, "show_spinner": False}
UPLOAD_WAIT_SECONDS = 60  # an upload queues this long behind another import, then says the database is busy
HEADLINE = ("visits", "loans", "events")  # the tables whose end is the dashboard's "data as of" date
COMPLETENESS_HEADLINE = ("visits", "loans", "new_registrations")  # tables whose late reports the header names
# An upload is kept as `<stamp>-<name>` (16 + name bytes), and a file name has at most 255 bytes on common
# file systems: longer names, or names with control characters, are refused with a message.
UPLOAD_NAME_CHARS = 100
UPLOAD_NAME_BYTES = 220


@st.cache_resource(show_spinner="正在打开数据库… Opening the database…", max_entries=4)  # before any language is known
def open_db(path: str, version: str):
    """A read-only connection to the generation `version` of a database (checked when opened). Old
    generations drop out of the cache; a connection still in use lives until its queries end."""
    return store.open_reader(path, version)[0]


def current() -> tuple[str, object, str | None]:
    """(path, connection or None, generation) for $KPI_DB or the default database, whose absence
    means the bundled sample is imported first. A damaged database stops the page with the reason."""
    path = str(db.db_path())
    if store.token(path) is None and db.db_path(path) == db.DEFAULT_DB:
        from data.cli import build_sample  # the importer: only when there is no database yet

        build_sample(path)
    version = store.token(path)
    if version is None:
        return path, None, None
    try:
        return path, open_db(path, version), version
    except FileNotFoundError:  # a newer import removed that generation between two looks: take the new one
        version = store.token(path)
        return path, open_db(path, version), version
    except store.DatabaseDamaged as exc:
        st.error(f"{t('database_damaged')}\n\n{error_text(exc)}")
        st.stop()
    except db.DatabaseBusy as exc:
        st.error(error_text(exc))
        st.stop()


WRITE_ERRORS = (db.DatabaseBusy, store.WriteFailed, store.DatabaseDamaged)  # an import or removal not written


def error_text(exc: Exception) -> str:
    """Why the database could not be read or written, in the user's language: the data layer's own English
    message in English (it names the file and the cause); in Chinese our sentence for the kind of failure."""
    if lang() != "zh":
        return str(exc)
    if isinstance(exc, store.DatabaseDamaged):
        return t("data_error_damaged")
    if isinstance(exc, store.WriteFailed):
        return t("data_error_write_failed")
    return t("data_error_busy")


def day(value) -> str:
    """A date in a Data page table: 31 October 2026, 2026年10月31日; "–" for none."""
    if value is None or pd.isna(value):
        return display.NO_VALUE
    return long_date(pd.Timestamp(value).date())


def moment(value) -> str:
    """A time of import in a Data page table: its date in words and the minute."""
    if value is None or pd.isna(value):
        return display.NO_VALUE
    return f"{day(value)} {pd.Timestamp(value):%H:%M}"


def upload_name_problem(name: str) -> bool:
    """Whether an uploaded file's name cannot be kept as it is (too long, or with control characters)."""
    base = Path(name).name
    return (
        len(name) > UPLOAD_NAME_CHARS
        or len(base.encode("utf-8", "surrogatepass")) > UPLOAD_NAME_BYTES
        or not base.strip(". ")
        or any(ord(c) < 32 or ord(c) == 127 for c in name)
    )


def import_uploads(path: str, uploads: list[tuple[str, bytes]], allow_new: bool, quarantine: bool) -> list:
    """Import uploaded files (name, bytes) as one write of the database: [(name, report)]. Files that
    land are kept in `<database>_uploads/` so that `python -m data rebuild` can use them again. Names
    must pass upload_name_problem (the page refuses the others before calling this)."""
    from data.importer import Options, import_any  # the importer loads only when something is imported

    if any(upload_name_problem(name) for name, _ in uploads):
        raise ValueError("an upload's name is too long or holds control characters")
    target = db.db_path(path)
    folder = target.parent / f"{target.stem}_uploads"
    private.make_dir(folder)  # owner-only, like the database (data/private.py)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    options = Options(allow_new_branches=allow_new, quarantine=quarantine, quarantine_dir=store.rejected_dir(target))
    saved = []
    for name, content in uploads:
        file = folder / f"{stamp}-{Path(name).name}"  # the name only: never a path from the browser
        private.write_bytes(file, content)
        saved.append((name, file))
    results, landed = [], set()
    try:
        with store.writing(target, wait=UPLOAD_WAIT_SECONDS) as session:
            for name, file in saved:
                results.extend((name, report) for report in import_any(session.con, file, options))
            session.record([r for _, r in results], options)
        landed = {r.path for _, r in results if r.content_hash}
    finally:
        for _name, file in saved:
            if file not in landed:
                file.unlink(missing_ok=True)
    return results


@st.cache_data(**CACHE)
def as_of(path: str, version: str, key: tuple) -> dt.date | None:
    """engine.as_of of the headline metrics for the filter's branches (`key`; its dates do not matter)."""
    return engine.as_of(open_db(path, version), HEADLINE, from_key(key))


@st.cache_data(**CACHE)
def completeness(path: str, version: str, key: tuple, metric_ids: tuple[str, ...] = COMPLETENESS_HEADLINE) -> list:
    """[(metric id, Completeness)] of the metrics' tables for the filter's branches (`key`)."""
    con, flt = open_db(path, version), from_key(key)
    found = [(m, engine.completeness_of(con, engine.get(m), flt)) for m in metric_ids]
    return [(m, status) for m, status in found if status is not None and status.last_reported is not None]


def completeness_listing(path: str, version: str, scope: tuple[str, ...] | None, language: str) -> pd.DataFrame:
    """The Data page's "who has not reported yet" table: per table judged for completeness (for the branches
    in a user's scope), its complete-through date and, per later period, the branches behind."""
    con, names = open_db(path, version), branch_names(path, version, language)
    rows = []
    for table in COMPLETENESS_TABLES:
        status = engine.table_completeness(con, table, Filter(scope=scope))
        if status.last_reported is None:
            continue
        through = day(status.complete_through)
        for pending in status.pending[-12:] or (None,):
            behind = join_names((names.get(b, b) for b in pending.not_reported), language) if pending else "–"
            rows.append(
                {
                    t("table"): t(f"table_{table}"),
                    t("complete_through"): through,
                    t("month"): period_name(pending.period, language) if pending else "–",
                    t("reported_count"): f"{len(pending.reported)} / {pending.expected_count}" if pending else "–",
                    t("behind"): behind,
                }
            )
    return pd.DataFrame(rows)


@st.cache_data(**CACHE)
def metric(
    path: str,
    version: str,
    metric_id: str,
    key: tuple,
    grain: str,
    by: str | None,
    fiscal_start: int,
    compare: bool,
    like_for_like: bool,
    months_back: int | None = None,
) -> dict:
    """engine.compute for the filter `key`, as plain data."""
    result = engine.compute(
        open_db(path, version),
        metric_id,
        from_key(key),
        grain,
        by,
        fiscal_start,
        compare=compare,
        like_for_like=like_for_like,
        months_back=months_back,
    )
    return {
        "table": result.table,
        "gone": result.gone,
        "as_of": result.as_of,
        "complete_through": result.complete_through,
        "pending": result.pending,
        "excluded": result.excluded,
        "notes": result.notes,
    }


@st.cache_data(**CACHE)
def attainment(path: str, version: str, metric_id: str, key: tuple, fiscal_start: int):
    """engine.attainment for the filter `key`: the figure against its target, or None without one."""
    return engine.attainment(open_db(path, version), metric_id, from_key(key), fiscal_start)


@st.cache_data(**CACHE)
def branch_attainment(path: str, version: str, metric_id: str, key: tuple, fiscal_start: int) -> pd.DataFrame:
    """engine.attainment_table by branch for the filter `key`: the rows of the last (fiscal) year that have a
    target of their own (none: an empty table)."""
    con, flt = open_db(path, version), from_key(key)
    table = engine.attainment_table(con, metric_id, flt, "branch", fiscal_start, only_targeted=True).table
    if table.empty:
        return table
    last = table[table["period_start"] == table["period_start"].max()]
    return last[last["target"].notna()].reset_index(drop=True)


@st.cache_data(**CACHE)
def branch_names(path: str, version: str, language: str) -> dict[str, str]:
    """branch_id -> display name in the language."""
    return engine.branch_names(open_db(path, version), language)


@st.cache_data(**CACHE)
def district_names(path: str, version: str, language: str) -> dict[str, str]:
    """district as stored (what filters and links keep) -> display name in the language (district_zh in
    Chinese where the branch list gives one)."""
    return engine.district_names(open_db(path, version), language)


@st.cache_data(**CACHE)
def branches(path: str, version: str, scope: tuple[str, ...] | None) -> pd.DataFrame:
    """The branches in a user's scope (None: all); the scope is required so no caller can forget it."""
    return filters.branch_list(open_db(path, version), scope)


@st.cache_data(**CACHE)
def choices(path: str, version: str, scope: tuple[str, ...] | None) -> dict[str, list[str]]:
    """The values each filter can take, from the data of the branches in scope."""
    return filters.choices(open_db(path, version), scope)


@st.cache_data(**CACHE)
def all_findings(path: str, version: str, tables: tuple[str, ...] = quality.DEFAULT_TABLES) -> pd.DataFrame:
    """Every data-quality finding of the tables: those the import kept in the generation (computed when an
    older database has none)."""
    return quality.as_frame(quality.network_findings(open_db(path, version), tables))


@st.cache_data(**CACHE)
def findings(path: str, version: str, key: tuple, tables: tuple[str, ...] = quality.DEFAULT_TABLES) -> pd.DataFrame:
    """The findings (of the tables) for the filter's branches whose period overlaps the filter's dates."""
    flt = from_key(key)
    found = all_findings(path, version, tables)
    keep = found["branch_id"].isin(matching_branches(open_db(path, version), flt))
    if flt.date_from:
        keep &= found["period_end"] >= flt.date_from
    if flt.date_to:
        keep &= found["period_start"] <= flt.date_to
    return found[keep].reset_index(drop=True)


@st.cache_data(**CACHE)
def estimated_dates(path: str, version: str, key: tuple) -> list:
    return quality.estimated_dates(open_db(path, version), from_key(key))


@st.cache_data(**CACHE)
def satisfaction_trend(path: str, version: str, key: tuple, grain: str, fiscal_start: int, by: str | None):
    return satisfaction.trend(open_db(path, version), from_key(key), grain, fiscal_start, by)


@st.cache_data(**CACHE)
def survey_questions(path: str, version: str, key: tuple) -> list[str]:
    """The survey questions answered within the filter's dates and places (its question aside)."""
    return satisfaction.questions(open_db(path, version), from_key(key))


@st.cache_data(**CACHE)
def score_distribution(path: str, version: str, key: tuple) -> pd.DataFrame:
    return satisfaction.distribution(open_db(path, version), from_key(key))


@st.cache_data(**CACHE)
def table_query(path: str, version: str, name: str) -> pd.DataFrame:
    """A fixed listing for the Data page (by name, from LISTINGS)."""
    cursor = open_db(path, version).cursor()
    try:
        return cursor.execute(LISTINGS[name]).df()
    finally:
        cursor.close()


LISTINGS = {  # the import history is import_history(): it reads a column older databases lack
    "rejected": "SELECT i.source_file, r.line, r.column_name, r.value, r.reason FROM rejected_rows r "
    "JOIN imports i USING (import_id) ORDER BY r.import_id DESC, r.line LIMIT 2000",
}


@st.cache_data(**CACHE)
def status(path: str, version: str) -> pd.DataFrame:
    cursor = open_db(path, version).cursor()
    try:
        return pd.DataFrame(db.status(cursor)).drop(columns=["aliases"], errors="ignore")
    finally:
        cursor.close()


def status_listing(path: str, version: str) -> pd.DataFrame:
    """What is loaded, per table, for the Data page: tables named, counts and dates written in the user's
    language."""
    found = status(path, version)
    return pd.DataFrame(
        {
            t("table"): found["table"].map(table_name),
            t("data_col_rows"): found["rows"].map(number),
            t("data_col_first_date"): found["first_date"].map(day),
            t("data_col_last_date"): found["last_date"].map(day),
            t("data_col_branches"): found["branches"].map(number),
            t("data_col_last_import"): found["last_import"].map(moment),
        }
    )


def table_name(name: str) -> str:
    """A table (or an import's kind) named in the user's language."""
    key = f"import_table_{name}"
    return t(key) if key in STRINGS else name


FINDING_COLUMNS = ("table", "branch", "kind", "period_start", "period_end", "explanation", "severity")


def findings_listing(path: str, version: str, found: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(table shown, table to download) of data-check findings in the user's language: the check, the service
    point by its name in the language, the dates, what was found in words; the download keeps the figures
    raw."""
    language = lang()
    names = branch_names(path, version, language)
    kinds = {kind: _finding_kind(kind, language) for kind in quality.KINDS}
    words = {
        "table": found["table"].map(table_name),
        "branch": found["branch_id"].map(lambda b: names.get(b, b)),
        "kind": found["kind"].map(kinds.get),
        "period_start": found["period_start"].map(day),
        "period_end": found["period_end"].map(day),
        "explanation": [
            quality.explain(e, f, language) for e, f in zip(found["explanation"], found["facts"], strict=True)
        ],
        "severity": found["severity"].map(lambda s: t(f"data_severity_{s}")),
    }
    headers = [
        t(k)
        for k in (
            "table",
            "data_col_branch",
            "data_col_check",
            "data_col_from",
            "data_col_to",
            "data_col_explanation",
            "data_col_severity",
        )
    ]
    shown = pd.DataFrame(dict(zip(headers, (words[c] for c in FINDING_COLUMNS), strict=True)))
    raw = shown.assign(**{t("data_col_figure"): found["value"], t("data_col_baseline"): found["baseline"]})
    return shown, raw


def _finding_kind(kind: str, language: str) -> str:
    """A kind of data-check finding in words, as the annual report names it (reports/phrases.py)."""
    words = phrase(language, f"kind_{kind}")
    return words[:1].upper() + words[1:]


# ---------------------------------------------------------------- the import history, and taking an import back


@st.cache_data(**CACHE)
def import_history(path: str, version: str) -> pd.DataFrame:
    """The latest 500 imports, newest first, each with its status (active, replaced, removed)."""
    cursor = open_db(path, version).cursor()
    try:
        return remove.history(cursor)
    finally:
        cursor.close()


def removal_plan(path: str, version: str, import_id: int) -> remove.Removal:
    """What removing one import would take, per table, counted on the generation the page shows.
    Raises remove.RemoveError (a branch list still in use, an import no longer removable)."""
    cursor = open_db(path, version).cursor()
    try:
        return remove.plan(cursor, remove.find(cursor, [str(import_id)]))[0]
    finally:
        cursor.close()


def remove_import(path: str, import_id: int) -> remove.Removal:
    """Take one import back through the same writer as uploads (a new generation, journalled for rebuild).
    Raises remove.RemoveError, db.DatabaseBusy, store.WriteFailed or store.DatabaseDamaged, changing nothing."""
    with store.writing(db.db_path(path), wait=UPLOAD_WAIT_SECONDS) as session:
        removal = remove.remove(session.con, [str(import_id)])[0]
        session.journal.append(remove.journal_entry(removal))
    return removal


# ---------------------------------------------------------------- the annual report


@st.cache_data(**CACHE)
def report_years(path: str, version: str) -> list[int]:
    """The years the data covers (by the headline tables), oldest first."""
    con = open_db(path, version)
    spans = [engine.data_span(con, engine.get(m)) for m in HEADLINE]
    firsts, lasts = [f for f, _ in spans if f], [last for _, last in spans if last]
    return list(range(min(firsts).year, max(lasts).year + 1)) if firsts else []


def report_request(key: tuple, year: int, fiscal_start: int, language: str, as_user: str | None) -> Request:
    """The report of the view's filter (`key`: its branches, districts, kinds, event choices and scope; its
    dates give way to the year's)."""
    from reports.annual import Request

    flt = replace(from_key(key), date_from=None, date_to=None, beyond_complete=False)
    return Request(year, fiscal_start, language, flt, as_user=as_user)


@st.cache_data(**CACHE)
def annual_report(path: str, version: str, key: tuple, year: int, fiscal_start: int, language: str, as_user=None):
    """reports.annual.build for the view and year, or None when the year has no figures there."""
    from reports import annual

    try:
        return annual.build(open_db(path, version), report_request(key, year, fiscal_start, language, as_user))
    except annual.NoFigures:
        return None


@st.cache_data(**CACHE)
def report_file(path: str, version: str, key: tuple, year: int, fiscal_start: int, language: str, as_user, fmt: str):
    """The report as a file of the format (docx, pdf, md): bytes."""
    from reports import render  # Word and image export libraries: loaded when a file is asked for

    report = annual_report(path, version, key, year, fiscal_start, language, as_user)
    return render.render(report.document, fmt)


@st.cache_data(**CACHE)
def plan_sheet(path: str, version: str, key: tuple, year: int, fiscal_start: int, language: str) -> bytes:
    """Next year's suggested targets (reports/plan.py) as CSV bytes; empty without a complete year."""
    from reports import plan

    flt = report_request(key, year, fiscal_start, language, None).flt
    rows = plan.suggest(open_db(path, version), year, flt, fiscal_start, language)
    return plan.to_csv(rows, language) if rows else b""
