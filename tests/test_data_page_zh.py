"""The Data page in Chinese (issue 14): every table's headers and code values in Chinese, import reports worded
from their structure (status, counts, each problem with its line, column and value), data-check explanations,
errors from our own code; the sidebar's districts by their Chinese names while links keep the stored ones."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from data import store

ROOT = Path(__file__).resolve().parents[1]
ENTRY = str(ROOT / "tests" / "app" / "entry.py")
DATA_PAGE = str(ROOT / "pages" / "data_status.py")
SNAKE = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")
# Columns whose cells come from the data or name things by their own names: file names, the values and columns
# of an export, branch names in a detail, the standards an indicator follows, indicator ids for the command line.
DATA_COLUMNS = {"文件", "值", "列", "说明", "依据", "代码"}
ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")
# Words that are names in Chinese text too: encodings, file formats.
NAMES = {"UTF", "CSV", "Excel"}
BAD_UPLOAD = (
    "date,branch,visits\n"
    "2026-01-05,North Branch,120\n"
    "2026-01-06,Nowhere Branch,80\n"
    "2026-01-07,North Branch,lots\n"
    "2031-01-01,North Branch,5\n"
)


@pytest.fixture
def sample_env(sample_db_path, monkeypatch):
    monkeypatch.setenv("KPI_DB", str(sample_db_path))
    _clear()
    yield sample_db_path
    _clear()


@pytest.fixture
def copy_env(sample_db_copy, monkeypatch):
    """A private copy of the sample, for a test that uploads or damages it."""
    monkeypatch.setenv("KPI_DB", str(sample_db_copy))
    _clear()
    yield sample_db_copy
    _clear()


def _clear() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.message for e in at.exception]
    return at


def data_page(lang: str = "zh") -> AppTest:
    at = AppTest.from_file(ENTRY, default_timeout=60)
    at.query_params["lang"] = lang
    at = ok(at.run())
    at.switch_page(DATA_PAGE)
    return ok(at.run())


def upload(at: AppTest, name: str, content: str, quarantine: bool = False) -> AppTest:
    at.get("file_uploader")[0].set_value((name, content.encode("utf-8"), "text/csv"))
    if quarantine:
        at.checkbox(key="upload_quarantine").check()
    (submit,) = [b for b in at.button if b.key.startswith("FormSubmitter:upload")]
    return ok(submit.click().run())


def page_text(at: AppTest) -> list[str]:
    """Every text the page draws outside its tables (titles, alerts, captions, plain text)."""
    parts = ("title", "subheader", "caption", "markdown", "success", "error", "warning", "info", "text")
    return [str(e.value) for part in parts for e in getattr(at, part)]


def english_words(text: str) -> set[str]:
    return {w for w in ENGLISH_WORD.findall(text) if w not in NAMES}


def table(at: AppTest, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_the_data_page_in_chinese_has_no_english_header_or_code(sample_env):
    at = data_page()
    frames = [d.value for d in at.dataframe]
    assert len(frames) >= 5  # loaded tables, completeness, history, rejected rows, data checks, definitions
    for frame in frames:
        for column in frame.columns:
            assert not SNAKE.match(str(column)) and not english_words(str(column)), list(frame.columns)
        for column in set(frame.columns) - DATA_COLUMNS:
            cells = {str(v) for v in frame[column]}
            assert not {c for c in cells if english_words(c) or c in ("None", "nan", "NaT")}, (column, cells)
    for text in page_text(at):
        assert not english_words(text), text
    loaded = table(at, "最近导入")
    assert list(loaded["数据表"])[:2] == ["分馆", "到馆人次"]
    assert loaded.iloc[1]["最早日期"] == "2021年1月1日" and loaded.iloc[1]["行数"].endswith("万")
    checks = table(at, "核查结果")
    assert "城南分馆" in set(checks["服务点"])
    zero_week = checks[checks["核查项"] == "连续为零"].iloc[0]
    assert zero_week["核查结果"].startswith("连续 7 个开放日到馆人次为 0")
    assert set(table(at, "单位")["单位"]) >= {"人次", "册次"}


def test_a_bad_upload_is_reported_in_chinese_with_its_lines_and_columns(copy_env):
    at = upload(data_page(), "一月到馆.csv", BAD_UPLOAD)
    assert [e.value for e in at.error] == ["已拒绝：到馆人次（长表，编码 UTF-8）"]
    assert [c.value for c in at.code][:1] == ["一月到馆.csv"]
    (body,) = [t.value for t in at.text]
    assert body.splitlines()[:2] == [
        "已拒绝：4 行有问题，未写入任何数据。",
        "读取 4 行；接受 0 行，跳过 0 行，拒绝 4 行；写入到馆人次 0 行。",
    ]
    problems = table(at, "问题")
    rows = {(r["问题"].split("：")[0], r["行号"], r["列"], r["值"]) for _, r in problems.iterrows()}
    assert {
        ("未知分馆", "第 3 行", "branch", "Nowhere Branch"),
        ("不是数字", "第 4 行", "visits", "lots"),
        ("日期晚于今天", "第 5 行", "date", "2031-01-01"),
    } <= rows
    assert problems[problems["行号"] == "第 3 行"].iloc[0]["说明"].startswith("最接近的已知名称：")
    for text in page_text(at):
        assert not english_words(text), text
    assert not {w for w in ("REJECTED", "LOADED", "problem", "skipped") if any(w in t for t in page_text(at))}


def test_rows_set_aside_are_listed_with_chinese_reasons(copy_env):
    at = upload(data_page(), "一月到馆.csv", BAD_UPLOAD.replace("2026-01-05,North Branch,120\n", ""), quarantine=True)
    assert at.warning[0].value == "已导入，问题行已隔离：到馆人次（长表，编码 UTF-8）"
    rejected = table(at, "原因")
    assert all(f.endswith("一月到馆.csv") for f in rejected["文件"])  # kept as <time>-<name> (pages/_data.py)
    reasons = dict(zip(rejected["行号"], rejected["原因"], strict=True))
    assert reasons["2"].startswith("未知分馆：") and "（最接近的已知名称：" in reasons["2"]
    assert reasons["3"] == "不是数字"


def test_the_same_upload_in_english_keeps_the_importers_words(copy_env):
    at = upload(data_page("en"), "january.csv", BAD_UPLOAD)
    assert [e.value for e in at.error] == ["Rejected: Visits (long, UTF-8)"]
    problems = table(at, "Problem")
    assert "not a number" in set(problems["Problem"])
    assert "line 3" in set(problems["Lines"])


def test_a_damaged_database_is_said_in_chinese(copy_env):
    damaged = store.current_file(copy_env)
    with damaged.open("r+b") as handle:
        handle.seek(damaged.stat().st_size // 2)
        handle.write(b"\xff" * 4096)
    at = AppTest.from_file(ENTRY, default_timeout=60)
    at.query_params["lang"] = "zh"
    at = at.run()
    assert not at.exception and not at.metric
    (message,) = [e.value for e in at.error]
    assert message.startswith("数据库无法安全读取") and "python -m data rebuild" in message
    assert not english_words(message.replace("python -m data rebuild", "").replace("README", ""))


def test_the_sidebar_names_districts_in_chinese_and_links_keep_them(sample_env):
    at = data_page()
    districts = at.sidebar.multiselect(key="districts")
    assert "城北区" in districts.options and "North" not in districts.options
    districts.set_value(["North"])
    at = ok(at.run())
    assert at.query_params["districts"] in ("North", ["North"])  # the link keeps the stored district
    english = ok(at.sidebar.button_group(key="lang").set_value("en").run())
    assert "North" in english.sidebar.multiselect(key="districts").options
