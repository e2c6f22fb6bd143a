"""The annual report's figures and words: golden values on a hand-made network and on the sample, in both
languages; every figure reproduced by `python -m metrics query` from the JSON trace; partial years, scopes
without events, a supervisor's scope, a fiscal year; the plan sheet's method and its import as targets."""

from __future__ import annotations

import contextlib
import csv
import io
import json

import pytest

from data import store
from data.importer import Options, import_file
from metrics import cli as metrics_cli
from metrics import engine
from metrics.filters import Filter
from reports import annual, plan
from reports import cli as reports_cli
from reports.document import Bullets, Paragraph, Table
from tests.conftest import branches_database

YEAR_VISITS = {2022: 1000, 2023: 1100, 2024: 1210, 2025: 1331}  # Central's visits per month, +10% a year
ALBANY = 500  # Albany Park's visits every month


def _visits_csv() -> str:
    """Central grows 10% a year, Albany Park stays flat; 2026 holds January to April only (Central 1,400 a month)."""
    lines = ["month,branch,visits"]
    for year, per_month in YEAR_VISITS.items():
        for month in range(1, 13):
            lines += [f"{year}-{month:02d},Central Library,{per_month}", f"{year}-{month:02d},Albany Park,{ALBANY}"]
    for month in range(1, 5):
        lines += [f"2026-{month:02d},Central Library,1400", f"2026-{month:02d},Albany Park,{ALBANY}"]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def small():
    """The hand-made network: two service points with visits only (no events, loans or surveys)."""
    with branches_database({"visits_monthly.csv": _visits_csv()}) as con:
        yield con


@pytest.fixture(scope="module")
def sample(sample_db_path):
    con, _ = store.open_reader(sample_db_path)
    yield con
    con.close()


def _text(report: annual.Report) -> str:
    """Every word of the report: paragraphs, list items and table cells."""
    parts = [report.document.title, report.document.subtitle]
    for section in report.document.sections:
        parts.append(section.title)
        for block in section.blocks:
            if isinstance(block, Paragraph):
                parts.append(block.text)
            elif isinstance(block, Bullets):
                parts += block.items
            elif isinstance(block, Table):
                parts += [*block.columns, *(cell for row in block.rows for cell in row)]
    return "\n".join(parts)


def _figure(report: annual.Report, key: str) -> annual.Figure:
    return next(f for f in report.figures if f.key == key)


# ---------------------------------------------------------------- hand-computed figures


def test_partial_year_is_its_months_against_the_same_months(small):
    # January-April 2026: 4 x 1,400 + 4 x 500 = 7,600; a year earlier 4 x 1,331 + 4 x 500 = 7,324; +3.77%.
    report = annual.build(small, annual.Request(2026, lang="zh"))
    visits = _figure(report, "visits")
    assert (visits.value, visits.prior_value, visits.partial) == (7600, 7324, True)
    assert str(visits.date_to) == "2026-04-30"
    text = _text(report)
    assert "2026年1—4月接待读者7,600人次，同比增长3.8%。" in text
    assert "全年" not in text  # a partial year is never written as a whole year
    assert "仅含2026年1—4月" in text and "2025年同期" in text
    assert "全网（2个服务点报送数据）" in text
    english = _text(annual.build(small, annual.Request(2026, lang="en")))
    assert "In January–April 2026, visits reached 7,600, up 3.8% on the same months of 2025." in english


def test_full_year_and_a_decline_told_as_one(small):
    # 2025: 12 x 1,331 + 12 x 500 = 21,972 against 20,520 (+7.1%); 2022 has no prior year.
    report = annual.build(small, annual.Request(2025, lang="zh"))
    assert "全年接待读者2.2万人次，同比增长7.1%。" in _text(report)
    first = annual.build(small, annual.Request(2022, lang="en"))
    assert "In 2022, visits reached 18,000, with no figure for 2021 to compare." in _text(first)


def test_sections_without_data_are_left_out(small):
    report = annual.build(small, annual.Request(2025, lang="en"))
    keys = [s.key for s in report.document.sections]
    assert keys == ["scope", "headline", "service_points", "drivers", "caveats", "trace"]
    for section in report.document.sections:
        assert section.blocks, section.key
        for block in section.blocks:
            if isinstance(block, Table):
                assert block.rows
    text = _text(report)
    for absent in ("Events", "Loans", "Satisfaction", "museum", "volunteer"):
        assert absent not in text


def test_no_figures_for_a_year_outside_the_data(small):
    with pytest.raises(annual.NoFigures, match="no figures for 2031.*2022–2026"):
        annual.build(small, annual.Request(2031))


def test_a_year_not_every_branch_has_reported_is_not_reported_as_figures():
    # Both report through December 2025; only Albany Park has sent January 2026.
    lines = ["month,branch,visits"] + [
        f"2025-{m:02d},{b},100" for m in range(1, 13) for b in ("Central Library", "Albany Park")
    ]
    with branches_database({"visits.csv": "\n".join([*lines, "2026-01,Albany Park,90"]) + "\n"}) as con:
        with pytest.raises(annual.NoFigures, match=r"2026 yet: 1 of 2 service points .*not yet: Central Library"):
            annual.build(con, annual.Request(2026))
        report = annual.build(con, annual.Request(2025, lang="zh"))
    assert "全年接待读者2,400人次" in _text(report)


def test_service_point_table_totals_and_groups(small):
    report = annual.build(small, annual.Request(2025, lang="en"))
    table = next(b for b in report.document.sections[2].blocks if isinstance(b, Table))
    rows = {row[0]: row for row in table.rows}
    assert rows["Central Library"][1:5] == ("15,972", "14,520", "+10.0%", "72.7%")  # 15,972 / 21,972
    assert rows["Albany Park"][1:5] == ("6,000", "6,000", "0.0%", "27.3%")
    assert rows["Central Library"][5] == "0.03"  # 15,972 / 500,000 people
    assert table.rows[-1][:3] == ("Total", "21,972", "20,520")
    assert {table.rows[i][0] for i in table.group_rows} == {"Main library", "Branches"}


def test_plan_sheet_method(small):
    rows = {(r.branch_id, r.metric): r for r in plan.suggest(small, 2026)}
    network = rows[(None, "visits")]
    # Base 2025 (2026 is partial): 21,972; growth 2023-2025: 6.667%, 6.875%, 7.076%, mean 6.873%; two years on.
    assert (network.year, network.base_year, network.base_value) == (2027, 2025, 21972)
    assert network.growth_pct == pytest.approx((19200 / 18000 + 20520 / 19200 + 21972 / 20520 - 3) / 3 * 100)
    assert network.target == 25100  # 21,972 x 1.06873^2 = 25,096 -> three significant figures
    assert rows[("central", "visits")].target == 19300  # 15,972 x 1.1^2 = 19,326
    assert rows[("albany", "visits")].target == 6000


def test_plan_sheet_imports_as_targets(tmp_path, small):
    sheet = tmp_path / "plan_2027.csv"
    sheet.write_bytes(plan.to_csv(plan.suggest(small, 2026), "zh"))
    with branches_database({}) as con:
        report = import_file(con, sheet, Options())
        assert report.status == "loaded", report.problems
        stored = con.execute("SELECT year, coalesce(branch_id, ''), metric, target FROM targets ORDER BY 2").fetchall()
    assert stored == [
        (2027, "", "visits", 25100.0),
        (2027, "albany", "visits", 6000.0),
        (2027, "central", "visits", 19300.0),
    ]


# ---------------------------------------------------------------- the sample, as the dashboard counts it


def test_sample_headline_in_both_languages(sample):
    zh = annual.build(sample, annual.Request(2026, lang="zh"))
    text = _text(zh)
    # 3,549,089 visits January-October 2026 against 3,383,029; the year's target is 4,230,000.
    assert "2026年1—10月接待读者354.9万人次，同比增长4.9%，完成年度目标的83.9%。" in text
    en = _text(annual.build(sample, annual.Request(2026, lang="en")))
    assert (
        "In January–October 2026, visits reached 3,549,089, up 4.9% on the same months of 2025 and 83.9% of the "
        "year's target." in en
    )
    for word in ("None", "nan", "-0.0", "−0.0"):
        assert word not in text and word not in en


def test_every_figure_equals_the_engine_and_its_words(sample):
    report = annual.build(sample, annual.Request(2026, lang="zh"))
    text = _text(report)
    flt = Filter(date_from=report.start, date_to=report.end)
    for key in ("visits", "loans", "events", "attendance", "satisfaction", "complaint_resolution_rate"):
        figure = _figure(report, key)
        expected = engine.compute(sample, figure.metric, flt, "year", compare=True).table.iloc[0]
        assert figure.value == pytest.approx(expected["value"]), key
        assert figure.text in text, key


def test_target_figures_are_the_cards_attainment_and_say_whether_a_level_is_held(sample):
    report = annual.build(sample, annual.Request(2026, lang="zh"))
    flt = Filter(date_from=report.start, date_to=report.end)
    for metric_id in ("visits", "loans", "events", "attendance", "new_registrations", "satisfaction"):
        figure = _figure(report, f"{metric_id}.target")
        found = engine.attainment(sample, metric_id, flt)
        assert figure.value == pytest.approx(found.attainment_pct), metric_id
        assert figure.column == "attainment_pct" and "--target" in figure.command(report.request)
    assert not [f for f in report.figures if f.key == "online_attendance.target"]  # no target in the sample
    # Satisfaction 91.0 (90.95) against targets_2026.csv's 95: a level, short of it; 90.95 / 95 = 95.7%.
    assert "同比提高0.3分，未达到年度目标95.0。" in _text(report)
    assert _figure(report, "satisfaction.target").text == "95.7%"
    en = _text(annual.build(sample, annual.Request(2026, lang="en")))
    assert "up 0.3 points on the same months of 2025 and short of the year's target of 95.0." in en


def _query_rows(sample_db_path, query: list[str]) -> dict:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert metrics_cli.main(["query", "--db", str(sample_db_path), *query, "--format", "json"]) == 0
    return json.loads(out.getvalue())


@pytest.mark.parametrize(("year", "fiscal_start"), [(2026, 1), (2024, 4)])
def test_json_trace_round_trips_through_metrics_query(sample_db_path, tmp_path, year, fiscal_start):
    out = tmp_path / "report.json"
    args = ["annual", "--db", str(sample_db_path), "--year", str(year), "--lang", "zh", "--out", str(out)]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert reports_cli.main([*args, "--fiscal-start", str(fiscal_start)]) == 0
    trace = json.loads(out.read_text(encoding="utf-8"))
    assert trace["fiscal_start"] == fiscal_start and len(trace["figures"]) > 50
    answers: dict[tuple, dict] = {}
    for figure in trace["figures"]:
        key = tuple(figure["query"])
        if key not in answers:
            answers[key] = _query_rows(sample_db_path, figure["query"])
        rows = answers[key]["rows"]
        row = next(r for r in rows if figure["by"] is None or r[figure["by"]] == figure["row"])
        assert row[figure["column"]] == pytest.approx(figure["value"], abs=1e-6), figure["key"]
        assert row["prior_value"] == pytest.approx(figure["prior_value"], abs=1e-6) if figure["prior_value"] else True


def test_supervisor_sees_their_branches_only(sample):
    scoped = annual.build(sample, annual.Request(2026, lang="en", flt=Filter(scope=("north",)), as_user="li"))
    table = next(b for b in scoped.document.sections[2].blocks if isinstance(b, Table))
    names = {row[0] for i, row in enumerate(table.rows) if i not in table.group_rows} - {"Total"}
    assert names == {"North Branch", "Willow Shade Community Reading Room", "Peach Garden Community Reading Room"}
    headline = next(b for b in scoped.document.sections[1].blocks if isinstance(b, Table))
    assert "Target attainment" not in headline.columns  # the network's target is not a supervisor's
    assert all("--as-user li" in f.command(scoped.request) for f in scoped.figures)


def test_a_scope_without_events_has_no_events_section(sample):
    report = annual.build(sample, annual.Request(2025, lang="zh", flt=Filter(kinds=("mobile",))))
    keys = [s.key for s in report.document.sections]
    assert "events" not in keys and "headline" in keys
    assert "活动" not in _text(report).split("附录")[0]
    assert {f.metric for f in report.figures} >= {"loans"}


def test_fiscal_year_window_and_words(sample):
    report = annual.build(sample, annual.Request(2024, fiscal_start=4, lang="zh"))
    visits = _figure(report, "visits")
    assert (str(visits.date_from), str(visits.date_to), visits.period) == ("2024-04-01", "2025-03-31", "FY2024/25")
    assert report.document.title == "2024/25财年工作总结"
    assert "全年接待读者" in _text(report) and "--fiscal-start 4" in visits.command(report.request)


def test_cli_refuses_before_working(sample_db_path, tmp_path):
    def run(*args) -> tuple[int, str]:
        err = io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            code = reports_cli.main(["annual", "--db", str(sample_db_path), *args])
        return code, err.getvalue()

    assert run("--year", "2026", "--out", str(tmp_path / "r.txt"))[0] == 2
    assert run("--year", "2026", "--out", str(tmp_path / "missing" / "r.md"))[0] == 2
    code, message = run("--year", "2026", "--branch", "Nrth Branch", "--out", str(tmp_path / "r.json"))
    assert code == 2 and "closest" in message
    code, message = run("--year", "2031", "--out", str(tmp_path / "r.json"))
    assert code == 1 and "no figures for 2031" in message
    code, message = run("--year", "2031", "--lang", "zh", "--out", str(tmp_path / "r.json"))
    assert code == 1 and "no figures for 2031 in" in message and "年" not in message  # the CLI speaks English
    assert not list(tmp_path.iterdir())  # nothing written by a refused command


def test_plan_cli_writes_an_importable_sheet(sample_db_path, tmp_path):
    out = tmp_path / "plan.csv"
    with contextlib.redirect_stdout(io.StringIO()):
        assert reports_cli.main(["plan", "--db", str(sample_db_path), "--year", "2026", "--out", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    network = [r for r in rows if r["branch"] == "" and r["metric"] == "visits"]
    assert network and network[0]["year"] == "2027" and network[0]["base_year"] == "2025"
    assert "White Poplar Community Reading Room" not in {r["branch"] for r in rows}  # closed in 2026: no target


def test_chinese_word_and_pdf_from_the_command_line_hold_the_dashboards_figures(sample_db_path, sample, tmp_path):
    import subprocess

    import docx

    outputs = [tmp_path / "report.docx", tmp_path / "report.pdf"]
    args = ["annual", "--db", str(sample_db_path), "--year", "2026", "--lang", "zh"]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert reports_cli.main([*args, *(a for p in outputs for a in ("--out", str(p)))]) == 0
    report = annual.build(sample, annual.Request(2026, lang="zh"))
    figures = [f.text for f in report.figures if not f.by and "." not in f.key]
    sentence = "2026年1—10月接待读者354.9万人次，同比增长4.9%，完成年度目标的83.9%。"
    word = "\n".join(p.text for p in docx.Document(str(outputs[0])).paragraphs)
    assert sentence in word
    pdf = subprocess.run(["pdftotext", str(outputs[1]), "-"], capture_output=True, text=True, check=True).stdout
    flat = pdf.replace("\n", "")
    assert sentence in flat
    assert all(text in flat for text in figures), [t for t in figures if t not in flat]
    fonts = subprocess.run(["pdffonts", str(outputs[1])], capture_output=True, text=True, check=True).stdout
    assert any("CJK" in line and " yes " in line for line in fonts.splitlines())


def test_scope_words_name_districts_in_the_reports_language(sample):
    # The sample's branch list gives each district's Chinese name (district_zh); links keep the stored one.
    flt = Filter(districts=("North", "East"))
    chinese = annual.build(sample, annual.Request(2025, lang="zh", flt=flt))
    english = annual.build(sample, annual.Request(2025, lang="en", flt=flt))
    assert "城北区、城东区（区域）" in _text(chinese)
    assert "North" not in _text(chinese).split("附录")[0]  # the appendix's commands keep --district North
    assert "districts North, East" in _text(english)
