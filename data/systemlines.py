"""System-wide lines: rows of an export that belong to the whole network, not to a service point.

A circulation export often carries, beside its branches, lines such as "Online Renewals", "Renewals - Phone",
"eBooks (OverDrive)" or 线上续借: a channel or a medium, not a place. They are recognised by what they are,
never by a list of spellings (DESIGN.md section 7, December additions):
- the name is one the branch list does not know (a known branch or alias always wins: the caller asks only
  about names it could not resolve);
- semantic: the name describes a channel or a medium rather than a place. Concept words are matched as whole
  words of the normalised name (English) or as terms (Chinese, which has no spaces): renew / 续借; download,
  e-book, e-media, digital, virtual, database / 数字资源, 电子书; online, web, internet, phone, mail,
  self-check, app / 线上, 网上, 在线, 电话, 移动端. A name that also carries a place word ("Digital Hub
  Branch", "Web Street", 电子城分馆) is taken for a place;
- structural: the file gives addresses for its service points and this line has none.

Such a line is stored under a branch row marked in the `system_lines` table, never as a service point: the
metric layer (metrics/filters.py) keeps it out of rankings, per-branch views, branch lists and completeness,
and each metric's definition says whether its network total counts it (metrics/registry.py: renewals are loans
under ISO 2789; e-media loans are a metric of their own; a "virtual visits" line is not visits).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from data import db
from data.headers import header_key
from data.names import name_key

RENEWALS, E_MEDIA, OTHER_CHANNEL = "renewals", "e-media", "other-channel"
LINE_TYPES = (RENEWALS, E_MEDIA, OTHER_CHANNEL)

# Concept words, English: whole words of the normalised name (name_key turns "e-book" into "e book").
_WORDS = {
    RENEWALS: ("renew", "renews", "renewal", "renewals", "renewed", "renewing", "autorenew", "autorenewal"),
    E_MEDIA: (
        "ebook",
        "ebooks",
        "e book",
        "e books",
        "emedia",
        "e media",
        "eresource",
        "eresources",
        "e resource",
        "e resources",
        "eaudio",
        "e audio",
        "eaudiobook",
        "eaudiobooks",
        "emagazine",
        "emagazines",
        "e magazines",
        "ejournals",
        "e journals",
        "econtent",
        "e content",
        "audiobook",
        "audiobooks",
        "download",
        "downloads",
        "downloadable",
        "downloaded",
        "digital",
        "virtual",
        "database",
        "databases",
        "streaming",
        "overdrive",
        "libby",
        "hoopla",
        "kanopy",
    ),
    OTHER_CHANNEL: (
        "online",
        "web",
        "website",
        "internet",
        "phone",
        "telephone",
        "telephoned",
        "mail",
        "email",
        "e mail",
        "self check",
        "self checkout",
        "selfcheck",
        "self service",
        "kiosk",
        "app",
        "mobile app",
        "talking book",
        "talking books",
        "braille",
        "home delivery",
        "homebound",
        "interlibrary loan",
        "interlibrary loans",
    ),
}
# Concept terms, Chinese: matched anywhere in the name; the e-media ones need what follows 数字 / 电子.
_TERMS = {
    RENEWALS: (r"续借", r"续期"),
    E_MEDIA: (
        r"数字(?:资源|图书馆|阅读|借阅|文献|馆藏|内容)",
        r"电子(?:书|图书|资源|期刊|文献|借阅|阅读)",
        r"数据库",
        r"有声(?:书|读物)",
        r"听书",
        r"^数字$",
    ),
    OTHER_CHANNEL: (
        r"线上",
        r"网上",
        r"在线",
        r"电话",
        r"移动端",
        r"手机",
        r"微信",
        r"小程序",
        r"网站",
        r"互联网",
        r"网络",
        r"网路",
        r"客户端",
        r"邮寄",
        r"自助借还",
        r"馆际互借",
    ),
}
# Words of a place: a name that carries one is a service point's, whatever else it says.
_PLACE_WORDS = ("branch", "street", "avenue", "road", "square", "plaza", "park", "village", "town", "district")
_PLACE_TERMS = re.compile(r"分馆|支馆|街道|社区|乡|镇|村|(?<![网线])路")

_PATTERNS = {
    kind: re.compile(
        r"(?<![a-z0-9])(" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + r")s?(?![a-z0-9])"
    )
    for kind, words in _WORDS.items()
}
_CHINESE = {kind: re.compile("|".join(terms)) for kind, terms in _TERMS.items()}
_PLACE = re.compile(r"(?<![a-z0-9])(" + "|".join(_PLACE_WORDS) + r")(?![a-z0-9])")

# Headers of an address column (compared by data.headers.header_key).
_ADDRESS_HEADERS = re.compile(r"(?<![a-z])(address|addr|street)(?![a-z])|地址|馆址|住址")


@dataclass(frozen=True)
class Line:
    """What a system-wide line is and why it was taken for one."""

    line_type: str  # one of LINE_TYPES
    reason: str


def concept(name: str) -> tuple[str, str] | None:
    """(line type, the word that says so) when the name describes a channel or a medium, not a place."""
    key = name_key(name)
    if _PLACE.search(key) or _PLACE_TERMS.search(key):
        return None
    for line_type in LINE_TYPES:  # renewals first: "Online Renewals" is a renewal channel
        found = _PATTERNS[line_type].search(key) or _CHINESE[line_type].search(key)
        if found:
            return line_type, found.group(0)
    return None


def classify(name: str, has_address: bool | None = None) -> Line | None:
    """Whether a name the branch list does not know is a system-wide line, with its type and the reason.

    has_address: None when the file gives no addresses for its service points; else whether this line has
    one. A line without an address where the service points have one is a line of its own."""
    found = concept(name)
    no_address = has_address is False
    if found:
        line_type, word = found
        what = {RENEWALS: "a renewal channel", E_MEDIA: "e-media", OTHER_CHANNEL: "a channel"}[line_type]
        reason = f"{what}, not a place ({word!r})" + (", and no address" if no_address else "")
        return Line(line_type, reason)
    if no_address:
        return Line(OTHER_CHANNEL, "no address, where the file's service points have one")
    return None


def address_column(header: list[str]) -> int | None:
    """The index of a column of street addresses, or None."""
    for index, cell in enumerate(header):
        if _ADDRESS_HEADERS.search(header_key(cell)):
            return index
    return None


def addresses(header: list[str], rows: list[tuple[int, list[str]]], lines: set[int]) -> dict[int, bool] | None:
    """line -> whether that row gives an address, for the data rows `lines`, when the file gives addresses for
    its service points (an address column filled on at least half of those rows); else None."""
    index = address_column(header)
    if index is None:
        return None
    given = {line: index < len(cells) and bool(cells[index].strip()) for line, cells in rows if line in lines}
    filled = sum(given.values())
    if not filled or filled * 2 < len(given):
        return None
    return given


# How each kind's total of a line is named and whether the network's figures count it, per line type.
UNIT = {"visits": "visits", "circulation": "loans", "events": "attendance", "measures": "units"}


def unit(kind: str, line_type: str) -> str:
    """What a line's total counts (English)."""
    return "e-media loans" if kind == "circulation" and line_type == E_MEDIA else UNIT.get(kind, kind)


def how_counted(kind: str, line_type: str) -> str:
    """How the network's figures count a system-wide line of this type in this kind of data (English)."""
    if kind == "circulation":
        if line_type == RENEWALS:
            return "counted in the network's loans as renewals"
        if line_type == E_MEDIA:
            return "not in the network's loans: a metric of its own (e-media loans)"
        return "counted in the network's loans"
    if kind == "visits":
        return "not counted in visits (not a place people visit)"
    return "counted in the network's totals, never in a branch's"


def line_total(kind: str, record: dict) -> float:
    """The figure of one stored record that a line's total adds up (loans for circulation)."""
    if kind == "circulation":
        for value in (record.get("circulation"),):
            if value is not None:
                return value
        parts = [record.get(c) for c in ("checkouts", "renewals")]
        return sum(v for v in parts if v is not None)
    if kind == "visits":
        return record.get("visits") or 0
    if kind == "events":
        return record.get("attendance") or 0
    if kind == "measures":
        return record.get("value") or 0
    return 0


def stored(con) -> dict[str, str]:
    """branch_id -> line type of every stored system-wide line ({} on a database made before the table)."""
    if not db.has_table(con, "system_lines"):
        return {}
    cursor = con.cursor()
    try:
        return dict(cursor.execute("SELECT branch_id, line_type FROM system_lines").fetchall())
    finally:
        cursor.close()


# Per kind: the table and the row figure a stored line's total adds up (fixed SQL, never input).
_TOTALS_SQL = {
    "circulation": ("circulation_daily", "coalesce(circulation, checkouts + renewals, checkouts, renewals)"),
    "visits": ("visits", "CASE WHEN audience = 'all' THEN visits END"),
    "events": ("events", "attendance"),
    "measures": ("measures", "value"),
}


def listing(con) -> list[dict]:
    """Every stored system-wide line with its totals per kind and how the network's figures count them (what
    `python -m data status` prints), largest first."""
    lines = stored(con)
    if not lines:
        return []
    names = dict(
        con.execute(
            "SELECT branch_id, name FROM branches WHERE list_contains(?, branch_id)", [sorted(lines)]
        ).fetchall()
    )
    out = []
    for kind, (table, figure) in _TOTALS_SQL.items():
        rows = con.execute(
            f"SELECT branch_id, sum({figure}), min(date), max(date) FROM {table} "
            "WHERE list_contains(?, branch_id) GROUP BY 1",
            [sorted(lines)],
        ).fetchall()
        for branch_id, total, first, last in rows:
            line_type = lines[branch_id]
            out.append(
                {
                    "name": names.get(branch_id, branch_id),
                    "line_type": line_type,
                    "kind": kind,
                    "total": total or 0,
                    "unit": unit(kind, line_type),
                    "how": how_counted(kind, line_type),
                    "first": first,
                    "last": last,
                }
            )
    return sorted(out, key=lambda line: -line["total"])
