"""pages/_i18n.py: every string in both languages, and numbers in each language's convention."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from pages import PAGES, _state
from pages._i18n import STRINGS, number, percent_change

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "pages").glob("*.py")) + [ROOT / "dashboard.py"]
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
SAME_IN_BOTH = {"download_csv", "download_xlsx"}  # file format names, written the same in Chinese


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.mark.parametrize("key", sorted(STRINGS))
def test_every_string_has_both_languages(key):
    english, chinese = STRINGS[key]
    assert english.strip() and chinese.strip()
    if key not in SAME_IN_BOTH:
        assert CJK.search(chinese), f"{key}: no Chinese in {chinese!r}"
    assert placeholders(english) == placeholders(chinese), key


def test_same_in_both_is_only_for_names_that_need_no_translation():
    assert all(STRINGS[key][0] == STRINGS[key][1] for key in SAME_IN_BOTH)


@pytest.mark.parametrize(
    ("value", "fmt", "language", "text"),
    [
        (1234567, "int", "en", "1,234,567"),
        (1234567.4, "int", "en", "1,234,567"),
        (0, "int", "en", "0"),
        (-1234, "int", "en", "-1,234"),
        (123456789, "int", "en", "123,456,789"),
        (9999, "int", "zh", "9,999"),
        (10000, "int", "zh", "1.0万"),
        (123456, "int", "zh", "12.3万"),
        (-123456, "int", "zh", "-12.3万"),
        (3549089, "int", "zh", "354.9万"),
        (123456789, "int", "zh", "1.23亿"),
        (100000000, "int", "zh", "1.00亿"),
        (12.345, "pct1", "en", "12.3%"),
        (12.345, "pct1", "zh", "12.3%"),
        (104.96, "pct1", "en", "105.0%"),
        (90.56, "dec1", "en", "90.6"),
        (1234.5, "dec1", "en", "1,234.5"),
        (123456.789, "dec2", "zh", "123,456.79"),
        (5.377338, "dec2", "en", "5.38"),
        (float("nan"), "int", "en", "–"),
        (float("nan"), "int", "zh", "–"),
        (float("nan"), "pct1", "en", "–"),
        (None, "dec1", "zh", "–"),
    ],
)
def test_number(value, fmt, language, text):
    assert number(value, fmt, language) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [(6.44, "+6.4%"), (-0.36, "-0.4%"), (0.0, "0.0%"), (-0.04, "0.0%"), (float("nan"), ""), (None, "")],
)
def test_percent_change(value, text):
    assert percent_change(value) == text


# ---------------------------------------------------------------- every key the pages use exists


def _dict_literals(tree: ast.AST) -> dict[str, list[str]]:
    """Module-level NAME = {...: "..."} dicts: their string values."""
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = [
                        v.value for v in node.value.values if isinstance(v, ast.Constant) and isinstance(v.value, str)
                    ]
    return found


def _strings(node: ast.AST) -> list[str]:
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _loop_keys(node: ast.For | ast.comprehension, name: str) -> list[str]:
    """The strings `name` takes in `for ..., name, ... in ((..., "key"), ...)`."""
    target, items = node.target, node.iter
    if not isinstance(items, ast.Tuple | ast.List):
        return []
    if isinstance(target, ast.Name) and target.id == name:
        return [e.value for e in items.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    if isinstance(target, ast.Tuple):
        names = [e.id if isinstance(e, ast.Name) else None for e in target.elts]
        if name in names:
            index = names.index(name)
            return [
                e.elts[index].value
                for e in items.elts
                if isinstance(e, ast.Tuple) and isinstance(e.elts[index], ast.Constant)
            ]
    return []


def used_keys(source: str) -> set[str]:
    """Keys passed to t(...) and labels(...): literals, loop variables over literal tuples, and dict values."""
    tree = ast.parse(source)
    dicts = _dict_literals(tree)
    loops = [n for n in ast.walk(tree) if isinstance(n, ast.For | ast.comprehension)]
    keys = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args):
            continue
        arg = node.args[0]
        if node.func.id == "labels" and isinstance(arg, ast.Tuple | ast.List):
            keys.update(_strings(arg))
        if node.func.id != "t":
            continue
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            keys.add(arg.value)
        elif isinstance(arg, ast.Subscript) and isinstance(arg.value, ast.Name) and arg.value.id in dicts:
            keys.update(dicts[arg.value.id])  # t(BREAKDOWNS[b])
        elif isinstance(arg, ast.Name):
            for loop in loops:
                keys.update(_loop_keys(loop, arg.id))
                items = loop.iter
                if (  # {b: t(k) for b, k in BREAKDOWNS.items()}
                    isinstance(items, ast.Call)
                    and isinstance(items.func, ast.Attribute)
                    and items.func.attr == "items"
                    and isinstance(items.func.value, ast.Name)
                    and items.func.value.id in dicts
                    and isinstance(loop.target, ast.Tuple)
                    and [getattr(e, "id", None) for e in loop.target.elts][1:] == [arg.id]
                ):
                    keys.update(dicts[items.func.value.id])
    return keys


def test_the_key_scanner_finds_literals_loops_and_dicts():
    source = (
        'X = {"a": "k_dict"}\n'
        't("k_literal")\n'
        "t('k_single', n=1)\n"
        'labels(("k_label",))\n'
        'for name, title in (("x", "k_loop"),):\n    t(title)\n'
        "{b: t(k) for b, k in X.items()}\n"
    )
    assert used_keys(source) == {"k_dict", "k_literal", "k_single", "k_label", "k_loop"}


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_every_key_used_in_the_pages_exists(path):
    keys = used_keys(path.read_text(encoding="utf-8"))
    missing = sorted(keys - set(STRINGS))
    assert not missing, f"{path.name} uses keys missing from STRINGS: {missing}"


def test_keys_chosen_at_run_time_exist():
    """Keys the scanner cannot see: page titles, period presets and the Branches table's columns."""
    dynamic = {key for _, key, _, _ in PAGES} | set(_state.PERIODS) | {"yoy", "none"}
    dynamic |= {"prior_value", "yoy_pct", "share", "per_capita", "quality_flag", "branch"}
    assert not sorted(dynamic - set(STRINGS))


def test_regex_and_scanner_agree_on_literal_keys():
    """A plain regex over the source finds no literal t("...") key the scanner missed."""
    pattern = re.compile(r"""\bt\(\s*["']([^"']+)["']""")
    for path in SOURCES:
        source = path.read_text(encoding="utf-8")
        assert set(pattern.findall(source)) <= used_keys(source) | {"..."}, path.name
