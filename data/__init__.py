"""Data layer: the DuckDB schema, the importer of exports and database access. No Streamlit here."""
