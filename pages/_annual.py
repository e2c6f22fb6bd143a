"""The Report page's parts: the report request from the page's view, the preview drawn from the report's
content (so it says exactly what the files say) and the downloads."""

from __future__ import annotations

import json

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from pages import _charts, _data
from pages._i18n import lang, t
from pages._page import Context
from reports import render
from reports.annual import Request
from reports.document import Bullets, Chart, Document, Paragraph, Table

MIME = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "md": "text/markdown",
}


def downloads(ctx: Context, report, request: Request) -> None:
    """Markdown, the JSON trace and the plan sheet at once; Word and PDF (charts drawn by a headless browser,
    a few seconds) once asked for, then kept for this view."""
    stem = f"annual_report_{request.year}_{request.lang}"
    columns = st.columns(5)
    wanted = st.session_state.get("report_files") == (ctx.key, request)
    for column, fmt in zip(columns[:2], ("docx", "pdf"), strict=True):
        if wanted:
            try:
                data = _data.report_file(*_view(ctx, request), request.as_user, fmt)
            except RuntimeError as exc:  # no browser to draw the chart with: say so, with what to install
                st.error(t("report_files_failed", reason=str(exc)))
                break
            column.download_button(
                t(f"download_{fmt}"), data, f"{stem}.{fmt}", MIME[fmt], key=f"dl_{fmt}", icon=":material/download:"
            )
    if not wanted and columns[0].button(t("prepare_files"), key="prepare_files", icon=":material/description:"):
        st.session_state["report_files"] = (ctx.key, request)
        st.rerun()
    columns[2].download_button(
        t("download_md"),
        _data.report_file(*_view(ctx, request), request.as_user, "md"),
        f"{stem}.md",
        MIME["md"],
        key="dl_md",
        icon=":material/download:",
    )
    trace = json.dumps(report.trace(), ensure_ascii=False, indent=1).encode("utf-8")
    columns[3].download_button(
        t("download_trace"), trace, f"{stem}.json", "application/json", key="dl_trace", icon=":material/download:"
    )
    plan = _data.plan_sheet(*_view(ctx, request))
    if plan:
        columns[4].download_button(
            t("download_plan", year=request.year + 1),
            plan,
            f"plan_{request.year + 1}.csv",
            "text/csv",
            key="dl_plan",
            icon=":material/download:",
            help=t("plan_help"),
        )


def _view(ctx: Context, request: Request) -> tuple:
    """The cache key of a report: the database generation, the view's filter and the year's choices."""
    return ctx.path, ctx.version, ctx.key, request.year, request.fiscal_start, request.lang


def preview(document: Document) -> None:
    """The report as the files have it: headings, paragraphs, lists, tables and charts. Text that holds data
    (names of branches, districts, categories) is shown with st.text, which interprets nothing."""
    st.subheader(document.title, anchor=False)
    st.text(document.subtitle)
    for number, section in enumerate(document.sections):
        st.markdown(f"#### {render.markdown_text(section.title)}")
        for index, block in enumerate(section.blocks):
            if isinstance(block, Paragraph):
                st.text(block.text)
            elif isinstance(block, Bullets):
                st.text("\n".join(f"• {item}" for item in block.items))
            elif isinstance(block, Table):
                if block.caption:
                    st.caption(render.markdown_text(block.caption))
                frame = pd.DataFrame(list(block.rows), columns=_unique(block.columns))
                st.dataframe(frame, hide_index=True, key=f"report_table_{number}_{index}")
            elif isinstance(block, Chart):
                figure = _charts.below_toolbar(go.Figure(block.figure))
                config = _charts.config(lang())  # the toolbar speaks the page's language
                st.plotly_chart(figure, key=f"report_chart_{number}_{index}", config=config)


def _unique(columns: tuple[str, ...]) -> list[str]:
    """Column names made unique for a table (two years could read alike), keeping their text."""
    seen: dict[str, int] = {}
    out = []
    for name in columns:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out
