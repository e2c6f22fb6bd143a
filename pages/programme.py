"""Programme evaluation: a named programme, an event category or an audience, and its start and end; its
satisfaction, participation, loans to a patron category and the complaint resolution rate before, during and
after, each with its 95% interval and the test of the change in plain words (metrics/programme.py)."""

import streamlit as st

from metrics import programme as pg
from pages import _data
from pages import _prog_parts as view
from pages._export import downloads
from pages._i18n import code_labels, t
from pages._page import context
from pages._state import DATE_MAX, DATE_MIN, PROGRAMME_BEFORE_MONTHS, PROGRAMME_SCOPES, write_to_url

ctx = context()
if ctx is None:
    st.stop()
st.title(t("prog_page"))
st.caption(f"{t('as_of', date=ctx.as_of.isoformat())} · {t('prog_intro')}")
listed = view.programmes(ctx.path, ctx.version, ctx.flt.scope)
found = _data.choices(ctx.path, ctx.version, ctx.flt.scope)
options = {"programme": list(listed["programme"]), "category": found["categories"], "audience": found["audiences"]}
if not any(options.values()):
    st.info(t("prog_nothing"))
    st.stop()
patrons = view.patron_categories(ctx.path, ctx.version)
view.settle(options, listed, patrons, ctx.as_of)

# The widgets' keys are the link's parameters (pages/_state.py FIELDS); labels are given as dicts (.get).
kinds = [k for k in pg.KINDS if options[k]]
left, right = st.columns(2)
kind_names = {k: t(f"prog_kind_{k}") for k in kinds}
left.segmented_control(
    t("prog_kind"), kinds, key="prog_kind", required=True, format_func=kind_names.get, on_change=view.forget_dates
)
kind = st.session_state["prog_kind"]
if kind == "programme":
    scopes = {s: t(f"prog_scope_{s}") for s in PROGRAMME_SCOPES}
    right.segmented_control(t("prog_scope"), PROGRAMME_SCOPES, key="prog_scope", required=True, format_func=scopes.get)
value_column, start_column, end_column, before_column, patron_column = st.columns([3, 2, 2, 2, 2])
names = {v: v for v in options[kind]} if kind == "programme" else code_labels(options[kind])
value_column.selectbox(t("prog_value"), options[kind], key="prog", format_func=names.get, on_change=view.forget_dates)
start = start_column.date_input(t("prog_from"), key="prog_from", min_value=DATE_MIN, max_value=DATE_MAX)
end = end_column.date_input(t("prog_to"), key="prog_to", min_value=DATE_MIN, max_value=DATE_MAX)
months = {n: t("prog_n_months", n=n) for n in PROGRAMME_BEFORE_MONTHS}
months |= {0: t("prog_same_length"), 1: t("prog_one_month")}
before_column.selectbox(t("prog_before_months"), PROGRAMME_BEFORE_MONTHS, key="prog_before", format_func=months.get)
patron_names = {pg.ALL_PATRONS: t("prog_all_loans"), **code_labels(patrons)}
patron_column.selectbox(t("prog_patron"), list(patron_names), key="prog_patron", format_func=patron_names.get)
write_to_url()  # the sidebar mirrored the link before this page settled its choices: mirror them now
if start is None or end is None or end < start:
    st.warning(t("prog_dates_reversed"))
    st.stop()

choice = view.measured(listed)
state = st.session_state
result = view.evaluation(
    ctx.path, ctx.version, ctx.key, *choice, start, end, state["prog_patron"], state["prog_before"]
)
view.describe(result, choice)
for measure_id in pg.MEASURES:
    view.cards(result, measure_id)
st.caption(t("prog_test_note"))
st.plotly_chart(view.chart(result), key="prog_chart")
st.subheader(t("prog_table"))
st.dataframe(view.readable(result), hide_index=True)
downloads(view.raw(result), "programme_evaluation", "dl_prog")
