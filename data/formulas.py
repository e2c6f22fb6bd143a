"""The one rule for text a spreadsheet would run as a formula, used by the importer (which refuses it in
names and labels), the dashboard's downloads and `python -m metrics query --format csv` (which neutralise
it). It lives here, below metrics/ and pages/, so that every user of the rule has the same one.

A text cell starting with =, +, -, @, a tab or a carriage return, or the full-width ＝ ＋ － ＠ that some
spreadsheets (and input methods) also take as a formula start, is neutralised with a leading apostrophe.
"""

from __future__ import annotations

import re
import unicodedata

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
_NUMBER = re.compile(r"[-+]?\d[\d.,]*%?")


def starts_formula(value) -> bool:
    """Whether a cell is text that a spreadsheet could take as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_START)


def neutralise_cell(value):
    """The cell as it is, or with a leading apostrophe when it could start a formula."""
    return "'" + value if starts_formula(value) else value


def neutralise(frame):
    """A copy of a pandas DataFrame in which every text cell (and column name) that could start a formula
    is prefixed with an apostrophe; numbers stay numbers (a negative number is not a formula)."""
    import pandas as pd

    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise_cell)
    out.columns = [neutralise_cell(str(c)) for c in out.columns]
    return out


def formula_problem(text: str | None, what: str) -> str | None:
    """Why a name or label from an export cannot be stored (it would run as a formula when exported), or
    None. A plain signed number (`-5`, `+3.5%`) is not a formula; leading spaces and full-width forms are
    looked through, as a spreadsheet would."""
    if not text:
        return None
    shown = unicodedata.normalize("NFKC", text).lstrip(" ")
    if shown.startswith(FORMULA_START) and not _NUMBER.fullmatch(shown):
        article = "an" if what[:1] in "aeiou" else "a"
        return f"not {article} {what}: a spreadsheet formula (starts with =, +, -, @ or a tab)"
    return None
