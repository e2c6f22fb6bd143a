"""A small database whose names and labels are hostile (HTML, script, Markdown, LaTeX, spreadsheet
formulas), imported through the real importer (`python -m data import`), for the injection tests."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
from pathlib import Path

from data import cli, formulas

# The canary every script payload sets; a browser test asserts it stays undefined.
PWNED = "__pwned"
SCRIPT = f"<script>window.{PWNED}=1</script>"
IMG = f'<img src=x onerror="window.{PWNED}=1">'
BOLD = "Branch **bold** East"
LINK = "[link](javascript:alert(1))"
TEX = "$x$ Branch"
FORMULA = '=HYPERLINK("http://evil","x")'
# Tags that Plotly itself draws (bold, links): unescaped, a chart would show "Anchor Branch" in bold
# as a link instead of this text.
ANCHOR = f'<a href="javascript:window.{PWNED}=1">Anchor</a> <b>Branch</b>'

# branch_id -> (name, Chinese name, district). The ids are hostile too: they travel in links and SQL.
BRANCHES = {
    "main": ("Plain Main Library", "普通总馆", "Central"),
    "h-script": (SCRIPT, f"{SCRIPT}城东分馆", SCRIPT),
    "h-img": (IMG, f"{IMG}城西分馆", IMG),
    "h-bold": (BOLD, "分馆 **粗体** 东", "District **bold** North"),
    "h-link": (LINK, "[链接](javascript:alert(1))", LINK),
    "h-tex": (TEX, "$x$ 分馆", "$x$ district"),
    "h-formula": (FORMULA, '=HYPERLINK("http://evil","中")', FORMULA),
    "h-anchor": (ANCHOR, "<b>粗体</b>分馆", "<b>Bold</b> district"),
    "'; DROP TABLE branches; --": ('Quote Branch O\'Brien "Q"', "引号分馆", "' OR ''='"),
}
# Event categories and audiences as stored (the importer lower-cases labels and joins words with "_";
# the pages show "_" as a space, so the stored `<img_src=x_onerror=...>` is displayed as a live tag).
CATEGORIES = [
    "<img src=x onerror=window.pwnedcat=1>",
    "<script>window.pwnedcat=1</script>",
    "**bold** talk",
    "=1+1",
    "<b>loud</b> talk",
]
AUDIENCES = ["[link](javascript:alert(1)) people", "$x$ people", "@sum(a1)"]
TITLES = [SCRIPT, IMG, BOLD, LINK, TEX, FORMULA, ANCHOR]

START = dt.date(2024, 1, 1)
MONTHS = 18  # January 2024 to June 2025: a year-earlier comparison exists for the last six months


def _month(index: int) -> dt.date:
    return dt.date(START.year + (START.month - 1 + index) // 12, (START.month - 1 + index) % 12 + 1, 1)


def _write(path: Path, header: list[str], rows: list[list]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def write_exports(folder: Path) -> Path:
    """The CSV exports of the hostile network, in `folder`; returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    _write(
        folder / "branches.csv",
        ["branch_id", "name", "name_zh", "kind", "parent_id", "district", "service_population", "opened_on"],
        [
            [bid, name, zh, "main" if bid == "main" else "branch", "" if bid == "main" else "main", district]
            + [50000, "2000-01-01"]
            for bid, (name, zh, district) in BRANCHES.items()
        ],
    )
    names = [name for name, _, _ in BRANCHES.values()]
    visits, loans, measures, events, surveys = [], [], [], [], []
    for m in range(MONTHS):
        month = _month(m)
        for b, name in enumerate(names):
            visits.append([month.isoformat()[:7], name, 1000 + 37 * b + 11 * m])
            loans.append([month.isoformat()[:7], name, 500 + 13 * b + 7 * m, 40 + b, 480 + 5 * b])
            measures.append([month.isoformat()[:7], name, "new_registrations", 20 + b + m])
            measures.append([month.isoformat()[:7], name, "complaints_received", 1 + (b + m) % 3])
            day = month + dt.timedelta(days=2 + b)
            category = CATEGORIES[(b + m) % len(CATEGORIES)]
            audience = AUDIENCES[(b + m) % len(AUDIENCES)]
            fmt = ("onsite", "offsite", "online")[(b + m) % 3]
            title = TITLES[(b + m) % len(TITLES)]
            events.append(
                [f"E{m:02d}{b:02d}", day.isoformat(), name, title, f"{title}讲座", category, audience, fmt]
                + [20 + b + m, 4.2, 35 + b, 5, "false", TITLES[m % len(TITLES)] if b % 2 else ""]
            )
            for r in range(3):
                surveys.append([f"R{m:02d}{b:02d}{r}", day.isoformat(), name, "overall", 3 + (r + b) % 3, 5])
                surveys[-1] += [audience, category]
    _write(folder / "visits_monthly.csv", ["month", "branch", "visits"], visits)
    _write(folder / "circulation_monthly.csv", ["month", "branch", "checkouts", "renewals", "returns"], loans)
    _write(folder / "measures_monthly.csv", ["month", "branch", "measure", "value"], measures)
    event_header = ["event_id", "date", "branch", "title", "title_zh", "category", "audience", "format"]
    event_header += ["attendance", "satisfaction", "responses", "scale_max", "planned", "programme"]
    _write(folder / "events.csv", event_header, events)
    survey_header = ["respondent_id", "date", "branch", "question", "score", "scale_max", "audience", "category"]
    _write(folder / "surveys.csv", survey_header, surveys)
    _write(
        folder / "targets_2025.csv",
        ["year", "branch", "metric", "target"],
        [[2025, "", "visits", 150000], [2025, "", "loans", 90000], [2025, BOLD, "visits", 20000]],
    )
    return folder


@contextlib.contextmanager
def formulas_let_through():
    """The importer as it was before issue 16, which refuses formula-leading names and labels: databases
    built then may hold them, so the pages' escaping and the downloads' neutralisation are still tested
    against formulas in the data. Only the formula rule (data/formulas.py) is switched off."""
    original = formulas.formula_problem
    formulas.formula_problem = lambda text, what: None
    try:
        yield
    finally:
        formulas.formula_problem = original


def build(folder: Path) -> Path:
    """The hostile database, built from write_exports() by `python -m data import` (with formulas let
    through, see formulas_let_through); returns its path."""
    exports = write_exports(folder / "exports")
    path = folder / "hostile.duckdb"
    out = io.StringIO()
    with contextlib.redirect_stdout(out), formulas_let_through():
        code = cli.main(["import", "--db", str(path), "--allow-new-branches", str(exports)])
    assert code == 0, out.getvalue()
    return path
