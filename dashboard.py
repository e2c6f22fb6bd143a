"""The router: page config, sign-in (when configured), the shared sidebar, navigation over the one page
list, then the chosen page."""

import streamlit as st

from pages import PAGES, _auth, _charts, _data, _sidebar
from pages._i18n import lang, t

st.set_page_config(page_title="Public service KPIs", page_icon=":material/monitoring:", layout="wide")
_auth.gate()  # with sign-in on, nothing below runs until someone has signed in
path, con, version = _data.current()
if con is None:
    st.warning(t("no_database"))
    st.stop()
_sidebar.render(path, version)
if lang() == "zh":
    st.html(_charts.ZH_TOOLBAR_STYLE)  # a style only: Streamlit adds it to the page without a block of its own
page = st.navigation(
    [st.Page(file, title=t(key), icon=icon, url_path=url) for file, key, icon, url in PAGES], position="top"
)
page.run()
