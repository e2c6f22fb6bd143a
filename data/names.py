"""Normalising branch names so that drifting spellings in exports meet the same branch."""

from __future__ import annotations

import functools
import re
import unicodedata

from data import formulas
from data.chinese import simplified

# Footnote markers that exports append to names ("Albany Park*", "东区分馆※", "Bezazian (2)").
_FOOTNOTE_MARKS = "*†‡§¶#^※＊"
_FOOTNOTE_TAIL = re.compile(r"\s*[\[(（](?:\d+|[a-z]|注\d*)[\])）]$")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_SPACES = re.compile(r"\s+")

# Rows whose name says they are totals (system-wide lines are recognised in data/systemlines.py).
_TOTAL_NAMES = {
    "total",
    "totals",
    "grand total",
    "sum",
    "all",
    "all branches",
    "all locations",
    "system total",
    "system wide",
    "systemwide",
    "合计",
    "总计",
    "小计",
    "共计",
    "总数",
    "全馆合计",
    "全部",
    "汇总",
}


# Sign-off labels of Chinese statistics sheets (制表人：张三, 审核人：李四, 制表日期：2026年1月5日): a cell that
# starts with one of them, then a colon, belongs to the signature footer, never to a branch's data.
_SIGN_OFF = re.compile(
    r"\s*(?:单位负责人|主管领导|分管领导|负责人|审核人|审批人|复核人|制表人|填表人|填报人|统计人|经办人|联系人|报送人"
    r"|填报单位|报送单位|制表单位|统计单位|制表日期|填报日期|填表日期|报送日期|统计日期|联系电话|联络电话|联络人|电话|单位盖章|盖章)"
    r"\s*[：:]"
)


def sign_off_row(cells: list[str]) -> bool:
    """Whether a row is (part of) a signature footer: a cell of it starts with a sign-off label and a colon
    (制表人：, 审核人：, 填报单位：, 联系电话：...), in any column; Traditional labels (製表人：) too."""
    return any(_SIGN_OFF.match(simplified(unicodedata.normalize("NFKC", c))) for c in cells if ":" in c or "：" in c)


def clean_display(name: str) -> str:
    """The name as it should be shown: invisible characters, footnote markers and extra spaces removed."""
    text = unicodedata.normalize("NFKC", name).translate(_INVISIBLE)
    text = _SPACES.sub(" ", text).strip()
    for _ in range(5):  # a name carries a marker or two; a cell of thousands is not worth more work
        previous = text
        text = text.rstrip(_FOOTNOTE_MARKS + " ")  # stripping, not a regex: linear even for a 1 MB cell
        tail = _FOOTNOTE_TAIL.search(text[-24:])
        if tail:
            text = text[: len(text) - len(tail.group())].strip()
        if text == previous:
            break
    return text


@functools.lru_cache(maxsize=65536)  # runs for every row; exports repeat a few dozen names
def name_key(name: str) -> str:
    """The matching key of a name: case, width, spacing, punctuation and footnote markers ignored;
    Traditional Chinese read as Simplified (臺北分館 meets 台北分馆)."""
    text = simplified(clean_display(name).casefold())
    text = re.sub(r"[\s\-_.,'’`·・/]+", " ", text)
    return text.strip()


def non_branch_reason(name: str) -> str | None:
    """Why a row with this name is not a service point's data, or None when it may be one."""
    key = name_key(name)
    if key in _TOTAL_NAMES or key.startswith(("total ", "grand total")) or key.endswith(" total"):
        return "totals row"
    raw = unicodedata.normalize("NFKC", name).strip()
    if sign_off_row([raw]):
        return "signature footer"
    if raw[:1] in "*†‡※" or raw.startswith(("注:", "注：", "备注", "Note:", "Notes:", "Source:", "来源")):
        return "footnote row"
    return None


def slug(name: str, taken: set[str]) -> str:
    """A new, unused branch id made from a name (ASCII letters kept, else a short code)."""
    base = re.sub(r"[^a-z0-9]+", "-", name_key(name).encode("ascii", "ignore").decode()).strip("-")
    if not base:
        base = "b" + format(abs(hash_name(name)) % 10**6, "06d")
    candidate, n = base[:40], 2
    while candidate in taken:
        candidate, n = f"{base[:36]}-{n}", n + 1
    return candidate


def hash_name(name: str) -> int:
    """A stable (not per-process salted) integer from a name."""
    import hashlib

    return int.from_bytes(hashlib.sha1(name_key(name).encode()).digest()[:6], "big")


# Letters of other scripts drawn like Latin ones: a name that mixes them with Latin letters is a look-alike
# (Cyrillic 'а' in "Bezаzian"), never a spelling of its own.
_LOOKALIKES = str.maketrans(
    "авсеԁһіјӏкмнорԛѕтԝхуАВСЕНІЈКМОРЅТХУԜαβεικνορτυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "abcedhijlkmhopqstwxyABCEHIJKMOPSTXYWabeiknoptuxABEZHIKMNOPTYX",
)
_LATIN = re.compile(r"[A-Za-z]")
_WORD = re.compile(r"\w+")
_MARKUP = re.compile(r"<\s*/?\s*[a-z!?][^<>]*>", re.IGNORECASE)
MAX_NAME_LENGTH = 200


def implausible_name(name: str) -> str | None:
    """Why a name cannot be a branch's own name (a look-alike of Latin letters, a spreadsheet formula,
    markup, control characters, a whole paragraph), or None. Such a name never becomes a new branch."""
    text = unicodedata.normalize("NFKC", name).translate(_INVISIBLE).strip()
    if len(text) > MAX_NAME_LENGTH:
        return f"not a branch name: {len(text):,} characters long"
    mixed = [c for word in _WORD.findall(text) if _LATIN.search(word) for c in word if c.translate(_LOOKALIKES) != c]
    if mixed:
        shown = ", ".join(f"{c!r} ({unicodedata.name(c, f'U+{ord(c):04X}').lower()})" for c in dict.fromkeys(mixed))
        return f"not a branch name: a word mixes Latin letters with look-alikes from another script: {shown}"
    if formulas.formula_problem(text, "branch name"):
        return formulas.formula_problem(text, "branch name")
    if _MARKUP.search(text):
        return "not a branch name: HTML or script markup"
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in text):
        return "not a branch name: control or text-direction characters"
    return None
