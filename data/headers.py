"""The header synonym table: which export column means which canonical field.

Headers are compared by `header_key`: case, width, spacing, underscores and camelCase are ignored, so
`BranchCode`, `branch_code` and `BRANCH CODE` are one header. A per-source mapping file can name any
column the table cannot guess (see README, "Mapping files").
"""

from __future__ import annotations

import functools
import re
import unicodedata

from data import calendars
from data.chinese import simplified

# canonical field -> header spellings (compared by header_key). English and Chinese.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "branch": (
        "branch",
        "name",
        "location",
        "library",
        "library name",
        "branch name",
        "libname",
        "site",
        "site name",
        "service point",
        "venue",
        "outlet",
        "library details",
        "institution",
        "分馆",
        "馆名",
        "馆点",
        "服务点",
        "图书馆",
        "场馆",
        "单位",
        "单位名称",
        "分馆名称",
        "图书室",
        "网点",
        "站点",
        "馆舍",
        "馆别",
    ),
    "branch_code": (
        "branch code",
        "branch id",
        "location code",
        "library code",
        "code",
        "fscskey",
        "library id",
        "馆代码",
        "分馆代码",
        "分馆编号",
        "馆编号",
        "编码",
    ),
    "name_zh": ("name zh", "chinese name", "中文名", "中文名称", "中文馆名"),
    "name_en": ("english name", "name en", "英文名", "英文名称"),
    "date": (
        "date",
        "day",
        "visit date",
        "start date",
        "event start",
        "start",
        "program date",
        "session date",
        "开始日期",
        "开始时间",
        "event date",
        "activity date",
        "report date",
        "日期",
        "统计日期",
        "活动日期",
        "活动时间",
        "举办日期",
    ),
    "timestamp": (
        "timestamp",
        "datetime",
        "date time",
        "transaction date",
        "transaction time",
        "transaction datetime",
        "event time",
        "交易时间",
        "借还时间",
        "操作时间",
        "流通时间",
    ),
    "year": ("year", "calendar year", "年份", "年度", "年"),
    "month": ("month", "月份", "统计月份", "月"),
    "period": (
        "period",
        "reporting period",
        "统计期",
        "统计周期",
        "统计期间",
        "期间",
        "年月",
        "统计年月",
        "资料年月",
        "资料期间",
    ),
    "visits": (
        "visits",
        "visitors",
        "visitor count",
        "visit count",
        "visitor visits",
        "door count",
        "gate count",
        "footfall",
        "entries",
        "physical visits",
        "到馆人次",
        "读者到馆人次",
        "到馆读者人次",
        "流通人次",
        "入馆人次",
        "进馆人次",
        "总流通人次",
        "接待人次",
        "接待读者人次",
        "参观人次",
        "观众人次",
        "客流量",
        "客流",
        "到馆人数",
        "入馆人数",
        "接待观众",
    ),
    "method": ("method", "count method", "counting method", "统计方式", "计数方式"),
    "audience": (
        "audience",
        "target audience",
        "segment",
        "visitor type",
        "visitor segment",
        "age group",
        "受众",
        "服务对象",
        "对象",
        "观众类型",
        "人群",
        "年龄段",
        "读者群体",
    ),
    "checkouts": (
        "checkouts",
        "check outs",
        "checkout",
        "loans",
        "issues",
        "borrows",
        "initial loans",
        "lending",
        "外借册次",
        "外借",
        "借出册次",
        "借书册次",
        "借出",
        "图书外借册次",
    ),
    "circulation": (
        "circulation",
        "total circulation",
        "totcir",
        "借还册次",
        "流通册次",
        "文献流通量",
        "借阅量",
        "借阅册次",
        "图书流通册次",
    ),
    "renewals": ("renewals", "renews", "renewal", "续借", "续借册次", "续借次数"),
    "returns": ("returns", "check ins", "checkins", "returned", "还书册次", "归还册次", "还书"),
    "item_type": ("item type", "material type", "item category", "collection", "资料类型", "文献类型"),
    "patron_category": (
        "patron category",
        "patron type",
        "borrower type",
        "borrower category",
        "user type",
        "读者类型",
        "读者类别",
    ),
    "action": ("action", "transaction type", "transaction", "操作", "操作类型", "业务类型", "流通类型"),
    "event_id": ("event id", "activity id", "program id", "programme id", "session id", "活动编号", "活动id"),
    "title": (
        "title",
        "event title",
        "event name",
        "event",
        "activity",
        "activity name",
        "program",
        "programme",
        "program name",
        "活动名称",
        "活动主题",
        "主题",
    ),
    "title_zh": ("title zh", "chinese title", "中文标题", "活动中文名称"),
    # A named programme (暖夕相伴) an event belongs to. `programme`, `program` and `项目` mean it only beside
    # an event's own columns: see PROGRAMME_IN_CONTEXT.
    "programme": ("project", "project name", "named programme", "活动项目", "品牌项目", "品牌活动"),
    "category": (
        "category",
        "event category",
        "event type",
        "type",
        "program type",
        "programme type",
        "activity type",
        "类别",
        "活动类别",
        "活动类型",
        "类型",
    ),
    "format": ("format", "delivery", "delivery mode", "mode", "形式", "活动形式", "举办形式", "线上线下"),
    "attendance": (
        "attendance",
        "attendees",
        "participants",
        "number of attendees",
        "attendee count",
        "total attendees",
        "headcount",
        "head count",
        "attended",
        "total attendance",
        "参加人次",
        "参与人次",
        "服务人次",
        "参与人数",
        "参加人数",
        "观众人数",
    ),
    "sessions": ("sessions", "number of events", "events held", "活动场次", "场次", "举办场次", "活动次数"),
    "satisfaction": (
        "satisfaction",
        "mean score",
        "average score",
        "avg score",
        "satisfaction score",
        "rating",
        "满意度",
        "满意度得分",
        "平均分",
        "评分",
    ),
    "responses": (
        "responses",
        "respondents",
        "n responses",
        "response count",
        "评价人数",
        "问卷数",
        "有效问卷",
        "有效问卷数",
        "回复数",
    ),
    "scale_max": ("scale max", "scale", "out of", "max score", "满分", "量表满分"),
    "volunteers": ("volunteers", "volunteer count", "志愿者人次", "志愿者", "志愿者人数"),
    "volunteer_hours": ("volunteer hours", "志愿服务时长", "服务时长", "志愿时长"),
    "beneficiaries": ("beneficiaries", "people served", "受益人次", "受益人数", "服务对象人次"),
    "planned": ("planned", "is planned", "status", "计划", "是否计划", "状态"),
    "respondent_id": ("respondent", "respondent id", "response id", "问卷编号", "答卷编号", "受访者编号"),
    "question": ("question", "item", "question id", "问题", "题目", "题项"),
    "score": ("score", "answer", "得分", "分数", "分值"),
    "kind": ("kind", "branch kind", "branch type", "service point type", "馆类型", "网点类型", "类别名称"),
    "parent": ("parent", "parent id", "parent branch", "parent branch id", "上级", "上级馆", "所属总馆", "所属分馆"),
    "district": (
        "district",
        "region",
        "area",
        "ward name",
        "district name",
        "区",
        "区县",
        "所属区",
        "片区",
        "街道",
        "区域",
        "所属区域",
    ),
    "district_zh": (
        "district zh",
        "district chinese",
        "chinese district",
        "district name zh",
        "区域中文",
        "区域（中文）",
        "所属区域中文",
        "所属区中文",
        "区县中文",
        "中文区域",
        "中文区名",
    ),
    "service_population": ("service population", "population", "popu lsa", "服务人口", "人口"),
    "opened_on": ("opened", "opened on", "open date", "opening date", "开馆日期", "开放日期", "启用日期"),
    "closed_on": ("closed", "closed on", "close date", "closing date", "闭馆日期", "停止服务日期"),
    "aliases": ("aliases", "alias", "other names", "别名", "曾用名"),
    "metric": ("metric", "kpi", "indicator", "target metric", "考核指标"),
    "target": ("target", "goal", "target value", "目标", "目标值", "年度目标"),
    "measure": ("measure", "measure name", "statistic", "项目", "项目名称", "统计项目", "指标", "指标名称"),
    "value": ("value", "count", "amount", "数值", "数量", "值"),
}

# Spellings that name a named programme only in an events file, with the field the table gives them elsewhere:
# 项目 (项目名称) is the measure's name in a measures file, and Program/Programme is the event's own title in
# exports that call each event a program (as PLS does) and have no other title column.
PROGRAMME_IN_CONTEXT = {"项目": "measure", "项目名称": "measure", "program": "title", "programme": "title"}
# Fields only an events file has: beside one of them (and without a measure's value), 项目 is the programme.
EVENT_ONLY_FIELDS = frozenset(
    {"attendance", "sessions", "event_id", "title", "title_zh", "satisfaction", "volunteer_hours", "beneficiaries"}
)

# Headers whose meaning differs between reports: the meaning the synonym table takes, said in the import report.
AMBIGUOUS = {
    "借还册次": "circulation (loans including renewals); map it in a mapping file if it counts returns too",
    "借阅册次": "circulation (loans including renewals); map it in a mapping file if it counts returns too",
    "流通人次": "visits (persons entering, as 总流通人次 in yearbooks); map it in a mapping file if it counts "
    "loans or event attendance",
    "服务人次": "event attendance; map it to visits in a mapping file if it counts everyone the library served",
    "借阅量": "circulation (loans including renewals); map it in a mapping file if it counts returns too",
}

# Fields that name something other than a branch in a branches file.
BRANCH_FILE_RENAMES = {"branch_code": "branch_id", "branch": "name", "category": "kind"}

# Year-total columns of wide files: ignored, never trusted.
TOTAL_COLUMNS = {
    "ytd",
    "total",
    "totals",
    "year total",
    "annual total",
    "year to date",
    "sum",
    "合计",
    "总计",
    "全年",
    "全年合计",
    "年累计",
    "累计",
    "小计",
}

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@functools.lru_cache(maxsize=4096)
def header_key(header: str) -> str:
    """The comparison key of a header: `BranchCode`, `branch_code` and ` BRANCH  CODE ` all give 'branch code';
    Traditional Chinese is read as Simplified (統計期 gives '统计期')."""
    text = simplified(unicodedata.normalize("NFKC", header).replace("\ufeff", "").strip())
    text = _CAMEL.sub(" ", text)
    text = re.sub(r"[\s_\-./:()（）\[\]]+", " ", text.casefold())
    return text.strip()


_LOOKUP = {header_key(s): field for field, spellings in SYNONYMS.items() for s in spellings}


def field_for(header: str) -> str | None:
    """The canonical field a header means, or None when the synonym table does not know it."""
    return _LOOKUP.get(header_key(header))


def programme_columns(headers: list[str]) -> set[int]:
    """The indexes of a header row's columns that name the events' programme although the synonym table maps
    their spelling elsewhere (PROGRAMME_IN_CONTEXT), read from the row's other headers:
    - `项目` beside an event's own column (参加人次, 活动名称...) and no value column: in a measures file
      (项目, 数值) it stays the measure's name;
    - `Program` or `Programme` beside another title column (Title, 活动名称): alone it stays the title."""
    keys = [header_key(h) for h in headers]
    others = {_LOOKUP.get(k) for k in keys if k not in PROGRAMME_IN_CONTEXT}
    found = set()
    for index, key in enumerate(keys):
        usual = PROGRAMME_IN_CONTEXT.get(key)
        if usual == "measure" and others & EVENT_ONLY_FIELDS and "value" not in others:
            found.add(index)
        elif usual == "title" and "title" in others:
            found.add(index)
    return found


def month_column(header: str) -> tuple[int | None, int] | None:
    """(year or None, month) when a header names a month, else None: a month name in any language of
    data/calendars.py (`JANUARY`, `Jan`, `Gennaio`, `janv.`, `März`, `一月`), `1月`, `2024-01`, `März 2024`,
    or an ROC month (`112年1月`, `民國87年1月`, `087/01`). A header the synonym table knows is never a month,
    and a word that is a different month in different languages is not guessed here. A file's header row is
    read with `months_in_context`."""
    from data.values import parse_date

    key = header_key(header)
    if key in _LOOKUP:
        return None
    number = calendars.month_number(key)
    if number is not None:
        return None, number
    m = re.fullmatch(r"(\d{1,2}) ?月(?:份)?", key)
    if m and 1 <= int(m.group(1)) <= 12:
        return None, int(m.group(1))
    m = re.fullmatch(r"((?:19|20)\d\d) ?(?:年 ?)?(\d{1,2}) ?月?", key)
    if m and 1 <= int(m.group(2)) <= 12:
        return int(m.group(1)), int(m.group(2))
    if re.search(r"\d", key):  # `März 2024`, `112年1月`, `087/01`: a month's date
        try:
            date, grain = parse_date(header)
        except ValueError:
            return None
        if grain == "month":
            return date.year, date.month
    return None


def months_in_context(headers: list[str]) -> dict[int, tuple[int | None, int]]:
    """{column index: (year or None, month)} for the month headers of a header row, read together:
    - a word that is a different month in different languages is read in the language of the other month
      headers (`lip` beside `sty, lut, ... sie` is Polish: July), else left out;
    - a lone month word that is only a foreign abbreviation (`Out`, `Set`, `Pro`, with no other month
      column) is left out: it is more likely an English header than October, September or December."""
    found = {i: m for i, m in ((i, month_column(h)) for i, h in enumerate(headers)) if m is not None}
    found |= {i: (None, n) for i, n in calendars.resolve_in_context([header_key(h) for h in headers]).items()}
    if len(found) == 1:
        index = next(iter(found))
        if calendars.is_foreign_abbreviation(header_key(headers[index])):
            return {}
    return found


def is_total_column(header: str) -> bool:
    """True for a wide file's year-total column (YTD, 合计...)."""
    return header_key(header) in TOTAL_COLUMNS
