"""Data page: what is loaded, table by table, and the import history."""

import pandas as pd
import streamlit as st

from data import db
from pages._db import current_db

st.title("Data loaded")
con = current_db()
if con is None:
    st.warning(f"No database at {db.db_path()}. Import exports with `python -m data import PATH`.")
    st.stop()

cursor = con.cursor()
status = pd.DataFrame(db.status(cursor)).drop(columns=["aliases"], errors="ignore")
st.dataframe(status, hide_index=True)

st.subheader("Import history")
history = cursor.execute(
    "SELECT imported_at, source_file, kind, layout, rows_read, rows_accepted, rows_skipped, rows_rejected, "
    "date_min, date_max FROM imports ORDER BY import_id DESC LIMIT 200"
).df()
st.dataframe(history, hide_index=True)
cursor.close()
