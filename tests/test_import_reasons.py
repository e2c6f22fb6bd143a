"""Import reports as structure (issue 14): data/report.py summarise() and data/reasons.py give each problem,
skip, note and message a stable kind with its parameters, from the real importer's own English; every kind
the dashboard words has its words in both languages. The command line's text is left as it was."""

from __future__ import annotations

import re
import string

import pytest
from conftest import FIXTURES, load, write

from data import reasons
from data.report import describe, summarise
from pages._i18n import STRINGS

VISITS = "date,branch,visits\n"


def kinds_of(report) -> list[tuple[str, int, str | None, str | None]]:
    """(problem kind, line, column, value) of every case of a report's summary."""
    summary = summarise(report)
    return [
        (group.reason.kind, line, case.column, case.value)
        for group in summary.problems
        for case in group.cases
        for line in case.lines or (0,)
    ]


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ("2024-01-05,Nowhere,10\n", ("unknown_branch", 2, "branch", "Nowhere")),
        ("soon,Albany Park,10\n", ("bad_date", 2, "date", "soon")),
        ("2024-02-30,Albany Park,10\n", ("no_such_date", 2, "date", "2024-02-30")),
        ("2024-01-05,Albany Park,lots\n", ("bad_number", 2, "visits", "lots")),
        ("2024-01-05,Albany Park,-4\n", ("negative", 2, "visits", "-4")),
        ("2024-01-05,Albany Park,1.5\n", ("not_whole", 2, "visits", "1.5")),
        ("2030-01-05,Albany Park,10\n", ("future_date", 2, "date", "2030-01-05")),
    ],
)
def test_common_cell_problems_have_their_kind(branches_db, tmp_path, rows, expected):
    report = load(branches_db, write(tmp_path, "visits.csv", VISITS + rows))
    assert report.status == "rejected"
    assert kinds_of(report) == [expected]
    assert summarise(report).message.kind == "rejected_rows"
    assert summarise(report).message.values == {"rows": "1"}


def test_unknown_branch_detail_names_the_closest_known(branches_db, tmp_path):
    report = load(branches_db, write(tmp_path, "visits.csv", VISITS + "2024-01-05,Albany Prk,10\n"))
    (group,) = summarise(report).problems
    (case,) = group.cases
    assert case.detail.kind == "closest" and "Albany Park" in case.detail.values["names"]


def test_duplicates_conflicts_and_formulas(branches_db, tmp_path):
    twice = VISITS + "2024-01-05,Albany Park,10\n2024-01-05,Albany Park,10\n2024-01-05,Albany Park,11\n"
    summary = summarise(load(branches_db, write(tmp_path, "visits.csv", twice)))
    assert [(s.reason.kind, s.rows, s.lines) for s in summary.skips] == [("duplicate", 1, (3,))]
    assert [g.reason.kind for g in summary.problems] == ["conflicting_row"]
    assert summary.problems[0].cases[0].detail.kind == "same_key"
    events = "event_id,date,branch,title,attendance\nE1,2024-05-04,Central Library,=HYPERLINK(1),10\n"
    report = load(branches_db, write(tmp_path, "events.csv", events))
    (group,) = summarise(report).problems
    assert (group.reason.kind, group.reason.values["what"]) == ("formula", "title")


def test_whole_file_problems_have_their_kind(branches_db, tmp_path):
    cases = {
        "latin.csv": (b"date,branch,visits\n2024-01-05,Albany Park,\xff\xff\n", "encoding"),
        "empty.csv": (b"", "empty_file"),
        "picture.csv": (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "binary_file"),
        "header.csv": (b"date,branch,visits\n", "no_data_rows"),
    }
    for name, (content, kind) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        summary = summarise(load(branches_db, path))
        assert summary.status == "rejected"
        assert summary.message.kind == kind, (name, summary.message.text)
        assert [g.reason.kind for g in summary.problems] == [kind]


def test_a_missing_required_column_names_the_column_and_the_kind(branches_db, tmp_path):
    report = load(
        branches_db, write(tmp_path, "counts.csv", "date,branch,notes\n2024-01-05,Albany Park,x\n"), kind="visits"
    )
    message = summarise(report).message
    assert (message.kind, message.values) == ("missing_column", {"columns": "visits", "kind": "visits"})


def test_skips_notes_and_ignored_columns(branches_db, tmp_path):
    text = "date,branch,visits,remarks\n2024-01-05,Albany Park,10,ok\n,,,\n2024-01-05,Total,10,\n"
    summary = summarise(load(branches_db, write(tmp_path, "visits.csv", text)))
    assert summary.status == "loaded"
    assert sorted(s.reason.kind for s in summary.skips) == ["empty_row", "totals_row"]
    assert [(c.kind, c.values["header"]) for c in summary.ignored] == [("unknown_column", "remarks")]
    assert summary.counts == {"read": 3, "accepted": 1, "skipped": 2, "rejected": 0, "stored": 1}
    wide = "branch,2024-01,2024-02\nBezazian,10,12\n"
    summary = summarise(load(branches_db, write(tmp_path, "visits_2024.csv", wide)))
    assert summary.status == "loaded" and summary.matched == 1
    assert [(n.kind, n.values) for n in summary.notes] == [("kind_from_name", {"kind": "visits"})]


def test_messages_of_a_second_import_and_a_corrected_file(branches_db, tmp_path):
    path = write(tmp_path, "visits.csv", VISITS + "2024-01-05,Albany Park,10\n")
    assert summarise(load(branches_db, path)).message is None
    again = summarise(load(branches_db, path))
    assert (again.status, again.message.kind, again.message.values) == (
        "unchanged",
        "unchanged_same",
        {"source": "visits.csv"},
    )
    path.write_text(VISITS + "2024-01-05,Albany Park,11\n", encoding="utf-8")
    assert summarise(load(branches_db, path)).message.kind == "replaced_content"
    other = summarise(load(branches_db, write(tmp_path, "copy.csv", VISITS + "2024-01-05,Albany Park,12\n")))
    assert other.problems[0].reason.kind == "already_loaded"
    assert other.problems[0].cases[0].detail.values == {"source": "visits.csv"}


def test_a_reason_stored_with_rejected_rows_is_read_back(branches_db, tmp_path):
    report = load(branches_db, write(tmp_path, "visits.csv", VISITS + "2024-01-05,Albany Prk,10\n"), quarantine=True)
    assert report.status == "quarantined"
    (stored,) = branches_db.execute("SELECT reason FROM rejected_rows").fetchall()
    reason, detail = reasons.read_stored(stored[0])
    assert (reason.kind, detail.kind) == ("unknown_branch", "closest")


def test_the_command_line_text_is_unchanged_by_the_structure(branches_db, tmp_path):
    report = load(
        branches_db, write(tmp_path, "visits.csv", VISITS + "2024-01-05,Nowhere,10\n2024-01-06,Albany Park,x\n")
    )
    text = describe(report)
    assert text.splitlines()[0] == f"{report.path}: REJECTED (visits, long layout, utf-8)"
    assert (
        "  problem (1 row): not a number" in text and f"    {report.path}:2, column 'branch', value 'Nowhere'" in text
    )


def _groups(pattern: str) -> set[str]:
    return set(re.compile(pattern).groupindex)


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize(
    "table", [reasons.PROBLEMS, reasons.MESSAGES, reasons.SKIPS, reasons.NOTES, reasons.IGNORED, reasons.DETAILS]
)
def test_every_kind_is_worded_in_both_languages_from_its_own_parameters(table):
    for kind, pattern in table:
        key = f"data_reason_{kind}"
        assert key in STRINGS, key
        for words in STRINGS[key]:
            assert _placeholders(words) <= _groups(pattern), (kind, words)


def test_a_file_of_several_kinds_summarises_each_kind(fresh_db):
    report = load(fresh_db, FIXTURES / "shapes" / "zh_branch_statistics_gb18030.csv", allow_new_branches=True)
    summary = summarise(report, "分馆业务统计表.csv")
    assert (summary.status, summary.label, summary.message) == ("loaded", "分馆业务统计表.csv", None)
    assert [(p.kind, p.status, p.counts["stored"]) for p in summary.parts] == [
        ("visits", "loaded", 6),
        ("circulation", "loaded", 6),
        ("measures", "loaded", 6),
    ]
