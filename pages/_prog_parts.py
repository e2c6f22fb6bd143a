"""The programme evaluation page's parts: its cached data, the checks of its choices (from a link or the last
view) against the data, the figure builder (a pure function, tested on its own) and the readable table.
Nothing here computes a figure: metrics/programme.py does."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from metrics import display, periods
from metrics import programme as pg
from metrics.filters import Filter
from metrics.registry import get
from pages import _charts, _data, _state
from pages._i18n import change_text, code_label, lang, metric_label, number, t
from pages._state import from_key

DEFAULT_MONTHS = 6  # a category or audience has no dates of its own: six months, with six after them in the data
SHADES = {"before": "#9aa5b1", "during": _charts.PALETTE[1], "after": _charts.PALETTE[2]}
# Per registry format: (hover format, tick format, tick suffix, axis from zero). A score or a rate moves within
# a few points: an axis from zero would flatten it.
AXES = {"int": (",.0f", ",.0f", "", True), "dec1": (",.1f", ",.0f", "", False), "pct1": (".1f", ".0f", "%", False)}


@st.cache_data(**_data.CACHE)
def programmes(path: str, version: str, scope: tuple[str, ...] | None) -> pd.DataFrame:
    """The named programmes of the branches in scope (metrics.programme.programmes)."""
    return pg.programmes(_data.open_db(path, version), Filter(scope=scope))


@st.cache_data(**_data.CACHE)
def patron_categories(path: str, version: str) -> list[str]:
    return pg.patron_categories(_data.open_db(path, version))


@st.cache_data(**_data.CACHE)
def evaluation(
    path: str, version: str, key: tuple, kind: str, value: str, start: dt.date, end: dt.date, patron: str, before: int
) -> pg.Evaluation:
    """metrics.programme.evaluate for the view's places (`key`) and the page's choices; before 0: as long as
    the programme."""
    flt = from_key(key)
    return pg.evaluate(
        _data.open_db(path, version), flt, pg.Choice(kind, value), start, end, patron, before_months=before or None
    )


def settle(options: dict[str, list[str]], listed: pd.DataFrame, patrons: list[str], as_of: dt.date) -> None:
    """Make the page's choices valid before its widgets are drawn: a kind, value, scope or month count the data
    does not offer (from a link, or a view before an import) falls back to the first offered; missing dates
    become the programme's own (or default_dates' six months), a missing patron
    category the one its audience borrows under."""
    state = st.session_state
    kinds = [k for k in pg.KINDS if options[k]]
    if state.get("prog_kind") not in kinds:
        state["prog_kind"], state["prog"] = kinds[0], None
    if state.get("prog") not in options[state["prog_kind"]]:
        state["prog"] = options[state["prog_kind"]][0]
        forget_dates()
    if state.get("prog_scope") not in _state.PROGRAMME_SCOPES:
        state["prog_scope"] = _state.FIELDS["prog_scope"].default
    if state.get("prog_before") not in _state.PROGRAMME_BEFORE_MONTHS:
        state["prog_before"] = 0
    if state.get("prog_from") is None or state.get("prog_to") is None:
        state["prog_from"], state["prog_to"] = default_dates(state["prog_kind"], state["prog"], listed, as_of)
    if state.get("prog_patron") not in (pg.ALL_PATRONS, *patrons):
        state["prog_patron"] = pg.suggested_patron_category(audience_of(listed), patrons)


def forget_dates() -> None:
    """Another programme: its own dates and patron category, not the last one's."""
    for key in ("prog_from", "prog_to", "prog_patron"):
        st.session_state[key] = None


def default_dates(kind: str, value: str, listed: pd.DataFrame, as_of: dt.date) -> tuple[dt.date, dt.date]:
    """A named programme's first and last held event; else DEFAULT_MONTHS months followed by as many up to the
    month of the data's end, so that the AFTER span has data too."""
    if kind == "programme":
        row = listed[listed["programme"] == value].iloc[0]
        return row["first_date"], row["last_date"]
    end = periods.add_months(as_of.replace(day=1), 1 - DEFAULT_MONTHS) - dt.timedelta(days=1)
    return periods.add_months(end.replace(day=1), 1 - DEFAULT_MONTHS), end


def audience_of(listed: pd.DataFrame) -> str | None:
    """The audience of the chosen programme: its events' most frequent one, or the audience chosen."""
    state = st.session_state
    if state["prog_kind"] == "audience":
        return state["prog"]
    if state["prog_kind"] == "programme":
        return listed.loc[listed["programme"] == state["prog"], "audience"].iloc[0]
    return None


def measured(listed: pd.DataFrame) -> tuple[str, str]:
    """(kind, value) of the events counted: the choice, or for a named programme counted by its audience,
    that audience (its own events have no BEFORE: the programme had not started)."""
    state = st.session_state
    if state["prog_kind"] == "programme" and state["prog_scope"] == "audience":
        return "audience", audience_of(listed)
    return state["prog_kind"], state["prog"]


def describe(result: pg.Evaluation, choice: tuple[str, str]) -> None:
    """What is counted and the months of each span. The programme's name is data: shown as plain text."""
    kind, value = choice
    name = value if kind == "programme" else code_label(value)
    st.text(t(f"prog_what_{kind}", name=name))
    spans = {name: display.month_span(first, last, lang()) for name, (first, last) in result.spans.items()}
    st.caption(t("prog_spans", **spans))
    if st.session_state["prog_kind"] == "programme" and kind == "programme":
        st.caption(t("prog_own_note"))


def cards(result: pg.Evaluation, measure_id: str) -> None:
    """A measure's three cards (before, during, after; the last two with their change against before), the
    interval under each, and the test of each change in plain words."""
    measure, metric = result.measures[measure_id], get(measure_id)
    changes = {"during": measure.during, "after": measure.after}
    st.subheader(heading(measure_id))
    for column, (name, (first, last)) in zip(st.columns(3), result.spans.items(), strict=True):
        figure = measure.figures[name]
        column.metric(
            span_name(name, first, last),
            number(figure.value, metric.fmt),
            delta(measure_id, changes[name]) or None if name in changes else None,
            delta_color="normal" if metric.higher_is_better else "inverse",
            border=True,
        )
        column.caption(detail(measure_id, figure))
    for name, change in changes.items():
        st.caption(t(f"prog_{name}_words", words=pg.verdict(change, measure.unit, lang())))


def panel_title(measure_id: str) -> str:
    """A measure's registry label; the satisfaction score says its scale."""
    label = metric_label(get(measure_id))
    return t("prog_score", label=label) if measure_id == "satisfaction" else label


def heading(measure_id: str) -> str:
    """A measure's title over its cards: a monthly measure's span figure is its mean a month."""
    if measure_id == "satisfaction":
        return panel_title(measure_id)
    return t("prog_monthly_mean", label=panel_title(measure_id))


def delta(measure_id: str, change: pg.Change) -> str:
    """A span's change against BEFORE as a card's delta: points for a score or rate, percent for a count (a
    count from zero in its own units)."""
    if change.difference is None:
        return ""
    text = change_text(get(measure_id), change.difference, change.percent)
    return text or f"{change.difference:+,.0f}"


def detail(measure_id: str, figure: pg.Figure) -> str:
    """The line under a card: its 95% interval, what it rests on, and whether the data covers the span."""
    fmt = get(measure_id).fmt
    parts = []
    if figure.ci_low is not None:
        parts.append(t("prog_interval", low=number(figure.ci_low, fmt), high=number(figure.ci_high, fmt)))
    if measure_id == "satisfaction":
        parts.append(t("prog_responses", n=number(figure.n)))
    else:
        parts.append(t("prog_months_with_data", n=figure.n))
    if figure.partial:
        parts.append(t("prog_partial", months=figure.months, of=figure.months_in_span))
    return " · ".join(parts)


def span_name(name: str, first: dt.date, last: dt.date) -> str:
    return f"{t(f'prog_{name}')} · {display.month_span(first, last, lang())}"


def month_labels(months) -> list[str]:
    """Month starts as the chosen language writes them (2025年4月, April 2025)."""
    return [display.period_name(periods.label(m, "month"), lang()) for m in months]


def chart(result: pg.Evaluation) -> go.Figure:
    """The monthly chart of the evaluation, in the chosen language."""
    table = result.monthly_table()
    labelled = table.assign(label=month_labels(table["month"]))
    positions = {
        name: (int(rows.index.min()), int(rows.index.max())) for name, rows in labelled.groupby("span", sort=False)
    }
    shaded = [(t(f"prog_{name}"), *positions[name], SHADES[name]) for name in pg.SPANS if name in positions]
    panels = [(m, panel_title(m), *AXES[get(m).fmt]) for m in pg.MEASURES]
    return monthly_figure(labelled, panels, shaded, t("prog_chart"))


def monthly_figure(table: pd.DataFrame, panels: list[tuple], spans: list[tuple[str, int, int, str]], title: str):
    """One panel per measure over the months of table["label"] (a category axis), with the spans shaded and
    named at the top of the first panel.

    panels: (column, panel title, hover format, tick format, tick suffix, axis from zero), formats in d3's
    notation; spans: (name, first row, last row, colour). A month without a value is a gap in its line,
    never a zero."""
    fig = make_subplots(
        rows=len(panels),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.07,
        subplot_titles=_charts.plain([p[1] for p in panels]),
    )
    labels = _charts.plain(list(table["label"]))
    for row, (column, panel, hover, ticks, suffix, from_zero) in enumerate(panels, start=1):
        fig.add_scatter(
            x=labels,
            y=table[column],
            mode="lines+markers",
            line={"color": _charts.CURRENT, "width": 2},
            showlegend=False,
            name=_charts.plain(panel),
            hovertemplate=f"%{{y:{hover}}}{suffix}<extra></extra>",
            row=row,
            col=1,
        )
        fig.update_yaxes(tickformat=ticks, ticksuffix=suffix, rangemode="tozero" if from_zero else "normal", row=row)
    for name, first, last, colour in spans:
        fig.add_vrect(
            x0=first - 0.5, x1=last + 0.5, fillcolor=colour, opacity=0.15, line_width=0, layer="below", row="all", col=1
        )
        fig.add_annotation(
            x=first - 0.5,
            y=1.0,
            xref="x",
            yref="y domain",
            xanchor="left",
            yanchor="top",
            text=name,
            showarrow=False,
            font={"color": colour, "size": 12},
        )
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=labels)
    fig.update_layout(height=170 * len(panels) + 120)
    return _charts._layout(fig, title, "", "")


def readable(result: pg.Evaluation) -> pd.DataFrame:
    """Every figure as a reader sees it: one row per measure and span, numbers formatted, the change against
    BEFORE in plain words."""
    rows = []
    for measure_id in pg.MEASURES:
        measure = result.measures[measure_id]
        fmt = get(measure_id).fmt
        changes = {"during": measure.during, "after": measure.after}
        for name, (first, last) in result.spans.items():
            figure = measure.figures[name]
            interval = "–"
            if figure.ci_low is not None:
                interval = f"{number(figure.ci_low, fmt)}–{number(figure.ci_high, fmt)}"
            words = pg.verdict(changes[name], measure.unit, lang()) if name in changes else ""
            rows.append(
                {
                    t("prog_col_measure"): heading(measure_id),
                    t("prog_col_span"): t(f"prog_{name}"),
                    t("prog_col_months"): display.month_span(first, last, lang()),
                    t("prog_col_value"): number(figure.value, fmt),
                    t("prog_col_interval"): interval,
                    t("prog_col_n"): number(figure.n),
                    t("prog_col_partial"): t("prog_yes") if figure.partial else "",
                    t("prog_col_change"): words,
                }
            )
    return pd.DataFrame(rows)


def raw(result: pg.Evaluation) -> pd.DataFrame:
    """The download: the same figures as numbers, with readable headers."""
    rows = []
    for measure_id in pg.MEASURES:
        measure = result.measures[measure_id]
        changes = {"during": measure.during, "after": measure.after}
        for name, (first, last) in result.spans.items():
            figure, change = measure.figures[name], changes.get(name)
            rows.append(
                {
                    t("prog_col_measure"): heading(measure_id),
                    t("prog_col_span"): t(f"prog_{name}"),
                    t("prog_col_months"): display.month_span(first, last, lang()),
                    t("prog_col_value"): figure.value,
                    t("prog_col_low"): figure.ci_low,
                    t("prog_col_high"): figure.ci_high,
                    t("prog_col_n"): figure.n,
                    t("prog_col_partial"): figure.partial,
                    t("prog_col_change"): change.difference if change else None,
                    t("prog_col_p"): change.p if change else None,
                }
            )
    return pd.DataFrame(rows)
