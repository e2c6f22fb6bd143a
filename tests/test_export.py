"""pages/_export.py: downloads that a spreadsheet cannot run as formulas, and that keep Chinese intact."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest

from pages._export import neutralise, to_csv, to_excel

DANGEROUS = [
    "=1+1",
    "+SUM(A1)",
    "-2+3",
    "@cmd",
    "\tTAB",
    "\rCR",
    '=HYPERLINK("http://x.invalid","click")',
    "＝1+1",  # full-width forms, which some spreadsheets (and input methods) take as formula starts
    "＋SUM(A1)",
    "－2+3",
    "＠cmd",
]


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "branch": ["城东分馆", "=cmd|' /C calc'!A0", "North Branch", "-x", "a=b", ""],
            "value": [1, -5, 3, 4, 5, 6],
            "ratio": [-1.5, 0.25, 2.0, float("nan"), 1.0, 0.0],
            "@note": ["ok", "+1", None, "@x", "safe - text", "\t"],
        }
    )


@pytest.mark.parametrize("text", DANGEROUS)
def test_neutralise_prefixes_each_formula_start(text):
    out = neutralise(pd.DataFrame({"c": [text]}))
    assert out["c"].iloc[0] == "'" + text


def test_neutralise_cells_and_column_names(frame):
    out = neutralise(frame)
    assert list(out.columns) == ["branch", "value", "ratio", "'@note"]
    assert list(out["branch"]) == ["城东分馆", "'=cmd|' /C calc'!A0", "North Branch", "'-x", "a=b", ""]
    notes = out["'@note"]
    assert list(notes.drop(index=2)) == ["ok", "'+1", "'@x", "safe - text", "'\t"]
    assert pd.isna(notes.iloc[2])  # a missing value stays missing


def test_neutralise_leaves_numbers_alone(frame):
    out = neutralise(frame)
    assert list(out["value"]) == [1, -5, 3, 4, 5, 6]  # negative numbers are numbers, not formulas
    assert out["value"].dtype == frame["value"].dtype
    pd.testing.assert_series_equal(out["ratio"], frame["ratio"])


def test_neutralise_returns_a_copy(frame):
    before = frame.copy()
    neutralise(frame)
    pd.testing.assert_frame_equal(frame, before)


def test_neutralise_column_names_that_are_not_text():
    out = neutralise(pd.DataFrame({2025: [1], "=x": [2]}))
    assert list(out.columns) == ["2025", "'=x"]


def test_csv_is_utf8_with_bom_and_round_trips_chinese(frame):
    data = to_csv(frame)
    assert data.startswith(b"\xef\xbb\xbf")
    data.decode("utf-8")  # valid UTF-8 throughout
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", keep_default_na=False)
    assert list(back.columns) == ["branch", "value", "ratio", "'@note"]
    assert back["branch"].iloc[0] == "城东分馆"
    assert back["branch"].iloc[1] == "'=cmd|' /C calc'!A0"
    assert list(back["value"]) == [1, -5, 3, 4, 5, 6]


def test_csv_has_no_index_column():
    data = to_csv(pd.DataFrame({"分馆": ["城西分馆"], "到馆人次": [12345]}))
    assert data.decode("utf-8-sig").splitlines() == ["分馆,到馆人次", "城西分馆,12345"]


def test_excel_opens_and_formulas_are_stored_as_text(frame):
    table = frame.assign(link=['=HYPERLINK("http://x.invalid","click")', "", "", "", "", ""])
    book = openpyxl.load_workbook(io.BytesIO(to_excel(table)))
    sheet = book.active
    header = [cell.value for cell in sheet[1]]
    assert header == ["branch", "value", "ratio", "'@note", "link"]
    link = sheet.cell(row=2, column=5)
    assert link.value == '\'=HYPERLINK("http://x.invalid","click")'
    assert link.data_type == "s"  # a string cell, not a formula ("f")
    assert sheet.cell(row=3, column=1).data_type == "s"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert sheet.cell(row=2, column=1).value == "城东分馆"
    assert sheet.cell(row=3, column=2).value == -5 and sheet.cell(row=3, column=2).data_type == "n"


def test_numbers_among_text_stay_numbers():
    """A column mixing text and numbers (a label column with counts in it): only the text is touched."""
    frame = pd.DataFrame({"c": [-5, "=x", -1.5, "－3"]})
    assert list(neutralise(frame)["c"]) == [-5, "'=x", -1.5, "'－3"]
    sheet = openpyxl.load_workbook(io.BytesIO(to_excel(frame))).active
    cells = [sheet.cell(row=r, column=1) for r in range(2, 6)]
    assert [(c.value, c.data_type) for c in cells] == [(-5, "n"), ("'=x", "s"), (-1.5, "n"), ("'－3", "s")]


def test_note_line_first_then_the_table_and_a_hostile_note_is_neutralised():
    frame = pd.DataFrame({"月份": ["2026-01"], "数值": [12345]})
    lines = to_csv(frame, "总览 · 2026年1月1日至2026年10月31日 · 与上年同期比较").decode("utf-8-sig").splitlines()
    assert lines == ["总览 · 2026年1月1日至2026年10月31日 · 与上年同期比较", "月份,数值", "2026-01,12345"]
    assert to_csv(frame, "=cmd").decode("utf-8-sig").splitlines()[0] == "'=cmd"
    sheet = openpyxl.load_workbook(io.BytesIO(to_excel(frame, "分馆: =x"))).active
    assert sheet.cell(row=1, column=1).value == "分馆: =x"  # text not starting a formula stays as it is
    assert [c.value for c in sheet[2]] == ["月份", "数值"] and sheet.cell(row=3, column=2).value == 12345


def test_readable_headers_in_either_language_and_raw_numbers():
    from pages._export import HEADERS, readable
    from pages._i18n import STRINGS

    frame = pd.DataFrame(
        {"period": ["2026-01"], "value": [1234567.0], "yoy_pct": [4.9], "partial": [True], "own": ["x"]}
    )
    zh = readable(frame, "zh")
    assert list(zh.columns) == ["月份", "数值", "同比 %", "不完整期", "own"]
    assert zh.iloc[0].tolist() == ["2026-01", 1234567.0, 4.9, "是", "x"]
    assert list(readable(frame, "en").columns) == ["Month", "Value", "YoY %", "Partial period", "own"]
    assert all(key in STRINGS for key in HEADERS.values())


def test_tables_write_figures_like_the_cards():
    from pages._tables import CHANGE, written

    frame = pd.DataFrame(
        {"value": [980841.0, None], "yoy_pct": [-0.04, float("nan")], "per_capita": [1.23456, None], "n": ["a", "b"]}
    )
    zh = written(frame, {"value": "int", "yoy_pct": CHANGE, "per_capita": "dec2"}, "zh")
    assert zh.to_dict("list") == {
        "value": ["98.1万", "–"],
        "yoy_pct": ["0.0%", "–"],
        "per_capita": ["1.23", "–"],
        "n": ["a", "b"],
    }
    assert written(frame, {"value": "int"}, "en")["value"].tolist() == ["980,841", "–"]
