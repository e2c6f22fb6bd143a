"""Data: import exports (the same importer and messages as the command line), what is loaded, the
import history, rejected rows, data-quality findings, and what each indicator means.

With sign-in on: importing, the import history and rejected rows (raw rows of any branch) are for
directors; what is loaded (network-wide counts) for directors and viewers; a supervisor sees the data
checks of their own branches and the definitions."""

import pandas as pd
import streamlit as st

from metrics.filters import Filter
from metrics.registry import METRICS
from pages import _auth, _data, _imports
from pages._export import downloads
from pages._i18n import STRINGS, lang, metric_label, t
from pages._state import filter_key

path, con, version = _data.current()
st.title(t("data"))

importing = _auth.allows("import")
if importing:
    with st.form("upload", clear_on_submit=True):
        st.subheader(t("upload"))
        files = st.file_uploader(
            t("upload_help"), type=["csv", "tsv", "txt", "xlsx", "xls"], accept_multiple_files=True
        )
        allow_new = st.checkbox(t("allow_new"), key="upload_allow_new")
        quarantine = st.checkbox(t("quarantine"), key="upload_quarantine")
        submitted = st.form_submit_button(t("import_button"), icon=":material/upload:")
if importing and submitted and files:
    for upload in files:
        if _data.upload_name_problem(upload.name):  # the name shown as code, never as Markdown
            limits = {"limit": _data.UPLOAD_NAME_CHARS, "limit_zh": _data.UPLOAD_NAME_BYTES // 3}
            st.error(t("upload_name_refused", length=len(upload.name), **limits))
            st.code(upload.name[:80] + ("…" if len(upload.name) > 80 else ""), language=None)
    files = [u for u in files if not _data.upload_name_problem(u.name)]
if importing and submitted and files:
    try:
        results = _data.import_uploads(path, [(u.name, u.getvalue()) for u in files], allow_new, quarantine)
    except _data.WRITE_ERRORS as exc:
        st.error(f"{t('import_not_written')}\n\n{_data.error_text(exc)}")
        results = []
    for name, report in results:  # each report in the user's language, with its system-wide lines
        _imports.show_report(name, report)
    path, con, version = _data.current()

if con is None:
    st.stop()
if _auth.allows("network"):
    st.subheader(t("loaded_tables"))
    st.dataframe(_data.status_listing(path, version), hide_index=True)
st.subheader(t("completeness_title"), help=t("completeness_help"))
st.dataframe(_data.completeness_listing(path, version, _auth.scope(), lang()), hide_index=True)
_imports.history(path, version)  # directors only: the history, and taking an import back
if importing:
    st.subheader(t("rejected_rows"))
    _imports.rejected(path, version)

st.subheader(t("quality"))
# The whole network (a steward's view), or a supervisor's own branches.
findings = _data.findings(path, version, filter_key(Filter(scope=_auth.scope())))
if findings.empty:
    st.success(t("no_findings"))
else:
    shown, raw = _data.findings_listing(path, version, findings)
    st.dataframe(shown, hide_index=True)
    downloads(raw, "data_checks", "dl_findings")

st.subheader(t("definitions"))
zh = lang() == "zh"
definitions = pd.DataFrame(
    {
        t("data_col_metric_id"): [m.id for m in METRICS],
        t("trend_metric"): [metric_label(m) for m in METRICS],
        t("definition"): [m.description_zh if zh else m.description_en for m in METRICS],
        t("reference"): [m.reference for m in METRICS],
        t("unit"): [t(f"data_unit_{m.unit}") if f"data_unit_{m.unit}" in STRINGS else m.unit for m in METRICS],
    }
)
st.dataframe(definitions, hide_index=True)
downloads(definitions, "definitions", "dl_definitions")
