"""Figure builders: pure functions from tables to Plotly figures, one palette, labels passed in.

Nothing here reads Streamlit state, so each builder is tested on its own. Text from the data goes into
figures as plain text (Plotly escapes it). Every figure is written in the language it is asked for, by the
rules of metrics/display.py: value axes and hover numbers as the cards write them (354.9万 in Chinese, 3,549,089
in English; Plotly's own "450k" never appears, since ticks are given as text), month axes and their hover as
2026年1月 / Jan 2026, and Plotly's own words (the toolbar) through config()'s locale.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go

from metrics import display

PALETTE = ["#1f5f8b", "#e07b39", "#3c9d5d", "#8e5ea2", "#c94c4c", "#6b8e23", "#d4a017", "#4a4a4a"]
CURRENT, PRIOR, BAND, FLAG = PALETTE[0], "#9aa5b1", "rgba(31, 95, 139, 0.18)", "#c94c4c"
FONT = "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, PingFang SC, Helvetica, Arial, sans-serif"
TOOLBAR = 28  # px: the height of Plotly's toolbar (modebar) at a figure's top
MONTH = re.compile(r"\d{4}-\d{2}")  # a month's period label (metrics/periods.label): a date axis
# How a month on a date axis is written in its hover (d3-time-format, Plotly's date formatting; "%-m" is the
# month without a leading zero). The ticks themselves are given as text (display.short_period_name).
# How dates are written on a time axis, by how far apart its ticks are (Plotly spaces them to fit the chart's
# width: every month on a screen, every quarter on a phone), and in the hover (a month, as the data is monthly).
# d3-time-format, Plotly's date formatting; "%-m" is the month without a leading zero.
DATE_FORMATS = {
    "en": {"day": "%b %-d", "month": "%b %Y", "year": "%Y", "hover": "%B %Y"},
    "zh": {"day": "%-m月%-d日", "month": "%Y年%-m月", "year": "%Y年", "hover": "%Y年%-m月"},
}
TWO_WEEKS = 14 * 24 * 3600 * 1000  # ms: the widest tick spacing Plotly uses below a month

# Plotly's zh-CN locale, given with each chart: the Plotly bundled with Streamlit registers English only.
# The dictionary translates the words Plotly itself shows (toolbar tips, notices); the format writes dates
# and numbers Plotly formats on its own (a date axis without given ticks, its hover) the Chinese way.
ZH_CN = {
    "dictionary": {
        "Zoom": "缩放",
        "Pan": "平移",
        "Zoom in": "放大",
        "Zoom out": "缩小",
        "Autoscale": "自动缩放",
        "Reset axes": "还原坐标轴",
        "Reset": "还原",
        "Reset view": "还原视图",
        "Reset views": "还原视图",
        "Box Select": "框选",
        "Lasso Select": "套索选择",
        "Download plot as a PNG": "下载为图片",
        "Download plot": "下载图片",
        "Toggle Spike Lines": "显示或隐藏辅助线",
        "Show closest data on hover": "悬停时显示最近的数据",
        "Compare data on hover": "悬停时对比数据",
        "Toggle show closest data on hover": "切换悬停显示方式",
        "Double-click to zoom back out": "双击还原缩放",
        "Double-click on legend to isolate one trace": "双击图例只看这一项",
        "Produced with Plotly.js": "由 Plotly.js 绘制",
        "Preparing image - this may take a few seconds": "正在生成图片，请稍候",
        "Image download succeeded": "图片已下载",
        "Sorry, there was a problem downloading your image!": "图片下载失败，请重试。",
    },
    "format": {
        "days": ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
        "shortDays": ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
        "months": [f"{m}月" for m in range(1, 13)],
        "shortMonths": [f"{m}月" for m in range(1, 13)],
        "periods": ["上午", "下午"],
        "dateTime": "%Y年%-m月%-d日 %H:%M:%S",
        "date": "%Y年%-m月%-d日",
        "time": "%H:%M:%S",
        "decimal": ".",
        "thousands": ",",
        "grouping": [3],
        "currency": ["¥", ""],
        "year": "%Y年",
        "month": "%Y年%-m月",
        "dayMonth": "%-m月%-d日",
        "dayMonthYear": "%Y年%-m月%-d日",
    },
}

# Streamlit adds a full-screen button of its own to every chart's toolbar, titled in English where Plotly's locale
# cannot reach it; its tooltip (the title, shown through ::after) is given in Chinese by this style.
ZH_TOOLBAR_STYLE = (
    "<style>"
    ".js-plotly-plot .plotly .modebar-btn[data-title='Fullscreen']::after{content:'全屏'}"
    ".js-plotly-plot .plotly .modebar-btn[data-title='Close fullscreen']::after{content:'退出全屏'}"
    "</style>"
)


def config(language: str) -> dict:
    """st.plotly_chart's `config` for the language: in Chinese the zh-CN locale (given here, not registered)."""
    if language == "zh":
        return {"locale": "zh-CN", "locales": {"zh-CN": ZH_CN}}
    return {"locale": "en-US"}


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


def _texts(values, fmt: str, language: str) -> list[str]:
    """Numbers as hover text, written as the cards write them (the hover shows them via customdata)."""
    return [display.number(v, fmt, language) for v in values]


def _periods(periods, language: str) -> list:
    """The x values of a time axis: months as they are (a date axis writes them), other periods (quarters,
    years) in words on a category axis."""
    periods = list(periods)
    if all(MONTH.fullmatch(str(p)) for p in periods):
        return periods
    return [display.period_name(str(p), language) for p in periods]


def _time_axis(fig: go.Figure, periods, language: str) -> None:
    """Every x axis of `fig` over these periods. Months: a date axis, its ticks spaced by Plotly to fit and
    written in the language at each spacing (2026年1月 / Jan 2026 for months and quarters, 2026年 for years), the
    hover naming the month; one or two months are labelled as given (Plotly would tick hours around a lone
    point). Other periods (quarters, years): a category axis, their names being the x values (see _periods)."""
    labels = sorted({str(p) for p in periods})
    if not labels or not all(MONTH.fullmatch(p) for p in labels):
        fig.update_xaxes(type="category")
        return
    formats = DATE_FORMATS[language]
    fig.update_xaxes(
        type="date",
        hoverformat=formats["hover"],
        tickformatstops=[
            {"dtickrange": [None, TWO_WEEKS], "value": formats["day"]},
            {"dtickrange": ["M1", "M6"], "value": formats["month"]},
            {"dtickrange": ["M12", None], "value": formats["year"]},
        ],
    )
    if len(labels) < 3:
        fig.update_xaxes(tickvals=labels, ticktext=[display.short_period_name(p, language) for p in labels])


def _layout(fig: go.Figure, title: str, x_title: str, y_title: str, hovermode: str = "x unified") -> go.Figure:
    """The shared look. `hovermode` "y unified" for horizontal bars: the hover is headed by the bar's name, not
    by an unformatted value."""
    fig.update_layout(
        title={"text": plain(title), "x": 0},
        font={"family": FONT, "size": 13},
        xaxis_title=x_title,
        yaxis_title=y_title,
        hovermode=hovermode,
        margin={"l": 10, "r": 10, "b": 10},
        legend={"orientation": "h", "y": -0.2},
        colorway=PALETTE,
        template="plotly_white",
    )
    # Should an axis ever be left to Plotly's own ticks, it writes 450,000, never 450k.
    fig.update_xaxes(exponentformat="none", separatethousands=True)
    fig.update_yaxes(exponentformat="none", separatethousands=True)
    return below_toolbar(fig)


def below_toolbar(fig: go.Figure) -> go.Figure:
    """The title moved below the toolbar's row: a phone shows the toolbar all the time, over a title beside it."""
    fig.update_layout(
        title={"yref": "container", "y": 1, "yanchor": "top", "pad": {"t": TOOLBAR}},
        margin={"t": TOOLBAR + 44},
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
    fmt: str = "int",
    language: str = "en",
) -> go.Figure:
    """This period and the same period a year earlier, by period label; flagged periods get a marker.
    `fmt` is the metric's format (metrics.registry), for the hover's numbers."""
    x = _periods(table["period"], language)
    fig = go.Figure()
    fig.add_scatter(
        x=x,
        y=table["prior_value"],
        name=prior,
        mode="lines",
        line={"color": PRIOR, "dash": "dot"},
        customdata=_texts(table["prior_value"], fmt, language),
        hovertemplate="%{customdata}",
    )
    fig.add_scatter(
        x=x,
        y=table["value"],
        name=current,
        mode="lines+markers",
        line={"color": CURRENT, "width": 3},
        customdata=_texts(table["value"], fmt, language),
        hovertemplate="%{customdata}",
    )
    marks = table[table["period"].isin(flagged)]
    if not marks.empty:
        fig.add_scatter(
            x=_periods(marks["period"], language),
            y=marks["value"],
            name="⚠",
            mode="markers",
            marker={"color": FLAG, "size": 12, "symbol": "x"},
            hoverinfo="skip",
        )
    _layout(fig, title, x_title, y_title)
    _time_axis(fig, table["period"], language)
    fig.update_yaxes(**display.axis_ticks([*table["value"], *table["prior_value"]], language))
    return fig


BAND_HOVER = "{mean} (95%: {low}–{high}; n = {n})".format


def confidence_band(
    table: pd.DataFrame,
    title: str,
    y_title: str,
    x_title: str,
    mean_name: str,
    low_name: str,
    hover: Callable[..., str] = BAND_HOVER,
    language: str = "en",
) -> go.Figure:
    """A mean with its 95% band; points under 30 responses drawn hollow and named in the legend. `hover` words
    the hover of a point from its figures, as text: hover(mean=, low=, high=, n=) (n: the responses)."""
    x = _periods(table["period"], language)
    texts = [
        hover(
            mean=display.number(row["mean"], "dec1", language),
            low=display.number(row["ci_low"], "dec1", language),
            high=display.number(row["ci_high"], "dec1", language),
            n=display.number(row["n"], "int", language),
        )
        for _, row in table.iterrows()
    ]
    fig = go.Figure()
    fig.add_scatter(x=x, y=table["ci_high"], mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip")
    fig.add_scatter(
        x=x,
        y=table["ci_low"],
        mode="lines",
        line={"width": 0},
        fill="tonexty",
        fillcolor=BAND,
        showlegend=False,
        hoverinfo="skip",
    )
    fig.add_scatter(
        x=x,
        y=table["mean"],
        name=mean_name,
        mode="lines+markers",
        line={"color": CURRENT, "width": 3},
        customdata=texts,
        hovertemplate="%{customdata}",
    )
    low = table[table["low_confidence"]]
    if not low.empty:
        fig.add_scatter(
            x=_periods(low["period"], language),
            y=low["mean"],
            name=low_name,
            mode="markers",
            marker={"color": "white", "size": 10, "line": {"color": FLAG, "width": 2}},
            hoverinfo="skip",
        )
    _layout(fig, title, x_title, y_title)
    _time_axis(fig, table["period"], language)
    fig.update_yaxes(**display.axis_ticks([*table["ci_low"], *table["ci_high"], *table["mean"]], language))
    return fig


def bars(
    table: pd.DataFrame,
    x: str,
    y: str,
    title: str,
    x_title: str,
    y_title: str,
    fmt: str = "int",
    horizontal: bool = False,
    language: str = "en",
) -> go.Figure:
    """One bar per row; bars over `period` stand on a time axis. `fmt` writes the hover's numbers."""
    fig = go.Figure()
    texts = _texts(table[y], fmt, language)
    ticks = display.axis_ticks(table[y], language, zero=True)
    if horizontal:
        fig.add_bar(
            y=plain(table[x]),
            x=table[y],
            orientation="h",
            marker_color=CURRENT,
            customdata=texts,
            hovertemplate="%{customdata}<extra></extra>",
        )
        fig.update_yaxes(autorange="reversed")
        _layout(fig, title, y_title, x_title, hovermode="y unified")
        fig.update_xaxes(**ticks)
        return fig
    periods = x == "period"
    fig.add_bar(
        x=_periods(table[x], language) if periods else plain(table[x]),
        y=table[y],
        marker_color=CURRENT,
        customdata=texts,
        hovertemplate="%{customdata}<extra></extra>",
    )
    _layout(fig, title, x_title, y_title)
    if periods:
        _time_axis(fig, table[x], language)
    fig.update_yaxes(**ticks)
    return fig


def _by_change(table: pd.DataFrame) -> pd.DataFrame:
    """Rows as the contribution chart draws them: largest change first (gains or losses)."""
    return table.sort_values("change", key=abs, ascending=False, kind="stable")


def point_keys(table: pd.DataFrame, column: str) -> list:
    """The values of `column` in the order the contribution chart draws its bars (a click's point index)."""
    return list(_by_change(table)[column])


def contribution(
    table: pd.DataFrame, label_column: str, title: str, x_title: str, fmt: str = "int", language: str = "en"
) -> go.Figure:
    """Each row's change against a year earlier, gains and losses in two colours, largest first."""
    ordered = _by_change(table)
    colours = [PALETTE[2] if c >= 0 else FLAG for c in ordered["change"]]
    fig = go.Figure()
    fig.add_bar(
        y=plain(ordered[label_column]),
        x=ordered["change"],
        orientation="h",
        marker_color=colours,
        customdata=[display.signed_number(c, fmt, language) for c in ordered["change"]],
        hovertemplate="%{customdata}<extra></extra>",
    )
    fig.update_yaxes(autorange="reversed")
    _layout(fig, title, x_title, "", hovermode="y unified")
    fig.update_xaxes(**display.axis_ticks(ordered["change"], language, zero=True))
    return fig


def small_multiples(
    table: pd.DataFrame,
    label_column: str,
    title: str,
    columns: int = 4,
    fmt: str = "int",
    language: str = "en",
) -> go.Figure:
    """One small line chart per branch, same time axis, own value scale; in the order of the names as shown
    (pinyin in Chinese), so a reader finds a branch where they look for it."""
    names = display.in_name_order(table[label_column], language)
    rows = max(1, -(-len(names) // columns))
    from plotly.subplots import make_subplots

    fig = make_subplots(
        rows=rows, cols=columns, subplot_titles=plain(names), shared_xaxes=True, vertical_spacing=min(0.08, 0.6 / rows)
    )
    for index, name in enumerate(names):
        part = table[table[label_column] == name]
        where = {"row": index // columns + 1, "col": index % columns + 1}
        fig.add_scatter(
            x=_periods(part["period"], language),
            y=part["value"],
            mode="lines",
            line={"color": CURRENT, "width": 2},
            name=plain(name),
            showlegend=False,
            customdata=_texts(part["value"], fmt, language),
            hovertemplate="%{customdata}<extra></extra>",
            **where,
        )
        fig.update_yaxes(**display.axis_ticks(part["value"], language, count=3), **where)
    fig.update_layout(height=max(300, 170 * rows))
    fig.update_annotations(font_size=11)
    _layout(fig, title, "", "")
    _time_axis(fig, table["period"], language)
    fig.update_xaxes(nticks=4)  # a panel is narrow: a few dates under it, not a column of rotated ones
    return fig


def histogram(table: pd.DataFrame, title: str, x_title: str, y_title: str, language: str = "en") -> go.Figure:
    """Answers per score; the top two boxes in the main colour."""
    colours = [CURRENT if top else PRIOR for top in table["top2"]]
    fig = go.Figure()
    scores = [display.number(s, "int" if float(s).is_integer() else "dec1", language) for s in table["score"]]
    fig.add_bar(
        x=scores,
        y=table["answers"],
        marker_color=colours,
        customdata=_texts(table["answers"], "int", language),
        hovertemplate="%{customdata}<extra></extra>",
    )
    _layout(fig, title, x_title, y_title)
    fig.update_xaxes(type="category")
    fig.update_yaxes(**display.axis_ticks(table["answers"], language, zero=True))
    return fig


def years(
    names: list[str],
    values: list,
    partial: list[bool],
    texts: list[str],
    title: str,
    x_title: str,
    y_title: str,
    language: str = "en",
) -> go.Figure:
    """One bar per year; a year not over yet lighter. `texts` are the values as the cards write them (hover)."""
    fig = go.Figure()
    fig.add_bar(
        x=plain(list(names)),
        y=list(values),
        marker_color=[PRIOR if p else CURRENT for p in partial],
        customdata=list(texts),
        hovertemplate="%{customdata}<extra>%{x}</extra>",
    )
    _layout(fig, title, x_title, y_title)
    fig.update_xaxes(type="category")
    return fig.update_yaxes(**display.axis_ticks(list(values), language, zero=True))
