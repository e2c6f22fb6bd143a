"""Excel workbooks (.xlsx, .xls) read through python-calamine: each sheet that holds a data table becomes
the same `Table` the CSV reader gives (data/reading.py), so planning, parsing and every check are the
ones a CSV export goes through.

- Cells become the text a CSV export would hold: whole numbers as integers (`1234`, never `1234.0`),
  date cells as ISO dates (`2024-01-05`; a time of day kept as `2024-01-05 14:30:00`), blanks as `""`,
  text stripped.
- A row's line number is the sheet's row number as Excel shows it; columns that are empty throughout the
  sheet are dropped (a table that starts in column B).
- The header row is found as in a CSV file (`reading.header_index`), so a title row above it, merged
  across the sheet or not, is skipped. Two header rows, a year row above a month row (the year often in a
  merged cell that only its first column holds), are combined into one header per column (`2024年 1月`).
- A sheet with no data table (empty, or text only: notes, 说明, 填表说明) is skipped with its reason, for
  the import report; so is a hidden sheet unless asked for by name.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import python_calamine as calamine

from data.headers import month_column
from data.reading import FileError, Table, header_index, titles

SUFFIXES = (".xlsx", ".xls")
SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # a ZIP archive (.xlsx), an OLE compound file (.xls)


@dataclass
class Sheet:
    name: str
    table: Table | None  # None: no data table
    skipped: str | None = None  # why it is left out unless named (no data table, or a hidden sheet)


@dataclass
class Book:
    path: Path
    sheets: list[Sheet]

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.sheets]

    @property
    def data_sheets(self) -> list[Sheet]:
        return [s for s in self.sheets if s.skipped is None]

    def chosen(self, name: str | None) -> list[Sheet]:
        """The sheets to import: every sheet that holds data, or the one named (FileError when none has
        that name, listing the sheets there are)."""
        if name is None:
            return self.data_sheets
        for sheet in self.sheets:
            if sheet.name == name and sheet.table is None:
                raise FileError(f"sheet {name!r} holds no data table: {sheet.skipped}")
            if sheet.name == name:
                return [sheet]
        listed = ", ".join(repr(n) for n in self.names)
        raise FileError(f"no sheet named {name!r} in this workbook; its sheets are {listed}")

    def skipped_notes(self, name: str | None) -> list[str]:
        """Report notes on the sheets left out (none when one sheet was asked for by name)."""
        if name is not None:
            return []
        return [f"sheet {s.name!r} skipped: {s.skipped}" for s in self.sheets if s.skipped]

    def source(self, sheet: str) -> str:
        """The name the sheet's rows carry (`source_file`): the file name when the workbook holds one data
        sheet, as for a CSV export, else `book.xlsx [Sheet]` (Excel allows no brackets in sheet names)."""
        if [s.name for s in self.data_sheets] == [sheet]:
            return self.path.name
        return sheet_source(self.path.name, sheet)


def sheet_source(file_name: str, sheet: str) -> str:
    return f"{file_name} [{sheet}]"


def is_workbook(path: Path) -> bool:
    """By its name, or by its first bytes (a workbook renamed .csv)."""
    if path.suffix.lower() in SUFFIXES:
        return True
    try:
        with path.open("rb") as handle:
            return handle.read(4) in SIGNATURES
    except OSError:
        return False


def sheet_digest(file_digest: str, sheet: str) -> str:
    """A sheet's content hash: the workbook's SHA-256 and the sheet's name, so that each sheet of a workbook
    is an import of its own and any change to the workbook replaces its sheets' rows."""
    return hashlib.sha256(f"{file_digest}\0{sheet}".encode()).hexdigest()


def sheet_digests(path: Path, file_digest: str) -> list[str]:
    """The content hashes of every sheet of the workbook at `path` (none when it is not a workbook)."""
    if not is_workbook(path):
        return []
    try:
        book = calamine.CalamineWorkbook.from_path(str(path))
    except (calamine.CalamineError, calamine.ZipError, calamine.XmlError, ValueError, OSError):
        return []
    try:
        return [sheet_digest(file_digest, name) for name in book.sheet_names]
    finally:
        book.close()


def read(path: Path, mapped: Collection[str] = ()) -> Book:
    """Every sheet of the workbook at `path`, as a Table or with the reason it holds no data table;
    `mapped` (a mapping's header keys) counts as known headers, as for a CSV file."""
    try:
        book = calamine.CalamineWorkbook.from_path(str(path))
    except calamine.PasswordError:
        raise FileError("the workbook is password-protected; save an unprotected copy and import that") from None
    except (calamine.CalamineError, calamine.ZipError, calamine.XmlError, ValueError, OSError) as exc:
        raise FileError(f"not a readable Excel workbook ({_first_line(exc)})") from None
    with path.open("rb") as handle:
        kind = "Excel .xls" if handle.read(4) == SIGNATURES[1] else "Excel .xlsx"
    sheets = []
    try:
        for meta in book.sheets_metadata:
            if meta.typ != calamine.SheetTypeEnum.WorkSheet:
                sheets.append(Sheet(meta.name, None, "not a worksheet (a chart or macro sheet)"))
                continue
            sheet = book.get_sheet_by_name(meta.name)
            table, why = sheet_table(sheet.to_python(skip_empty_area=False), _merged(sheet), kind, mapped)
            if table is not None and meta.visible != calamine.SheetVisibleEnum.Visible:
                why = "a hidden sheet (name it with --sheet to import it)"
            sheets.append(Sheet(meta.name, table, why))
    except (calamine.CalamineError, ValueError) as exc:
        raise FileError(f"cannot read the workbook's sheets ({_first_line(exc)})") from None
    finally:
        book.close()
    return Book(path, sheets)


def _merged(sheet) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    try:
        return list(sheet.merged_cell_ranges or [])
    except (AttributeError, ValueError):  # a format calamine reads no merges for
        return []


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


def cell_text(value) -> str:
    """A cell as a CSV export holds it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        value = float(f"{value:.15g}")  # the 15 digits Excel shows: a formula's 1233.9999999999998 is 1234
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value).strip()


def _month_headers(values: list) -> list[str] | None:
    """A header row whose months are date cells (`Jan-24` shown, 2024-01-01 stored) as `2024-01` months:
    two or more first-of-month dates and no number in the row; None for any other row."""
    dates = [v for v in values if isinstance(v, dt.date)]
    if len(dates) < 2 or any(v.day != 1 for v in dates) or any(isinstance(v, (int, float)) for v in values):
        return None
    return [f"{v:%Y-%m}" if isinstance(v, dt.date) else cell_text(v) for v in values]


def _is_number(value) -> bool:
    return isinstance(value, (int, float, dt.date, dt.time)) and not isinstance(value, bool)


def sheet_table(
    grid: list[list], merged: list, kind: str, mapped: Collection[str] = ()
) -> tuple[Table | None, str | None]:
    """(Table, None) for a sheet's cells (rows from Excel's row 1), or (None, why it holds no data table)."""
    keep = [
        j for j in range(max((len(r) for r in grid), default=0)) if any(cell_text(r[j]) for r in grid if j < len(r))
    ]
    if not keep:
        return None, "empty"
    rows = []
    for number, row in enumerate(grid, start=1):
        values = [row[j] if j < len(row) else None for j in keep]
        cells = _month_headers(values) or [cell_text(v) for v in values]
        if any(cells):
            rows.append((number, cells))
    index = header_index(rows, mapped)
    if index is None:
        if not any(sum(1 for v in row if _is_number(v)) >= 2 for row in grid):
            return None, "no data table (no header row, and no row holding two or more numbers)"
        index = 0  # numbers under headers the synonyms do not know: the planner says what is missing
    _fill_merged_headers(rows, index, merged, keep)
    header, header_line, start = _header(rows, index)
    return Table(header, header_line, rows[start:], kind, titles=titles(rows[:index])), None


def _fill_merged_headers(rows: list[tuple[int, list[str]]], index: int, merged: list, keep: list[int]) -> None:
    """Copy a merged cell's value into every column it spans, in the header row and the rows either side of
    it (a year merged over its months). Data rows are left as they are: a merged count is one count."""
    position = {j: k for k, j in enumerate(keep)}
    near = {rows[i][0]: rows[i][1] for i in range(max(index - 1, 0), min(index + 2, len(rows)))}
    for (top, left), (_bottom, right) in merged:
        cells = near.get(top + 1)
        if cells is None or left not in position:
            continue
        value = cells[position[left]]
        for j in range(left + 1, right + 1):
            if j in position and not cells[position[j]]:
                cells[position[j]] = value


def _header(rows: list[tuple[int, list[str]]], index: int) -> tuple[list[str], int, int]:
    """(header, its line, index of the first data row): one header row, or a year row and a month row
    combined, whichever of the rows around the detected header they are."""
    for upper, lower in ((index, index + 1), (index - 1, index)):
        if upper < 0 or lower >= len(rows):
            continue
        # Below the detected header, a month row belongs to it even with no year above its months (a
        # measure's name merged over them); above it, only a year row is a header row.
        combined = year_over_month(rows[upper][1], rows[lower][1], need_year=upper != index)
        if combined:
            return combined, rows[upper][0], lower + 1
    return list(rows[index][1]), rows[index][0], index + 1


def year_over_month(top: list[str], bottom: list[str], need_year: bool = True) -> list[str] | None:
    """One header per column from a year row above a month row, or None when they are not that (with
    `need_year` False, months with no year above them stay months). A year is carried right over blank
    cells (a merged cell gives its value to its first column only)."""
    months = {j for j, cell in enumerate(bottom) if (found := month_column(cell)) and found[0] is None}
    if len(months) < 2:
        return None
    header, carried, dated = [], "", 0
    for j, cell in enumerate(bottom):
        above = top[j] if j < len(top) else ""
        if j not in months:
            carried = ""
            header.append(cell or above)
            continue
        carried = above or carried
        joined = _with_year(carried, cell)
        dated += joined is not None
        header.append(joined or cell)
    return header if dated >= 2 or not need_year else None


def _with_year(year: str, month: str) -> str | None:
    """`2024年 1月` for a year cell and a month cell when the header reader understands the pair."""
    if not year:
        return None
    for text in (f"{year} {month}", f"{month} {year}"):
        found = month_column(text)
        if found and found[0] is not None:
            return text
    return None
