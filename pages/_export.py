"""Every table and chart offers its data as CSV and Excel; cells that a spreadsheet would run as a
formula (starting with =, +, -, @, tab or carriage return, or the full-width ＝＋－＠ that some spreadsheets
also take as a formula) are neutralised with a leading apostrophe. The rule is data/formulas.py, which
`python -m metrics query --format csv` uses too."""

from __future__ import annotations

import io
import re

import pandas as pd
import streamlit as st

from data.formulas import neutralise


def to_csv(frame: pd.DataFrame) -> bytes:
    return neutralise(frame).to_csv(index=False).encode("utf-8-sig")


def to_excel(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    neutralise(frame).to_excel(buffer, index=False, engine="openpyxl")
    return buffer.getvalue()


def downloads(frame: pd.DataFrame, name: str, key: str) -> None:
    """CSV and Excel buttons for a table, side by side."""
    from pages._i18n import t

    stem = re.sub(r"[^\w\-]+", "_", name).strip("_") or "data"
    left, right, _ = st.columns([1, 1, 6])
    left.download_button(
        t("download_csv"), to_csv(frame), f"{stem}.csv", "text/csv", key=f"{key}_csv", icon=":material/download:"
    )
    right.download_button(
        t("download_xlsx"),
        to_excel(frame),
        f"{stem}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx",
        icon=":material/download:",
    )
