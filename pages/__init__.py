"""Streamlit pages. PAGES is the one page list that dashboard.py and the tests both read."""

from pathlib import Path

HERE = Path(__file__).resolve().parent

# (file, title, icon); the first page is the default.
PAGES = [
    (HERE / "data_status.py", "Data", ":material/database:"),
]
