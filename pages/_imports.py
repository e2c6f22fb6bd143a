"""The Data page's import history and, for directors, taking an import back.

Removing asks first: the director picks an import, the page counts what would go from each table
(data/remove.py `plan`, on the generation shown) and asks for a confirmation, and only then removes it
through the same writer as uploads (a new generation, journalled so that a rebuild replays it). The
result is shown after the page has re-run on the new generation, whose history marks the import removed.
"""

from __future__ import annotations

import streamlit as st

from data import db, remove, store
from pages import _auth, _data
from pages._export import downloads
from pages._i18n import STRINGS, number, t

PENDING = "_remove_pending"  # the import id awaiting confirmation; not a widget key
DONE = "_remove_done"  # what the last removal took, shown once after the re-run
STATUSES = ("active", "replaced", "removed")
LINE_TYPES = {"renewals": "line_type_renewals", "e-media": "line_type_e_media", "other-channel": "line_type_other"}


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
    shown = listing.assign(
        status=listing["status"].map(lambda s: t(f"import_status_{s}")),
        kind=listing["kind"].map(_table),
        layout=listing["layout"].map(lambda k: t(f"layout_{k}") if f"layout_{k}" in STRINGS else k),
    )
    shown.columns = [t(f"history_{column}") for column in shown.columns]
    st.dataframe(shown, hide_index=True)
    downloads(shown, "imports", "dl_imports")
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
        row.import_id: f"{row.import_id} · {row.source_file} · {_table(row.kind)} · {row.imported_at:%Y-%m-%d}"
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
        except (db.DatabaseBusy, store.WriteFailed, store.DatabaseDamaged) as exc:
            st.error(f"{t('remove_not_written')}\n\n{exc}")
            return
        st.session_state[DONE] = {"file": removed.target.source_file, "counts": dict(removed.counts)}
        st.rerun()


def _table(name: str) -> str:
    """A table (or an import's kind) named in the user's language."""
    key = f"import_table_{name}"
    return t(key) if key in STRINGS else name


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
