"""What every page starts from: the database, the data's as-of date and the current filters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import streamlit as st

from metrics import display, engine
from metrics.filters import Filter
from metrics.registry import Metric, get
from metrics.targets import Attainment
from pages import _data, _state
from pages._export import NOTE_KEY
from pages._i18n import (
    change_text,
    code_label,
    join_names,
    lang,
    long_date,
    metric_help,
    metric_label,
    number,
    period_name,
    t,
)

MAX_NAMED = 8  # branches named in a note; the rest are counted


@dataclass(frozen=True)
class Context:
    path: str
    version: str
    as_of: dt.date | None
    flt: Filter
    key: tuple
    fiscal_start: int
    compare: bool
    like_for_like: bool
    months_back: int | None = None  # compared with the window this many months earlier; None: a year earlier

    def attainment(self, metric_id: str):
        """The view's figure of the metric against its target (metrics/targets.py), or None without one."""
        return _data.attainment(self.path, self.version, metric_id, self.key, self.fiscal_start)

    def metric(self, metric_id: str, grain: str = "window", by: str | None = None, compare: bool | None = None):
        """The cached engine result for this view."""
        wanted = self.compare if compare is None else compare
        return _data.metric(
            self.path,
            self.version,
            metric_id,
            self.key,
            grain,
            by,
            self.fiscal_start,
            wanted,
            self.like_for_like and wanted,
            self.months_back if wanted and grain in ("month", "quarter", "year", "window") else None,
        )


def for_branch(ctx: Context, branch_id: str) -> Context:
    """The same view narrowed to one branch (and its reading rooms)."""
    flt = replace(ctx.flt, branches=(branch_id,))
    return replace(ctx, flt=flt, key=_state.filter_key(flt))


def context() -> Context | None:
    """The page's context, or None (with a message) when there is no data yet."""
    path, con, version = _data.current()
    # The as-of date is that of the chosen branches (a supervisor's own, a branch's own November).
    as_of = _data.as_of(path, version, _state.filter_key(_state.current_filter(None))) if con is not None else None
    if as_of is None:
        st.info(t("no_data"))
        return None
    flt = _state.current_filter(as_of)
    state = st.session_state
    back = _state.months_back(state["cmp"], flt.date_from, flt.date_to, state.get("cmp_from"))
    if state["cmp"] == "custom" and back is None:
        st.warning(t("compare_from_missing"), icon=":material/compare_arrows:")
    compare = state["cmp"] != "none" and not (state["cmp"] == "custom" and back is None)
    return Context(path, version, as_of, flt, _state.filter_key(flt), state["fy"], compare, bool(state["lfl"]), back)


def compared_with(ctx: Context) -> str:
    """What the changes are against, in words: "vs same period last year", "vs 1 April – 30 June 2026"."""
    if ctx.months_back is None:
        return t("vs_prior")
    start, end = engine.prior_window(ctx.flt.date_from, ctx.flt.date_to, ctx.months_back)
    return t("vs_window", start=long_date(start), end=long_date(end))


def with_question(ctx: Context, question: str) -> Context:
    """The context with the survey question the satisfaction figures count."""
    flt = replace(ctx.flt, question=question)
    return replace(ctx, flt=flt, key=_state.filter_key(flt))


def header(title_key: str, ctx: Context) -> None:
    """Page title, the as-of stamp, the selected window and what has not been reported yet."""
    st.title(t(title_key))
    st.caption(f"{t('as_of', date=ctx.as_of.isoformat())} · {ctx.flt.date_from} – {ctx.flt.date_to}")
    st.session_state[NOTE_KEY] = view_note(ctx, t(title_key))
    completeness_note(ctx)


def view_note(ctx: Context, title: str) -> str:
    """One line saying what the view is, for the first line of its downloads: page, period, comparison,
    the choices that narrow it and the data's as-of date, in the chosen language."""
    flt = ctx.flt
    parts = [title, t("dl_note_period", start=long_date(flt.date_from), end=long_date(flt.date_to))]
    parts.append(compared_with(ctx) if ctx.compare else t("dl_note_not_compared"))
    if ctx.fiscal_start != 1:
        parts.append(t("dl_note_fiscal", month=ctx.fiscal_start))
    names = _data.branch_names(ctx.path, ctx.version, lang())
    chosen = {
        "branches": [names.get(b, b) for b in flt.branches],
        "districts": list(flt.districts),
        "kinds": [display.kind_label(k, lang()) for k in flt.kinds],
        "categories": [code_label(c) for c in flt.categories],
        "audiences": [code_label(a) for a in flt.audiences],
        "formats": [code_label(f) for f in flt.formats],
    }
    parts += [f"{t(key)}: {join_names(values)}" for key, values in chosen.items() if values]
    if ctx.like_for_like:
        parts.append(t("like_for_like"))
    parts.append(t("as_of", date=long_date(ctx.as_of)))
    return " · ".join(parts)


def completeness_note(ctx: Context) -> None:
    """For visits and loans: the periods after the complete-through date of the chosen branches that some
    of them reported and some expected ones did not, and whether the comparison stops before them (every
    preset) or counts them as partial (a custom end chosen beyond them)."""
    names = _data.branch_names(ctx.path, ctx.version, lang())
    for metric_id, status in _data.completeness(ctx.path, ctx.version, ctx.key):
        for pending in status.pending:
            if ctx.flt.date_to and pending.start > ctx.flt.date_to:
                continue  # after the chosen window: nothing on this page is affected
            missing = join_names(names.get(b, b) for b in pending.not_reported[:MAX_NAMED])
            if len(pending.not_reported) > MAX_NAMED:
                missing += t("and_more", count=len(pending.not_reported) - MAX_NAMED)
            values = {
                "metric": metric_label(get(metric_id)),
                "reported": len(pending.reported),
                "expected": pending.expected_count,
                "period": period_name(pending.period),
                "end": long_date(status.complete_through) if status.complete_through else "–",
                "missing": missing,
            }
            key = "reported_partial" if ctx.flt.beyond_complete else "reported_so_far"
            st.warning(t(key, **values), icon=":material/schedule:")


def partial_note(result: dict) -> None:
    """Say when the last period is cut short by the data's end (it is compared like for like)."""
    table = result["table"]
    if not table.empty and bool(table["partial"].iloc[-1]):
        row = table.iloc[-1]
        words = {"period": period_name(row["period"]), "end": long_date(row["period_end"])}
        st.info(t("partial_note", **words), icon=":material/info:")


def value_text(metric_id: str, value) -> str:
    return number(value, get(metric_id).fmt)


def column_labels(metric_id: str) -> dict[str, str]:
    """Display names for the engine's table columns."""
    return {
        "period": t("month"),
        "value": metric_label(get(metric_id)),
        "prior_value": t("prior_value"),
        "yoy_pct": t("yoy_pct"),
        "change": t("change"),
    }


def kpi_card(column, ctx: Context, metric_id: str, sparkline: bool = False) -> None:
    """A KPI card: the period's value, its change against a year earlier (coloured by whether up is
    good; in points for shares and scores, in percent for counts), the definition on hover, when
    asked, a monthly sparkline and, when the year has a target for the view, a caption measuring it."""
    metric = get(metric_id)
    table = ctx.metric(metric_id)["table"]
    value = table["value"].iloc[0] if not table.empty else None
    compared = not table.empty and ctx.compare
    delta = change_text(metric, table["change"].iloc[0], table["yoy_pct"].iloc[0]) if compared else ""
    monthly = ctx.metric(metric_id, grain="month", compare=False)["table"] if sparkline else None
    column.metric(
        metric_label(metric),
        number(value, metric.fmt),
        delta or None,
        delta_color="normal" if metric.higher_is_better else "inverse",
        help=metric_help(metric),
        chart_data=list(monthly["value"]) or None if monthly is not None else None,
        border=True,
        delta_description=compared_with(ctx) if delta else None,
    )
    found = ctx.attainment(metric_id)
    if found is not None:
        column.caption(target_caption(metric, found), help=t(f"tgt_help_{found.expected_basis or 'level'}"))


def target_caption(metric: Metric, found: Attainment) -> str:
    """A card's words about its target: for a sum, the share of the year's target reached and the share
    expected by now, ahead or behind; for a level (a ratio, mean or share), whether it is held."""
    if not found.cumulative:
        target = number(found.target, metric.fmt)
        if found.reached:
            return t("tgt_level_reached", target=target)
        return t("tgt_level_short", target=target, gap=_short_by(metric, found))
    points = f"{abs(found.ahead_pts):.1f}"
    if found.ahead_pts > 0:
        pace = t("tgt_ahead", points=points)
    elif found.ahead_pts < 0:
        pace = t("tgt_behind", points=points)
    else:
        pace = t("tgt_on_track")
    return t(
        "tgt_caption",
        pct=number(found.attainment_pct, "pct1"),
        expected=number(found.expected_pct, "pct1"),
        pace=pace,
    )


def _short_by(metric: Metric, found: Attainment) -> str:
    """How far a level is from its target, as the difference of the two figures as written: points for a share
    or a score, the metric's own format otherwise."""
    decimals = {"pct1": 1, "dec1": 1, "dec2": 2}.get(metric.fmt, 0)
    gap = abs(round(found.target, decimals) - round(found.value, decimals))
    if not metric.change_in_points:
        return number(gap, metric.fmt)
    if metric.unit == "%":
        return t("points_share", value=f"{gap:.{decimals}f}")
    return t("points_score", value=f"{gap:.{decimals}f}")
