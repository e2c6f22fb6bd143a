"""One branch in detail: its trend against a year earlier, its events, its satisfaction."""

from __future__ import annotations

import streamlit as st

from metrics.registry import get
from pages import _charts, _data, _tables
from pages._i18n import code_label, lang, metric_label, t
from pages._page import Context, kpi_card

BRANCH_CARDS = ("visits", "loans", "events", "attendance")  # a branch's own figures, as the Overview's cards


def drill_down(one: Context, metric_id: str, name: str) -> None:
    """Draw the drill-down for the branch `one` is narrowed to (`name` as displayed)."""
    st.text(t("branch_cards", name=name))  # a name from the data: shown as text, never as Markdown
    for column, card in zip(st.columns(len(BRANCH_CARDS)), BRANCH_CARDS, strict=True):
        kpi_card(column, one, card)
    label = metric_label(get(metric_id))
    trend = one.metric(metric_id, grain="month", compare=True)["table"]
    if not trend.empty:
        figure = _charts.trend(
            trend,
            f"{name} · {label}",
            label,
            t("month"),
            t("this_period"),
            t("prior_period"),
            fmt=get(metric_id).fmt,
            language=lang(),
        )
        st.plotly_chart(figure, key="drill_trend", config=_charts.config(lang()))
    left, right = st.columns(2)
    events = one.metric("events", by="category", compare=False)["table"]
    events = events.assign(category=events["category"].map(code_label))
    left.markdown(f"**{t('its_events')}**")
    sessions = _tables.written(events[["category", "value"]], {"value": "int"}, lang())
    left.dataframe(
        sessions.rename(columns={"category": t("dl_col_category"), "value": t("sessions")}),
        hide_index=True,
        key="drill_events",
    )
    sat = _data.satisfaction_trend(one.path, one.version, one.key, "quarter", one.fiscal_start, None)
    if not sat.empty:
        satisfaction = metric_label(get("satisfaction"))
        figure = _charts.confidence_band(
            sat,
            t("satisfaction"),
            satisfaction,
            "",
            satisfaction,
            t("low_confidence"),
            hover=lambda **figures: t("chart_band_hover", **figures),
            language=lang(),
        )
        right.plotly_chart(figure, key="drill_satisfaction", config=_charts.config(lang()))
