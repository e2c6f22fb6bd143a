"""English and Simplified Chinese: every UI string, and numbers in each language's convention (万 in Chinese)."""

from __future__ import annotations

import streamlit as st

from metrics import display
from metrics.registry import Metric

LANGS = {"en": "English", "zh": "简体中文"}

# key -> (English, 中文). Every visible string of the dashboard lives here.
STRINGS: dict[str, tuple[str, str]] = {
    "app_title": ("Public service KPIs", "公共文化服务指标"),
    "overview": ("Overview", "总览"),
    "branches": ("Branches", "分馆"),
    "events": ("Events & programmes", "活动"),
    "satisfaction": ("Satisfaction", "满意度"),
    "data": ("Data", "数据"),
    "report": ("Report", "年度报告"),
    "report_year": ("Year", "年度"),
    "fiscal_year_label": ("FY{start}/{end:02d}", "{start}/{end:02d}财年"),
    "report_language": ("Report language", "报告语言"),
    "report_scope_note": (
        "The report covers the whole chosen year; the sidebar's branches, districts and kinds apply, its dates do "
        "not. Every figure equals the dashboard's and is traced in the appendix.",
        "报告统计所选年度全年；侧栏的分馆、区域和类型筛选适用，日期筛选不适用。每个数据均与仪表盘一致，来源见附录。",
    ),
    "report_no_figures": ("No figures for {year} in this view.", "此视图下{year}年没有数据。"),
    "report_files_failed": (
        "The Word and PDF files could not be made: {reason}",
        "无法生成 Word 和 PDF 文件：{reason}",
    ),
    "prepare_files": ("Prepare Word and PDF", "生成 Word 和 PDF"),
    "download_docx": ("Word", "Word 文档"),
    "download_pdf": ("PDF", "PDF 文件"),
    "download_md": ("Markdown", "Markdown 文本"),
    "download_trace": ("Figure trace (JSON)", "数据来源（JSON）"),
    "download_plan": ("Plan sheet {year}", "{year}年计划表"),
    "plan_help": (
        "Next year's targets suggested from the trend (last complete year × (1 + average growth of up to three "
        "years), three significant figures). Edit them, then import the file on the Data page as targets.",
        "按趋势测算的下一年度目标（最近完整年度 ×（1 + 近三年平均增长率），保留三位有效数字）。"
        "修改后可在数据页导入为目标。",
    ),
    "language": ("Language", "语言"),
    "filters": ("Filters", "筛选"),
    "period": ("Period", "时间范围"),
    "this_year": ("This year", "本年"),
    "last_year": ("Last full year", "上一完整年度"),
    "ytd": ("Year to date", "年初至今"),
    "last_12m": ("Last 12 months", "近12个月"),
    "custom": ("Custom", "自定义"),
    "from": ("From", "起"),
    "to": ("To", "止"),
    "fiscal_start": ("Year starts in", "年度起始月"),
    "calendar_year": ("January (calendar year)", "1月（自然年）"),
    "month_n": ("Month {n}", "{n}月"),
    "comparison": ("Comparison", "对比"),
    "yoy": ("Year over year", "同比"),
    "none": ("None", "不对比"),
    "kinds": ("Service point types", "服务点类型"),
    "districts": ("Districts", "区域"),
    "branch_pick": ("Branches (with their reading rooms)", "分馆（含下属图书室）"),
    "categories": ("Event categories", "活动类别"),
    "audiences": ("Audiences", "服务对象"),
    "formats": ("Formats", "活动形式"),
    "like_for_like": ("Like-for-like branches only", "仅同口径分馆"),
    "reset": ("Reset filters", "重置筛选"),
    "share_link": ("Link to this view", "本视图链接"),
    "all": ("All", "全部"),
    "as_of": ("Data as of {date}", "数据截至 {date}"),
    "partial_note": (
        "{period} is partial (to {end}); it is compared with the same dates a year earlier.",
        "{period} 为不完整周期（截至 {end}），与上年同期对比。",
    ),
    "no_data": ("No data for this selection.", "当前筛选条件下没有数据。"),
    # Reporting completeness (data/completeness.py).
    "reported_so_far": (
        "{metric}: {reported} of {expected} branches have reported {period}; the comparison ends {end}. "
        "Not reported yet: {missing}.",
        "{metric}：{expected} 个服务点中已有 {reported} 个报送了{period}的数据，对比截至 {end}。尚未报送：{missing}。",
    ),
    "reported_partial": (
        "{metric}: {reported} of {expected} branches have reported {period}; it is counted as a partial period. "
        "Not reported yet: {missing}.",
        "{metric}：{expected} 个服务点中已有 {reported} 个报送了{period}的数据，该周期按不完整周期计。"
        "尚未报送：{missing}。",
    ),
    "and_more": (" and {count} more", " 等，另有 {count} 个"),
    "complete_through": ("Complete through", "数据完整至"),
    "behind": ("Not reported yet", "尚未报送"),
    "completeness_title": ("Reporting completeness", "报送完整性"),
    "completeness_help": (
        "A branch is expected in a month when it is open and reported in any of the three months before. The "
        "comparisons end on the last day every expected branch has reported.",
        "服务点在某月开放且前三个月中任一月份有报送，即视为该月应报送。对比截至所有应报送服务点均已报送的最后一天。",
    ),
    "table": ("Table", "数据表"),
    "reported_count": ("Reported / expected", "已报送 / 应报送"),
    "table_visits": ("Visits", "到馆人次"),
    "table_circulation": ("Circulation", "流通"),
    "table_measures": ("Other measures", "其他指标"),
    "no_database": (
        "No database yet. Import exports on the Data page or with `python -m data import`.",
        "尚无数据库。请在“数据”页面或用 `python -m data import` 导入。",
    ),
    "database_damaged": (
        "The database cannot be read safely, so no figures are shown.",
        "数据库无法安全读取，因此不显示任何数字。",
    ),
    "import_not_written": ("The import was not saved; the data is as it was.", "导入未保存，数据保持不变。"),
    "vs_prior": ("vs same period last year", "较上年同期"),
    "target_reached": ("{pct} of this year's target", "已完成年度目标的 {pct}"),
    "trend_metric": ("Indicator", "指标"),
    "monthly_trend": ("{metric} by month: this period and a year earlier", "{metric}逐月：本期与上年同期"),
    "this_period": ("This period", "本期"),
    "prior_period": ("A year earlier", "上年同期"),
    "month": ("Month", "月份"),
    "satisfaction_trend": ("Satisfaction by month (95% confidence band)", "满意度逐月（95%置信区间）"),
    "low_confidence": ("fewer than 30 responses", "回复少于30"),
    "download_csv": ("CSV", "CSV"),
    "download_xlsx": ("Excel", "Excel"),
    "ranking": ("Ranking", "排名"),
    "branch": ("Branch", "分馆"),
    "value": ("Value", "数值"),
    "prior_value": ("A year earlier", "上年同期"),
    "yoy_pct": ("YoY %", "同比 %"),
    "share": ("Share %", "占比 %"),
    "per_capita": ("Per capita", "人均"),
    "quality_flag": ("Data check", "数据核查"),
    "contribution": ("Contribution to the change", "对变化的贡献"),
    "change": ("Change", "变化"),
    "small_multiples": ("Each branch by month", "各分馆逐月"),
    "drill_down": ("One branch", "单馆详情"),
    "choose_branch": ("Branch", "分馆"),
    "its_events": ("Its events", "该馆活动"),
    "by_category": ("By category", "按类别"),
    "by_audience": ("By audience", "按服务对象"),
    "by_format": ("By format", "按形式"),
    "sessions": ("Sessions", "场次"),
    "satisfaction_by": ("Satisfaction by {what}", "满意度：按{what}"),
    "distribution": ("Scores given", "评分分布"),
    "survey_question": ("Survey question", "问卷题目"),
    "question_shown": ("Scores for the question: {question}", "以下为该题目的评分：{question}"),
    "score": ("Score", "得分"),
    "upload": ("Import exports", "导入数据"),
    # System-wide lines (issue 12): renewal channels, e-media and other channels, network-level rows
    "system_lines_title": (
        "System-wide lines: network-level rows, not branches; never ranked or shown per branch",
        "全网系统线：全网层级的数据行，不是分馆；不参与排名，也不在分馆视图中出现",
    ),
    "line_name": ("Line", "名称"),
    "line_type": ("Type", "类型"),
    "line_total": ("Total", "合计"),
    "line_counted": ("How the network's figures count it", "全网指标如何统计"),
    "line_type_renewals": ("Renewal channel", "续借渠道"),
    "line_type_e_media": ("E-media", "数字资源"),
    "line_type_other": ("Other channel", "其他服务渠道"),
    "line_how_renewals": ("In the network's loans, as renewals", "计入全网外借册次（作为续借）"),
    "line_how_e_media": ("Not in loans: a metric of its own, e-media loans", "不计入外借册次：单独统计为数字资源借阅"),
    "line_how_loans": ("In the network's loans", "计入全网外借册次"),
    "line_how_visits": ("Not in visits (not a place people visit)", "不计入到馆人次（不是读者到访的场所）"),
    "line_how_network": ("In the network's totals, never in a branch's", "计入全网合计，不计入任何分馆"),
    "upload_help": (
        "CSV exports or Excel workbooks (.xlsx, .xls: every sheet that holds data); the same checks as "
        "`python -m data import`. A file with errors writes nothing.",
        "CSV 导出文件或 Excel 工作簿（.xlsx、.xls：导入每个含数据的工作表）；与 `python -m data import` 相同的检查。"
        "有错误的文件不会写入任何数据。",
    ),
    "allow_new": ("Create branches for unknown names", "为未知名称新建分馆"),
    "quarantine": ("Load good rows, set bad rows aside", "导入正确行，隔离错误行"),
    "import_button": ("Import", "导入"),
    "loaded_tables": ("What is loaded", "已导入数据"),
    "import_history": ("Import history", "导入记录"),
    "rejected_rows": ("Rejected rows", "被拒绝的行"),
    "quality": ("Data checks", "数据核查"),
    "definitions": ("What each indicator means", "指标说明"),
    "definition": ("Definition", "定义"),
    "reference": ("Reference", "依据"),
    "unit": ("Unit", "单位"),
    "no_findings": ("No data problems found.", "未发现数据问题。"),
    "flagged": ("flagged", "有核查提示"),
    "responses": ("Responses", "回复数"),
    "grain": ("By", "粒度"),
    "grain_month": ("Month", "月"),
    "grain_quarter": ("Quarter", "季度"),
    "grain_year": ("Year", "年"),
    # Sign-in (pages/_auth.py)
    "sign_in_title": ("Sign in", "登录"),
    "user_name": ("User name", "用户名"),
    "password": ("Password", "密码"),
    "sign_in": ("Sign in", "登录"),
    "sign_in_provider": ("Sign in with your organisation's account", "使用单位账号登录"),
    "sign_in_failed": ("Wrong user name or password.", "用户名或密码错误。"),
    "no_access": (
        "The account {email} has no access to this dashboard. Ask a director to add it.",
        "账号 {email} 无权访问本看板，请联系管理员添加。",
    ),
    "users_config_error": (
        "Sign-in is configured but the users file cannot be used; the server log says why.",
        "已启用登录，但用户配置文件无法使用；原因见服务器日志。",
    ),
    "signed_in_as": ("Signed in as {name} ({role})", "当前用户：{name}（{role}）"),
    "sign_out": ("Sign out", "退出登录"),
    "role_director": ("director", "馆长"),
    "role_supervisor": ("supervisor", "分馆主管"),
    "role_viewer": ("viewer", "只读"),
    # One definition everywhere; deltas in the same units (issue 11)
    "points_share": ("{value} pts", "{value}个百分点"),  # change of a share (%): percentage points
    "points_score": ("{value} pts", "{value}分"),  # change of a 0-100 score: points of the score
    "responses_note": (
        "Responses are answers, not people: each survey answer and each rating an event reports counts once. "
        "The distribution below shows the survey answers only.",
        "评价人次按回答条数计，不是人数：每一份问卷回答、每一条活动评价各计一次。下方的评分分布只含问卷回答。",
    ),
    "survey_answers": ("Survey answers", "问卷回答条数"),
    # Taking an import back (pages/_imports.py, data/remove.py)
    "remove_title": ("Take an import back", "撤销导入"),
    "remove_pick": ("Import to remove", "要撤销的导入"),
    "remove_ask": ("Remove this import…", "撤销此次导入…"),
    "remove_confirm_text": (
        "Removing this import takes {rows} rows out of the database, as listed below. The import stays in the "
        "history, marked removed; importing the file again loads it again.",
        "撤销此次导入将从数据库中删除 {rows} 行，明细如下。该导入仍保留在导入记录中并标为已撤销；"
        "再次导入该文件会重新载入。",
    ),
    "remove_confirm": ("Yes, remove it", "确认撤销"),
    "remove_cancel": ("Cancel", "取消"),
    "remove_done": (
        "The import was removed: {rows} rows left the database.",
        "已撤销该导入：从数据库中删除了 {rows} 行。",
    ),
    "remove_nothing": ("No import can be removed.", "没有可撤销的导入。"),
    "remove_not_written": ("The removal was not saved; the data is as it was.", "撤销未保存，数据保持不变。"),
    "remove_in_use": (
        "This branch list cannot be removed: {rows} rows of other files still name its branches. Remove those "
        "imports first.",
        "无法撤销此分馆名单：其他文件仍有 {rows} 行引用其中的分馆。请先撤销那些导入。",
    ),
    "remove_changed": (
        "This import can no longer be removed (it was removed or replaced meanwhile); the history shows the "
        "current state.",
        "此导入已无法撤销（期间已被撤销或替换）；导入记录显示的是当前状态。",
    ),
    "remove_table": ("Table", "数据表"),
    "remove_rows": ("Rows", "行数"),
    "import_status_active": ("in use", "使用中"),
    "import_status_replaced": ("replaced by a later version", "已被新版本替换"),
    "import_status_removed": ("removed", "已撤销"),
    "import_table_visits": ("Visits", "到馆人次"),
    "import_table_circulation": ("Loans", "外借"),
    "import_table_circulation_daily": ("Daily loan totals", "外借日汇总"),
    "import_table_events": ("Events", "活动"),
    "import_table_surveys": ("Survey answers", "问卷回答"),
    "import_table_targets": ("Targets", "目标"),
    "import_table_measures": ("Other counts", "其他指标"),
    "import_table_rejected_rows": ("Rejected rows", "被拒绝的行"),
    "import_table_branches": ("Branches", "分馆"),
    "import_table_branch_aliases": ("Branch spellings", "分馆别名"),
    "layout_long": ("long", "长表"),
    "layout_wide": ("wide", "宽表"),
    "layout_transactions": ("transactions", "流水明细"),
    "layout_branch_columns": ("branches as columns", "分馆按列"),
    "layout_question_columns": ("questions as columns", "题目按列"),
    "history_import_id": ("Import", "导入编号"),
    "history_status": ("Status", "状态"),
    "history_imported_at": ("Imported", "导入时间"),
    "history_removed_at": ("Removed", "撤销时间"),
    "history_source_file": ("File", "文件"),
    "history_kind": ("Kind", "类型"),
    "history_layout": ("Layout", "版式"),
    "history_rows_read": ("Rows read", "读取行数"),
    "history_rows_accepted": ("Accepted", "接受行数"),
    "history_rows_skipped": ("Skipped", "跳过行数"),
    "history_rows_rejected": ("Rejected", "拒绝行数"),
    "history_date_min": ("From", "起始日期"),
    "history_date_max": ("To", "截止日期"),
    # Sign-in kept by a cookie, rate-limited (pages/_auth.py, metrics/sessions.py; issue 16 items 1-2)
    "sign_in_wait": (
        "Too many failed sign-ins. Try again in {seconds} s.",
        "登录失败次数过多，请在 {seconds} 秒后重试。",
    ),
    "signing_in": ("Signing in…", "正在登录…"),
    "sign_in_needs_server": (
        "Sign-in is configured but the dashboard was started without its sign-in server; the server log says why.",
        "已启用登录，但看板未通过其登录服务器启动；原因见服务器日志。",
    ),
    # Hardening (issue 16): hand-made links, upload names, names outside a user's scope
    "link_ignored": (
        "Some values in this link were not valid and were ignored: {names}. The view shows the defaults instead.",
        "链接中的部分参数无效，已忽略：{names}。相应筛选已恢复为默认值。",
    ),
    "dates_reversed": (
        "The custom period ends before it starts: choose a 'To' date on or after the 'From' date.",
        "自定义时间范围的结束日期早于开始日期：请选择不早于“起”的“止”日期。",
    ),
    "upload_name_refused": (
        "This file was not imported: its name is too long ({length} characters; at most {limit}, or {limit_zh} "
        "Chinese characters) or holds control characters. Rename it and upload it again.",
        "此文件未导入：文件名过长（{length} 个字符；最多 {limit} 个，中文最多 {limit_zh} 个）或含控制字符。"
        "请重命名后重新上传。",
    ),
    # --- programme evaluation (issue 14)
    "prog_page": ("Programme evaluation", "项目评估"),
    "prog_intro": (
        "Satisfaction, participation, loans and complaint handling before, during and after a programme, each "
        "with its 95% interval and a test of whether the change is more than chance. The sidebar's branches "
        "apply; its dates and event filters do not.",
        "项目开展之前、期间和之后的满意度、参与人次、外借册次和投诉办结率，均附95%区间，并检验变化是否超出偶然波动。"
        "侧栏的分馆筛选适用，日期和活动筛选不适用。",
    ),
    "prog_kind": ("Choose by", "选择方式"),
    "prog_kind_programme": ("Named programme", "命名项目"),
    "prog_kind_category": ("Event category", "活动类别"),
    "prog_kind_audience": ("Audience", "服务对象"),
    "prog_value": ("Programme", "项目"),
    "prog_scope": ("Events counted", "统计哪些活动"),
    "prog_scope_audience": ("All events for its audience", "同一服务对象的全部活动"),
    "prog_scope_own": ("Its own events only", "仅项目自身的活动"),
    "prog_from": ("Start", "开始日期"),
    "prog_to": ("End", "结束日期"),
    "prog_before_months": ("Months before", "之前的对比月数"),
    "prog_same_length": ("As long as the programme", "与项目同长"),
    "prog_n_months": ("{n} months", "{n}个月"),
    "prog_one_month": ("1 month", "1个月"),
    "prog_patron": ("Loans of patron category", "外借统计的读者类型"),
    "prog_all_loans": ("All loans", "全部外借"),
    "prog_nothing": (
        "There is no programme, event category or audience in the data to evaluate yet.",
        "数据中还没有可评估的项目、活动类别或服务对象。",
    ),
    "prog_dates_reversed": (
        "The end is before the start: choose an end on or after the start.",
        "结束日期早于开始日期：请选择不早于开始日期的结束日期。",
    ),
    "prog_what_programme": ("Events counted: those of the programme {name}.", "统计的活动：项目“{name}”的活动。"),
    "prog_what_audience": ("Events counted: all events for {name}.", "统计的活动：面向{name}的全部活动。"),
    "prog_what_category": ("Events counted: all events of the category {name}.", "统计的活动：{name}类的全部活动。"),
    "prog_spans": (
        "In whole months: before {before}, during {during}, after {after}.",
        "按整月计：之前 {before}，期间 {during}，之后 {after}。",
    ),
    "prog_own_note": (
        "A programme's own events usually have no 'before': to compare the same people before and during it, "
        "count all events for its audience.",
        "项目自身的活动通常没有“之前”可比：如需对比同一人群在项目前后的变化，请改为统计同一服务对象的全部活动。",
    ),
    "prog_before": ("Before", "之前"),
    "prog_during": ("During", "期间"),
    "prog_after": ("After", "之后"),
    "prog_score": ("{label} (0-100)", "{label}（百分制）"),
    "prog_monthly_mean": ("{label} (a month, on average)", "{label}（月均）"),
    "prog_interval": ("95% interval {low}–{high}", "95%区间 {low}–{high}"),
    "prog_responses": ("{n} responses", "{n}条评价"),
    "prog_months_with_data": ("{n} months", "{n}个月"),
    "prog_partial": ("partial: data for {months} of {of} months", "不完整：{of}个月中仅{months}个月有数据"),
    "prog_no_value": ("no data", "无数据"),
    "prog_during_words": ("During against before: {words}.", "期间对比之前：{words}。"),
    "prog_after_words": ("After against before: {words}.", "之后对比之前：{words}。"),
    "prog_test_note": (
        "The test is Welch's t-test: on the individual ratings for satisfaction (an event's rating counts once "
        "per response), on the monthly values for the others. 'Unlikely to be chance' means p < 0.05.",
        "检验方法为韦尔奇t检验：满意度按每条评价计算（活动的平均分按评价人数计），其余指标按逐月数值计算。"
        "“不太可能是偶然”指 p < 0.05。",
    ),
    "prog_chart": ("By month: before, during and after (shaded)", "逐月变化：之前、期间、之后（阴影标示）"),
    "prog_table": ("All figures", "全部数据"),
    "prog_col_measure": ("Measure", "指标"),
    "prog_col_span": ("Span", "时段"),
    "prog_col_months": ("Months", "月份"),
    "prog_col_value": ("Value", "数值"),
    "prog_col_interval": ("95% interval", "95%区间"),
    "prog_col_n": ("Responses or months", "评价数或月数"),
    "prog_col_change": ("Against before", "与之前相比"),
    "prog_col_low": ("95% low", "95%下限"),
    "prog_col_high": ("95% high", "95%上限"),
    "prog_col_partial": ("Partial", "不完整"),
    "prog_col_p": ("p-value", "p值"),
    "prog_yes": ("yes", "是"),
}


CODES = display.CODES  # codes stored in the data, shown in either language (metrics/display.py)


def code_label(code: str, language: str | None = None) -> str:
    """A stored code as shown: known codes translated, others with underscores as spaces."""
    return display.code_label(code, language or lang())


def code_labels(codes) -> dict:
    """code -> label in the current language, for a widget's format_func (see labels())."""
    return {code: code_label(code) for code in codes}


def lang() -> str:
    """The language chosen in the sidebar ('en' or 'zh')."""
    return st.session_state.get("lang", "en")


def t(key: str, **values) -> str:
    """The string for `key` in the current language, with {placeholders} filled."""
    english, chinese = STRINGS[key]
    return (chinese if lang() == "zh" else english).format(**values)


def labels(keys) -> dict:
    """key -> string in the current language, for a widget's format_func.

    A format_func must not read the language when called: AppTest (and Streamlit itself) may call it
    outside the script run, where the session's language is not at hand. A dict's .get never does.
    """
    return {key: t(key) for key in keys}


def metric_labels(metric_ids) -> dict:
    """metric id -> label in the current language, for a widget's format_func."""
    from metrics.registry import get

    return {metric_id: metric_label(get(metric_id)) for metric_id in metric_ids}


def metric_label(metric: Metric) -> str:
    return metric.label_zh if lang() == "zh" else metric.label_en


def metric_help(metric: Metric) -> str:
    description = metric.description_zh if lang() == "zh" else metric.description_en
    return f"{description} ({metric.reference})"


def number(value, fmt: str = "int", language: str | None = None) -> str:
    """A value for display in the UI's language (metrics/display.py holds the rule)."""
    return display.number(value, fmt, language or lang())


def period_name(label: str, language: str | None = None) -> str:
    """A completeness period label (2026-11, 2026-Q4, 2026) in words: November 2026, 2026年11月."""
    return display.period_name(label, language or lang())


def join_names(names, language: str | None = None) -> str:
    """Names as a list in running text: "A, B" in English, "A、B" in Chinese."""
    return display.join_names(names, language or lang())


def long_date(day, language: str | None = None) -> str:
    """31 October 2026, 2026年10月31日."""
    return display.long_date(day, language or lang())


def percent_change(value) -> str:
    return display.signed_percent(value)


def point_change(value, metric: Metric) -> str:
    """A change of a share or a 0-100 score, in points: "+1.2 pts"; in Chinese 个百分点 for a share, 分 for a
    score. Empty when there is no change to tell."""
    if display.missing(value):
        return ""
    if metric.unit == "%":
        return t("points_share", value=f"{value:+.1f}")
    return t("points_score", value=f"{value:+.1f}")


def change_text(metric: Metric, change, yoy_pct) -> str:
    """The change against a year earlier in the metric's own units: points for shares and scores
    (metric.change_in_points), percent for counts and other figures. Empty when there is none."""
    return point_change(change, metric) if metric.change_in_points else percent_change(yoy_pct)
