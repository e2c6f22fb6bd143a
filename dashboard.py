"""The router: page config, navigation over the one page list, then the chosen page."""

import streamlit as st

from pages import PAGES

st.set_page_config(page_title="Public service KPIs", page_icon=":material/monitoring:", layout="wide")
page = st.navigation([st.Page(path, title=title, icon=icon) for path, title, icon in PAGES])
page.run()
