"""Tables as people read them: every figure written like the cards (thousands separators or 万, per capita
to two decimals, percentages to one, a change with its sign, "–" where nothing applies; never "None",
"nan" or "-0.0%"). The page's table shows the words; its download keeps the numbers (pages/_export.py)."""

from __future__ import annotations

import pandas as pd

from metrics import display

CHANGE = "change_pct"  # a format: a signed percentage ("+4.9%", "0.0%")
POINTS = "change_points"  # a format: a signed difference in points ("+2.6", "-0.4")


def written(frame: pd.DataFrame, formats: dict[str, str], language: str) -> pd.DataFrame:
    """A copy of `frame` whose columns named in `formats` hold text: metrics/display.number with the format
    (int, dec1, dec2, pct1) or, for CHANGE, display.signed_percent; a missing value is display.NO_VALUE."""
    out = frame.copy()
    for column, fmt in formats.items():
        if column not in out.columns:
            continue
        if fmt == CHANGE:
            out[column] = [display.signed_percent(v) or display.NO_VALUE for v in out[column]]
        elif fmt == POINTS:
            out[column] = [display.signed_number(v, "dec1", language) for v in out[column]]
        else:
            out[column] = [display.number(v, fmt, language) for v in out[column]]
    return out
