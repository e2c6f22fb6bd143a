"""Figure builders: pure functions from tables to Plotly figures, one palette, labels passed in.

Nothing here reads Streamlit state, so each builder is tested on its own. Text from the data goes into
figures as plain text (Plotly escapes it); hover text shows exact numbers.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

PALETTE = ["#1f5f8b", "#e07b39", "#3c9d5d", "#8e5ea2", "#c94c4c", "#6b8e23", "#d4a017", "#4a4a4a"]
CURRENT, PRIOR, BAND, FLAG = PALETTE[0], "#9aa5b1", "rgba(31, 95, 139, 0.18)", "#c94c4c"
FONT = "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, PingFang SC, Helvetica, Arial, sans-serif"


def plain(values):
    """Text from the data, escaped for Plotly's pseudo-HTML (so a name like `<a href=...>` stays text)."""

    def escape(value):
        return (
            value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") if isinstance(value, str) else value
        )

    if isinstance(values, pd.Series):
        return values.map(escape)
    if isinstance(values, list):
        return [escape(v) for v in values]
    return escape(values)


def _layout(fig: go.Figure, title: str, x_title: str, y_title: str) -> go.Figure:
    fig.update_layout(
        title={"text": plain(title), "x": 0},
        font={"family": FONT, "size": 13},
        xaxis_title=x_title,
        yaxis_title=y_title,
        hovermode="x unified",
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"orientation": "h", "y": -0.2},
        colorway=PALETTE,
        template="plotly_white",
    )
    return fig


def trend(
    table: pd.DataFrame,
    title: str,
    y_title: str,
    x_title: str,
    current: str,
    prior: str,
    flagged: set[str] = frozenset(),
    hover_format: str = ",.0f",
) -> go.Figure:
    """This period and the same period a year earlier, by period label; flagged periods get a marker."""
    fig = go.Figure()
    fig.add_scatter(
        x=table["period"],
        y=table["prior_value"],
        name=prior,
        mode="lines",
        line={"color": PRIOR, "dash": "dot"},
        hovertemplate=f"%{{y:{hover_format}}}",
    )
    fig.add_scatter(
        x=table["period"],
        y=table["value"],
        name=current,
        mode="lines+markers",
        line={"color": CURRENT, "width": 3},
        hovertemplate=f"%{{y:{hover_format}}}",
    )
    marks = table[table["period"].isin(flagged)]
    if not marks.empty:
        fig.add_scatter(
            x=marks["period"],
            y=marks["value"],
            name="⚠",
            mode="markers",
            marker={"color": FLAG, "size": 12, "symbol": "x"},
            hoverinfo="skip",
        )
    return _layout(fig, title, x_title, y_title)


def confidence_band(
    table: pd.DataFrame, title: str, y_title: str, x_title: str, mean_name: str, low_name: str
) -> go.Figure:
    """A mean with its 95% band; points under 30 responses drawn hollow and named in the legend."""
    fig = go.Figure()
    fig.add_scatter(
        x=table["period"], y=table["ci_high"], mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip"
    )
    fig.add_scatter(
        x=table["period"],
        y=table["ci_low"],
        mode="lines",
        line={"width": 0},
        fill="tonexty",
        fillcolor=BAND,
        showlegend=False,
        hoverinfo="skip",
    )
    fig.add_scatter(
        x=table["period"],
        y=table["mean"],
        name=mean_name,
        mode="lines+markers",
        line={"color": CURRENT, "width": 3},
        customdata=table[["n", "ci_low", "ci_high"]],
        hovertemplate="%{y:.1f} (95%: %{customdata[1]:.1f}–%{customdata[2]:.1f}; n=%{customdata[0]:,})",
    )
    low = table[table["low_confidence"]]
    if not low.empty:
        fig.add_scatter(
            x=low["period"],
            y=low["mean"],
            name=low_name,
            mode="markers",
            marker={"color": "white", "size": 10, "line": {"color": FLAG, "width": 2}},
            hoverinfo="skip",
        )
    return _layout(fig, title, x_title, y_title)


def bars(
    table: pd.DataFrame,
    x: str,
    y: str,
    title: str,
    x_title: str,
    y_title: str,
    hover_format: str = ",.0f",
    horizontal: bool = False,
) -> go.Figure:
    """One bar per row."""
    fig = go.Figure()
    if horizontal:
        fig.add_bar(
            y=plain(table[x]),
            x=table[y],
            orientation="h",
            marker_color=CURRENT,
            hovertemplate=f"%{{x:{hover_format}}}<extra>%{{y}}</extra>",
        )
        fig.update_yaxes(autorange="reversed")
        return _layout(fig, title, y_title, x_title)
    fig.add_bar(
        x=plain(table[x]), y=table[y], marker_color=CURRENT, hovertemplate=f"%{{y:{hover_format}}}<extra></extra>"
    )
    return _layout(fig, title, x_title, y_title)


def _by_change(table: pd.DataFrame) -> pd.DataFrame:
    """Rows as the contribution chart draws them: largest change first (gains or losses)."""
    return table.sort_values("change", key=abs, ascending=False, kind="stable")


def point_keys(table: pd.DataFrame, column: str) -> list:
    """The values of `column` in the order the contribution chart draws its bars (a click's point index)."""
    return list(_by_change(table)[column])


def contribution(table: pd.DataFrame, label_column: str, title: str, x_title: str) -> go.Figure:
    """Each row's change against a year earlier, gains and losses in two colours, largest first."""
    ordered = _by_change(table)
    colours = [PALETTE[2] if c >= 0 else FLAG for c in ordered["change"]]
    fig = go.Figure()
    fig.add_bar(
        y=plain(ordered[label_column]),
        x=ordered["change"],
        orientation="h",
        marker_color=colours,
        hovertemplate="%{x:+,.0f}<extra>%{y}</extra>",
    )
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title, x_title, "")


def small_multiples(table: pd.DataFrame, label_column: str, title: str, columns: int = 4) -> go.Figure:
    """One small line chart per branch, same time axis, own value scale."""
    names = list(dict.fromkeys(table[label_column]))
    rows = max(1, -(-len(names) // columns))
    from plotly.subplots import make_subplots

    fig = make_subplots(
        rows=rows, cols=columns, subplot_titles=plain(names), shared_xaxes=True, vertical_spacing=min(0.08, 0.6 / rows)
    )
    for index, name in enumerate(names):
        part = table[table[label_column] == name]
        fig.add_scatter(
            x=part["period"],
            y=part["value"],
            mode="lines",
            line={"color": CURRENT, "width": 2},
            name=plain(name),
            showlegend=False,
            hovertemplate="%{x}: %{y:,.0f}<extra></extra>",
            row=index // columns + 1,
            col=index % columns + 1,
        )
    fig.update_layout(height=max(300, 170 * rows))
    fig.update_annotations(font_size=11)
    return _layout(fig, title, "", "")


def histogram(table: pd.DataFrame, title: str, x_title: str, y_title: str) -> go.Figure:
    """Answers per score; the top two boxes in the main colour."""
    colours = [CURRENT if top else PRIOR for top in table["top2"]]
    fig = go.Figure()
    fig.add_bar(
        x=table["score"].astype(str),
        y=table["answers"],
        marker_color=colours,
        hovertemplate="%{y:,}<extra>%{x}</extra>",
    )
    return _layout(fig, title, x_title, y_title)


def years(
    names: list[str], values: list, partial: list[bool], texts: list[str], title: str, x_title: str, y_title: str
):
    """One bar per year; a year not over yet lighter. `texts` are the values as the cards write them (hover)."""
    fig = go.Figure()
    fig.add_bar(
        x=plain(list(names)),
        y=list(values),
        marker_color=[PRIOR if p else CURRENT for p in partial],
        customdata=list(texts),
        hovertemplate="%{customdata}<extra>%{x}</extra>",
    )
    return _layout(fig, title, x_title, y_title)
