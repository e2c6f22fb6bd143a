"""The Data page's import reports and history and, for directors, taking an import back.

An upload's report is data/report.py's summary (statuses, counts, and reasons as kinds with parameters)
worded here in the user's language; the command line prints the same report in English (describe()).

Removing asks first: the director picks an import, the page counts what would go from each table
(data/remove.py `plan`, on the generation shown) and asks for a confirmation, and only then removes it
through the same writer as uploads (a new generation, journalled so that a rebuild replays it). The
result is shown after the page has re-run on the new generation, whose history marks the import removed.
"""

from __future__ import annotations

import re
from pathlib import Path

import streamlit as st

from data import reasons, remove
from data.reasons import Reason
from data.report import Summary, summarise
from metrics import display
from pages import _auth, _data
from pages._export import downloads
from pages._i18n import STRINGS, join_names, lang, long_date, number, t

PENDING = "_remove_pending"  # the import id awaiting confirmation; not a widget key
DONE = "_remove_done"  # what the last removal took, shown once after the re-run
STATUSES = ("active", "replaced", "removed")
LINE_TYPES = {"renewals": "line_type_renewals", "e-media": "line_type_e_media", "other-channel": "line_type_other"}
ALERTS = {"loaded": st.success, "replaced": st.success, "unchanged": st.info, "quarantined": st.warning}
# Parameters of a reason that hold our own words (what a value should be, a date order, a required column,
# a field, a kind of data) or counts: worded in the user's language. Others are text from the file, kept.
WORD_PARAMS = ("what", "order", "other", "columns", "field", "column")
KIND_PARAMS = ("kind", "kinds")
COUNT_PARAMS = ("rows", "broken", "count", "length")


def show_report(name: str, report) -> None:
    """One upload's import report in the user's language, then the system-wide lines it gave. The file's
    name and anything from its content (columns, values, names) is shown as plain text or in a table, never
    as Markdown."""
    _show(summarise(report, name), part=False)
    system_lines(report)


def _show(summary: Summary, part: bool) -> None:
    ALERTS.get(summary.status, st.error)(_headline(summary))  # our words only: status, kind, layout
    if not part:
        st.code(summary.label, language=None)
    lines = _body(summary)
    if lines:
        st.text("\n".join(lines))
    if summary.problems:
        st.dataframe(_problem_table(summary), hide_index=True)
    for one in summary.parts:
        _show(one, part=True)


def _headline(summary: Summary) -> str:
    status = t(f"data_status_{summary.status}")
    if summary.parts:
        kinds = join_names(_table(p.kind) for p in summary.parts)
        return t("data_headline_parts", status=status, count=len(summary.parts), kinds=kinds)
    if summary.kind and summary.layout and summary.encoding:
        encoding = summary.encoding.upper()
        return t(
            "data_headline", status=status, kind=_table(summary.kind), layout=_layout(summary.layout), encoding=encoding
        )
    return status


def _body(summary: Summary) -> list[str]:
    """The report's lines: what happened, the counts, skips, branches and dates, notes, columns not read."""
    out = []
    if summary.message and not any(g.reason.text == summary.message.text for g in summary.problems):
        out.append(words(summary.message))
    if summary.counts:
        counts = {name: number(value) for name, value in summary.counts.items()}
        out.append(t("data_counts", kind=_table(summary.kind), **counts))
    for skip in summary.skips:
        out.append(
            t("data_skipped", rows=number(skip.rows), reason=words(skip.reason), lines=_lines(skip.lines, skip.rows))
        )
    if summary.more_skips[0]:
        out.append(t("data_more_skips", count=number(summary.more_skips[0]), rows=number(summary.more_skips[1])))
    if summary.blank_cells:
        out.append(t("data_blank_cells", count=number(summary.blank_cells)))
    if summary.counts and summary.ok:
        out.append(t("data_branches_line", matched=number(summary.matched), new=number(len(summary.new_branches))))
        if summary.new_branches:
            out.append(t("data_new_branches", names=join_names(summary.new_branches[:10])))
        if summary.date_min:
            out.append(t("data_dates_line", start=long_date(summary.date_min), end=long_date(summary.date_max)))
    out += [t("data_note", text=words(note, lead=False)) for note in summary.notes]
    if summary.ignored:
        out.append(
            t(
                "data_ignored",
                columns=("；" if lang() == "zh" else "; ").join(words(c, lead=False) for c in summary.ignored),
            )
        )
    if summary.quarantine_file:
        out.append(t("data_quarantine", file=Path(summary.quarantine_file).name))
    return out


def _problem_table(summary: Summary):
    """Every kind of problem with its cases: the reason in words, the lines, the column, the value, the detail."""
    import pandas as pd

    columns = [
        t(k)
        for k in (
            "data_problem_reason",
            "data_problem_lines",
            "data_problem_column",
            "data_problem_value",
            "data_problem_detail",
        )
    ]
    rows = []
    for group in summary.problems:
        reason = words(group.reason)
        for case in group.cases:
            value = "" if case.value is None else str(case.value)
            detail = words(case.detail, lead=False) if case.detail else ""
            rows.append([reason, _lines(case.lines, case.rows), case.column or "", value, detail])
        if group.more_cases:
            rows.append(
                [reason, t("data_more_cases", count=number(group.more_cases), rows=number(group.more_rows)), "", "", ""]
            )
    if summary.more_problems[0]:
        more = t("data_more_reasons", count=number(summary.more_problems[0]), rows=number(summary.more_problems[1]))
        rows.append([more, "", "", "", ""])
    return pd.DataFrame(rows, columns=columns)


def words(reason: Reason, lead: bool = True) -> str:
    """A reason (or note, message, detail) of an import in the user's language. One no kind fits keeps the
    importer's English, after a lead in the user's language (`lead`) when it is shown as a reason."""
    key = f"data_reason_{reason.kind}"
    if reason.kind == reasons.OTHER or key not in STRINGS:
        return t("data_reason_other", text=reason.text) if lead else reason.text
    return t(key, **{name: _param(name, value) for name, value in reason.params})


def _param(name: str, value: str) -> str:
    if name in COUNT_PARAMS:
        return number(int(value.replace(",", "")))
    if name in KIND_PARAMS:
        return join_names(_table(v) for v in value.split(", "))
    if name == "choices":
        return join_names(_choice(v) for v in value.split(", "))
    if name in WORD_PARAMS and not value.isdigit():
        return join_names(_word(v) for v in value.split(", "))
    return value


def _word(text: str) -> str:
    """One of our own words inside a reason (a field, what a value should be) in the user's language."""
    key = "data_word_" + re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    if key in STRINGS:
        return t(key)
    return _table(text)


def _choice(code: str) -> str:
    """A code a choice accepts (a kind of service point, a format, a counting method) in words."""
    if code in display.KINDS:
        return display.kind_label(code, lang())
    return display.code_label(code, lang())


def _lines(lines: tuple[int, ...], rows: int) -> str:
    """Line numbers as a report names them: "第 2、5 行等，另有 3 行"; the whole file for a file's problem."""
    if not lines:
        return t("data_whole_file")
    shown = join_names(str(n) for n in lines)
    if rows > len(lines):
        return t("data_lines_more", lines=shown, more=number(rows - len(lines)))
    if len(lines) == 1:
        return t("data_line", lines=shown)
    return t("data_lines", lines=shown)


def _with_detail(reason: Reason, detail: Reason | None) -> str:
    """A stored reason in words, with its row's detail in brackets."""
    text = words(reason)
    if detail is None:
        return text
    inner = words(detail, lead=False)
    return f"{text}（{inner}）" if lang() == "zh" else f"{text} ({inner})"


def _layout(layout: str) -> str:
    key = f"layout_{layout}"
    return t(key) if key in STRINGS else layout


def system_lines(report) -> None:
    """The system-wide lines an import gave (data/systemlines.py), in the user's language: each line, what it
    is, its total and how the network's figures count it, so that a director sees what the network includes."""
    if not report.ok or not report.system_lines:
        return
    import pandas as pd

    st.caption(t("system_lines_title"))
    rows = [
        (line["name"], t(LINE_TYPES[line["line_type"]]), number(line["total"]), t(_how(report.kind, line["line_type"])))
        for line in sorted(report.system_lines.values(), key=lambda line: -line["total"])
    ]
    columns = [t("line_name"), t("line_type"), t("line_total"), t("line_counted")]
    st.dataframe(pd.DataFrame(rows, columns=columns), hide_index=True)


def _how(kind: str, line_type: str) -> str:
    """The key of how the network's figures count a line (as data.systemlines.how_counted says in English)."""
    if kind == "circulation":
        return {"renewals": "line_how_renewals", "e-media": "line_how_e_media"}.get(line_type, "line_how_loans")
    return "line_how_visits" if kind == "visits" else "line_how_network"


def history(path: str, version: str) -> None:
    """The import history with each import's status in the user's language, and (for directors) the
    control that takes one back. Draws nothing for a session that may not import."""
    if not _auth.allows("import"):
        return
    st.subheader(t("import_history"))
    listing = _data.import_history(path, version)
    # Codes in words; the download keeps raw numbers and dates, the table shows them as the cards do.
    named = listing.assign(
        status=listing["status"].map(lambda s: t(f"import_status_{s}")),
        kind=listing["kind"].map(_table),
        layout=listing["layout"].map(_layout),
    )
    shown = named.assign(
        imported_at=named["imported_at"].map(_data.moment),
        removed_at=named["removed_at"].map(_data.moment),
        date_min=named["date_min"].map(_data.day),
        date_max=named["date_max"].map(_data.day),
        **{c: named[c].map(number) for c in ("rows_read", "rows_accepted", "rows_skipped", "rows_rejected")},
    )
    shown.columns = named.columns = [t(f"history_{column}") for column in listing.columns]
    st.dataframe(shown, hide_index=True)
    downloads(named, "imports", "dl_imports")
    _remove_control(path, version, listing[listing["status"] == "active"])


def _remove_control(path: str, version: str, active) -> None:
    st.subheader(t("remove_title"))
    done = st.session_state.pop(DONE, None)
    if done:
        st.success(t("remove_done", rows=number(sum(done["counts"].values()))))
        st.code(done["file"], language=None)  # a file name from the data: never Markdown
        st.dataframe(_counts(done["counts"]), hide_index=True)
    if active.empty:
        st.info(t("remove_nothing"))
        return
    names = {
        row.import_id: f"{row.import_id} · {row.source_file} · {_table(row.kind)} · {_data.day(row.imported_at)}"
        for row in active.itertuples()
    }
    chosen = st.selectbox(t("remove_pick"), list(names), format_func=names.get, key="remove_pick")
    if st.button(t("remove_ask"), key="remove_ask", icon=":material/undo:"):
        st.session_state[PENDING] = chosen
    if st.session_state.get(PENDING) != chosen:
        return
    try:
        removal = _data.removal_plan(path, version, chosen)
    except remove.RemoveError as exc:
        st.error(_refusal(exc))
        st.session_state.pop(PENDING, None)
        return
    st.warning(t("remove_confirm_text", rows=number(removal.rows)))
    st.code(removal.target.source_file, language=None)  # a file name from the data: never Markdown
    st.dataframe(_counts(removal.counts), hide_index=True)
    yes, no = st.columns(2)
    if no.button(t("remove_cancel"), key="remove_cancel"):
        st.session_state.pop(PENDING, None)
        st.rerun()
    if yes.button(t("remove_confirm"), key="remove_confirm", type="primary"):
        st.session_state.pop(PENDING, None)
        try:
            removed = _data.remove_import(path, chosen)
        except remove.RemoveError as exc:
            st.error(_refusal(exc))
            return
        except _data.WRITE_ERRORS as exc:
            st.error(f"{t('remove_not_written')}\n\n{_data.error_text(exc)}")
            return
        st.session_state[DONE] = {"file": removed.target.source_file, "counts": dict(removed.counts)}
        st.rerun()


def _table(name: str) -> str:
    return _data.table_name(name)


def rejected(path: str, version: str) -> None:
    """The rows left out of imports with their reasons, in the user's language (a reason as stored with the
    rows is read back into its kind, data/reasons.py); the download keeps the reason's words too."""
    import pandas as pd

    found = _data.table_query(path, version, "rejected")
    stored = [reasons.read_stored(text) for text in found["reason"]]
    shown = pd.DataFrame(
        {
            t("data_col_file"): found["source_file"],
            t("data_col_line"): found["line"].map(lambda n: str(n) if n else t("data_whole_file")),
            t("data_col_column"): found["column_name"].fillna(""),
            t("data_col_value"): found["value"].fillna(""),
            t("data_col_reason"): [_with_detail(reason, detail) for reason, detail in stored],
        }
    )
    st.dataframe(shown, hide_index=True)
    downloads(shown, "rejected", "dl_rejected")


def _counts(counts: dict[str, int]):
    """Rows per table as a two-column table, tables named in the user's language; tables untouched left out."""
    import pandas as pd

    rows = [(_table(table), number(counts[table])) for table in remove.TABLES if counts.get(table)]
    return pd.DataFrame(rows, columns=[t("remove_table"), t("remove_rows")])


def _refusal(exc: remove.RemoveError) -> str:
    """Why an import cannot be removed, in the user's language (the data layer's reasons are English)."""
    reasons = []
    for problem in exc.problems:
        if problem.code == "in_use":
            reasons.append(t("remove_in_use", rows=number(problem.rows)))
        else:  # replaced, removed or gone since the page was drawn: the history below is the current state
            reasons.append(t("remove_changed"))
    return "\n\n".join(reasons)
