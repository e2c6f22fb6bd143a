"""The KPI registry: every metric declared once, read by pages, exports and the command line.

A metric is computed from one fact table as sum(numerator) (times `scale`, divided by sum(denominator)
for ratios), with row-level SQL expressions over the table aliased `f`. The expressions are constants
written here, never built from input.
"""

from __future__ import annotations

from dataclasses import dataclass

from data.systemlines import E_MEDIA, LINE_TYPES, OTHER_CHANNEL, RENEWALS

# Row-level expressions shared by several metrics.
LOANS_ROW = "coalesce(f.circulation, f.checkouts + f.renewals, f.checkouts, f.renewals)"
HELD = "NOT f.planned"
IN_PERSON = "f.format <> 'online'"
SCORE_UNIT = "score 0-100"
POINT_UNITS = ("%", SCORE_UNIT)  # units whose changes are differences in points, not percentages
# System-wide lines (data/systemlines.py) whose rows a loan metric's network total counts: ISO 2789 and PLS 553
# count renewals and loans through any channel as loans; e-media loans are a metric of their own.
LOAN_LINES = (RENEWALS, OTHER_CHANNEL)


@dataclass(frozen=True)
class Metric:
    id: str
    label_en: str
    label_zh: str
    description_en: str
    description_zh: str
    reference: str  # the official definition it follows
    unit: str
    fmt: str  # int | dec1 | dec2 | pct1
    higher_is_better: bool
    table: str
    numerator: str = ""
    denominator: str | None = None
    where: str = "true"
    scale: float = 1.0
    compute: str = "sum"  # sum | ratio | satisfaction | per_capita | target
    base: str | None = None  # the metric a per-capita or target metric is built on
    dimensions: tuple[str, ...] = ()  # --by values beyond branch, district and kind
    # The types of system-wide lines (network-level rows, never service points) its network total counts, and
    # whether it counts the service points' rows at all (False: a metric of such lines only, e-media loans).
    system_lines: tuple[str, ...] = LINE_TYPES
    service_points: bool = True

    @property
    def is_ratio(self) -> bool:
        return self.denominator is not None

    @property
    def is_additive(self) -> bool:
        """Whether its parts add up to its total: a sum over rows (or the count of responses), never a
        ratio, a mean, a share, a per-capita figure or a target attainment."""
        return (self.compute == "sum" and self.denominator is None) or self.id == "responses"

    @property
    def change_in_points(self) -> bool:
        """Whether a change is told in points (the difference of two values) rather than in percent: a
        share (%) or a 0-100 score, where "+2" is read as two points, not as 2% of the value."""
        return self.unit in POINT_UNITS


EVENT_DIMS = ("category", "audience", "format")
CIRCULATION_DIMS = ("item_type", "patron_category")

METRICS: tuple[Metric, ...] = (
    Metric(
        "visits",
        "Visits",
        "到馆人次",
        "People entering a service point for any purpose (door counts; estimated counts included and flagged).",
        "进入馆舍的人次（含估算，估算值单独标记）。",
        "IMLS PLS 501 (VISITS); ISO 2789 'visits'; 总流通人次/到馆人次",
        "visits",
        "int",
        True,
        "visits",
        "f.visits",
        where="f.audience = 'all'",
        system_lines=(),  # a "virtual visits" line is not visits
    ),
    Metric(
        "loans",
        "Loans",
        "外借册次",
        "Physical items lent, renewals included.",
        "实体文献外借册次（含续借）。",
        "IMLS PLS 553 (TOTCIR); ISO 2789 'loans'; 外借册次",
        "items",
        "int",
        True,
        "circulation",
        LOANS_ROW,
        dimensions=CIRCULATION_DIMS,
        system_lines=LOAN_LINES,
    ),
    Metric(
        "e_media_loans",
        "E-media loans",
        "数字资源借阅",
        "Loans of e-books and other downloadable or online media, from the network's e-media lines (never "
        "counted in loans; only meaningful where an export gives such lines).",
        "电子书等数字资源的借阅（下载）次数，来自全网的数字资源行；不计入外借册次，仅在导出数据含此类行时有值。",
        "ISO 2789 'electronic content units downloaded'; IMLS PLS ELECCOLL use; 数字资源借阅",
        "items",
        "int",
        True,
        "circulation",
        LOANS_ROW,
        dimensions=CIRCULATION_DIMS,
        system_lines=(E_MEDIA,),
        service_points=False,
    ),
    Metric(
        "loans_initial",
        "Initial loans",
        "首借册次",
        "Physical items lent, renewals excluded.",
        "实体文献外借册次（不含续借）。",
        "ISO 2789 'initial loans'",
        "items",
        "int",
        True,
        "circulation",
        "f.checkouts",
        dimensions=CIRCULATION_DIMS,
        system_lines=LOAN_LINES,
    ),
    Metric(
        "renewals",
        "Renewals",
        "续借册次",
        "Loans renewed.",
        "续借册次。",
        "ISO 2789 'renewals'",
        "items",
        "int",
        True,
        "circulation",
        "f.renewals",
        dimensions=CIRCULATION_DIMS,
        system_lines=LOAN_LINES,
    ),
    Metric(
        "returns",
        "Returns",
        "归还册次",
        "Items returned.",
        "归还册次。",
        "circulation desk count",
        "items",
        "int",
        True,
        "circulation",
        "f.returns",
        dimensions=CIRCULATION_DIMS,
        system_lines=LOAN_LINES,
    ),
    Metric(
        "events",
        "Events held",
        "活动场次",
        "Sessions of programmes and activities held (planned-but-not-held excluded).",
        "已举办的活动场次（不含计划未举办）。",
        "IMLS PLS 600 (TOTPRO), by audience 601-605 and format 606-608; 活动场次",
        "sessions",
        "int",
        True,
        "events",
        "f.sessions",
        where=HELD,
        dimensions=EVENT_DIMS,
    ),
    Metric(
        "attendance",
        "Attendance",
        "参加人次",
        "People attending events in person (onsite and offsite); online attendance is separate.",
        "现场参加活动人次（馆内及馆外）；线上参与单独统计。",
        "IMLS PLS 610 (TOTATTEN); 参加人次",
        "people",
        "int",
        True,
        "events",
        "f.attendance",
        where=f"{HELD} AND {IN_PERSON}",
        dimensions=EVENT_DIMS,
    ),
    Metric(
        "online_attendance",
        "Online attendance",
        "线上参与人次",
        "People attending online events (views or participants as exported); never added to visits.",
        "线上活动参与人次，不计入到馆人次。",
        "IMLS PLS virtual program attendance; 线上参与人次",
        "people",
        "int",
        True,
        "events",
        "f.attendance",
        where=f"{HELD} AND f.format = 'online'",
        dimensions=EVENT_DIMS,
    ),
    Metric(
        "participation",
        "Participation",
        "参与人次",
        "Attendance plus online attendance: everyone who took part in an event held, in person or online.",
        "参与人次 = 参加人次（现场）+ 线上参与人次：已举办活动的全部参与者，无论现场还是线上。",
        "derived: PLS 610 + virtual program attendance; 参与人次 = 参加人次 + 线上参与人次",
        "people",
        "int",
        True,
        "events",
        "f.attendance",
        where=HELD,
        dimensions=EVENT_DIMS,
    ),
    Metric(
        "attendance_per_event",
        "Attendance per event",
        "场均参加人次",
        "Attendance (in person, as on the Attendance card) divided by the in-person sessions that reported "
        "attendance; online events count in neither.",
        "参加人次（现场，与“参加人次”口径相同）除以报告了人数的现场活动场次；线上活动不计入分子与分母。",
        "derived: PLS 610 / PLS 600 (in person)",
        "people per session",
        "dec1",
        True,
        "events",
        "f.attendance",
        "CASE WHEN f.attendance IS NOT NULL THEN f.sessions END",
        where=f"{HELD} AND {IN_PERSON}",
        compute="ratio",
        dimensions=EVENT_DIMS,
    ),
    Metric(
        "plan_completion",
        "Plan completion",
        "计划完成率",
        "Sessions held as a share of sessions planned (held plus planned-but-not-held).",
        "已举办场次占计划场次（已举办+计划未举办）的比例。",
        "计划完成率 = 已完成 / 计划",
        "%",
        "pct1",
        True,
        "events",
        f"CASE WHEN {HELD} THEN f.sessions ELSE 0 END",
        "CASE WHEN f.planned THEN greatest(coalesce(f.sessions, 0), 1) ELSE f.sessions END",
        scale=100.0,
        compute="ratio",
        dimensions=EVENT_DIMS,
    ),
    Metric(
        "volunteer_hours",
        "Volunteer hours",
        "志愿服务时长",
        "Hours of volunteer service recorded on events.",
        "活动记录的志愿服务小时数。",
        "志愿服务时长 (全国志愿服务信息系统)",
        "hours",
        "dec1",
        True,
        "events",
        "f.volunteer_hours",
        where=HELD,
        dimensions=EVENT_DIMS,
    ),
    Metric(
        "volunteers",
        "Volunteers",
        "志愿者人次",
        "Volunteer person-times on events.",
        "参与活动的志愿者人次。",
        "志愿者人次",
        "people",
        "int",
        True,
        "events",
        "f.volunteers",
        where=HELD,
        dimensions=EVENT_DIMS,
    ),
    Metric(
        "beneficiaries",
        "Beneficiaries",
        "受益人次",
        "People served by volunteer service activities.",
        "志愿服务受益人次。",
        "志愿服务受益人次",
        "people",
        "int",
        True,
        "events",
        "f.beneficiaries",
        where=HELD,
        dimensions=EVENT_DIMS,
    ),
    Metric(
        "satisfaction",
        "Satisfaction",
        "满意度",
        "Mean score normalised to 0-100 (score / scale maximum), weighted by responses (answers, not people).",
        "平均得分折算为百分制（得分/满分），按评价条数（回答数，非人数）加权。",
        "满意度 (mean score); ISO 11620 B.2.4.2 user satisfaction",
        SCORE_UNIT,
        "dec1",
        True,
        "surveys",
        compute="satisfaction",
        dimensions=("category", "audience"),
    ),
    Metric(
        "satisfied_share",
        "Share satisfied",
        "满意率",
        "Share of survey answers in the top two boxes (e.g. 4 or 5 of 5).",
        "问卷中选择最高两档（如5分制的4、5分）的比例。",
        "满意率 (top-two-box)",
        "%",
        "pct1",
        True,
        "surveys",
        compute="satisfaction",
        dimensions=("category", "audience"),
    ),
    Metric(
        "responses",
        "Responses",
        "评价人次",
        "Answers behind the satisfaction scores, not people: each survey answer and each rating an event "
        "reports is one response, so one person who answers twice counts twice.",
        "满意度得分所依据的评价条数（不是人数）：每一份问卷回答、每一条活动评价各计一次，同一人回答两次计两次。",
        "sample size n",
        "responses",
        "int",
        True,
        "surveys",
        compute="satisfaction",
        dimensions=("category", "audience"),
    ),
    Metric(
        "new_registrations",
        "New registered users",
        "新增持证读者",
        "Library cards issued to new users.",
        "新办理读者证的人数。",
        "IMLS PLS REGBOR (registered users); 新增持证读者",
        "users",
        "int",
        True,
        "measures",
        "f.value",
        where="f.measure = 'new_registrations'",
    ),
    Metric(
        "complaints_received",
        "Complaints received",
        "收到投诉",
        "Complaints received.",
        "收到的投诉件数。",
        "投诉受理数",
        "complaints",
        "int",
        False,
        "measures",
        "f.value",
        where="f.measure = 'complaints_received'",
    ),
    Metric(
        "complaint_resolution_rate",
        "Complaint resolution rate",
        "投诉办结率",
        "Complaints resolved as a share of complaints received.",
        "已办结投诉占收到投诉的比例。",
        "投诉办结率",
        "%",
        "pct1",
        True,
        "measures",
        "CASE WHEN f.measure = 'complaints_resolved' THEN f.value END",
        "CASE WHEN f.measure = 'complaints_received' THEN f.value END",
        where="f.measure IN ('complaints_resolved', 'complaints_received')",
        scale=100.0,
        compute="ratio",
    ),
    Metric(
        "minors_share",
        "Share of visits by minors",
        "未成年人占比",
        "Visits by minors as a share of all visits, where the export gives the minors segment.",
        "未成年人到馆（参观）人次占总人次的比例（仅统计提供该分项的场馆）。",
        "segment share; 未成年人观众占比",
        "%",
        "pct1",
        True,
        "visits",
        "CASE WHEN f.audience = 'minors' THEN f.visits END",
        "CASE WHEN f.audience = 'all' AND f.branch_id IN "
        "(SELECT branch_id FROM visits WHERE audience = 'minors') THEN f.visits END",
        where="f.audience IN ('all', 'minors')",
        scale=100.0,
        compute="ratio",
    ),
    Metric(
        "visits_per_capita",
        "Visits per capita",
        "人均到馆次数",
        "Visits divided by the service population of the branches that report both.",
        "到馆人次除以服务人口（仅统计同时有人口数据的场馆）。",
        "IMLS PLS visits per capita (VISITS / POPU_LSA)",
        "visits per person",
        "dec2",
        True,
        "visits",
        compute="per_capita",
        base="visits",
    ),
    Metric(
        "loans_per_capita",
        "Loans per capita",
        "人均外借册次",
        "Loans divided by the service population of the branches that report both.",
        "外借册次除以服务人口（仅统计同时有人口数据的场馆）。",
        "IMLS PLS circulation per capita (TOTCIR / POPU_LSA)",
        "items per person",
        "dec2",
        True,
        "circulation",
        compute="per_capita",
        base="loans",
    ),
    Metric(
        "target_attainment",
        "Visits target attainment",
        "到馆人次目标完成率",
        "Visits so far in the year as a share of the year's visits target.",
        "年内累计到馆人次占年度目标的比例。",
        "目标完成率 = 实际 / 目标",
        "%",
        "pct1",
        True,
        "visits",
        compute="target",
        base="visits",
    ),
    Metric(
        "loans_target_attainment",
        "Loans target attainment",
        "外借目标完成率",
        "Loans so far in the year as a share of the year's loans target.",
        "年内累计外借册次占年度目标的比例。",
        "目标完成率 = 实际 / 目标",
        "%",
        "pct1",
        True,
        "circulation",
        compute="target",
        base="loans",
    ),
    Metric(
        "events_target_attainment",
        "Events target attainment",
        "活动场次目标完成率",
        "Events held so far in the year as a share of the year's events target.",
        "年内累计举办活动场次占年度目标的比例。",
        "目标完成率 = 实际 / 目标",
        "%",
        "pct1",
        True,
        "events",
        compute="target",
        base="events",
    ),
    Metric(
        "attendance_target_attainment",
        "Attendance target attainment",
        "参加人次目标完成率",
        "Attendance so far in the year as a share of the year's attendance target.",
        "年内累计现场参加人次占年度目标的比例。",
        "目标完成率 = 实际 / 目标",
        "%",
        "pct1",
        True,
        "events",
        compute="target",
        base="attendance",
    ),
    Metric(
        "new_registrations_target_attainment",
        "New registrations target attainment",
        "新增持证目标完成率",
        "New registered users so far in the year as a share of the year's target.",
        "年内累计新增持证读者占年度目标的比例。",
        "目标完成率 = 实际 / 目标",
        "%",
        "pct1",
        True,
        "measures",
        compute="target",
        base="new_registrations",
    ),
)

BY_ID = {m.id: m for m in METRICS}
BASE_DIMENSIONS = ("branch", "district", "kind")


def get(metric_id: str) -> Metric:
    """The metric with this id; KeyError lists the known ids."""
    try:
        return BY_ID[metric_id]
    except KeyError:
        raise KeyError(f"unknown metric {metric_id!r}; known: {', '.join(BY_ID)}") from None


def dimensions(metric: Metric) -> tuple[str, ...]:
    """The --by values this metric can be broken down by."""
    base = BY_ID[metric.base] if metric.base else metric
    return BASE_DIMENSIONS + base.dimensions


def breakdowns(metric: Metric) -> tuple[str, ...]:
    """Every --by value: the dimensions, whose parts add up to the whole, and for the satisfaction metrics
    `question`: one figure per survey question, beside the whole (which counts one question), not its parts."""
    return dimensions(metric) + (("question",) if metric.compute == "satisfaction" else ())


def label(metric: Metric, lang: str = "en") -> str:
    return metric.label_zh if lang == "zh" else metric.label_en
