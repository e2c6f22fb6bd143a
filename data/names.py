"""Normalising branch names so that drifting spellings in exports meet the same branch."""

from __future__ import annotations

import re
import unicodedata

# Footnote markers that exports append to names ("Albany Park*", "东区分馆※").
_FOOTNOTE_TAIL = re.compile(r"[\s*†‡§¶#^※＊]+$|\s*[\[(（](?:\d+|[a-z]|注\d*)[\])）]$")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_SPACES = re.compile(r"\s+")

# Rows whose name says they are not a service point: totals and system-wide lines.
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
_NOT_A_BRANCH = {
    "online renewals",
    "downloadable media",
    "talking book and braille",
    "renewals online",
    "virtual library",
    "phone renewals",
    "线上续借",
    "数字资源",
}


def clean_display(name: str) -> str:
    """The name as it should be shown: invisible characters, footnote markers and extra spaces removed."""
    text = unicodedata.normalize("NFKC", name).translate(_INVISIBLE)
    text = _SPACES.sub(" ", text).strip()
    previous = None
    while previous != text:
        previous = text
        text = _FOOTNOTE_TAIL.sub("", text).strip()
    return text


def name_key(name: str) -> str:
    """The matching key of a name: case, width, spacing, punctuation and footnote markers ignored."""
    text = clean_display(name).casefold()
    text = re.sub(r"[\s\-_.,'’`·・/]+", " ", text)
    return text.strip()


def non_branch_reason(name: str) -> str | None:
    """Why a row with this name is not a service point's data, or None when it may be one."""
    key = name_key(name)
    if key in _TOTAL_NAMES or key.startswith(("total ", "grand total")) or key.endswith(" total"):
        return "totals row"
    if key in _NOT_A_BRANCH:
        return "not a service point (system-wide line)"
    raw = unicodedata.normalize("NFKC", name).strip()
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
