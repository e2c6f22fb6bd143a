"""Every table and chart offers its data as CSV and Excel; cells that a spreadsheet would run as a
formula (starting with =, +, -, @, tab or carriage return, or the full-width ＝＋－＠ that some spreadsheets
also take as a formula) are neutralised with a leading apostrophe."""

from __future__ import annotations

import io
import re

import pandas as pd
import streamlit as st

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy in which every text cell that could start a formula is prefixed with an apostrophe."""

    def safe(value):
        if isinstance(value, str) and value.startswith(FORMULA_START):
            return "'" + value
        return value

    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(safe)
    out.columns = [safe(str(c)) for c in out.columns]
    return out


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
