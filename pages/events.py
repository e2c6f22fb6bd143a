"""Events & programmes: sessions and participation by category, audience and format; plan completion;
attendance per event; satisfaction by category. Each chart shows one registered metric, titled with its
label; the page joins results for display and computes none."""

from functools import partial

import streamlit as st

from metrics.registry import get
from pages import _charts, _data, _state
from pages._export import downloads
from pages._i18n import code_label, lang, metric_label, t
from pages._page import context, header, kpi_card

COUNTS = ("events", "attendance", "online_attendance", "participation")
RATES = ("attendance_per_event", "plan_completion", "volunteer_hours")
BREAKDOWNS = (("category", "by_category"), ("audience", "by_audience"), ("format", "by_format"))
CHARTS = (("events", "sessions"), ("participation", "participation"))  # (metric, chart key prefix), left to right
FILTER_OF = {"category": "categories", "audience": "audiences", "format": "formats"}  # the sidebar filter a click sets

ctx = context()
if ctx is None:
    st.stop()
header("events", ctx)
for row in (COUNTS, RATES):
    for column, metric_id in zip(st.columns(len(row)), row, strict=True):
        kpi_card(column, ctx, metric_id)

st.caption(t("click_to_filter"))
for dimension, title_key in BREAKDOWNS:
    tables = {metric_id: ctx.metric(metric_id, by=dimension)["table"] for metric_id, _ in CHARTS}
    if tables["events"].empty:
        continue
    for column, (metric_id, key) in zip(st.columns(2), CHARTS, strict=True):
        shown = tables[metric_id].assign(**{dimension: tables[metric_id][dimension].map(code_label)})
        label = metric_label(get(metric_id))
        figure = _charts.bars(
            shown,
            dimension,
            "value",
            f"{label} · {t(title_key)}",
            "",
            label,
            fmt=get(metric_id).fmt,
            horizontal=True,
            language=lang(),
        )
        column.plotly_chart(  # a click on a bar filters the view to that category, audience or format
            figure,
            key=f"{key}_{dimension}",
            config=_charts.config(lang()),
            on_select=partial(
                _state.pick, f"{key}_{dimension}", FILTER_OF[dimension], list(tables[metric_id][dimension]), True
            ),
            selection_mode="points",
        )
    # One table for the download: each metric's columns side by side, joined on the breakdown's values.
    sessions, people = (tables[m].set_index(dimension) for m, _ in CHARTS)
    joined = sessions[["value", "prior_value", "yoy_pct"]].rename(columns={"value": "sessions"})
    joined = joined.join(people[["value"]].rename(columns={"value": "participation"}), how="left").reset_index()
    downloads(joined.assign(**{dimension: joined[dimension].map(code_label)}), f"events_{dimension}", f"dl_{dimension}")

completion = ctx.metric("plan_completion", grain="month", compare=False)["table"]
if not completion.empty:
    label = metric_label(get("plan_completion"))
    st.plotly_chart(
        _charts.bars(
            completion, "period", "value", label, t("month"), "%", fmt=get("plan_completion").fmt, language=lang()
        ),
        key="completion",
        config=_charts.config(lang()),
    )
    downloads(completion[["period", "value"]], "plan_completion_by_month", "dl_completion")
sat = _data.satisfaction_trend(ctx.path, ctx.version, ctx.key, "year", ctx.fiscal_start, "category")
if not sat.empty:
    latest = sat[sat["period_start"] == sat["period_start"].max()].copy()
    latest["category"] = latest["category"].map(code_label)
    st.plotly_chart(
        _charts.bars(
            latest,
            "category",
            "mean",
            t("satisfaction_by", what=t("categories")),
            "",
            metric_label(get("satisfaction")),
            fmt=get("satisfaction").fmt,
            horizontal=True,
            language=lang(),
        ),
        key="sat_category",
        config=_charts.config(lang()),
    )
    downloads(latest, "satisfaction_by_category", "dl_sat_category")
