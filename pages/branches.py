"""Branches, for supervisors: ranking, where the change came from, each branch by month, one branch in detail."""

from functools import partial

import streamlit as st

from metrics.engine import contribution_of, rank, service_points_only
from metrics.registry import get
from pages import _charts, _data, _state, _tables
from pages._drill import drill_down
from pages._export import downloads
from pages._i18n import lang, metric_label, metric_labels, t
from pages._page import context, for_branch, header, partial_note
from pages._sidebar import branch_label
from pages._state import TREND_METRICS

# Ranking column -> engine.attainment_table column.
TARGET_COLUMNS = {
    "tgt_target": "target",
    "tgt_attainment": "attainment_pct",
    "tgt_expected": "expected_pct",
    "tgt_ahead_pts": "ahead_pts",
}

ctx = context()
if ctx is None:
    st.stop()
header("branches", ctx)
chosen = st.selectbox(
    t("trend_metric"),
    TREND_METRICS,
    key="metric",
    format_func=metric_labels(TREND_METRICS).get,
)
metric = get(chosen)
result = ctx.metric(chosen, by="branch")
ranked = rank(result["table"], metric)  # best first, with each branch's share of the total
if ranked.empty:
    st.info(t("no_data"))
    st.stop()
branches = _data.branches(ctx.path, ctx.version, ctx.flt.scope)
display = {row["name"]: branch_label(row) for _, row in branches.iterrows()}
per_capita = {"visits": "visits_per_capita", "loans": "loans_per_capita"}.get(chosen)
if per_capita:
    capita = ctx.metric(per_capita, by="branch", compare=False)["table"].set_index("branch")["value"]
    ranked["per_capita"] = ranked["branch"].map(capita)
# Each branch's own target of the year against its figure (metrics/targets.py), when any branch has one.
attained = _data.branch_attainment(ctx.path, ctx.version, chosen, ctx.key, ctx.fiscal_start).set_index("branch")
targets = TARGET_COLUMNS if not attained.empty else {}
for column, source in targets.items():
    ranked[column] = ranked["branch"].map(attained[source])
findings = _data.findings(ctx.path, ctx.version, ctx.key)
ranked["quality_flag"] = ranked["branch"].isin(set(findings["branch_name"])).map({True: t("flagged"), False: ""})
raw_names = list(ranked["branch"])  # the engine's names, before they are shown in the language
ranked["branch"] = ranked["branch"].map(lambda b: display.get(b, b))
columns = [
    "branch",
    "value",
    "prior_value",
    "yoy_pct",
    "share",
    *(["per_capita"] if per_capita else []),
    *targets,
    "quality_flag",
]
ids = {row["name"]: row["branch_id"] for _, row in branches.iterrows()}
st.subheader(t("ranking"))
st.caption(t("click_to_open"))
formats = {"value": metric.fmt, "prior_value": metric.fmt, "yoy_pct": _tables.CHANGE, "share": "pct1"}
formats |= {"per_capita": "dec2", "tgt_target": metric.fmt, "tgt_attainment": "pct1", "tgt_expected": "pct1"}
formats["tgt_ahead_pts"] = _tables.POINTS
st.dataframe(  # written like the cards; the download keeps the numbers
    _tables.written(ranked[columns], formats, lang()),
    hide_index=True,
    key="ranking_table",
    on_select=partial(_state.pick, "ranking_table", "drill", [ids.get(name) for name in raw_names]),
    selection_mode="single-row",
    column_config={c: t(c) if c != "value" else metric_label(metric) for c in columns},
)
downloads(ranked[columns], f"{chosen}_ranking", "ranking")
partial_note(result)

if ctx.compare:
    # Service points only: the network's system-wide lines are no branch (metrics.engine.SYSTEM_LINES).
    changes = contribution_of(service_points_only(result["table"]), service_points_only(result["gone"]))
    changes["branch_id"] = changes["branch"].map(ids)
    changes["branch"] = changes["branch"].map(lambda b: display.get(b, b))
    figure = _charts.contribution(changes, "branch", t("contribution"), t("change"), fmt=metric.fmt, language=lang())
    st.plotly_chart(
        figure,
        key="contribution",
        config=_charts.config(lang()),
        on_select=partial(_state.pick, "contribution", "drill", _charts.point_keys(changes, "branch_id")),
        selection_mode="points",
    )
    downloads(
        changes[["branch", "value", "prior_value", "change", "share_of_change"]],  # without the ids
        f"{chosen}_contribution",
        "contribution",
    )

monthly = service_points_only(ctx.metric(chosen, grain="month", by="branch", compare=False)["table"])
monthly["branch"] = monthly["branch"].map(lambda b: display.get(b, b))
# Four small charts a row on a screen, two on a phone (Mozilla's "Mobi" token; the server never sees a width).
across = 2 if "Mobi" in (st.context.headers.get("User-Agent") or "") else 4
st.plotly_chart(
    _charts.small_multiples(monthly, "branch", t("small_multiples"), across, fmt=metric.fmt, language=lang()),
    key="multiples",
    config=_charts.config(lang()),
)
downloads(monthly[["period", "branch", "value"]], f"{chosen}_by_branch_month", "multiples")

st.subheader(t("drill_down"))
names = {row["branch_id"]: branch_label(row) for _, row in branches.iterrows()}
if st.session_state.get("drill") not in names:
    st.session_state["drill"] = None
drill = st.selectbox(
    t("choose_branch"), list(names), key="drill", format_func=names.get, placeholder=t("choose_branch")
)
if drill is not None:
    drill_down(for_branch(ctx, drill), chosen, names[drill])
