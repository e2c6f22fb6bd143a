"""Overview, for directors: headline KPIs against last year and target, the monthly trend, satisfaction."""

import streamlit as st

from metrics.quality import SERIES
from metrics.registry import get
from pages import _charts, _data, _years
from pages._export import downloads
from pages._i18n import lang, metric_label, metric_labels, t
from pages._page import context, header, kpi_card, partial_note
from pages._state import TREND_METRICS

CARDS = ("visits", "loans", "events", "attendance", "satisfaction", "new_registrations")

ctx = context()
if ctx is None:
    st.stop()
header("overview", ctx)
# The cards' place comes first, but they are filled after the trend chart is sent: a browser takes longest
# to show the first Plotly chart (it loads and starts the charting library then), so it should start early.
cards = st.container()

chosen = st.selectbox(
    t("trend_metric"),
    TREND_METRICS,
    key="metric",
    format_func=metric_labels(TREND_METRICS).get,
)
result = ctx.metric(chosen, grain="month", compare=True)
partial_note(result)
trend = result["table"]
if trend.empty:
    st.info(t("no_data"))
else:
    # Months with a data-check finding, or (for visits) an estimated count, get a marker.
    flagged = set()
    table = get(chosen).table
    if table in SERIES:  # a table whose daily and monthly series are checked (gaps, zero runs, spikes)
        own = _data.findings(ctx.path, ctx.version, ctx.key, (table,))
        flagged = {d.strftime("%Y-%m") for d in own["period_start"]}
    if chosen == "visits":
        flagged |= {d.strftime("%Y-%m") for d in _data.estimated_dates(ctx.path, ctx.version, ctx.key)}
    label = metric_label(get(chosen))
    st.plotly_chart(
        _charts.trend(
            trend,
            t("monthly_trend", metric=label),
            label,
            t("month"),
            t("this_period"),
            t("prior_period"),
            flagged,
            fmt=get(chosen).fmt,
            language=lang(),
        ),
        key="trend_chart",
        config=_charts.config(lang()),
    )
    # The download buttons' place is under the chart, but their files (an Excel sheet takes tens of
    # milliseconds) are written after the cards: when many sessions rerun at once, the figures come first.
    trend_downloads = st.container()

columns = [*cards.columns(3), *cards.columns(3)]  # two rows of three: values stay readable in 万
for column, metric_id in zip(columns, CARDS, strict=True):
    kpi_card(column, ctx, metric_id, sparkline=True)  # with a caption on its target when the year has one
if not trend.empty:
    with trend_downloads:
        downloads(trend, f"{chosen}_by_month", "trend")

_years.every_year(ctx, chosen)

sat = _data.satisfaction_trend(ctx.path, ctx.version, ctx.key, "month", ctx.fiscal_start, None)
if not sat.empty:
    st.plotly_chart(
        _charts.confidence_band(
            sat,
            t("satisfaction_trend"),
            metric_label(get("satisfaction")),
            t("month"),
            metric_label(get("satisfaction")),
            t("low_confidence"),
            hover=lambda **figures: t("chart_band_hover", **figures),
            language=lang(),
        ),
        key="satisfaction_chart",
        config=_charts.config(lang()),
    )
    downloads(sat, "satisfaction_by_month", "sat")
