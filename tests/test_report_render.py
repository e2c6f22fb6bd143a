"""The report renderers on a small hand-made Document, checked on the real outputs: the Markdown text itself,
the HTML page, the PDF's text and fonts read back by poppler (pdftotext, pdffonts, pdfinfo), and the Word
file reopened by python-docx. Charts are drawn by the real kaleido and Debian's chromium.

One PDF and one Word file are rendered per module and shared by the tests that read them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Mm

from reports import images
from reports.document import Bullets, Chart, Document, Paragraph, Section, Table
from reports.render import FORMATS, format_of, markdown, render, write

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = "<script>alert(1)</script>|x"
SENTENCE = "全年接待读者354.9万人次，同比增长4.9%"
FIGURE = {
    "data": [{"type": "bar", "x": ["总馆", HOSTILE], "y": [2349000, 1200000]}],
    "layout": {"title": {"text": "各馆到馆人次"}},
}


def _visits_table(caption: str, columns: tuple[str, str, str], group: str, main: str, total: str) -> Table:
    """Branch visits with a group row (row 0), the hostile branch and a total row (row 3)."""
    return Table(
        columns=columns,
        rows=(
            (group, "", ""),
            (main, "2,349,000", "+5.1%"),
            (HOSTILE, "1,200,000", "+4.5%"),
            (total, "3,549,000", "+4.9%"),
        ),
        numeric=(False, True, True),
        caption=caption,
        group_rows=frozenset({0}),
        total_rows=frozenset({3}),
    )


ZH = Document(
    lang="zh",
    title="示例市图书馆2025年度工作总结",
    subtitle="总分馆体系　2025年1月至12月",
    sections=(
        Section(
            "headline",
            "一、总体情况",
            (
                Paragraph(SENTENCE),
                Bullets(("外借图书120.3万册次", "举办读者活动1,024场")),
                _visits_table("表1　各馆到馆人次", ("分馆", "到馆人次", "同比"), "分馆", "总馆", "合计"),
                Chart("各馆到馆人次", FIGURE, "总馆到馆人次最多，为234.9万人次。"),
            ),
        ),
        # Enough lines to run onto a second page, so that the page counter has something to count.
        Section(
            "service_points", "二、服务网点", (Bullets(tuple(f"第{i}服务点全年开放{300 + i}天" for i in range(45))),)
        ),
    ),
    footer="示例市图书馆",
    page_label="第 {page} 页 / 共 {pages} 页",
    meta={"author": "示例市图书馆办公室", "keywords": ("年度工作总结", "到馆人次")},
)

EN = Document(
    lang="en",
    title="Annual work summary 2025",
    subtitle="Example City Library, January to December 2025",
    sections=(
        Section(
            "headline",
            "Headline figures",
            (
                Paragraph("Visits reached 3.5 million, up 4.9% on 2024."),
                Bullets(("Loans: 1.2 million", "- not a list, **not bold**, [not a link](javascript:x), $x$")),
                _visits_table("Visits by branch", ("Branch", "Visits", "YoY"), "Branches", "Main\nlibrary", "Total"),
                Chart("Visits by branch", FIGURE, "The main library had the most visits."),
            ),
        ),
    ),
    footer=f"Example City Library </style>{HOSTILE}",
)

EN_MARKDOWN = r"""# Annual work summary 2025

Example City Library, January to December 2025

## Headline figures

Visits reached 3.5 million, up 4.9% on 2024.

- Loans: 1.2 million
- \- not a list, \*\*not bold\*\*, \[not a link\](javascript:x), \$x\$

Visits by branch

| Branch | Visits | YoY |
| --- | ---: | ---: |
| **Branches** |  |  |
| Main<br>library | 2,349,000 | +5.1% |
| \<script\>alert(1)\</script\>\|x | 1,200,000 | +4.5% |
| **Total** | **3,549,000** | **+4.9%** |

*The main library had the most visits.*

---

Example City Library \</style\>\<script\>alert(1)\</script\>\|x
"""


@pytest.fixture(scope="module", autouse=True)
def _close_browser():
    """Leave no Chromium running after this module (a later image starts a new one)."""
    yield
    images.stop()


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("reports")


@pytest.fixture(scope="module")
def zh_pdf(folder) -> Path:
    return write(ZH, folder / "report.PDF")


@pytest.fixture(scope="module")
def zh_docx(folder) -> Path:
    return write(ZH, folder / "report.docx")


@pytest.fixture(scope="module")
def zh_html() -> str:
    return render(ZH, "html").decode("utf-8")


def _poppler(*command: str | Path) -> str:
    """The output of a poppler-utils command (pdftotext, pdffonts, pdfinfo)."""
    return subprocess.run([str(part) for part in command], capture_output=True, text=True, check=True).stdout


def _squeezed(text: str) -> str:
    """Text without whitespace: pdftotext spaces CJK text by its layout, not as written."""
    return re.sub(r"\s+", "", text)


# Formats and files --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, fmt", [("a/Report.PDF", "pdf"), ("r.Docx", "docx"), ("r.md", "md"), ("r.HTML", "html")])
def test_format_of_reads_the_suffix_in_any_case(name, fmt):
    assert format_of(name) == fmt


@pytest.mark.parametrize("name", ["report.txt", "report", "report.pdf.bak", "report.htm"])
def test_format_of_refuses_other_suffixes_and_names_the_accepted_ones(name):
    with pytest.raises(ValueError, match=r"\.docx, \.pdf, \.md, \.html"):
        format_of(name)


def test_render_refuses_an_unknown_format():
    with pytest.raises(ValueError, match="txt"):
        render(EN, "txt")
    assert FORMATS == ("docx", "pdf", "md", "html")


def test_write_replaces_a_file_owner_only_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "report.md"
    target.write_text("old report")
    target.chmod(0o644)
    assert write(EN, target) == target
    assert target.read_text(encoding="utf-8") == EN_MARKDOWN
    assert target.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md"]


def test_the_written_pdf_and_docx_are_owner_only(zh_pdf, zh_docx):
    assert zh_pdf.stat().st_mode & 0o777 == 0o600
    assert zh_docx.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in zh_pdf.parent.iterdir()) == ["report.PDF", "report.docx"]


# Markdown ------------------------------------------------------------------------------------------------


def test_markdown_is_exactly_the_document():
    assert markdown(EN) == EN_MARKDOWN
    assert render(EN, "md") == EN_MARKDOWN.encode("utf-8")


def test_markdown_keeps_chinese_as_written():
    text = markdown(ZH)
    assert f"\n{SENTENCE}\n" in text
    assert "| **合计** | **3,549,000** | **+4.9%** |" in text
    assert "*总馆到馆人次最多，为234.9万人次。*" in text


# HTML ----------------------------------------------------------------------------------------------------


def test_html_escapes_every_text_from_the_data():
    page = render(EN, "html").decode("utf-8")
    assert "<script" not in page.lower()
    assert page.count("</style>") == 1  # the footer's "</style>" sits escaped in the CSS and in the page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;|x" in page
    assert "**not bold**, [not a link](javascript:x), $x$" in page  # HTML shows Markdown signs as they are
    assert '<html lang="en">' in page


def test_html_is_one_chinese_page_with_an_svg_chart(zh_html):
    assert zh_html.startswith("<!DOCTYPE html>")
    assert '<html lang="zh-CN">' in zh_html and '<meta charset="utf-8">' in zh_html
    assert f"<p>{SENTENCE}</p>" in zh_html
    assert zh_html.count('<figure class="chart"') == 1
    svg = zh_html[zh_html.index("<svg") : zh_html.rindex("</svg>")]
    assert "各馆到馆人次" in svg and "Noto Sans CJK SC" in svg
    assert 'aria-label="总馆到馆人次最多，为234.9万人次。"' in zh_html
    assert "<script" not in zh_html.lower()
    assert "src=" not in zh_html and "<link" not in zh_html  # self-contained


def test_html_lays_out_a4_with_numbers_right_aligned(zh_html):
    assert "size: A4" in zh_html and "counter(page)" in zh_html and "counter(pages)" in zh_html
    assert 'font-family: "Noto Sans CJK SC", "Noto Serif CJK SC"' in zh_html
    assert "tabular-nums" in zh_html
    assert '<th class="num">到馆人次</th>' in zh_html
    assert '<tr class="group"><th colspan="3">分馆</th></tr>' in zh_html
    assert '<tr class="total"><td>合计</td><td class="num">3,549,000</td><td class="num">+4.9%</td></tr>' in zh_html


# PDF -----------------------------------------------------------------------------------------------------


def test_pdf_text_comes_back_in_chinese(zh_pdf):
    text = _poppler("pdftotext", "-layout", zh_pdf, "-")
    assert _squeezed(SENTENCE) in _squeezed(text)
    for figure in ("2,349,000", "1,200,000", "3,549,000", "+4.9%"):
        assert figure in text
    assert HOSTILE in text  # the hostile name printed as text
    assert "第44服务点全年开放344天" in _squeezed(text)


def test_pdf_counts_its_pages_under_each_page(zh_pdf):
    pages = [page for page in _poppler("pdftotext", "-layout", zh_pdf, "-").split("\f") if page.strip()]
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        assert f"示例市图书馆第{number}页/共{len(pages)}页" in _squeezed(page)


def test_pdf_embeds_the_cjk_font(zh_pdf):
    listing = _poppler("pdffonts", zh_pdf).splitlines()
    columns = [m.span() for m in re.finditer(r"-+", listing[1])]  # the dashes under each column's header
    fonts = [{listing[0][a:b].strip(): line[a:b].strip() for a, b in columns} for line in listing[2:]]
    cjk = [font for font in fonts if "CJK" in font["name"]]
    assert cjk, listing
    assert all(font["emb"] == "yes" for font in cjk), listing


def test_pdf_properties_come_from_the_document(zh_pdf):
    info = _poppler("pdfinfo", zh_pdf)
    assert re.search(r"^Title:\s+示例市图书馆2025年度工作总结$", info, re.M)
    assert re.search(r"^Author:\s+示例市图书馆办公室$", info, re.M)
    assert re.search(r"^Page size:.*\(A4\)", info, re.M)


# Word ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def word(zh_docx):
    return docx.Document(str(zh_docx))


def test_word_has_the_text_in_its_styles(word):
    styles = {p.text: p.style.name for p in word.paragraphs if p.text}
    assert styles[ZH.title] == "Title"
    assert styles[ZH.subtitle] == "Subtitle"
    assert styles["一、总体情况"] == "Heading 1"
    assert styles[SENTENCE] == "Normal"
    assert styles["外借图书120.3万册次"] == "List Bullet"
    assert styles["表1　各馆到馆人次"] == "Caption"


def test_word_table_marks_groups_totals_and_figures(word):
    table = word.tables[0]
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    assert rows[0] == ["分馆", "到馆人次", "同比"]
    assert rows[3] == [HOSTILE, "1,200,000", "+4.5%"]
    group = table.rows[1].cells
    assert len({cell._tc for cell in group}) == 1 and group[0].text == "分馆"  # one cell across the table
    assert all(run.bold for cell in table.rows[4].cells for run in cell.paragraphs[0].runs)
    assert all(run.bold for cell in table.rows[0].cells for run in cell.paragraphs[0].runs)
    assert not any(run.bold for cell in table.rows[2].cells for run in cell.paragraphs[0].runs)
    assert table.rows[2].cells[1].paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert table.rows[2].cells[0].paragraphs[0].alignment is None


def test_word_gives_chinese_text_the_cjk_font(word):
    normal = word.styles["Normal"].element.rPr.rFonts
    assert normal.get(qn("w:eastAsia")) == "Noto Sans CJK SC"
    assert normal.get(qn("w:ascii")) == normal.get(qn("w:hAnsi")) != "Noto Sans CJK SC"
    heading = word.styles["Heading 1"].element.rPr.rFonts
    assert heading.get(qn("w:eastAsia")) == "Noto Sans CJK SC"
    # A theme font would win over the named one, and the template's theme fonts have no Chinese.
    assert not word.styles.element.xpath(".//w:rFonts[@w:eastAsiaTheme or @w:asciiTheme or @w:hAnsiTheme]")


def test_word_footer_counts_pages_with_fields(word):
    footer = word.sections[0].footer
    xml = footer._element.xml
    assert 'w:instr=" PAGE "' in xml and 'w:instr=" NUMPAGES "' in xml
    assert xml.index(" PAGE ") < xml.index(" NUMPAGES ")
    texts = [run.text for run in footer.paragraphs[0].runs]
    assert texts[0] == "示例市图书馆" and "第 " in texts and " 页 / 共 " in texts


def test_word_page_picture_and_properties(word):
    section = word.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(0.1) and abs(section.page_height - Mm(297)) < Mm(0.1)
    assert len(word.inline_shapes) == 1
    assert abs(word.inline_shapes[0].width - Cm(16)) < Cm(0.01)
    assert word.inline_shapes[0]._inline.docPr.get("descr") == "总馆到馆人次最多，为234.9万人次。"
    properties = word.core_properties
    assert (properties.title, properties.language, properties.author) == (ZH.title, "zh-CN", "示例市图书馆办公室")


# Chart images --------------------------------------------------------------------------------------------


def test_a_missing_browser_is_a_clear_error_not_a_dropped_chart():
    """In a process of its own, so that the browser this module shares is not the one that fails."""
    code = (
        "from reports.render import render\n"
        "from test_report_render import EN\n"
        "try:\n    render(EN, 'html')\n"
        "except RuntimeError as error:\n    print(error)\n"
    )
    env = {**os.environ, "BROWSER_PATH": "/nonexistent/chromium", "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'tests'}"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "BROWSER_PATH='/nonexistent/chromium'" in result.stdout
    assert "apt-get install chromium" in result.stdout
