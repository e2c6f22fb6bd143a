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
    # --- meeting flow: click to open, years, one branch's cards (issue 14)
    "click_to_open": (
        "Click a row, or a bar of the chart below, to open that branch in detail.",
        "点击表格中的一行或下方图表中的柱条，即可查看该分馆详情。",
    ),
    "click_to_filter": (
        "Click a bar to filter the whole view to it (the sidebar and the link follow).",
        "点击柱条即可将整个视图筛选到该项（侧栏和链接随之更新）。",
    ),
    "multi_year": ("{metric} by year", "{metric}（按年）"),
    "previous": ("Period just before", "上一时段（环比）"),
    "compare_from": ("Compare with the period starting", "对比时段起始日"),
    "compare_from_help": (
        "The comparison period has the same length as the chosen one and starts this many whole months earlier.",
        "对比时段与所选时段等长，向前平移整月。",
    ),
    "compare_from_missing": (
        "Choose a comparison start before the period's start (in an earlier month); until then nothing is compared.",
        "请选择早于所选时段（更早月份）的对比起始日；选好之前不作对比。",
    ),
    "vs_window": ("vs {start} – {end}", "较{start}—{end}"),
    "multi_year_partial": ("{year}: {months} only", "{year}：仅含{months}"),
    "year_axis": ("Year", "年度"),
    "branch_cards": ("{name}: its own figures", "{name}：本馆指标"),
    # --- downloads: readable headers and the view line (issue 14)
    "dl_note_period": ("{start} to {end}", "{start}至{end}"),
    "dl_note_compared": ("compared with the same period a year earlier", "与上年同期比较"),
    "dl_note_not_compared": ("no comparison", "不比较"),
    "dl_note_fiscal": ("year starting in month {month}", "年度自{month}月起"),
    "dl_yes": ("yes", "是"),
    "dl_no": ("no", "否"),
    "dl_col_period_start": ("Start", "开始日期"),
    "dl_col_period_end": ("End", "结束日期"),
    "dl_col_value": ("Value", "数值"),
    "dl_col_partial": ("Partial period", "不完整期"),
    "dl_col_share_of_change": ("Share of the change %", "对变化的贡献 %"),
    "dl_col_rank": ("Rank", "排名"),
    "dl_col_district": ("District", "区域"),
    "dl_col_kind": ("Service point type", "服务点类型"),
    "dl_col_category": ("Category", "活动类别"),
    "dl_col_audience": ("Audience", "服务对象"),
    "dl_col_format": ("Format", "活动形式"),
    "dl_col_question": ("Question", "问题"),
    "dl_col_sessions": ("Events held", "活动场次"),
    "dl_col_participation": ("Participation", "参与人次"),
    "dl_col_responses": ("Responses", "评价人次"),
    "dl_col_mean": ("Mean score (0-100)", "平均分（0-100）"),
    "dl_col_ci_low": ("95% interval, low", "95%置信区间下限"),
    "dl_col_ci_high": ("95% interval, high", "95%置信区间上限"),
    "dl_col_satisfied_share": ("Share satisfied %", "满意率 %"),
    "dl_col_satisfied_ci_low": ("Share satisfied, interval low", "满意率区间下限"),
    "dl_col_satisfied_ci_high": ("Share satisfied, interval high", "满意率区间上限"),
    "dl_col_low_confidence": ("Under 30 responses", "评价不足30条"),
    "dl_col_sources": ("Sources", "来源"),
    "dl_col_score": ("Score", "分数"),
    "dl_col_count": ("Count", "数量"),
    # --- targets (issue 14)
    "tgt_caption": (
        "{pct} of the year's target · expected by now {expected} ({pace})",
        "完成年度目标的{pct} · 按进度应完成{expected}（{pace}）",
    ),
    "tgt_ahead": ("ahead {points} pts", "超前{points}个百分点"),
    "tgt_behind": ("behind {points} pts", "落后{points}个百分点"),
    "tgt_on_track": ("on track", "与进度持平"),
    "tgt_level_reached": ("Year's target {target}: reached", "年度目标{target}：已达到"),
    "tgt_level_short": ("Year's target {target}: not reached, {gap} short", "年度目标{target}：未达到，差{gap}"),
    "tgt_help_last_year": (
        "Expected by now: the share of last year's whole-year figure reached by the same day last year, so that "
        "last year's busy and quiet months weigh the year.",
        "按进度应完成：上年同一日期累计值占上年全年的比例，按上年各月的淡旺季加权。",
    ),
    "tgt_help_days": (
        "Expected by now: the share of the year's days gone (there is no whole last year to weigh the months by).",
        "按进度应完成：本年度已过天数的比例（没有完整的上年数据可用于按月加权）。",
    ),
    "tgt_help_level": (
        "A level to hold all year: the figure is compared with the year's target directly.",
        "全年应保持的水平：直接与年度目标比较。",
    ),
    "tgt_target": ("Target", "年度目标"),
    "tgt_attainment": ("Target attainment %", "目标完成率 %"),
    "tgt_expected": ("Expected by now %", "按进度应完成 %"),
    "tgt_ahead_pts": ("Ahead (+) / behind (−) pts", "超前（+）/落后（−）百分点"),
    # --- charts (issue 14)
    "chart_band_hover": (
        "{mean} (95% interval {low}–{high}; {n} responses)",
        "{mean}（95%置信区间 {low}–{high}；评价人次 {n}）",
    ),
    # --- Data page, import reports, data checks, errors (issue 14)
    "data_status_loaded": ("Loaded", "已导入"),
    "data_status_replaced": ("Replaced", "已替换"),
    "data_status_unchanged": ("Unchanged", "未变化"),
    "data_status_quarantined": ("Loaded, rows with problems set aside", "已导入，问题行已隔离"),
    "data_status_rejected": ("Rejected", "已拒绝"),
    "data_headline": ("{status}: {kind} ({layout}, {encoding})", "{status}：{kind}（{layout}，编码 {encoding}）"),
    "data_headline_parts": (
        "{status}: {count} kinds in one file ({kinds})",
        "{status}：一个文件含 {count} 类数据（{kinds}）",
    ),
    "data_counts": (
        "Rows read {read}; accepted {accepted}; skipped {skipped}; rejected {rejected}; {stored} rows of {kind} "
        "stored.",
        "读取 {read} 行；接受 {accepted} 行，跳过 {skipped} 行，拒绝 {rejected} 行；写入{kind} {stored} 行。",
    ),
    "data_skipped": ("Skipped {rows}: {reason} ({lines})", "跳过 {rows} 行：{reason}（{lines}）"),
    "data_more_skips": ("… and {count} more skip reasons ({rows} rows)", "……另有 {count} 种跳过原因（{rows} 行）"),
    "data_line": ("line {lines}", "第 {lines} 行"),
    "data_lines": ("lines {lines}", "第 {lines} 行"),
    "data_lines_more": ("lines {lines} and {more} more", "第 {lines} 行等，另有 {more} 行"),
    "data_whole_file": ("the whole file", "整个文件"),
    "data_blank_cells": (
        "Blank cells (not reported, stored as missing): {count}",
        "空白单元格（未报送，按缺失保存）：{count} 个",
    ),
    "data_branches_line": ("Branches: {matched} matched, {new} new", "分馆：匹配 {matched} 个，新建 {new} 个"),
    "data_new_branches": ("New branches: {names}", "新建分馆：{names}"),
    "data_dates_line": ("Dates: {start} to {end}", "日期：{start}至{end}"),
    "data_note": ("Note: {text}", "说明：{text}"),
    "data_ignored": ("Columns not read: {columns}", "未读取的列：{columns}"),
    "data_quarantine": ("Rows with problems written to {file}", "问题行已写入 {file}"),
    "data_problem_reason": ("Problem", "问题"),
    "data_problem_lines": ("Lines", "行号"),
    "data_problem_rows": ("Rows", "行数"),
    "data_problem_column": ("Column", "列"),
    "data_problem_value": ("Value", "值"),
    "data_problem_detail": ("Detail", "说明"),
    "data_more_cases": ("… and {count} more ({rows} rows)", "……另有 {count} 处（{rows} 行）"),
    "data_more_reasons": ("… and {count} more problems ({rows} rows)", "……另有 {count} 种问题（{rows} 行）"),
    # Problems of rows and files (data/reasons.py kinds); {text} is the importer's English when no kind fits.
    "data_reason_other": ("{text}", "原因：{text}"),
    "data_reason_unknown_branch": (
        "unknown branch: add it to the branch list, map it in a mapping file, or import with 'Create branches for "
        "unknown names'",
        "未知分馆：请将其加入分馆名单、在映射文件中对应，或勾选“为未知名称新建分馆”后导入",
    ),
    "data_reason_duplicate": ("duplicate of an earlier row (same key and values)", "与前面的行重复（键和数值都相同）"),
    "data_reason_conflicting_row": (
        "conflicts with an earlier row (same key, other values)",
        "与前面的行冲突（键相同，数值不同）",
    ),
    "data_reason_already_loaded": (
        "already loaded from another file for the same branch and period; importing both would double-count",
        "同一分馆和时期的数据已由另一文件导入，两者都导入会重复计算",
    ),
    "data_reason_future_date": ("date in the future", "日期晚于今天"),
    "data_reason_early_date": ("date before 1900", "日期早于1900年"),
    "data_reason_bad_date": (
        "not a date (expected e.g. 2024-01-31, 2024/1/31, 2024年1月31日, 2024-01)",
        "不是日期（应为 2024-01-31、2024/1/31、2024年1月31日、2024-01 等格式）",
    ),
    "data_reason_no_such_date": ("no such date ({date})", "不存在的日期（{date}）"),
    "data_reason_date_order": (
        "not a {order} date like the rest of the column (it reads only as {other})",
        "与本列其他日期的顺序（{order}）不同，只能按{other}读取",
    ),
    "data_reason_mixed_date_order": (
        "the column mixes day/month/year and month/day/year dates",
        "本列混有“日/月/年”和“月/日/年”两种顺序的日期",
    ),
    "data_reason_bad_month": (
        "not a month (expected e.g. 2024-03, 2024年3月)",
        "不是月份（应为 2024-03、2024年3月等格式）",
    ),
    "data_reason_ambiguous_month": (
        "a month name of several languages: write the month as a number",
        "月份名称有歧义：请用数字表示月份",
    ),
    "data_reason_month_without_year": (
        "a month without a year (add a year column, a year to the file name or to the mapping file)",
        "月份缺少年份（请添加年份列，或在文件名、映射文件中注明年份）",
    ),
    "data_reason_no_year": ("no year for this month", "该月份缺少年份"),
    "data_reason_bad_year": ("not a year", "不是年份"),
    "data_reason_bad_number": ("not a number", "不是数字"),
    "data_reason_scientific_number": (
        "a number in scientific notation (such as 1e9): export the full number",
        "数字为科学计数法（如 1e9）：请导出完整数字",
    ),
    "data_reason_negative": ("negative count", "负数（计数不能为负）"),
    "data_reason_not_whole": ("not a whole number", "不是整数"),
    "data_reason_too_large": ("implausibly large count", "计数大得不合理"),
    "data_reason_bad_bool": ("expected true/false (yes/no, planned/held)", "应为是或否（计划 / 已举办）"),
    "data_reason_bad_choice": ("unknown {what} (expected one of {choices})", "无法识别的{what}（应为：{choices}）"),
    "data_reason_formula": (
        "not a {what}: a spreadsheet formula (starts with =, +, -, @ or a tab)",
        "{what}不能是电子表格公式（以 =、+、-、@ 或制表符开头）",
    ),
    "data_reason_long_name": ("not a branch name: {length} characters long", "不是分馆名称：长达 {length} 个字符"),
    "data_reason_lookalike_name": (
        "not a branch name: a word mixes Latin letters with look-alikes from another script",
        "不是分馆名称：拉丁字母中混有其他文字的形近字符",
    ),
    "data_reason_markup_name": ("not a branch name: HTML or script markup", "不是分馆名称：含网页或脚本标记"),
    "data_reason_control_name": (
        "not a branch name: control or text-direction characters",
        "不是分馆名称：含控制字符或文字方向字符",
    ),
    "data_reason_above_scale": ("above the scale maximum {scale}", "高于量表满分 {scale}"),
    "data_reason_no_scale": (
        "no scale maximum: add a scale_max column or scale_max to a mapping file",
        "缺少量表满分：请添加“满分”列，或在映射文件中注明满分",
    ),
    "data_reason_no_action": ("no action", "缺少借还动作"),
    "data_reason_unknown_parent": ("unknown parent branch", "未知的上级馆"),
    "data_reason_branch_changed": (
        "the branch is already loaded with other details; changing a loaded branch is not supported (new branches "
        "and new aliases are)",
        "该分馆已按其他信息导入；不支持修改已导入的分馆（可新增分馆和别名）",
    ),
    "data_reason_code_taken": ("this code already names another branch", "该代码已用于另一分馆"),
    "data_reason_code_name_conflict": (
        "the code names branch {by_code} but the name names branch {by_name}: correct one of them, or map the name "
        "in a mapping file",
        "代码对应分馆 {by_code}，名称却对应分馆 {by_name}：请更正其一，或在映射文件中对应名称",
    ),
    "data_reason_sheet_overlap": (
        "sheet {sheet} of this workbook gives the same branch and period; importing both would double-count",
        "本工作簿的工作表 {sheet} 含同一分馆和时期的数据，两者都导入会重复计算（可只导入其中一个工作表）",
    ),
    "data_reason_cannot_read": ("cannot read file: {error}", "无法读取文件：{error}"),
    "data_reason_encoding": (
        "the text encoding cannot be read: save the export as CSV UTF-8, or name its encoding in a mapping file",
        "无法识别文件的文字编码：请另存为 CSV UTF-8，或在映射文件中注明编码",
    ),
    "data_reason_binary_file": (
        "not a CSV text export (a binary file); save the sheet as CSV UTF-8",
        "不是 CSV 文本导出文件（二进制文件）；请将表格另存为 CSV UTF-8",
    ),
    "data_reason_empty_file": ("empty file", "空文件"),
    "data_reason_no_header": ("no header row", "没有表头行"),
    "data_reason_no_data_rows": ("no data rows below the header", "表头下没有数据行"),
    "data_reason_missing_column": (
        "no column for {columns} (a {kind} export needs it)",
        "缺少必需的列：{columns}（{kind}数据需要此列）",
    ),
    "data_reason_no_branch_column": (
        "no branch column (e.g. Branch, Location, 分馆, 馆名); name it in a mapping file",
        "没有分馆列（如“分馆”“馆名”）；请在映射文件中指定",
    ),
    "data_reason_no_name_column": ("a branch list needs a name or code column", "分馆名单需要名称列或代码列"),
    "data_reason_unknown_kind": (
        "cannot tell what this file holds from its headers; name the kind in a mapping file",
        "无法从表头判断文件内容的类型；请在映射文件中指定",
    ),
    "data_reason_several_kinds": ("columns for several kinds ({kinds})", "含多类数据的列（{kinds}）；请指定数据类型"),
    "data_reason_head_broken": (
        "{broken} of the first {rows} rows cannot be imported (the rest was not read); nothing was written",
        "前 {rows} 行中有 {broken} 行无法导入（其余部分未读取）；未写入任何数据",
    ),
    "data_reason_not_a_workbook": ("not a readable Excel workbook", "不是可读取的 Excel 工作簿"),
    "data_reason_protected_workbook": (
        "the workbook is password-protected; save an unprotected copy and import that",
        "工作簿有密码保护；请另存一份无保护的副本再导入",
    ),
    # What the report says of the whole file
    "data_reason_rejected_rows": (
        "Rejected: {rows} row(s) with problems; nothing was written.",
        "已拒绝：{rows} 行有问题，未写入任何数据。",
    ),
    "data_reason_rejected_overlap": (
        "Rejected: rows already loaded from another file; nothing was written.",
        "已拒绝：部分行已由另一文件导入，未写入任何数据。",
    ),
    "data_reason_rejected_part": (
        "Rejected: {rows} row(s) with problems in the {kind} columns; nothing of this file was written.",
        "已拒绝：{kind}各列中有 {rows} 行有问题，本文件未写入任何数据。",
    ),
    "data_reason_rejected_with_file": (
        "Rejected with the rest of the file: the {kinds} columns have problems; nothing of this file was written.",
        "随整个文件一并拒绝：{kinds}各列有问题，本文件未写入任何数据。",
    ),
    "data_reason_unchanged_same": (
        "Already imported (same content and options as the current {source}); nothing changed.",
        "已导入过（与当前的 {source} 内容和选项相同），数据未变化。",
    ),
    "data_reason_unchanged_twin": (
        "Already imported as {source} (same content); nothing changed.",
        "相同内容已作为 {source} 导入过，数据未变化。",
    ),
    "data_reason_replaced_content": (
        "Replaced: the file's content changed since the last import; its earlier rows were removed.",
        "已替换：文件内容自上次导入后有变化，之前导入的行已删除。",
    ),
    "data_reason_replaced_options": (
        "Replaced: same content, but the mapping or options changed since the last import; its earlier rows were "
        "removed.",
        "已替换：内容相同，但映射或导入选项有变化，之前导入的行已删除。",
    ),
    "data_reason_sheet_rejected": (
        "Not imported: sheet {sheets} of this workbook was rejected; nothing from it was written.",
        "未导入：本工作簿的工作表 {sheets} 被拒绝，整个工作簿未写入任何数据。",
    ),
    # Why rows were skipped
    "data_reason_empty_row": ("empty row", "空行"),
    "data_reason_no_branch_name": ("no branch name", "缺少分馆名称"),
    "data_reason_totals_row": ("totals row", "合计行"),
    "data_reason_footnote_row": ("footnote row", "注释行"),
    "data_reason_signature_footer": ("signature footer", "签名栏"),
    "data_reason_blank_cells": ("no values reported (blank cells)", "未报送数值（空白单元格）"),
    "data_reason_other_action": (
        "action '{action}' is not a checkout, renewal or return",
        "借还动作“{action}”不是外借、续借或归还",
    ),
    # Notes on how a file was read
    "data_reason_kind_from_name": ("{kind}, as the file name says", "按文件名判断为{kind}数据"),
    "data_reason_kind_from_title": ("{kind}, as the title line says ({title})", "按标题行（{title}）判断为{kind}数据"),
    "data_reason_year_from_name": ("year {year} taken from the file name", "年份 {year} 取自文件名"),
    "data_reason_months_wrap": (
        "month columns wrap past December: later months read as the following year",
        "月份列跨过12月：之后的月份按下一年读取",
    ),
    "data_reason_rolled_up": ("rolled up to daily rows in one scan of the file", "已在一次读取中汇总为每日数据"),
    "data_reason_shared_names": (
        "{count} name(s) shared by several branches are not aliases: use the codes",
        "有 {count} 个名称被多个分馆共用，不作为别名，请使用代码",
    ),
    "data_reason_no_respondent": (
        "no respondent id column: each row's respondent is its line number in this file",
        "没有受访者编号列：以行号作为每行的受访者",
    ),
    "data_reason_workbook_as_text": (
        "this {suffix} file is an Excel workbook: read as one",
        "该 {suffix} 文件实为 Excel 工作簿，已按工作簿读取",
    ),
    "data_reason_sheet_skipped": ("sheet {sheet} skipped", "已跳过工作表 {sheet}"),
    "data_reason_ambiguous_header": (
        "{header}: a header of several meanings, read in its usual one; name it in a mapping file if it means another",
        "列“{header}”有多种含义，已按常用含义读取；如有不同请在映射文件中指定",
    ),
    # Columns not read
    "data_reason_unknown_column": (
        "{header} (column {column}, not a known field)",
        "{header}（第 {column} 列，不是已知字段）",
    ),
    "data_reason_second_column": (
        "{header} (column {column}, a second {field} column after {first})",
        "{header}（第 {column} 列，与 {first} 同为{field}列）",
    ),
    "data_reason_total_column": (
        "{header} (column {column}, a total: ignored, never trusted)",
        "{header}（第 {column} 列，合计列：不读取，不采信）",
    ),
    "data_reason_blank_column": ("{header} (column {column})", "{header}（第 {column} 列）"),
    "data_reason_not_a_month": ("{header}, not read as a month", "{header}（未按月份读取）"),
    # A problem's detail
    "data_reason_closest": ("closest known: {names}", "最接近的已知名称：{names}"),
    "data_reason_no_similar": ("no similar known name", "没有相近的已知名称"),
    "data_reason_loaded_from": ("loaded from {source}", "已由 {source} 导入"),
    "data_reason_same_key": ("line {line} has the same key", "第 {line} 行的键相同"),
    "data_reason_stored_as": ("branch {branch} has {column} {stored}", "分馆 {branch} 已存的{column}为 {stored}"),
    # Words inside reasons (what a value should be, a date order, a required column)
    "data_word_branch_name": ("branch name", "分馆名称"),
    "data_word_branch_code": ("branch code", "分馆代码"),
    "data_word_district": ("district", "区域"),
    "data_word_title": ("title", "标题"),
    "data_word_category": ("category", "类别"),
    "data_word_audience": ("audience", "服务对象"),
    "data_word_question": ("question", "问题"),
    "data_word_item_type": ("item type", "文献类型"),
    "data_word_patron_category": ("patron category", "读者类型"),
    "data_word_branch_kind": ("branch kind", "服务点类型"),
    "data_word_counting_method": ("counting method", "计数方式"),
    "data_word_format": ("format", "活动形式"),
    "data_word_day_month_year": ("day/month/year", "日/月/年"),
    "data_word_month_day_year": ("month/day/year", "月/日/年"),
    "data_word_date_or_month_year_period": ("date (or month/year/period)", "日期（或月份、年份、时期）"),
    "data_word_checkouts_renewals_returns_circulation": (
        "checkouts/renewals/returns/circulation",
        "外借、续借、归还或流通册次",
    ),
    "data_word_attendance_or_sessions_or_title": ("attendance or sessions or title", "参加人次、场次或标题"),
    "data_word_year": ("year", "年份"),
    "data_word_score": ("score", "得分"),
    "data_word_measure": ("measure", "指标名称"),
    "data_word_value": ("value", "数值"),
    "data_word_metric": ("metric", "指标"),
    "data_word_target": ("target", "目标值"),
    "data_word_name": ("name", "名称"),
    "data_word_name_zh": ("Chinese name", "中文名称"),
    "data_word_kind": ("kind", "类型"),
    "data_word_parent": ("parent", "上级馆"),
    "data_word_district_zh": ("Chinese district name", "区域中文名"),
    "data_word_service_population": ("service population", "服务人口"),
    "data_word_opened_on": ("opened on", "开馆日期"),
    "data_word_closed_on": ("closed on", "闭馆日期"),
    # The Data page's tables
    "data_col_rows": ("Rows", "行数"),
    "data_col_first_date": ("First date", "最早日期"),
    "data_col_last_date": ("Last date", "最晚日期"),
    "data_col_branches": ("Service points", "服务点数"),
    "data_col_last_import": ("Last import", "最近导入"),
    "data_col_file": ("File", "文件"),
    "data_col_line": ("Line", "行号"),
    "data_col_column": ("Column", "列"),
    "data_col_value": ("Value", "值"),
    "data_col_reason": ("Reason", "原因"),
    "data_col_branch": ("Service point", "服务点"),
    "data_col_check": ("Check", "核查项"),
    "data_col_from": ("From", "起始"),
    "data_col_to": ("To", "截止"),
    "data_col_explanation": ("What was found", "核查结果"),
    "data_col_severity": ("Severity", "级别"),
    "data_col_figure": ("Figure", "数值"),
    "data_col_baseline": ("Usual level", "通常水平"),
    "data_col_metric_id": ("Id", "代码"),
    "data_severity_warning": ("Warning", "提示"),
    "data_severity_error": ("Error", "错误"),
    "data_unit_complaints": ("complaints", "件"),
    "data_unit_hours": ("hours", "小时"),
    "data_unit_items": ("items", "册次"),
    "data_unit_items per person": ("items per person", "册次/人"),
    "data_unit_people": ("people", "人次"),
    "data_unit_people per session": ("people per session", "人次/场"),
    "data_unit_responses": ("responses", "条"),
    "data_unit_score 0-100": ("score 0-100", "分（百分制）"),
    "data_unit_sessions": ("sessions", "场"),
    "data_unit_users": ("users", "人"),
    "data_unit_visits": ("visits", "人次"),
    "data_unit_visits per person": ("visits per person", "人次/人"),
    "data_table_branches": ("Branches", "分馆"),
    # Errors from our own code: the database busy or damaged, a write that failed
    "data_error_busy": (
        "Another import is running, or another program has the database open. Try again when it has finished.",
        "另一个导入正在进行，或数据库正被其他程序占用。请稍后重试。",
    ),
    "data_error_damaged": (
        "Rebuild it from the original exports with `python -m data rebuild` (see README, 'Reliability and security').",
        "请用 `python -m data rebuild` 从原始导出文件重建数据库（见项目说明文档 README）。",
    ),
    "data_error_write_failed": (
        "The database could not be written: check the free disk space and that its folder is writable. Nothing was "
        "changed.",
        "无法写入数据库：请检查磁盘剩余空间，以及数据库所在文件夹是否可写。数据未做任何更改。",
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
    """The language chosen in the sidebar ('en' or 'zh'); before the sidebar has read the link (a message drawn
    on a first load, such as a damaged database), the link's language."""
    chosen = st.session_state.get("lang")
    if chosen is None:
        chosen = st.query_params.get("lang")
    return chosen if chosen in LANGS else "en"


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
