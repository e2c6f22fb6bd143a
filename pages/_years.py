"""The multi-year view: a metric for each year since the data begins, the year not yet over marked."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from metrics import display
from metrics.registry import get
from pages import _charts, _state
from pages._export import downloads
from pages._i18n import lang, metric_label, t
from pages._page import Context


def every_year(ctx: Context, metric_id: str) -> None:
    """Each (fiscal) year of the metric for the view's branches and choices (its dates set aside), against
    the year before; a partial last year is drawn lighter and named with its months."""
    flt = replace(ctx.flt, date_from=None, date_to=None, beyond_complete=False)
    whole = replace(ctx, flt=flt, key=_state.filter_key(flt))
    table = whole.metric(metric_id, grain="year", compare=True)["table"]
    if len(table) < 2:
        return
    metric = get(metric_id)
    label = metric_label(metric)
    names = [
        t("multi_year_partial", year=row.period, months=display.month_span(row.period_start, row.period_end, lang()))
        if row.partial
        else row.period
        for row in table.itertuples()
    ]
    texts = [display.number(v, metric.fmt, lang()) for v in table["value"]]
    title = t("multi_year", metric=label)
    figure = _charts.years(names, table["value"], table["partial"], texts, title, t("year_axis"), label, lang())
    st.plotly_chart(figure, key="years_chart", config=_charts.config(lang()))
    downloads(
        table[["period", "period_start", "period_end", "value", "prior_value", "yoy_pct", "partial"]],
        f"{metric_id}_by_year",
        "years",
    )
