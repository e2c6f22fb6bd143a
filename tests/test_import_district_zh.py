"""The branch list's `district_zh` (issue 14): read under its header synonyms, stored beside `district`, added to
databases of an older version, and shown in Chinese through metrics.engine.district_names."""

from __future__ import annotations

import duckdb
import pytest
from conftest import load, write

from data import db
from data.cli import main as data_cli
from metrics.engine import district_names

ENGLISH_AND_CHINESE = """馆代码,馆名,所属区域,所属区域中文,类型
c1,中心馆,Central,中心城区,总馆
n1,城北分馆,North,城北区,分馆
n2,湖畔分馆,North,城北区,分馆
e1,城东分馆,East,,分馆
"""


def stored(con) -> list[tuple]:
    return con.execute("SELECT branch_id, district, district_zh FROM branches ORDER BY branch_id").fetchall()


def test_district_zh_is_read_under_chinese_headers(fresh_db, tmp_path):
    report = load(fresh_db, write(tmp_path, "分馆名单.csv", ENGLISH_AND_CHINESE))
    assert report.status == "loaded", report.problems
    assert stored(fresh_db) == [
        ("c1", "Central", "中心城区"),
        ("e1", "East", None),
        ("n1", "North", "城北区"),
        ("n2", "North", "城北区"),
    ]


@pytest.mark.parametrize("header", ["district_zh", "District (ZH)", "区域（中文）", "区域中文", "所属区中文"])
def test_every_synonym_of_district_zh(fresh_db, tmp_path, header):
    report = load(fresh_db, write(tmp_path, "branches.csv", f"branch_id,name,district,{header}\nw,West,West,城西区\n"))
    assert report.status == "loaded", report.problems
    assert stored(fresh_db) == [("w", "West", "城西区")]


def test_a_chinese_district_column_is_kept_as_it_is(fresh_db, tmp_path):
    report = load(fresh_db, write(tmp_path, "branches.csv", "branch_id,name,区域\nn,North Branch,城北区\n"))
    assert report.status == "loaded", report.problems
    assert stored(fresh_db) == [("n", "城北区", None)]


def test_a_district_given_only_in_chinese_is_the_district(fresh_db, tmp_path):
    report = load(fresh_db, write(tmp_path, "branches.csv", "branch_id,name,district_zh\ns,South Branch,城南区\n"))
    assert report.status == "loaded", report.problems
    assert stored(fresh_db) == [("s", "城南区", "城南区")]


def test_a_formula_in_district_zh_is_refused_with_its_line(fresh_db, tmp_path):
    report = load(fresh_db, write(tmp_path, "branches.csv", "branch_id,name,district,district_zh\nn,N,North,=1+2\n"))
    assert report.status == "rejected"
    assert [(p.line, p.column, p.value) for p in report.problems] == [(2, "district_zh", "=1+2")]


def test_district_names_in_each_language(fresh_db, tmp_path):
    load(fresh_db, write(tmp_path, "分馆名单.csv", ENGLISH_AND_CHINESE))
    # East has no Chinese name: it stays as the list writes it, in both languages.
    zh, en = district_names(fresh_db, "zh"), district_names(fresh_db, "en")
    districts = ("Central", "North", "East")
    assert [zh[d] for d in districts] == ["中心城区", "城北区", "East"]
    assert [en[d] for d in districts] == ["Central", "North", "East"]
    # A breakdown's row without a district is named too.
    assert (zh["unspecified"], en["unspecified"]) == ("未注明", "Unspecified")


def test_an_older_database_gets_the_column_and_takes_a_list_with_it(tmp_path):
    # A database written before district_zh existed: the branches table without the column.
    path = tmp_path / "old.duckdb"
    older = db.SCHEMA_FILE.read_text(encoding="utf-8").replace("    district_zh VARCHAR,\n", "")
    con = duckdb.connect(str(path))
    con.execute(older)
    con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [db.SCHEMA_VERSION])
    con.close()
    assert not _has_district_zh(path)
    text = "branch_id,name,district,district_zh,service_population\nn,N,North,城北区,9\n"
    target = write(tmp_path, "branches.csv", text)
    assert data_cli(["import", "--db", str(path), str(target)]) == 0
    assert _has_district_zh(path)  # added last by the migration: the list is written by column name
    con = duckdb.connect(str(path), read_only=True)
    try:
        row = con.execute("SELECT district, district_zh, service_population FROM branches").fetchone()
    finally:
        con.close()
    assert row == ("North", "城北区", 9)


def _has_district_zh(path) -> bool:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return db.has_column(con, "branches", "district_zh")
    finally:
        con.close()


def test_the_sample_gives_each_district_its_chinese_name(sample_db_path):
    con = db.connect(sample_db_path, read_only=True)
    try:
        names = district_names(con, "zh")
    finally:
        con.close()
    shown = {d: names[d] for d in ("Central", "North", "East", "South", "West")}
    assert shown == {"Central": "中心城区", "North": "城北区", "East": "城东区", "South": "城南区", "West": "城西区"}
