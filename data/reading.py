"""Turning an export file into a header and numbered rows: encodings, BOMs, CRLF, title lines."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from data.headers import field_for, header_key, is_total_column, month_column

# Excel exports can carry very wide free-text cells; the csv module's default limit is 128 KiB.
csv.field_size_limit(16 * 1024 * 1024)


class FileError(Exception):
    """The file as a whole cannot be read (encoding, binary content, no header); `line` is where, when known."""

    def __init__(self, message: str, line: int = 0, whole_file: bool = False):
        super().__init__(message)
        self.line = line
        self.whole_file = whole_file  # found by reading the whole file, not only its head


# Formats that turn up renamed as .csv, by their first bytes.
_SIGNATURES = (
    (b"PK\x03\x04", "a ZIP archive, such as an Excel .xlsx workbook"),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls workbook"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x1f\x8b", "a gzip archive"),
)


@dataclass
class Table:
    header: list[str]
    header_line: int
    rows: list[tuple[int, list[str]]]  # (1-based line number where the row starts, cells)
    encoding: str
    delimiter: str = ","
    cut_short: int | None = None  # the line of a last row with no line break after it (a truncated file?)
    titles: list[str] = field(default_factory=list)  # title lines above the header (`各馆参观人次统计表`)


def decode(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """(text, encoding name) for a file's bytes: UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030."""
    if encoding:
        try:
            return data.decode(encoding), encoding
        except LookupError:
            raise FileError(f"cannot decode as {encoding}: no such encoding") from None
        except UnicodeDecodeError as exc:
            line = _line_at(data, exc.start, encoding)
            raise FileError(
                f"cannot decode as {encoding}: line {line}, byte {exc.start} ({exc.reason})", line
            ) from None
    if data.startswith(b"\xef\xbb\xbf"):
        return _strict(data[3:], "utf-8", "utf-8-sig")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _strict(data, "utf-16", "utf-16")
    for signature, what in _SIGNATURES:
        if data.startswith(signature):
            raise FileError(f"binary file ({what}), not a CSV text export; save the sheet as CSV UTF-8")
    nul = data.find(b"\x00", 0, 8192)
    if nul >= 0:
        if _utf16_without_bom(data[:8192]):
            raise FileError(
                "UTF-16 text without a byte-order mark; save the export as CSV UTF-8, "
                'or put encoding = "utf-16-le" (or "utf-16-be") in a mapping file'
            )
        line = data.count(b"\n", 0, nul) + 1
        raise FileError(f"binary file (contains NUL bytes, the first on line {line}); expected a CSV text export", line)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        bad = exc.start
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        line = data.count(b"\n", 0, bad) + 1
        raise FileError(
            f"not UTF-8 or GB18030 text (line {line} has the byte {data[bad : bad + 1]!r}, which is neither); "
            "save the export as CSV UTF-8, or name its encoding in a mapping file",
            line,
        ) from None
    western = _western_word(text)
    if western:
        line, word = western
        raise FileError(
            f"not UTF-8 text: it reads as Western European (Windows-1252/Latin-1) text, e.g. {word!r} on line "
            f'{line}; save the export as CSV UTF-8, or put encoding = "cp1252" in a mapping file',
            line,
        )
    return text, "gb18030"


def _line_at(data: bytes, position: int, codec: str) -> int:
    """The 1-based line holding byte `position` of text in `codec`."""
    return data[:position].decode(codec, errors="replace").count("\n") + 1


def _utf16_without_bom(sample: bytes) -> bool:
    """True when NUL bytes sit in every other position, as in UTF-16 text of mostly ASCII characters."""
    sample = sample[: len(sample) - len(sample) % 2]
    if len(sample) < 4:
        return False
    for zeros, chars in ((sample[1::2], sample[0::2]), (sample[0::2], sample[1::2])):
        if zeros.count(0) >= 0.9 * len(zeros) and chars.count(0) == 0:
            return True
    return False


# Decoded as GB18030, an accented letter of Windows-1252 text swallows the ASCII byte after it and gives a
# Chinese character outside GB2312 (the common simplified set), right beside Latin letters: Montréal ->
# Montr閍l. Real Chinese exports are mostly GB2312 characters beside other Chinese characters.
_BESIDE_LATIN = re.compile(r"(?<=[A-Za-z])[^\x00-\x7f]|[^\x00-\x7f](?=[A-Za-z])")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _western_word(text: str) -> tuple[int, str] | None:
    """(line, word as Windows-1252) when GB18030-decoded text looks like misread Western European text."""
    sample = text[:200_000]
    suspicious = [m for m in _BESIDE_LATIN.finditer(sample) if not _in_gb2312(m.group())]
    if not suspicious:
        return None
    common = sum(1 for m in _NON_ASCII.finditer(sample) if _in_gb2312(m.group()))
    if len(suspicious) <= common:
        return None
    start = suspicious[0].start()
    left = max(sample.rfind(c, 0, start) for c in ' ,;\t\n"') + 1
    right = min((i for i in (sample.find(c, start) for c in ' ,;\t\r\n"') if i >= 0), default=len(sample))
    word = sample[left:right].encode("gb18030").decode("cp1252", errors="replace")
    return sample.count("\n", 0, start) + 1, word


def _in_gb2312(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _strict(data: bytes, codec: str, label: str) -> tuple[str, str]:
    try:
        return data.decode(codec), label
    except UnicodeDecodeError as exc:
        line = _line_at(data, exc.start, codec)
        raise FileError(f"invalid {label} text on line {line} (byte {exc.start}: {exc.reason})", line) from None


def _delimiter(sample: str) -> str:
    """Comma unless the opening lines clearly use semicolons or tabs (European and TSV exports)."""
    lines = [ln for ln in sample.splitlines()[:15] if ln.strip()]
    counts = {d: sum(ln.count(d) for ln in lines) for d in ",;\t"}
    best = max(counts, key=counts.get)
    return best if counts[best] > counts[","] else ","


def _looks_like_header(cells: list[str], mapped: Collection[str] = ()) -> bool:
    """Whether a row reads as the header: columns the synonym table or the mapping (`mapped`: header keys) knows.
    One month cell is a long file's data row (`Gennaio;Museo Civico;620`, `87年 1月,...`); a wide header has several."""
    if _dated_counts(cells):
        return False  # `2023-01,1520,812`: a month's row of a branches-as-columns file, not a header
    months = sum(1 for c in cells if c.strip() and month_column(c))
    named = sum(1 for c in cells if c.strip() and (header_key(c) in mapped or field_for(c) or is_total_column(c)))
    known = named + (months if months > 1 else 0)
    return known >= 2 or (known == 1 and sum(1 for c in cells if c.strip()) >= 2)


def _dated_counts(cells: list[str]) -> bool:
    """A data row that starts with a date or month and holds only numbers (or blanks) after it."""
    from data import values

    rest = [c for c in cells[1:] if not values.is_blank(c)]
    if not cells or not rest or not all(_is_number(c) for c in rest):
        return False
    return values.names_a_date(cells[0])


def _names_above_dated_rows(rows: list[tuple[int, list[str]]]) -> int | None:
    """The index of a row of two or more names (no numbers) right above a dated data row: the header of a
    file whose columns are branches or venues, headers no synonym knows (data/layouts.py)."""
    for index, (_, cells) in enumerate(rows[:15]):
        names = [c for c in cells if c.strip()]
        if len(names) >= 2 and not any(map(_is_number, names)) and index + 1 < len(rows):
            if _dated_counts(rows[index + 1][1]):
                return index
    return None


def _is_number(cell: str) -> bool:
    from data import values

    try:
        values.parse_number(cell)
    except ValueError:
        return False
    return True


def header_index(rows: list[tuple[int, list[str]]], mapped: Collection[str] = ()) -> int | None:
    """The index of the header row among the first 15 rows (title lines above it are skipped), or None
    when none of them names known columns (then a row of names above dated counts, if any: data/layouts.py).
    Shared by CSV files and Excel sheets (data/workbook.py)."""
    for index, (_, cells) in enumerate(rows[:15]):
        if _looks_like_header(cells, mapped):
            return index
    return _names_above_dated_rows(rows)


def titles(rows: list[tuple[int, list[str]]]) -> list[str]:
    """The text of the lines above a header (a sheet's title, what its counts are), one string per line."""
    return [" ".join(c.strip() for c in cells if c.strip()) for _, cells in rows if any(c.strip() for c in cells)]


def read_table(
    path: Path, data: bytes, encoding: str | None = None, partial: bool = False, mapped: Collection[str] = ()
) -> Table:
    """Parse a CSV export. Title lines above the header (common in Chinese Excel exports) are skipped;
    `mapped` (a mapping's header keys) counts as known headers, so a header only a mapping names is found.

    `partial` says `data` is only the head of the file at `path`: a quoted cell still open where the head
    ends is then checked against the whole file (streamed, never held in memory) and left out."""
    text, used = decode(data, encoding)
    if not text.strip():
        raise FileError("empty file" if not partial else "no text in the first part of the file (only blank lines)")
    delimiter = _delimiter(text[:65536])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for cells in reader:
            rows.append((line, cells))
            line = reader.line_num + 1
    except csv.Error as exc:
        if not (partial and str(exc) == "unexpected end of data"):
            raise FileError(_csv_problem(exc, line, reader.line_num), line) from None
        _scan(path, used, delimiter)  # the quote closes later in the file; the cut row is left out
    cut = rows[-1][0] if rows and not partial and not text.endswith(("\n", "\r")) else None
    index = header_index(rows, mapped)
    if index is not None:
        number, cells = rows[index]
        return Table([c.strip() for c in cells], number, rows[index + 1 :], used, delimiter, cut, titles(rows[:index]))
    if rows:
        first_line, first = rows[0]
        return Table([c.strip() for c in first], first_line, rows[1:], used, delimiter, cut)
    raise FileError("no header row")


def _csv_problem(exc: csv.Error, start: int, line: int) -> str:
    """A malformed-CSV message naming the line where the broken row starts."""
    reason = str(exc)
    if reason == "unexpected end of data":
        return f"line {start}: a quote opened in this row is never closed (malformed CSV)"
    if reason.startswith("field larger than field limit"):
        return (
            f"line {start}: a cell longer than {csv.field_size_limit() // (1024 * 1024)} MB; a quote opened in "
            "this row is probably never closed (malformed CSV)"
        )
    return f"line {line}: malformed CSV ({reason})"


def _scan(path: Path, encoding: str, delimiter: str) -> None:
    """Run the whole file through the CSV parser, keeping nothing (memory stays under the cell size
    limit); FileError when a quote is never closed or a cell is too long."""
    with path.open(encoding=encoding, errors="replace", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter, strict=True)
        line = 1
        try:
            for _ in reader:
                line = reader.line_num + 1
        except csv.Error as exc:
            raise FileError(_csv_problem(exc, line, reader.line_num), line, whole_file=True) from None
