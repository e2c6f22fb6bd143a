"""Every page runs under AppTest against a real database built from the bundled sample."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from data.cli import build_sample
from pages import PAGES

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory):
    """The database built from data/sample/ exactly as the run command builds it."""
    path = tmp_path_factory.mktemp("sample") / "kpi.duckdb"
    assert build_sample(str(path)) == 0
    return path


@pytest.fixture
def app_env(sample_db, monkeypatch):
    import streamlit as st

    monkeypatch.setenv("KPI_DB", str(sample_db))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield
    st.cache_resource.clear()


@pytest.mark.parametrize("page", [p[0] for p in PAGES], ids=[p[1] for p in PAGES])
def test_page_runs(app_env, page):
    at = AppTest.from_file(str(page), default_timeout=30).run()
    assert not at.exception


def test_router_runs_and_data_page_lists_loaded_tables(app_env):
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=30).run()
    assert not at.exception
    status = at.dataframe[0].value
    rows = dict(zip(status["table"], status["rows"], strict=True))
    assert rows["branches"] == 31 and rows["visits"] > 20_000 and rows["events"] > 5_000
    assert len(at.dataframe[1].value) == 15  # one import per sample CSV
