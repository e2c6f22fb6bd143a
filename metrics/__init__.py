"""Metric layer: the KPI registry, filters as bound SQL, the comparison engine, satisfaction statistics
and data-quality findings. Pure Python and SQL; no Streamlit here."""
