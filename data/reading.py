"""Turning an export file into a header and numbered rows: encodings, BOMs, CRLF, title lines."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from data.headers import field_for, is_total_column, month_column

# Excel exports can carry very wide free-text cells; the csv module's default limit is 128 KiB.
csv.field_size_limit(16 * 1024 * 1024)


class FileError(Exception):
    """The file as a whole cannot be read (encoding, binary content, no header)."""


@dataclass
class Table:
    header: list[str]
    header_line: int
    rows: list[tuple[int, list[str]]]  # (1-based line number where the row starts, cells)
    encoding: str
    delimiter: str = ","


def decode(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """(text, encoding name) for a file's bytes: UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030."""
    if encoding:
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            raise FileError(f"cannot decode as {encoding}: {exc}") from None
    if data.startswith(b"\xef\xbb\xbf"):
        return _strict(data[3:], "utf-8", "utf-8-sig")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _strict(data, "utf-16", "utf-16")
    if b"\x00" in data[:8192]:
        raise FileError("binary file (contains NUL bytes); expected a CSV text export")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        raise FileError(
            "not UTF-8 or GB18030 text; save the export as CSV UTF-8, or name its encoding in a mapping file"
        ) from None


def _strict(data: bytes, codec: str, label: str) -> tuple[str, str]:
    try:
        return data.decode(codec), label
    except UnicodeDecodeError as exc:
        raise FileError(f"invalid {label} text at byte {exc.start}") from None


def _delimiter(sample: str) -> str:
    """Comma unless the opening lines clearly use semicolons or tabs (European and TSV exports)."""
    lines = [ln for ln in sample.splitlines()[:15] if ln.strip()]
    counts = {d: sum(ln.count(d) for ln in lines) for d in ",;\t"}
    best = max(counts, key=counts.get)
    return best if counts[best] > counts[","] else ","


def _looks_like_header(cells: list[str]) -> bool:
    known = sum(1 for c in cells if c.strip() and (field_for(c) or month_column(c) or is_total_column(c)))
    return known >= 2 or (known == 1 and sum(1 for c in cells if c.strip()) >= 2)


def read_table(path: Path, data: bytes, encoding: str | None = None) -> Table:
    """Parse a CSV export. Title lines above the header (common in Chinese Excel exports) are skipped."""
    text, used = decode(data, encoding)
    if not text.strip():
        raise FileError("empty file")
    delimiter = _delimiter(text[:65536])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for cells in reader:
            rows.append((line, cells))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise FileError(f"line {reader.line_num}: malformed CSV ({exc})") from None
    for index, (number, cells) in enumerate(rows[:15]):
        if _looks_like_header(cells):
            return Table([c.strip() for c in cells], number, rows[index + 1 :], used, delimiter)
    if rows:
        first_line, first = rows[0]
        return Table([c.strip() for c in first], first_line, rows[1:], used, delimiter)
    raise FileError("no header row")
