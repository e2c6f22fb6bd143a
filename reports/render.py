"""A report Document laid out as Markdown, HTML, PDF or Word. Layout only: every word and figure comes from
the Document, so the four files say the same. Text from the data (a branch may be called
`<script>…</script>`) is always text: escaped in HTML and Markdown, plain runs in Word.

The PDF is WeasyPrint's print of the HTML page, so PDF and HTML share one layout; charts are drawn once per
format by reports/images.py (SVG for HTML and PDF, PNG for Word)."""

from __future__ import annotations

import datetime as dt
import html
import io
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import docx
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt

from data.private import FILE_MODE
from reports.document import Block, Bullets, Chart, Document, Paragraph, Section, Table
from reports.images import FONT, figure_image

FORMATS = ("docx", "pdf", "md", "html")
LATIN_FONT = "Arial"  # Word's Latin text; Chinese takes FONT through the East-Asian font attribute
MARGIN_MM = 18
SVG_SIZE = (680, 340)  # CSS pixels: the A4 text width between 18 mm margins is about 660 px
PNG_SIZE, PNG_SCALE, PNG_WIDTH_CM = (800, 400), 2, 16
FOOTER_GAP = "\u2003\u2003"  # two em spaces between the footer line and the page counter
# Characters XML 1.0 cannot hold (Word refuses them, browsers show garbage); exports from Excel carry some.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def format_of(path: str | os.PathLike) -> str:
    """The format a file name asks for, from its suffix in any case (`Report.PDF` -> "pdf")."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        accepted = ", ".join(f".{fmt}" for fmt in FORMATS)
        raise ValueError(f"cannot tell the report format of {os.fspath(path)!r}: use one of {accepted}")
    return suffix


def render(document: Document, fmt: str) -> bytes:
    """The document as the bytes of a `fmt` file (one of FORMATS)."""
    renderers: dict[str, Callable[[Document], bytes]] = {
        "md": lambda d: markdown(d).encode("utf-8"),
        "html": lambda d: page_html(d).encode("utf-8"),
        "pdf": pdf,
        "docx": word,
    }
    if fmt not in renderers:
        raise ValueError(f"unknown report format {fmt!r}: use one of {', '.join(FORMATS)}")
    return renderers[fmt](document)


def write(document: Document, path: str | os.PathLike) -> Path:
    """Render into `path` (format from its suffix) atomically and owner-only: the report holds every branch's
    figures, and a reader never sees half a file. Returns the path."""
    path = Path(path)
    content = render(document, format_of(path))
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _clean(text: str) -> str:
    """Text with its line breaks as "\n" and without the control characters XML cannot hold."""
    return _CONTROL.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))


def _line(text: str) -> str:
    """Text for a heading, paragraph or list item: line breaks become spaces, as HTML shows them anyway.
    Table cells keep theirs (a branch's address on two lines)."""
    return " ".join(_clean(text).split("\n"))


def _meta(document: Document, key: str) -> str:
    """One property of document.meta (author, subject, keywords) as one line; keywords may come as a list."""
    value = document.meta.get(key) or ""
    if isinstance(value, list | tuple):
        value = ", ".join(map(str, value))
    return _line(str(value))


def _label_parts(label: str) -> list[str]:
    """The page label split around its counters: "第 {page} 页" -> ["第 ", "{page}", " 页"]."""
    return [part for part in re.split(r"(\{page\}|\{pages\})", label) if part]


def _footer_parts(document: Document) -> list[str]:
    """What goes under every page: the footer line, then the page counter."""
    label = _label_parts(_line(document.page_label))
    if not document.footer:
        return label
    return [_line(document.footer), *([FOOTER_GAP, *label] if label else [])]


# Markdown ---------------------------------------------------------------------------------------------------

# Backslash-escaped so that names like **bold**, [link](...), <script> or $x$ stay text in any renderer.
_MD_INLINE = re.compile(r"([\\`*_{}\[\]<>|$~])")
# A line that starts like a heading or a list item ("- 3%", "2025. ") gets its marker escaped.
_MD_BLOCK_START = re.compile(r"^(\s*(?:\d+)?)([#+.)-])(?=\s|$)")


def markdown_text(text: str) -> str:
    """One line of Markdown text: escaped, no accidental heading or list."""
    return _MD_BLOCK_START.sub(r"\1\\\2", _MD_INLINE.sub(r"\\\1", _line(text)))


def _md_cell(text: str, bold: bool = False) -> str:
    cell = "<br>".join(_MD_INLINE.sub(r"\\\1", line) for line in _clean(text).split("\n"))
    return f"**{cell}**" if bold and cell else cell


def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _md_table(table: Table) -> list[str]:
    lines = [markdown_text(table.caption), ""] if table.caption else []
    lines.append(_md_row([_md_cell(c) for c in table.columns]))
    lines.append(_md_row(["---:" if numeric else "---" for numeric in table.numeric]))
    for index, row in enumerate(table.rows):
        if index in table.group_rows:
            lines.append(_md_row([_md_cell(row[0], bold=True)] + [""] * (len(table.columns) - 1)))
        else:
            lines.append(_md_row([_md_cell(cell, bold=index in table.total_rows) for cell in row]))
    return lines


def _md_block(block: Block) -> list[str]:
    if isinstance(block, Paragraph):
        return [markdown_text(block.text)]
    if isinstance(block, Bullets):
        return [f"- {markdown_text(item)}" for item in block.items]
    if isinstance(block, Table):
        return _md_table(block)
    if isinstance(block, Chart):
        return [f"*{markdown_text(block.alt)}*"]
    raise TypeError(f"a report cannot hold {type(block).__name__}")


def markdown(document: Document) -> str:
    """The document as Markdown: headings, paragraphs, lists, pipe tables; a chart is its sentence in
    italics; the footer closes it."""
    chunks = [[f"# {markdown_text(document.title)}"]]
    if document.subtitle:
        chunks.append([markdown_text(document.subtitle)])
    for section in document.sections:
        chunks.append([f"## {markdown_text(section.title)}"])
        chunks.extend(_md_block(block) for block in section.blocks)
    if document.footer:
        chunks.extend([["---"], [markdown_text(document.footer)]])
    return "\n\n".join("\n".join(chunk) for chunk in chunks) + "\n"


# HTML (and the PDF printed from it) -------------------------------------------------------------------------


def _esc(text: str) -> str:
    return html.escape(_line(text), quote=True)


def _esc_cell(text: str) -> str:
    return "<br>".join(html.escape(line, quote=True) for line in _clean(text).split("\n"))


def _css_string(text: str) -> str:
    """A CSS string literal: anything but letters and digits as a six-digit hex escape, so that no text can
    end the string or the <style> element (spaces too: CSS swallows a space that follows an escape)."""
    return '"' + "".join(c if c.isalnum() else f"\\{ord(c):06x}" for c in text) + '"'


def _page_counter_css(document: Document) -> str:
    counters = {"{page}": "counter(page)", "{pages}": "counter(pages)"}
    parts = [counters.get(part) or _css_string(part) for part in _footer_parts(document)]
    return " ".join(parts) or "none"


STYLE = """
@page { size: A4; margin: %(margin)smm %(margin)smm 20mm;
  @bottom-center { content: %(counter)s; font-size: 8.5pt; color: #555; } }
html { font-family: "Noto Sans CJK SC", "Noto Serif CJK SC", "Noto Sans SC", "Source Han Sans SC",
  "Microsoft YaHei", "PingFang SC", sans-serif; font-size: 10.5pt; line-height: 1.6; color: #1f2328; }
body { max-width: 174mm; margin: 1.5em auto; padding: 0 1em; }
h1 { font-size: 20pt; line-height: 1.3; margin: 0 0 1mm; }
.subtitle { color: #555; margin: 0 0 6mm; }
h2 { font-size: 14pt; margin: 7mm 0 2mm; break-after: avoid; }
ul { padding-left: 1.4em; }
table { border-collapse: collapse; width: 100%%; margin: 2mm 0 4mm; font-variant-numeric: tabular-nums; }
caption { caption-side: top; text-align: left; font-weight: bold; padding-bottom: 1mm; break-after: avoid; }
th, td { border-bottom: 0.4pt solid #c8ccd0; padding: 0.8mm 2mm; text-align: left; vertical-align: top; }
thead th { border-top: 1pt solid #333; border-bottom: 0.8pt solid #333; }
th.num, td.num { text-align: right; white-space: nowrap; }
tr.group th { font-weight: bold; background: #f2f4f6; }
tr.total td { font-weight: bold; border-top: 0.8pt solid #333; border-bottom: 1pt solid #333; }
tr { break-inside: avoid; }
figure.chart { margin: 3mm 0 5mm; break-inside: avoid; }
figure.chart svg { display: block; width: 100%%; height: auto; }
footer { margin-top: 8mm; padding-top: 2mm; border-top: 0.4pt solid #c8ccd0; color: #555; font-size: 9pt; }
@media print { body { max-width: none; margin: 0; padding: 0; } footer { display: none; } }
"""


def _html_table(table: Table) -> str:
    def cell(tag: str, text: str, col: int) -> str:
        attributes = ' class="num"' if table.numeric[col] else ""
        return f"<{tag}{attributes}>{_esc_cell(text)}</{tag}>"

    head = "".join(cell("th", text, col) for col, text in enumerate(table.columns))
    rows = []
    for index, row in enumerate(table.rows):
        if index in table.group_rows:
            rows.append(f'<tr class="group"><th colspan="{len(table.columns)}">{_esc_cell(row[0])}</th></tr>')
        else:
            kind = ' class="total"' if index in table.total_rows else ""
            rows.append(f"<tr{kind}>" + "".join(cell("td", text, col) for col, text in enumerate(row)) + "</tr>")
    caption = f"<caption>{_esc(table.caption)}</caption>" if table.caption else ""
    return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _html_chart(chart: Chart) -> str:
    svg = figure_image(chart.figure, "svg", *SVG_SIZE).decode("utf-8")
    return f'<figure class="chart" role="img" aria-label="{_esc(chart.alt)}">{svg}</figure>'


def _html_block(block: Block) -> str:
    if isinstance(block, Paragraph):
        return f"<p>{_esc(block.text)}</p>"
    if isinstance(block, Bullets):
        return "<ul>" + "".join(f"<li>{_esc(item)}</li>" for item in block.items) + "</ul>"
    if isinstance(block, Table):
        return _html_table(block)
    if isinstance(block, Chart):
        return _html_chart(block)
    raise TypeError(f"a report cannot hold {type(block).__name__}")


def _html_section(section: Section) -> str:
    blocks = "\n".join(_html_block(block) for block in section.blocks)
    return f'<section id="{_esc(section.key)}">\n<h2>{_esc(section.title)}</h2>\n{blocks}\n</section>'


def _html_meta(document: Document) -> str:
    """Author, subject and keywords as <meta> tags; WeasyPrint copies them into the PDF's properties."""
    names = {"author": "author", "subject": "description", "keywords": "keywords"}
    values = {name: _meta(document, key) for key, name in names.items()}
    return "\n".join(f'<meta name="{name}" content="{_esc(value)}">' for name, value in values.items() if value)


def page_html(document: Document) -> str:
    """The document as one self-contained UTF-8 HTML page, laid out for the screen and for A4 print."""
    subtitle = f'<p class="subtitle">{_esc(document.subtitle)}</p>' if document.subtitle else ""
    footer = f"<footer>{_esc(document.footer)}</footer>" if document.footer else ""
    style = STYLE % {"margin": MARGIN_MM, "counter": _page_counter_css(document)}
    return "\n".join(
        [
            "<!DOCTYPE html>",
            f'<html lang="{"zh-CN" if document.lang == "zh" else "en"}">',
            '<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_esc(document.title)}</title>",
            _html_meta(document),
            f"<style>{style}</style>\n</head>\n<body>",
            f"<header>\n<h1>{_esc(document.title)}</h1>\n{subtitle}\n</header>",
            *(_html_section(section) for section in document.sections),
            footer,
            "</body>\n</html>\n",
        ]
    )


def pdf(document: Document) -> bytes:
    """The HTML page printed to A4 by WeasyPrint, its CJK fonts embedded (subsets)."""
    import weasyprint  # loads pango through cffi: only when a PDF is asked for

    return weasyprint.HTML(string=page_html(document), base_url=None).write_pdf()


# Word -------------------------------------------------------------------------------------------------------


def _set_fonts(fonts) -> None:
    """Named fonts on one w:rFonts element: Latin, East-Asian (Chinese) and complex-script. Theme font
    attributes are dropped, since Word lets them win over named fonts."""
    for attribute in list(fonts.attrib):
        if attribute.lower().endswith("theme"):
            del fonts.attrib[attribute]
    for attribute, name in (
        ("w:ascii", LATIN_FONT),
        ("w:hAnsi", LATIN_FONT),
        ("w:eastAsia", FONT),
        ("w:cs", LATIN_FONT),
    ):
        fonts.set(qn(attribute), name)


def _word_fonts(doc, lang: str) -> None:
    """Every font setting of the template (document defaults, styles, table styles' conditional rows) takes
    the CJK font for Chinese text, and the defaults take the report's language for proofing: the template
    names theme fonts without Chinese glyphs."""
    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    language = defaults.find(qn("w:lang"))
    if language is None:
        language = OxmlElement("w:lang")
        defaults.append(language)
    language.set(qn("w:val"), "zh-CN" if lang == "zh" else "en-US")
    language.set(qn("w:eastAsia"), "zh-CN")
    normal = doc.styles["Normal"]
    normal.font.size = Pt(10.5)
    normal.element.get_or_add_rPr().get_or_add_rFonts()  # Normal names its fonts, whatever the defaults say
    for fonts in styles.iter(qn("w:rFonts")):
        _set_fonts(fonts)


def _word_page(doc) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(MARGIN_MM))


def _field(paragraph, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) whose shown value Word and LibreOffice recompute on every page."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), f" {instruction} ")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _word_footer(doc, document: Document) -> None:
    paragraph = doc.sections[0].footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for part in _footer_parts(document):
        if part in ("{page}", "{pages}"):
            _field(paragraph, "PAGE" if part == "{page}" else "NUMPAGES")
        else:
            paragraph.add_run(part)


def _word_cell(cell, text: str, bold: bool, right: bool) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.paragraph_format.space_after = Pt(0)
    if right:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    paragraph.add_run(_clean(text)).bold = bold


def _repeat_header(row) -> None:
    """The header row comes again on every page a long table runs onto."""
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(flag)


def _word_table(doc, table: Table) -> None:
    if table.caption:
        doc.add_paragraph(_line(table.caption), style="Caption")
    grid = doc.add_table(rows=1 + len(table.rows), cols=len(table.columns))
    grid.style = doc.styles["Table Grid"]
    for col, text in enumerate(table.columns):
        _word_cell(grid.rows[0].cells[col], text, bold=True, right=table.numeric[col])
    _repeat_header(grid.rows[0])
    for index, row in enumerate(table.rows, start=1):
        cells = grid.rows[index].cells
        if index - 1 in table.group_rows:
            _word_cell(cells[0].merge(cells[-1]), row[0], bold=True, right=False)
            continue
        for col, text in enumerate(row):
            _word_cell(cells[col], text, bold=index - 1 in table.total_rows, right=table.numeric[col])
    doc.add_paragraph()  # Word joins two tables that touch


def _word_chart(doc, chart: Chart) -> None:
    png = figure_image(chart.figure, "png", *PNG_SIZE, scale=PNG_SCALE)
    paragraph = doc.add_paragraph()
    paragraph.add_run().add_picture(io.BytesIO(png), width=Cm(PNG_WIDTH_CM))
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    picture = paragraph._p.xpath(".//wp:docPr")[0]  # the picture's alternative text, for screen readers
    picture.set("descr", _line(chart.alt))
    picture.set("title", _line(chart.title))


def _word_block(doc, block: Block) -> None:
    if isinstance(block, Paragraph):
        doc.add_paragraph(_line(block.text))
    elif isinstance(block, Bullets):
        for item in block.items:
            doc.add_paragraph(_line(item), style="List Bullet")
    elif isinstance(block, Table):
        _word_table(doc, block)
    elif isinstance(block, Chart):
        _word_chart(doc, block)
    else:
        raise TypeError(f"a report cannot hold {type(block).__name__}")


def _word_properties(doc, document: Document) -> None:
    properties = doc.core_properties
    properties.title = _line(document.title)
    properties.language = "zh-CN" if document.lang == "zh" else "en-US"
    properties.author = properties.last_modified_by = _meta(document, "author")
    properties.subject = _meta(document, "subject")
    properties.keywords = _meta(document, "keywords")
    properties.comments = ""
    properties.created = properties.modified = dt.datetime.now(dt.UTC)  # not the template's date


def word(document: Document) -> bytes:
    """The document as a Word file: A4, styled headings, lists, tables, charts as PNG pictures, the footer
    and page counter under every page, Chinese text in the CJK font."""
    doc = docx.Document()
    _word_page(doc)
    _word_fonts(doc, document.lang)
    _word_properties(doc, document)
    doc.add_heading(_line(document.title), level=0)
    if document.subtitle:
        doc.add_paragraph(_line(document.subtitle), style="Subtitle")
    for section in document.sections:
        doc.add_heading(_line(section.title), level=1)
        for block in section.blocks:
            _word_block(doc, block)
    _word_footer(doc, document)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
