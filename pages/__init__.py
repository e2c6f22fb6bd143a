"""Streamlit pages. PAGES is the one page list that dashboard.py and the tests both read."""

from pathlib import Path

HERE = Path(__file__).resolve().parent

# (file, title key in pages/_i18n.py, icon, url path); the first page is the default.
# An icon is a word of the icon font, shown as text until the font has loaded: none is a module's name.
PAGES = [
    (HERE / "overview.py", "overview", ":material/monitoring:", "overview"),
    (HERE / "branches.py", "branches", ":material/account_tree:", "branches"),
    (HERE / "events.py", "events", ":material/event:", "events"),
    (HERE / "programme.py", "prog_page", ":material/compare_arrows:", "programme"),
    (HERE / "satisfaction.py", "satisfaction", ":material/sentiment_satisfied:", "satisfaction"),
    (HERE / "report.py", "report", ":material/summarize:", "report"),
    (HERE / "data_status.py", "data", ":material/database:", "data"),
]


def _through_the_router() -> None:
    """Make a link opened straight on a page (/branches) go through dashboard.py.

    Until a script calls st.navigation, Streamlit treats this `pages/` folder as an old-style page
    folder: the first session of a fresh server that opens /branches would run pages/branches.py on its
    own, without the sidebar that sets the filters. The first page file to import this package turns
    that off and asks for a rerun, which runs dashboard.py and its navigation to the same page.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        import streamlit as st

        st.rerun()


_through_the_router()
