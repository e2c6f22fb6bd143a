"""Per-source mapping files: what a source's columns mean when the synonym table cannot guess.

A mapping is a TOML (or JSON) file, given with `--mapping FILE` or found beside the export as
`<export name without .csv>.mapping.toml`. Every key is optional:

    kind = "visits"                 # what the file holds
    year = 2016                     # for wide files whose year is in neither a column nor the file name
    encoding = "gb18030"
    branch = "City Museum"          # every row belongs to this service point (single-site exports)
    missing_codes = ["-1", "-3"]    # cells meaning "not reported" (IMLS uses -1, -3, -9)
    dont_know_codes = ["9"]         # survey answers meaning "don't know", stored as no score
    scale_max = 5                   # survey or satisfaction scale when no column gives it
    date_order = "dmy"              # for ambiguous 01/02/24 dates: "dmy" or "mdy"
    layout = "branches_as_columns"  # one row per date, one column per branch (data/layouts.py)
    [columns]                       # export header -> canonical field, or "ignore"
    "Authority" = "branch"
    "Count" = "sessions"
    [branches]                      # spelling in this source -> a known branch name or id
    "HWLC" = "Harold Washington Library Center"
    [questions]                     # surveys with one column per question: source column -> question id
    "Q1 Overall, how satisfied are you" = "overall"
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from data.headers import SYNONYMS, header_key

LAYOUTS = ("branches_as_columns",)
KINDS = ("branches", "visits", "circulation", "events", "surveys", "targets", "measures")
EXTRA_FIELDS = {"ignore", "branch_id", "name"}


class MappingError(Exception):
    """A mapping file that cannot be used."""


@dataclass
class Mapping:
    kind: str | None = None
    year: int | None = None
    encoding: str | None = None
    branch: str | None = None
    missing_codes: frozenset[str] = frozenset()
    dont_know_codes: frozenset[str] = frozenset()
    scale_max: float | None = None
    date_order: str | None = None
    columns: dict[str, str] = field(default_factory=dict)  # header_key -> field
    branches: dict[str, str] = field(default_factory=dict)
    path: Path | None = None
    layout: str | None = None
    questions: dict[str, str] = field(default_factory=dict)  # source header -> question id

    def named_headers(self) -> set[str]:
        """The header keys this mapping names (columns and questions): header detection counts them as known."""
        return set(self.columns) | {header_key(h) for h in self.questions}


def sidecar(export: Path) -> Path:
    """Where a mapping for this export is looked for when none is given."""
    stem = export.name[: -len(export.suffix)] if export.suffix else export.name
    return export.with_name(stem + ".mapping.toml")


def load(path: Path | None) -> Mapping:
    """Read a mapping file; a missing path gives the empty mapping."""
    if path is None:
        return Mapping()
    try:
        text = path.read_text(encoding="utf-8")
        raw = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (OSError, ValueError) as exc:
        raise MappingError(f"{path}: cannot read mapping file ({exc})") from None
    return _from_dict(raw, path)


def _from_dict(raw: dict, path: Path) -> Mapping:
    known = {
        "kind",
        "year",
        "encoding",
        "branch",
        "missing_codes",
        "dont_know_codes",
        "scale_max",
        "date_order",
        "columns",
        "branches",
        "layout",
        "questions",
    }
    unknown = sorted(set(raw) - known)
    if unknown:
        raise MappingError(f"{path}: unknown keys {unknown}; known keys are {sorted(known)}")
    kind = raw.get("kind")
    if kind is not None and kind not in KINDS:
        raise MappingError(f"{path}: kind {kind!r} is not one of {', '.join(KINDS)}")
    columns = {}
    for header, target in dict(raw.get("columns", {})).items():
        if target not in SYNONYMS and target not in EXTRA_FIELDS:
            raise MappingError(f"{path}: column {header!r} maps to unknown field {target!r}")
        columns[header_key(header)] = target
    order = raw.get("date_order")
    if order not in (None, "dmy", "mdy"):
        raise MappingError(f"{path}: date_order must be 'dmy' or 'mdy'")
    scale = raw.get("scale_max")
    layout = raw.get("layout")
    if layout is not None and layout not in LAYOUTS:
        raise MappingError(f"{path}: layout {layout!r} is not one of {', '.join(LAYOUTS)}")
    questions = raw.get("questions", {})
    if not isinstance(questions, dict) or not all(isinstance(q, str) and q.strip() for q in questions.values()):
        raise MappingError(f"{path}: [questions] maps each source column to a question id (text)")
    return Mapping(
        kind=kind,
        year=int(raw["year"]) if "year" in raw else None,
        encoding=raw.get("encoding"),
        branch=raw.get("branch"),
        missing_codes=frozenset(str(c) for c in raw.get("missing_codes", [])),
        dont_know_codes=frozenset(str(c) for c in raw.get("dont_know_codes", [])),
        scale_max=float(scale) if scale is not None else None,
        date_order=order,
        columns=columns,
        branches={str(k): str(v) for k, v in dict(raw.get("branches", {})).items()},
        path=path,
        layout=layout,
        questions={str(k): v.strip() for k, v in questions.items()},
    )
