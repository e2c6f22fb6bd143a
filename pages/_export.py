"""Every chart and table offers its data as CSV and Excel. A download keeps raw numbers (a spreadsheet
computes with them) but reads like the page: its first line says what the view is (period, comparison,
branches and other choices, data as of), its column headers are in the chosen language, and yes/no values
are words. Cells that a spreadsheet would run as a formula (starting with =, +, -, @, tab or carriage
return, or the full-width ＝＋－＠ that some spreadsheets also take as a formula) are neutralised with a
leading apostrophe. The rule is data/formulas.py, which `python -m metrics query --format csv` uses too."""

from __future__ import annotations

import io
import re

import pandas as pd
import streamlit as st

from data.formulas import neutralise

NOTE_KEY = "_download_note"  # the line pages/_page.header() writes for this run's view
# The engine's and the pages' column names -> STRINGS keys of their headers.
HEADERS = {
    "period": "month",
    "period_start": "dl_col_period_start",
    "period_end": "dl_col_period_end",
    "value": "dl_col_value",
    "prior_value": "prior_value",
    "change": "change",
    "yoy_pct": "yoy_pct",
    "partial": "dl_col_partial",
    "share": "share",
    "share_of_change": "dl_col_share_of_change",
    "per_capita": "per_capita",
    "rank": "dl_col_rank",
    "quality_flag": "quality_flag",
    "branch": "branch",
    "district": "dl_col_district",
    "kind": "dl_col_kind",
    "category": "dl_col_category",
    "audience": "dl_col_audience",
    "format": "dl_col_format",
    "question": "dl_col_question",
    "sessions": "dl_col_sessions",
    "participation": "dl_col_participation",
    "n": "dl_col_responses",
    "mean": "dl_col_mean",
    "ci_low": "dl_col_ci_low",
    "ci_high": "dl_col_ci_high",
    "satisfied_share": "dl_col_satisfied_share",
    "satisfied_ci_low": "dl_col_satisfied_ci_low",
    "satisfied_ci_high": "dl_col_satisfied_ci_high",
    "low_confidence": "dl_col_low_confidence",
    "sources": "dl_col_sources",
    "score": "dl_col_score",
    "count": "dl_col_count",
}


def readable(frame: pd.DataFrame, language: str) -> pd.DataFrame:
    """The frame with headers in the language and yes/no for true/false; numbers untouched."""
    from pages._i18n import STRINGS

    def word(key: str) -> str:
        return STRINGS[key][1 if language == "zh" else 0]

    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == bool:
            out[column] = out[column].map({True: word("dl_yes"), False: word("dl_no")})
    return out.rename(columns={c: word(HEADERS[c]) for c in out.columns if c in HEADERS})


def _note() -> str:
    return st.session_state.get(NOTE_KEY, "")


def to_csv(frame: pd.DataFrame, note: str = "") -> bytes:
    """UTF-8 CSV with a byte-order mark; `note`, when given, as the first line."""
    first = neutralise(pd.DataFrame({"note": [note]})).to_csv(index=False, header=False) if note else ""
    return (first + neutralise(frame).to_csv(index=False)).encode("utf-8-sig")


def to_excel(frame: pd.DataFrame, note: str = "") -> bytes:
    """An .xlsx sheet: `note`, when given, in the first row and the table from the second."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        neutralise(frame).to_excel(writer, index=False, startrow=1 if note else 0)
        if note:
            first = neutralise(pd.DataFrame({"note": [note]}))["note"].iloc[0]
            writer.sheets["Sheet1"].cell(row=1, column=1, value=first)
    return buffer.getvalue()


def downloads(frame: pd.DataFrame, name: str, key: str) -> None:
    """CSV and Excel buttons for a table, side by side."""
    from pages._i18n import lang, t

    stem = re.sub(r"[^\w\-]+", "_", name).strip("_") or "data"
    shown, note = readable(frame, lang()), _note()
    left, right, _ = st.columns([1, 1, 6])
    left.download_button(
        t("download_csv"),
        to_csv(shown, note),
        f"{stem}.csv",
        "text/csv",
        key=f"{key}_csv",
        icon=":material/download:",
    )
    right.download_button(
        t("download_xlsx"),
        to_excel(shown, note),
        f"{stem}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx",
        icon=":material/download:",
    )
