"""Streamlit pages. PAGES is the one page list that dashboard.py and the tests both read."""

from pathlib import Path

HERE = Path(__file__).resolve().parent

# (file, title key in pages/_i18n.py, icon, url path); the first page is the default.
PAGES = [
    (HERE / "overview.py", "overview", ":material/dashboard:", "overview"),
    (HERE / "branches.py", "branches", ":material/account_tree:", "branches"),
    (HERE / "events.py", "events", ":material/event:", "events"),
    (HERE / "satisfaction.py", "satisfaction", ":material/sentiment_satisfied:", "satisfaction"),
    (HERE / "data_status.py", "data", ":material/database:", "data"),
]
