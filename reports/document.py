"""A report as plain, already-worded content: sections of paragraphs, lists, tables and charts, every cell
text formatted for its language. The renderers (reports/render.py) lay it out as Markdown, HTML, PDF or
Word and add nothing of their own but layout, so every format says exactly the same."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """A table of text. `numeric` says which columns are right-aligned figures; a row whose index is in
    `group_rows` is a heading spanning the table (e.g. "Branches"), one in `total_rows` a total (bold)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...]
    caption: str = ""
    group_rows: frozenset[int] = frozenset()
    total_rows: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Chart:
    """A Plotly figure (as its JSON-ready dict) with the sentence that says what it shows: Markdown gives
    the sentence, HTML and PDF an SVG image, Word a PNG image."""

    title: str
    figure: dict
    alt: str


Block = Paragraph | Bullets | Table | Chart


@dataclass(frozen=True)
class Section:
    key: str  # stable id: scope, headline, service_points, events, drivers, caveats, trace, ...
    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Document:
    lang: str  # en | zh
    title: str
    subtitle: str
    sections: tuple[Section, ...]
    footer: str = ""  # one line under every page (PDF, Word) and at the end (Markdown, HTML)
    # The page counter under every PDF and Word page, with {page} and {pages}: "Page {page} of {pages}".
    page_label: str = "{page} / {pages}"
    meta: dict = field(default_factory=dict)  # author, subject, keywords for the file's properties
