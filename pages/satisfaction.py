"""Satisfaction: the trend with its confidence band and low-sample markers, by branch, category or
audience, and the distribution of scores."""

import streamlit as st

from metrics.engine import service_points_only
from metrics.registry import get
from pages import _charts, _data
from pages._export import downloads
from pages._i18n import code_label, lang, metric_label, t
from pages._page import context, header, kpi_card, with_question
from pages._sidebar import branch_label
from pages._state import SATISFACTION_BREAKDOWNS

BREAKDOWNS = dict(zip(SATISFACTION_BREAKDOWNS, ("categories", "audiences", "branch", "districts"), strict=True))

ctx = context()
if ctx is None:
    st.stop()
header("satisfaction", ctx)
# Surveys may ask several questions; "overall" is counted unless another is chosen (or is the only one).
questions = _data.survey_questions(ctx.path, ctx.version, ctx.key)
if questions and ctx.flt.question not in questions:
    ctx = with_question(ctx, questions[0])
if len(questions) > 1:
    chosen = st.selectbox(
        t("survey_question"),
        questions,
        index=questions.index(ctx.flt.question),
        key="sat_question",
        format_func=code_label,
    )
    ctx = with_question(ctx, chosen)
elif questions and ctx.flt.question != "overall":
    st.caption(t("question_shown", question=code_label(ctx.flt.question)))
# The same cards as the Overview's: a score or share changes in points, the count of responses in percent.
for column, metric_id in zip(st.columns(3), ("satisfaction", "satisfied_share", "responses"), strict=True):
    kpi_card(column, ctx, metric_id)
st.caption(t("responses_note"))

trend = _data.satisfaction_trend(ctx.path, ctx.version, ctx.key, "month", ctx.fiscal_start, None)
if trend.empty:
    st.info(t("no_data"))
    st.stop()
label = metric_label(get("satisfaction"))
st.plotly_chart(
    _charts.confidence_band(
        trend,
        t("satisfaction_trend"),
        label,
        t("month"),
        label,
        t("low_confidence"),
        hover=lambda **figures: t("chart_band_hover", **figures),
        language=lang(),
    ),
    key="sat_trend",
    config=_charts.config(lang()),
)
downloads(trend, "satisfaction_by_month", "dl_sat_trend")

by = st.segmented_control(
    t("grain"), list(BREAKDOWNS), key="sat_by", required=True, format_func={b: t(k) for b, k in BREAKDOWNS.items()}.get
)
parts = _data.satisfaction_trend(ctx.path, ctx.version, ctx.key, "year", ctx.fiscal_start, by)
latest = parts[parts["period_start"] == parts["period_start"].max()].copy()
if by in ("category", "audience"):
    latest[by] = latest[by].map(code_label)
if by == "district":  # named in the language; filters and links keep the stored district
    districts = _data.district_names(ctx.path, ctx.version, lang())
    latest["district"] = latest["district"].map(lambda d: districts.get(d, d))
if by == "branch":
    latest = service_points_only(latest)  # the network's system-wide lines are no branch
    branches = _data.branches(ctx.path, ctx.version, ctx.flt.scope)
    names = {row["name"]: branch_label(row) for _, row in branches.iterrows()}
    latest["branch"] = latest["branch"].map(lambda b: names.get(b, b))
st.plotly_chart(
    _charts.bars(
        latest.sort_values("mean", ascending=False),
        by,
        "mean",
        t("satisfaction_by", what=t(BREAKDOWNS[by])),
        "",
        label,
        fmt=get("satisfaction").fmt,
        horizontal=True,
        language=lang(),
    ),
    key="sat_by_chart",
    config=_charts.config(lang()),
)
downloads(latest, f"satisfaction_by_{by}", "dl_sat_by")

scores = _data.score_distribution(ctx.path, ctx.version, ctx.key)
if not scores.empty:
    st.plotly_chart(
        _charts.histogram(scores, t("distribution"), t("score"), t("survey_answers"), language=lang()),
        key="histogram",
        config=_charts.config(lang()),
    )
    downloads(scores, "score_distribution", "dl_scores")
