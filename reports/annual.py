"""The annual work summary (年度工作总结): the year's figures from the metric layer, worded in English or Chinese,
in the order a work summary uses: scope and period, headline figures, service points, events, what drove
the change, data notes, and where each figure comes from.

Every figure is one row of metrics.engine.compute() for the (fiscal) year, exactly as `python -m metrics query`
gives it (Figure.query() is that command's options), so a number in the report equals the dashboard's and can
be reproduced. The year is counted as the dashboard counts it: up to the complete-through date of the chosen
branches, a partial year compared with the same months of the year before. Nothing here adds or divides two
figures: shares come from metrics.engine.rank, as on the Branches page. Sections without data are left out.
"""

from __future__ import annotations

import datetime as dt
import shlex
from dataclasses import dataclass, field, replace

import pandas as pd
import plotly.graph_objects as go

from metrics import display, engine, filters, periods, quality, satisfaction, targets
from metrics.engine import Result
from metrics.filters import Filter
from metrics.registry import get, label
from reports.document import Bullets, Chart, Document, Paragraph, Section, Table
from reports.phrases import phrase

# The running text's paragraphs: (topic, [(figure key, metric id, narrowing of the filter)]).
MUSEUMS = {"kinds": ("museum",)}
VOLUNTEER_EVENTS = {"categories": ("volunteer_service",)}
TOPICS: tuple[tuple[str, tuple[tuple[str, str, dict], ...]], ...] = (
    (
        "reading",
        (
            ("visits", "visits", {}),
            ("loans", "loans", {}),
            ("e_media_loans", "e_media_loans", {}),
            ("new_registrations", "new_registrations", {}),
        ),
    ),
    (
        "events",
        (
            ("events", "events", {}),
            ("attendance", "attendance", {}),
            ("online_attendance", "online_attendance", {}),
            ("plan_completion", "plan_completion", {}),
        ),
    ),
    (
        "volunteering",
        (
            ("volunteer_events", "events", VOLUNTEER_EVENTS),
            ("volunteers", "volunteers", {}),
            ("volunteer_hours", "volunteer_hours", {}),
            ("beneficiaries", "beneficiaries", {}),
        ),
    ),
    ("museums", (("museum_visits", "visits", MUSEUMS), ("minors_share", "minors_share", {}))),
    (
        "service",
        (
            ("satisfaction", "satisfaction", {}),
            ("satisfied_share", "satisfied_share", {}),
            ("complaints_received", "complaints_received", {}),
            ("complaint_resolution_rate", "complaint_resolution_rate", {}),
        ),
    ),
)
PER_CAPITA = {"visits": "visits_per_capita", "loans": "loans_per_capita"}
POINT_METRICS = ("visits", "loans")  # the per-service-point tables
KIND_ORDER = ("main", "branch", "community", "mobile", "museum", "centre", "other")
DRIVERS_SHOWN = 3
CLI = "python -m metrics query"


class NoFigures(LookupError):
    """The year has no figure in the chosen scope."""


@dataclass(frozen=True)
class Request:
    """What to report: the (fiscal) year starting in `fiscal_start` of `year`, in `lang`, for the branches,
    districts, kinds, event choices and user scope of `flt` (its dates are replaced by the year's)."""

    year: int
    fiscal_start: int = 1
    lang: str = "en"
    flt: Filter = field(default_factory=Filter)
    as_user: str | None = None  # the users-file name the scope came from, for the reproducing command
    today: dt.date | None = None  # the date the report says it was generated (default: today)


@dataclass(frozen=True)
class Figure:
    """One number of the report and the query row it is."""

    key: str
    metric: str
    text: str  # the value as the report writes it
    value: float | None
    prior_value: float | None
    change: float | None
    yoy_pct: float | None
    partial: bool
    period: str  # the engine's period label: 2026, FY2026/27
    date_from: dt.date
    date_to: dt.date
    by: str | None = None
    row: str | None = None  # the `by` value as `metrics query` writes it
    narrow: tuple[tuple[str, tuple[str, ...]], ...] = ()  # filter choices of this figure beyond the report's
    share: float | None = None  # percent of the service points' total (metrics.engine.rank)
    column: str = "value"  # the column of the query's row that holds it: attainment_pct for a target's

    def query(self, request: Request) -> list[str]:
        """The `python -m metrics query` options that give this figure's row (with --target for a figure
        measured against its target)."""
        flt = _narrowed(request.flt, dict(self.narrow))
        args = ["--metric", self.metric, "--grain", "year"]
        if request.fiscal_start != 1:
            args += ["--fiscal-start", str(request.fiscal_start)]
        args += ["--from", self.date_from.isoformat(), "--to", self.date_to.isoformat(), "--compare", "yoy"]
        if self.by:
            args += ["--by", self.by]
        if self.column != "value":
            args.append("--target")
        for option, values in (
            ("--branch", flt.branches),
            ("--district", flt.districts),
            ("--kind", flt.kinds),
            ("--category", flt.categories),
            ("--audience", flt.audiences),
            ("--event-format", flt.formats),
        ):
            for value in values:
                args += [option, value]
        if flt.question not in (None, satisfaction.DEFAULT_QUESTION):
            args += ["--question", flt.question]
        if request.as_user:
            args += ["--as-user", request.as_user]
        return args

    def command(self, request: Request) -> str:
        return f"{CLI} {shlex.join(self.query(request))}"


@dataclass
class Report:
    request: Request
    document: Document
    figures: list[Figure]
    start: dt.date  # the (fiscal) year
    end: dt.date

    def trace(self) -> dict:
        """The JSON sidecar: the report's request and every figure with the command that reproduces it."""
        request = self.request
        return {
            "report": "annual",
            "year": request.year,
            "fiscal_start": request.fiscal_start,
            "lang": request.lang,
            "title": self.document.title,
            "scope": self.document.meta.get("scope", ""),
            "as_user": request.as_user,
            "figures": [
                {
                    "key": f.key,
                    "metric": f.metric,
                    "label": label(get(f.metric), request.lang),
                    "text": f.text,
                    "value": _plain(f.value),
                    "prior_value": _plain(f.prior_value),
                    "yoy_pct": _plain(f.yoy_pct),
                    "share": _plain(f.share),
                    "partial": f.partial,
                    "period": f.period,
                    "from": f.date_from.isoformat(),
                    "to": f.date_to.isoformat(),
                    "by": f.by,
                    "row": f.row,
                    "column": f.column,
                    "query": f.query(request),
                    "command": f.command(request),
                }
                for f in self.figures
            ],
        }


def year_span(year: int, fiscal_start: int = 1) -> tuple[dt.date, dt.date]:
    """First and last day of the (fiscal) year that starts in month `fiscal_start` of `year`."""
    start = dt.date(year, fiscal_start, 1)
    return start, periods.period_end(start, "year")


def build(con, request: Request) -> Report:
    """The report for the request, from the database `con` (a reader). NoFigures when the year has no figure."""
    if request.lang not in ("en", "zh"):
        raise ValueError(f"unknown language {request.lang!r}; choose en or zh")
    start, end = year_span(request.year, request.fiscal_start)
    flt = replace(request.flt, date_from=start, date_to=end, beyond_complete=False)
    writer = _Writer(con, request, flt)
    headline = writer.headline()
    if not writer.figures:
        raise NoFigures(writer.why_no_figures())
    sections = [
        headline,
        writer.service_points_section(),
        writer.events_section(),
        writer.drivers_section(),
        writer.caveats_section(),
    ]
    # The scope comes first but is written last: it counts the service points the tables found reporting.
    sections = [writer.scope_section(start, end), *(s for s in sections if s is not None)]
    sections.append(writer.trace_section())
    return Report(request, writer.document(sections), writer.figures, start, end)


class _Writer:
    """Collects the figures of one report and words them."""

    def __init__(self, con, request: Request, flt: Filter):
        self.con, self.request, self.flt, self.lang = con, request, flt, request.lang
        self.figures: list[Figure] = []
        self.results: dict[str, Result] = {}
        self.by_key: dict[str, Figure] = {}
        self.attained: dict[str, targets.Attainment] = {}  # figure key -> the figure against its target
        self.names = engine.branch_names(con, self.lang)
        self.ids = {name: branch_id for branch_id, name in engine.branch_names(con, "en").items()}

    def say(self, key: str, **values) -> str:
        return phrase(self.lang, key, **values)

    # ------------------------------------------------------------------ figures

    def total(self, key: str, metric_id: str, narrow: dict | None = None) -> Figure | None:
        """The year's figure of a metric (optionally with the filter narrowed), or None without a value."""
        flt = _narrowed(self.flt, narrow or {})
        if flt is None:
            return None
        result = engine.compute(self.con, metric_id, flt, "year", None, self.request.fiscal_start, compare=True)
        self.results[key] = result
        if result.table.empty or display.missing(result.table["value"].iloc[0]):
            return None
        figure = self._figure(key, result, result.table.iloc[0], narrow or {})
        self.by_key[key] = figure
        return figure

    def target(self, key: str, metric_id: str) -> Figure | None:
        """The year's figure of a metric against its target (metrics.engine.attainment, as the dashboard's
        cards measure it), as the figure `<key>.target`; None when the year has no target in this scope."""
        found = engine.attainment(self.con, metric_id, self.flt, self.request.fiscal_start)
        if found is None:
            return None
        figure = Figure(
            key=f"{key}.target",
            metric=metric_id,
            text=self.number(found.attainment_pct, "pct1"),
            value=found.attainment_pct,
            prior_value=None,
            change=None,
            yoy_pct=None,
            partial=found.partial,
            period=found.period,
            date_from=found.date_from,
            date_to=found.date_to,
            column="attainment_pct",
        )
        self.figures.append(figure)
        self.by_key[figure.key] = figure
        self.attained[key] = found
        return figure

    def breakdown(self, key: str, metric_id: str, by: str) -> Result:
        """The year's figures of a metric by `by`, each row a figure of the trace."""
        result = engine.compute(self.con, metric_id, self.flt, "year", by, self.request.fiscal_start, compare=True)
        self.results[key] = result
        shares = {}
        if by == "branch":
            ranked = engine.rank(result.table, result.metric)
            shares = dict(zip(ranked["branch"], ranked["share"], strict=True))
        for _, row in result.table.iterrows():
            if not display.missing(row["value"]):
                self._figure(f"{key}.{row[by]}", result, row, {}, by, row[by], shares.get(row[by]))
        return result

    def _figure(self, key, result: Result, row, narrow: dict, by=None, value_of=None, share=None) -> Figure:
        metric = result.metric
        figure = Figure(
            key=key,
            metric=metric.id,
            text=self.number(row["value"], metric.fmt),
            value=_plain(row["value"]),
            prior_value=_plain(row["prior_value"]),
            change=_plain(row["change"]),
            yoy_pct=_plain(row["yoy_pct"]),
            partial=bool(row["partial"]),
            period=row["period"],
            date_from=row["period_start"],
            date_to=row["period_end"],
            by=by,
            row=value_of,
            narrow=tuple(sorted(narrow.items())),
            share=_plain(share),
        )
        self.figures.append(figure)
        return figure

    def number(self, value, fmt: str = "int") -> str:
        return display.number(value, fmt, self.lang)

    def why_no_figures(self) -> str:
        """The message of a year without figures: reports still missing, or where the data lies (English, as
        the command line speaks; the page says it in its own words)."""
        year = display.year_name(self.request.year, self.request.fiscal_start, "en")  # the message is English
        for result in (self.results.get(k) for k in ("visits", "loans")):
            for pending in result.pending if result else ():
                if pending.start <= self.flt.date_to:
                    names = ", ".join(self.names.get(b, b) for b in pending.not_reported[:10])
                    return (
                        f"no complete figures for {year} yet: {len(pending.reported)} of {pending.expected_count} "
                        f"service points have reported {result.metric.id} for {pending.period} (not yet: {names})"
                    )
        first, last = engine.data_span(self.con, get("visits"))
        covers = f"; the data covers {first.year}–{last.year}" if first else "; the database holds no figures"
        return f"no figures for {year} in this scope{covers}"

    # ------------------------------------------------------------------ words for periods and changes

    def year_name(self, year: int) -> str:
        return display.year_name(year, self.request.fiscal_start, self.lang)

    def months(self, start: dt.date, end: dt.date) -> str:
        """The span of a partial figure: whole months in words, else the two dates."""
        if end == periods.period_end(end.replace(day=1), "month") and start.day == 1:
            return display.month_span(start, end, self.lang)
        return f"{display.long_date(start, self.lang)}—{display.long_date(end, self.lang)}"

    def period_words(self, figure: Figure) -> str:
        if figure.partial:
            return self.say("in_partial", months=self.months(figure.date_from, figure.date_to))
        return self.say("in_full", period=self.year_name(self.request.year))

    def change_words(self, figure: Figure) -> str:
        metric = get(figure.metric)
        prior_year = self.year_name(self.request.year - 1)
        prior = self.say("prior_partial" if figure.partial else "prior_full", year=prior_year)
        if figure.prior_value is None:
            return self.say("no_prior", prior=prior)
        if metric.change_in_points:
            points = f"{abs(figure.change):.1f}"
            if points == "0.0":
                return self.say("level", prior=prior)
            kind = "points" if metric.unit == "%" else "score"
            return self.say(f"up_{kind}" if figure.change > 0 else f"down_{kind}", points=points, prior=prior)
        if figure.yoy_pct is None:
            return self.say("no_prior", prior=prior)
        pct = display.number(abs(figure.yoy_pct), "pct1")
        if pct == "0.0%":
            return self.say("level", prior=prior)
        return self.say("up" if figure.yoy_pct > 0 else "down", pct=pct, prior=prior)

    def sentence(self, figure: Figure, lead_values: dict | None = None, first: bool = False) -> str:
        """One figure in words: its period (for the paragraph's first sentence), the lead, change and target."""
        lead = self.say(f"lead_{figure.key}", value=figure.text, **(lead_values or {}))
        if first:
            lead = self.period_words(figure) + lead
        if self.lang == "en":
            lead = lead[:1].upper() + lead[1:]
        rest = [self.change_words(figure)]
        target = self.by_key.get(f"{figure.key}.target")
        if target is not None:
            rest.append(self.target_words(figure.key, target))
        return self.say("sentence", lead=lead, rest=self.say("and").join(rest))

    def target_words(self, key: str, target: Figure) -> str:
        """A sum's share of the year's target; a level (a ratio, mean or share) held or short of its target."""
        found = self.attained[key]
        if found.cumulative:
            return self.say("target", pct=target.text)
        level = self.number(found.target, get(found.metric).fmt)
        return self.say("target_held" if found.reached else "target_short", target=level)

    # ------------------------------------------------------------------ sections

    def headline(self) -> Section | None:
        """The running text, one paragraph per topic, the table of headline figures and the visits chart."""
        paragraphs, rows = [], []
        for _topic, figures in TOPICS:
            words, period = [], None
            for key, metric_id, narrow in figures:
                figure = self.total(key, metric_id, narrow)
                if figure is None:
                    continue
                if not narrow:
                    self.target(key, metric_id)
                extra = self.satisfaction_values(figure) if key == "satisfaction" else {}
                first = period != (figure.date_from, figure.date_to, figure.partial)
                words.append(self.sentence(figure, extra, first))
                period = (figure.date_from, figure.date_to, figure.partial)
                rows.append(self.headline_row(figure))
            if words:
                paragraphs.append(Paragraph(("" if self.lang == "zh" else " ").join(words)))
        if not rows:
            return None
        main = self.figures[0]
        columns = (
            self.say("col_indicator"),
            self.say("col_value", period=self.period_title(main)),
            self.say("col_prior", prior=self.prior_title(main)),
            self.say("col_change"),
            self.say("col_target"),
        )
        if all(row[-1] == display.NO_VALUE for row in rows):  # no target this year: no column of dashes
            columns, rows = columns[:-1], [row[:-1] for row in rows]
        table = Table(columns, tuple(rows), (False, True, True, True, True)[: len(columns)])
        chart = self.visits_chart()
        return Section("headline", self.say("sec_headline"), (*paragraphs, table, *([chart] if chart else [])))

    def period_title(self, figure: Figure) -> str:
        if figure.partial:
            return self.months(figure.date_from, figure.date_to)
        return self.year_name(self.request.year)

    def prior_title(self, figure: Figure) -> str:
        prior_year = self.year_name(self.request.year - 1)
        if not figure.partial:
            return prior_year
        return f"{prior_year}同期" if self.lang == "zh" else self.say("prior_partial", year=prior_year)

    def headline_row(self, figure: Figure) -> tuple[str, ...]:
        metric = get(figure.metric)
        name = self.figure_label(figure) if figure.narrow else label(metric, self.lang)
        target = self.by_key.get(f"{figure.key}.target")
        return (
            name,
            figure.text,
            self.number(figure.prior_value, metric.fmt),
            self.change_cell(figure),
            target.text if target else display.NO_VALUE,
        )

    def figure_label(self, figure: Figure) -> str:
        """A figure's name in a table: the metric's label, with the narrowing that makes it (museums' visits)."""
        metric_label = label(get(figure.metric), self.lang)
        parts = [display.kind_label(k, self.lang) for k in dict(figure.narrow).get("kinds", ())]
        parts += [display.code_label(c, self.lang) for c in dict(figure.narrow).get("categories", ())]
        joined = display.join_names(parts, self.lang)
        return f"{joined}{metric_label}" if self.lang == "zh" else f"{metric_label} ({joined})"

    def change_cell(self, figure: Figure) -> str:
        metric = get(figure.metric)
        if metric.change_in_points:
            if figure.change is None:
                return display.NO_VALUE
            change = display.signed_number(figure.change, "dec1")
            return self.say("points_cell" if metric.unit == "%" else "score_cell", value=change)
        return display.signed_percent(figure.yoy_pct) or display.NO_VALUE

    def satisfaction_values(self, figure: Figure) -> dict:
        """The response count (the `responses` metric) and the 95% interval of the satisfaction figure."""
        responses = self.total("responses", "responses")
        flt = self.flt.with_dates(figure.date_from, figure.date_to)
        stats = satisfaction.trend(self.con, flt, "year", self.request.fiscal_start, whole_window=True)
        low, high = (stats[c].iloc[0] if not stats.empty else None for c in ("ci_low", "ci_high"))
        return {
            "n": responses.text if responses else display.NO_VALUE,
            "low": self.number(low, "dec1"),
            "high": self.number(high, "dec1"),
        }

    def visits_chart(self) -> Chart | None:
        """This year's visits by month against last year's, as on the Overview page."""
        visits = self.by_key.get("visits")
        if visits is None:
            return None
        flt = self.flt.with_dates(visits.date_from, visits.date_to)
        monthly = engine.compute(self.con, "visits", flt, "month", None, self.request.fiscal_start, compare=True).table
        if monthly.empty:
            return None
        months = [self.month_label(d) for d in monthly["period_start"]]
        year, prior = self.year_name(self.request.year), self.year_name(self.request.year - 1)
        title = self.say("chart_visits", year=year, prior=prior)
        figure = go.Figure(
            [
                go.Bar(x=months, y=[_plain(v) for v in monthly["value"]], name=year, marker_color="#1f5f8b"),
                go.Scatter(
                    x=months, y=[_plain(v) for v in monthly["prior_value"]], name=prior, line={"color": "#9aa5b1"}
                ),
            ]
        )
        figure.update_layout(
            title={"text": title, "x": 0},
            font={"family": "Noto Sans CJK SC, sans-serif", "size": 12},
            xaxis_title=self.say("month_axis"),
            yaxis={"title": label(get("visits"), self.lang), **self.ticks(monthly)},
            legend={"orientation": "h", "y": -0.25},
            margin={"l": 60, "r": 10, "t": 50, "b": 60},
            template="simple_white",
        )
        return Chart(title, figure.to_dict(), self.say("chart_alt", year=year, prior=prior))

    def ticks(self, monthly: pd.DataFrame) -> dict:
        """The value axis written as the figures are (display.axis_ticks, the dashboard's rule): 400,000 in
        English, 40万 in Chinese, from zero as bars stand; Plotly's own formatting (the hover) never says 400k."""
        values = [*monthly["value"], *monthly["prior_value"]]
        return {
            **display.axis_ticks(values, self.lang, count=4, zero=True),
            "exponentformat": "none",
            "separatethousands": True,
        }

    def month_label(self, day: dt.date) -> str:
        return f"{day.month}月" if self.lang == "zh" else display.MONTH_NAMES[day.month - 1][:3]

    def scope_words(self) -> str:
        flt, parts = self.request.flt, []
        if flt.branches:
            parts.append(self.say("scope_points", names=self.join([self.names.get(b, b) for b in flt.branches])))
        if flt.districts:
            districts = engine.district_names(self.con, self.lang)
            parts.append(self.say("scope_districts", names=self.join(districts.get(d, d) for d in flt.districts)))
        if flt.kinds:
            names = self.join([display.kind_label(k, self.lang) for k in flt.kinds])
            parts.append(self.say("scope_kinds", names=names))
        if flt.categories:
            names = self.join([display.code_label(c, self.lang) for c in flt.categories])
            parts.append(self.say("scope_categories", names=names))
        if flt.audiences:
            names = self.join([display.code_label(a, self.lang) for a in flt.audiences])
            parts.append(self.say("scope_audiences", names=names))
        if not parts:
            parts.append(self.say("scope_network"))
        if self.request.as_user:
            parts.append(self.say("scope_user", user=self.request.as_user))
        return ("，" if self.lang == "zh" else ", ").join(parts)

    def join(self, names) -> str:
        return display.join_names(names, self.lang)

    def scope_section(self, start: dt.date, end: dt.date) -> Section:
        reporting = {f.row for f in self.figures if f.by == "branch" and f.row != filters.SYSTEM_LINES}
        reporting.discard(engine.SYSTEM_LINES_LABEL["en"])
        count = len(reporting) or len(filters.matching_branches(self.con, self.flt))
        text = [
            self.say(
                "scope_text",
                scope=self.scope_words(),
                count=count,
                period=self.year_name(self.request.year),
                start=display.long_date(start, self.lang),
                end=display.long_date(end, self.lang),
            )
        ]
        if self.request.fiscal_start != 1:
            text.append(
                self.say(
                    "fiscal_text",
                    first_month=display.period_name(f"{start.year}-{start.month:02d}", self.lang),
                    last_month=display.period_name(f"{end.year}-{end.month:02d}", self.lang),
                )
            )
        through = self.complete_through()
        if through:
            text.append(self.say("through_text", date=display.long_date(through, self.lang)))
        for key in ("visits", "loans"):
            result = self.results.get(key)
            if result is not None and key not in self.by_key and any(p.start <= end for p in result.pending):
                metric = self.running_label(result.metric) if self.lang == "en" else label(result.metric, self.lang)
                metric = metric[:1].upper() + metric[1:]
                text.append(self.say("left_out", metric=metric, period=self.year_name(self.request.year)))
        main = self.figures[0]
        prior_year = self.year_name(self.request.year - 1)
        if main.partial:
            text.append(
                self.say("partial_text", months=self.months(main.date_from, main.date_to), prior_year=prior_year)
            )
        else:
            text.append(self.say("full_text", prior_year=prior_year))
        return Section("scope", self.say("sec_scope"), (Paragraph(("" if self.lang == "zh" else " ").join(text)),))

    def complete_through(self) -> dt.date | None:
        """Where visits and loans are complete, when that is inside the year (a later date says nothing)."""
        ends = [self.results[k].complete_through for k in ("visits", "loans") if k in self.results]
        ends = [e for e in ends if e and self.flt.date_from <= e < self.flt.date_to]
        return min(ends) if ends else None

    def service_points_section(self) -> Section | None:
        tables = [t for t in (self.points_table(m) for m in POINT_METRICS) if t is not None]
        return Section("service_points", self.say("sec_service_points"), tuple(tables)) if tables else None

    def points_table(self, metric_id: str) -> Table | None:
        """A metric by service point, grouped by kind, with the network total (the headline figure)."""
        total = self.by_key.get(metric_id)
        if total is None:
            return None
        metric = get(metric_id)
        result = self.breakdown(f"{metric_id}_by_branch", metric_id, "branch")
        # Service points with a figure only a year earlier (closed, or not reporting this year) keep their row.
        gone = set(result.gone["branch"]) if not result.gone.empty else set()
        table = pd.concat([result.table, result.gone], ignore_index=True)
        if table.empty:
            return None
        capita = engine.compute(
            self.con, PER_CAPITA[metric_id], self.flt, "year", "branch", self.request.fiscal_start
        ).table
        per_capita = dict(zip(capita["branch"], capita["value"], strict=True))
        kinds = self.kinds()
        shares = {f.row: f.share for f in self.figures if f.key.startswith(f"{metric_id}_by_branch.")}
        rows, groups = [], set()
        ordered = sorted(
            table.itertuples(index=False),
            key=lambda r: (
                KIND_ORDER.index(kinds.get(self.ids.get(r.branch), "other"))
                if self.ids.get(r.branch) != filters.SYSTEM_LINES
                else len(KIND_ORDER),
                r.branch in gone,
                -r.value,
            ),
        )
        current_group = None
        for r in ordered:
            branch_id = self.ids.get(r.branch, r.branch)
            group = (
                self.say("system_lines")
                if branch_id == filters.SYSTEM_LINES
                else self.say(f"group_{kinds.get(branch_id, 'other')}")
            )
            if group != current_group:
                groups.add(len(rows))
                rows.append((group, "", "", "", "", ""))  # a heading row, spanning the table
                current_group = group
            now = r.branch not in gone  # a gone row's value is no figure: it is shown as none, not as 0
            rows.append(
                (
                    self.names.get(branch_id, r.branch),
                    self.number(r.value if now else None, metric.fmt),
                    self.number(r.prior_value, metric.fmt),
                    (display.signed_percent(r.yoy_pct) if now else "") or display.NO_VALUE,
                    self.number(shares.get(r.branch), "pct1"),
                    self.number(per_capita.get(r.branch), "dec2"),
                )
            )
        rows.append(
            (
                self.say("total"),
                total.text,
                self.number(total.prior_value, metric.fmt),
                self.change_cell(total),
                "",
                "",
            )
        )
        columns = (
            self.say("col_point"),
            label(metric, self.lang),
            self.prior_title(total),
            self.say("col_change"),
            self.say("col_share"),
            self.say("col_per_capita"),
        )
        points = [row for i, row in enumerate(rows[:-1]) if i not in groups]
        if all(row[5] == display.NO_VALUE for row in points):  # no service population anywhere: no column
            columns, rows = columns[:5], [row[:5] for row in rows]
        return Table(
            columns,
            tuple(rows),
            (False, True, True, True, True, True)[: len(columns)],
            caption=self.say("table_points", metric=label(metric, self.lang)),
            group_rows=frozenset(groups),
            total_rows=frozenset({len(rows) - 1}),
        )

    def kinds(self) -> dict[str, str]:
        branches = filters.branch_list(self.con, self.flt.scope)
        return dict(zip(branches["branch_id"], branches["kind"], strict=True))

    def events_section(self) -> Section | None:
        """Events and attendance by category and by audience, with the network figures as totals."""
        events, attendance = self.by_key.get("events"), self.by_key.get("attendance")
        if events is None:
            return None
        blocks = []
        for by in ("category", "audience"):
            held = self.breakdown(f"events_by_{by}", "events", by).table
            came = self.breakdown(f"attendance_by_{by}", "attendance", by).table if attendance else pd.DataFrame()
            people = dict(zip(came[by], came["value"], strict=True)) if not came.empty else {}
            rows = [
                (
                    display.code_label(r[by], self.lang),
                    self.number(r["value"], "int"),
                    display.signed_percent(r["yoy_pct"]) or display.NO_VALUE,
                    self.number(people.get(r[by]), "int"),
                )
                for _, r in held.sort_values("value", ascending=False).iterrows()
            ]
            rows.append(
                (self.say("total"), events.text, self.change_cell(events), attendance.text if attendance else "–")
            )
            columns = (
                self.say(f"col_{by}"),
                self.say("col_events"),
                self.say("col_change"),
                self.say("col_attendance"),
            )
            blocks.append(
                Table(
                    columns,
                    tuple(rows),
                    (False, True, True, True),
                    caption=self.say(f"table_{by}"),
                    total_rows=frozenset({len(rows) - 1}),
                )
            )
        return Section("events", self.say("sec_events"), tuple(blocks))

    def drivers_section(self) -> Section | None:
        """The service points whose change moved visits (and loans) most, and the new and closed ones."""
        texts = []
        for metric_id in POINT_METRICS:
            result = self.results.get(f"{metric_id}_by_branch")
            if result is None:
                continue
            points = engine.service_points_only(result.table)
            gone = engine.service_points_only(result.gone)
            changes = engine.contribution_of(points, gone)
            metric = get(metric_id)
            change = changes["change"].astype(float)
            up = changes[change > 0].sort_values("change", ascending=False).head(DRIVERS_SHOWN)
            down = changes[change < 0].sort_values("change").head(DRIVERS_SHOWN)
            if not up.empty:
                texts.append(self.say("drivers_up", metric=self.running_label(metric), items=self.drivers(up, metric)))
            if not down.empty:
                texts.append(self.say("drivers_down", items=self.drivers(down, metric)))
            if metric_id == "visits":
                new = points[points["prior_value"].isna()]["branch"]
                if not new.empty:
                    texts.append(self.say("new_points", names=self.join(self.display_names(new))))
                if not gone.empty:
                    texts.append(self.say("closed_points", names=self.join(self.display_names(gone["branch"]))))
        return Section("drivers", self.say("sec_drivers"), (Bullets(tuple(texts)),)) if texts else None

    def running_label(self, metric) -> str:
        """A metric's label inside a sentence: "visits" in English, 到馆人次 in Chinese."""
        text = label(metric, self.lang)
        return text if self.lang == "zh" else text[:1].lower() + text[1:]

    def drivers(self, rows: pd.DataFrame, metric) -> str:
        items = [
            self.say("driver_item", name=name, change=display.signed_number(change, metric.fmt, self.lang))
            for name, change in zip(self.display_names(rows["branch"]), rows["change"], strict=True)
        ]
        return self.join(items)

    def display_names(self, english: pd.Series) -> list[str]:
        return [self.names.get(self.ids.get(name, name), name) for name in english]

    def caveats_section(self) -> Section:
        items = []
        visits = self.by_key.get("visits")
        if visits is not None:
            days = quality.estimated_dates(self.con, self.flt.with_dates(visits.date_from, visits.date_to))
            if days:
                items.append(
                    self.say("caveat_estimated_one" if len(days) == 1 else "caveat_estimated", count=len(days))
                )
        found = quality.view_findings(self.con, self.flt)  # as the Overview and Branches pages show them
        if found:
            counts = pd.Series([f.kind for f in found]).value_counts()
            kinds = self.join(
                self.say("finding_kinds", count=n, kind=self.say(f"kind_{kind}")) for kind, n in counts.items()
            )
            key = "caveat_findings_one" if len(found) == 1 else "caveat_findings"
            items.append(self.say(key, count=len(found), kinds=kinds))
        for key in ("visits", "loans"):
            result = self.results.get(key)
            for pending in result.pending if result else ():
                if pending.start > self.flt.date_to:
                    continue
                items.append(
                    self.say(
                        "caveat_pending",
                        period=display.period_name(pending.period, self.lang),
                        reported=len(pending.reported),
                        expected=pending.expected_count,
                        metric=label(result.metric, self.lang),
                        names=self.join(self.names.get(b, b) for b in pending.not_reported),
                        end=display.long_date(result.complete_through, self.lang) if result.complete_through else "–",
                    )
                )
        return Section("caveats", self.say("sec_caveats"), (Bullets(tuple(items or [self.say("caveat_none")])),))

    def trace_section(self) -> Section:
        """The appendix: each figure of the text (breakdown tables by one line each) with its command."""
        rows, seen = [], set()
        for figure in self.figures:
            if figure.by:
                table_key = figure.key.split(".", 1)[0]
                if table_key in seen:
                    continue
                seen.add(table_key)
                name = self.say("trace_by", metric=label(get(figure.metric), self.lang), by=self.say(f"by_{figure.by}"))
                value = display.NO_VALUE
            else:
                name, value = self.trace_name(figure), figure.text
            rows.append((name, value, self.months(figure.date_from, figure.date_to), figure.command(self.request)))
        columns = (self.say("col_figure"), self.say("col_number"), self.say("col_period"), self.say("col_command"))
        table = Table(columns, tuple(rows), (False, True, False, False))
        return Section("trace", self.say("sec_trace"), (Paragraph(self.say("trace_text")), table))

    def trace_name(self, figure: Figure) -> str:
        if figure.key.endswith(".target"):
            return self.say("trace_target", metric=label(get(figure.metric), self.lang))
        return self.figure_label(figure) if figure.narrow else label(get(figure.metric), self.lang)

    def document(self, sections: list[Section]) -> Document:
        key = "title" if self.request.fiscal_start == 1 else "title_fiscal"
        title = self.say(key, year=self.request.year, period=self.year_name(self.request.year))
        scope = self.scope_words()
        today = display.long_date(self.request.today or dt.date.today(), self.lang)
        through = self.complete_through()
        subtitle = (
            self.say("subtitle", scope=scope, through=display.long_date(through, self.lang), today=today)
            if through
            else self.say("subtitle_open", scope=scope, today=today)
        )
        subtitle = subtitle[:1].upper() + subtitle[1:]
        return Document(
            lang=self.lang,
            title=title,
            subtitle=subtitle,
            sections=tuple(sections),
            footer=self.say("footer", title=title, scope=scope),
            page_label=self.say("page_label", page="{page}", pages="{pages}"),
            meta={"title": title, "scope": scope, "author": "", "language": "zh-CN" if self.lang == "zh" else "en"},
        )


def _narrowed(flt: Filter, narrow: dict) -> Filter | None:
    """The filter with more choices (e.g. museums only) within its own: None when they exclude each other."""
    changes = {}
    for name, values in narrow.items():
        own = getattr(flt, name)
        kept = tuple(v for v in values if not own or v in own)
        if not kept:
            return None
        changes[name] = kept
    return replace(flt, **changes) if changes else flt


def _plain(value):
    """A number as plain float (None for no value), for the trace and the JSON."""
    if display.missing(value):
        return None
    return float(value)
