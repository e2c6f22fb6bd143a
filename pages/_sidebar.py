"""The shared sidebar: language and the global filters, read from and written to the URL."""

from __future__ import annotations

import streamlit as st

from metrics import display
from pages import _auth, _data, _state
from pages._i18n import LANGS, code_labels, labels, lang, t

KIND_LABELS = display.KINDS


def branch_label(row) -> str:
    """A branch's name in the chosen language."""
    if st.session_state.get("lang") == "zh" and isinstance(row["name_zh"], str) and row["name_zh"]:
        return row["name_zh"]
    return row["name"]


def year_starts() -> dict[int, str]:
    """The first month of the year, as the "Year starts in" choice shows it: January (calendar year), April."""
    names = {m: display.month_name(m, lang()) for m in range(2, 13)}
    return {1: t("calendar_year"), **names}


def render(path: str, version: str) -> None:
    """Draw the sidebar; the widgets' keys are the filter keys of pages/_state.py. Only the branches,
    districts and kinds in the signed-in user's scope are offered (or accepted from a link)."""
    scope = _auth.scope()
    branches = _data.branches(path, version, scope)
    options = _data.choices(path, version, scope)
    allowed = {
        "lang": set(LANGS),
        "period": set(_state.PERIODS),
        "fy": set(range(1, 13)),
        "cmp": set(_state.COMPARISONS),
        "kinds": set(options["kinds"]),
        "districts": set(options["districts"]),
        "branches": set(branches["branch_id"]),
        "categories": set(options["categories"]),
        "audiences": set(options["audiences"]),
        "formats": set(options["formats"]),
        "metric": set(_state.TREND_METRICS),
        "sat_by": set(_state.SATISFACTION_BREAKDOWNS),
        "drill": set(branches["branch_id"]),
    }
    _state.load_from_url(allowed)
    _state.keep()
    names = {row["branch_id"]: branch_label(row) for _, row in branches.iterrows()}
    zh = st.session_state.get("lang") == "zh"
    every = {"placeholder": t("all")}
    with st.sidebar:
        st.segmented_control(t("language"), list(LANGS), format_func=LANGS.get, key="lang", required=True)
        st.header(t("filters"))
        st.selectbox(t("period"), _state.PERIODS, format_func=labels(_state.PERIODS).get, key="period")
        if st.session_state["period"] == "custom":
            bounds = {"value": None, "min_value": _state.DATE_MIN, "max_value": _state.DATE_MAX}
            st.date_input(t("from"), key="date_from", **bounds)
            st.date_input(t("to"), key="date_to", **bounds)
        st.selectbox(
            t("fiscal_start"),
            range(1, 13),
            key="fy",
            format_func=year_starts().get,
        )
        st.selectbox(t("comparison"), _state.COMPARISONS, format_func=labels(_state.COMPARISONS).get, key="cmp")
        if st.session_state["cmp"] == "custom":
            bounds = {"value": None, "min_value": _state.DATE_MIN, "max_value": _state.DATE_MAX}
            st.date_input(t("compare_from"), key="cmp_from", help=t("compare_from_help"), **bounds)
        st.multiselect(
            t("kinds"),
            options["kinds"],
            key="kinds",
            **every,
            format_func={k: KIND_LABELS.get(k, (k, k))[1 if zh else 0] for k in options["kinds"]}.get,
        )
        st.multiselect(
            t("districts"),
            options["districts"],
            key="districts",
            **every,
            format_func=_data.district_names(path, version, "zh" if zh else "en").get,
        )
        st.multiselect(t("branch_pick"), list(names), key="branches", **every, format_func=names.get)
        st.multiselect(
            t("categories"),
            options["categories"],
            key="categories",
            format_func=code_labels(options["categories"]).get,
            **every,
        )
        st.multiselect(
            t("audiences"),
            options["audiences"],
            key="audiences",
            format_func=code_labels(options["audiences"]).get,
            **every,
        )
        st.multiselect(
            t("formats"), options["formats"], key="formats", format_func=code_labels(options["formats"]).get, **every
        )
        st.toggle(t("like_for_like"), key="lfl")
        st.button(t("reset"), on_click=_state.reset, icon=":material/restart_alt:", key="reset")
    _state.write_to_url()
    _auth.sidebar()
    if _state.ignored_in_link():  # drawn above the page: the parameter names are ours, never the link's text
        st.warning(t("link_ignored", names=", ".join(_state.ignored_in_link())), icon=":material/link_off:")
    start, end = st.session_state["date_from"], st.session_state["date_to"]
    if st.session_state["period"] == "custom" and start and end and start > end:
        st.warning(t("dates_reversed"), icon=":material/date_range:")
