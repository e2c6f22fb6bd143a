"""Every metric in the registry keeps its contract: labelled and described in both languages, tied to
an official definition, computable on the bundled sample at every grain and breakdown, and pinned by a
golden test counted by hand."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from data import db
from metrics import periods, registry
from metrics.engine import compute

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
FORMATS = {"int", "dec1", "dec2", "pct1"}
COMPUTE_KINDS = {"sum", "ratio", "satisfaction", "per_capita", "target"}
FACT_TABLES = {"visits", "circulation", "events", "surveys", "measures"}
COLUMNS = ["period", "period_start", "period_end", "value", "prior_value", "change", "yoy_pct", "partial"]
TESTS = Path(__file__).parent
GOLDEN_FILES = ("test_metrics_golden.py", "test_metrics_engine.py", "test_one_definition.py", "test_system_lines.py")
METRIC_IDS = [m.id for m in registry.METRICS]


@pytest.fixture(scope="module")
def sample_con(sample_db_path):
    con = db.connect(sample_db_path, read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def golden_text() -> str:
    return "\n".join((TESTS / name).read_text(encoding="utf-8") for name in GOLDEN_FILES)


def test_metric_ids_are_unique():
    assert len(METRIC_IDS) == len(set(METRIC_IDS)) == len(registry.BY_ID)


@pytest.mark.parametrize("metric_id", METRIC_IDS)
def test_metric_is_documented(metric_id):
    metric = registry.get(metric_id)
    assert metric.label_en.strip() and not CJK.search(metric.label_en)
    assert CJK.search(metric.label_zh), metric.label_zh
    assert metric.description_en.strip() and CJK.search(metric.description_zh)
    assert metric.reference.strip() and metric.unit.strip()
    assert metric.fmt in FORMATS
    assert metric.compute in COMPUTE_KINDS
    if metric.compute == "ratio":
        assert metric.numerator and metric.denominator
    elif metric.compute in ("per_capita", "target"):
        assert metric.base in registry.BY_ID and registry.get(metric.base).compute == "sum"
        assert metric.table == registry.get(metric.base).table
    elif metric.compute == "sum":
        assert metric.numerator and metric.denominator is None
    assert metric.table in FACT_TABLES
    assert registry.label(metric, "zh") == metric.label_zh and registry.label(metric) == metric.label_en


@pytest.mark.parametrize("metric_id", METRIC_IDS)
def test_metric_computes_on_the_sample(sample_con, metric_id):
    metric = registry.get(metric_id)
    for grain in periods.GRAINS:
        result = compute(sample_con, metric_id, grain=grain, compare=True)
        assert list(result.table.columns) == COLUMNS, grain
    # The sample covers every metric (a yearly value at least) but e-media loans, a metric of system-wide lines
    # only, which the sample does not have (tests/test_system_lines.py computes it on a hand-counted export).
    yearly = compute(sample_con, metric_id, grain="year", compare=True)
    if not metric.service_points:
        assert yearly.table.empty
        return
    assert not yearly.table.empty and yearly.table["value"].notna().all()
    assert yearly.table["prior_value"].notna().any() or metric.compute == "target"  # targets: 2026 only
    for by in registry.dimensions(metric):
        result = compute(sample_con, metric_id, grain="year", by=by)
        assert list(result.table.columns) == [*COLUMNS[:3], by, *COLUMNS[3:]], by


@pytest.mark.parametrize("metric_id", METRIC_IDS)
def test_metric_has_a_golden_test(golden_text, metric_id):
    assert f'"{metric_id}"' in golden_text or f"'{metric_id}'" in golden_text
