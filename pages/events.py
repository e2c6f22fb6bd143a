"""Events & programmes: sessions and attendance by category, audience and format; plan completion;
attendance per event; satisfaction by category."""

import pandas as pd
import streamlit as st

from metrics.registry import get
from pages import _charts, _data
from pages._export import downloads
from pages._i18n import code_label, metric_label, t
from pages._page import context, header, kpi_card

HEADLINES = ("events", "attendance", "online_attendance", "attendance_per_event", "plan_completion", "volunteer_hours")

ctx = context()
if ctx is None:
    st.stop()
header("events", ctx)
for column, metric_id in zip([*st.columns(3), *st.columns(3)], HEADLINES, strict=True):
    kpi_card(column, ctx, metric_id)

for dimension, title_key in (("category", "by_category"), ("audience", "by_audience"), ("format", "by_format")):
    sessions = ctx.metric("events", by=dimension)["table"]
    if sessions.empty:
        continue
    # Attendance of every format: in person and online are separate metrics, added up for this chart.
    people = [ctx.metric(m, by=dimension, compare=False)["table"] for m in ("attendance", "online_attendance")]
    attendance = pd.concat(people).groupby(dimension, as_index=False)["value"].sum()
    merged = (
        sessions[[dimension, "value", "prior_value", "yoy_pct"]]
        .rename(columns={"value": "sessions"})
        .merge(attendance.rename(columns={"value": "attendance"}), on=dimension, how="left")
    )
    merged[dimension] = merged[dimension].map(code_label)
    left, right = st.columns(2)
    left.plotly_chart(
        _charts.bars(
            merged,
            dimension,
            "sessions",
            f"{metric_label(get('events'))} · {t(title_key)}",
            "",
            t("sessions"),
            horizontal=True,
        ),
        key=f"sessions_{dimension}",
    )
    right.plotly_chart(
        _charts.bars(
            merged,
            dimension,
            "attendance",
            f"{metric_label(get('attendance'))} · {t(title_key)}",
            "",
            metric_label(get("attendance")),
            horizontal=True,
        ),
        key=f"attendance_{dimension}",
    )
    downloads(merged, f"events_{dimension}", f"dl_{dimension}")

completion = ctx.metric("plan_completion", grain="month", compare=False)["table"]
if not completion.empty:
    st.plotly_chart(
        _charts.bars(completion, "period", "value", t("plan_completion_title"), t("month"), "%", hover_format=".1f"),
        key="completion",
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
            hover_format=".1f",
            horizontal=True,
        ),
        key="sat_category",
    )
    downloads(latest, "satisfaction_by_category", "dl_sat_category")
