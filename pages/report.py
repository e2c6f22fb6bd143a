"""Report, for directors: the year's work summary (年度工作总结) previewed here and downloaded as Word, PDF and
Markdown, with its figure trace and next year's plan sheet. The sidebar's branches, districts and kinds (and a
supervisor's scope) apply; its dates do not: the report covers the chosen (fiscal) year."""

import streamlit as st

from metrics import display
from pages import _annual, _auth, _data
from pages._i18n import LANGS, lang, t
from pages._page import context, header

ctx = context()
if ctx is None:
    st.stop()
header("report", ctx)
st.caption(t("report_scope_note"))
years = _data.report_years(ctx.path, ctx.version)
left, right = st.columns(2)
names = {y: display.year_name(y, ctx.fiscal_start, lang()) for y in years}
year = left.selectbox(t("report_year"), years, index=len(years) - 1, key="report_year", format_func=names.get)
if st.session_state.get("report_lang") not in LANGS:
    st.session_state["report_lang"] = lang()
language = right.radio(t("report_language"), list(LANGS), key="report_lang", format_func=LANGS.get, horizontal=True)
user = _auth.current()
request = _data.report_request(ctx.key, year, ctx.fiscal_start, language, user.name if user else None)
report = _data.annual_report(ctx.path, ctx.version, ctx.key, year, ctx.fiscal_start, language, request.as_user)
if report is None:
    st.info(t("report_no_figures", year=year))
    st.stop()
_annual.downloads(ctx, report, request)
_annual.preview(report.document)
