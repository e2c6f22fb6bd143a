"""The dashboard's database access: one cached read-only connection per database file."""

from __future__ import annotations

import streamlit as st

from data import db
from data.cli import build_sample


@st.cache_resource(show_spinner="Opening the database…")
def open_db(path: str):
    """A read-only connection; the bundled sample is imported first when the default database is absent."""
    target = db.db_path(path)
    if not target.exists() and target == db.DEFAULT_DB:
        build_sample(str(target))
    if not target.exists():
        return None
    return db.connect(target, read_only=True)


def current_db():
    """The connection for the database named by $KPI_DB (or the default), or None when there is none."""
    return open_db(str(db.db_path()))
