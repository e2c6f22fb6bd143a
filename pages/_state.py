"""The global filters: their defaults, the URL query string (both ways) and the metrics Filter they make.

Every filter is a widget key in st.session_state and a query parameter of the same name, so a link
reproduces the view. Values read from a URL are checked against what exists, dates against the years any
data can have (DATE_MIN..DATE_MAX) and lengths against caps; anything else is dropped, and the sidebar says
which parameters were (never an exception from a hand-made link).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import streamlit as st

from metrics import periods
from metrics.filters import Filter
from pages import _auth

PERIODS = ("this_year", "last_year", "ytd", "last_12m", "custom")
# Choices the pages offer (and a link may carry).
TREND_METRICS = ("visits", "loans", "events", "attendance", "new_registrations")
SATISFACTION_BREAKDOWNS = ("category", "audience", "branch", "district")
# What a link may carry: dates in these years (the importer takes nothing outside them either; a year 1
# would overflow the year-earlier comparison), a value of at most this many characters, a list of at most
# this many items.
DATE_MIN = dt.date(1900, 1, 1)
DATE_MAX = dt.date(2100, 12, 31)
MAX_VALUE_CHARS = 4000
MAX_LIST_ITEMS = 500
IGNORED_KEY = "_url_ignored"  # the link's parameters that were dropped, shown until the view changes


@dataclass(frozen=True)
class Field:
    default: object
    kind: str = "text"  # text | list | date | int | bool


FIELDS: dict[str, Field] = {
    "lang": Field("en"),
    "period": Field("this_year"),
    "date_from": Field(None, "date"),
    "date_to": Field(None, "date"),
    "fy": Field(1, "int"),
    "cmp": Field("yoy"),  # yoy | previous | custom | none
    "cmp_from": Field(None, "date"),  # with cmp "custom": the first day of the period compared with
    "kinds": Field((), "list"),
    "districts": Field((), "list"),
    "branches": Field((), "list"),
    "categories": Field((), "list"),
    "audiences": Field((), "list"),
    "formats": Field((), "list"),
    "lfl": Field(False, "bool"),
    # Page choices that belong in a shared link too.
    "metric": Field("visits"),
    "drill": Field(None),  # no branch chosen for the drill-down
    "sat_by": Field("category"),
    # Programme evaluation (pages/programme.py): what the programme is, its dates (None: those of its own
    # events), the events counted, the months before it (0: as many as it lasts) and the loans' patron
    # category (None: the one its audience borrows under). The page checks them against the data.
    "prog_kind": Field("programme"),
    "prog": Field(None),
    "prog_scope": Field("audience"),
    "prog_from": Field(None, "date"),
    "prog_to": Field(None, "date"),
    "prog_before": Field(0, "int"),
    "prog_patron": Field(None),
}
# The programme evaluation's choices (pages/programme.py).
PROGRAMME_SCOPES = ("audience", "own")
PROGRAMME_BEFORE_MONTHS = tuple(range(25))


def _parse(field: Field, raw: str):
    """A query value as its field's type; ValueError when it is not one, or out of range, or too long."""
    if len(raw) > MAX_VALUE_CHARS:
        raise ValueError(f"{len(raw)} characters")
    if field.kind == "list":
        items = tuple(v for v in raw.split(",") if v)
        if len(items) > MAX_LIST_ITEMS:
            raise ValueError(f"{len(items)} items")
        return items
    if field.kind == "date":
        day = dt.date.fromisoformat(raw)
        if not DATE_MIN <= day <= DATE_MAX:
            raise ValueError(f"{day} is outside {DATE_MIN}..{DATE_MAX}")
        return day
    if field.kind == "int":
        return int(raw)
    if field.kind == "bool":
        if raw not in ("1", "true", "0", "false"):
            raise ValueError("not a yes/no value")
        return raw in ("1", "true")
    return raw


def _dump(field: Field, value) -> str:
    if field.kind == "list":
        return ",".join(value)
    if field.kind == "date":
        return value.isoformat()
    if field.kind == "bool":
        return "1" if value else "0"
    return str(value)


def load_from_url(allowed: dict[str, set]) -> None:
    """Once per session: fill the filter keys from the query string (checked against `allowed`). The
    names of the parameters that were dropped (in whole or in part) are kept under IGNORED_KEY."""
    if st.session_state.get("_state_loaded"):
        return
    ignored = []
    for key, field in FIELDS.items():
        value = field.default
        raw = st.query_params.get(key)
        if raw is not None:
            try:
                value = _parse(field, raw)
            except ValueError:
                value = field.default
                ignored.append(key)
        checked = _checked(key, value, field, allowed)
        if checked != value and key not in ignored:
            ignored.append(key)
        st.session_state[key] = checked
    start, end = st.session_state["date_from"], st.session_state["date_to"]
    if start and end and start > end:  # a window that ends before it starts: neither date is kept
        st.session_state["date_from"] = st.session_state["date_to"] = None
        ignored += ["date_from", "date_to"]
    st.session_state[IGNORED_KEY] = tuple(dict.fromkeys(ignored))
    st.session_state["_state_loaded"] = True


def ignored_in_link() -> tuple[str, ...]:
    """The parameters of the opening link that were dropped, while the view is still the one it opened."""
    return st.session_state.get(IGNORED_KEY, ())


def keep() -> None:
    """Carry every filter value into this run explicitly.

    Streamlit ties a widget's state to the page being run; the first run after a page (re)load runs
    under the entry script and the next under the page itself, and the sidebar's widgets would come
    back at their defaults. Writing each value back before the widgets are drawn keeps it.
    """
    for key in FIELDS:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def _checked(key: str, value, field: Field, allowed: dict[str, set]):
    """A URL value kept only if it is one of the known choices."""
    if key not in allowed:
        return value
    if field.kind == "list":
        return tuple(v for v in value if v in allowed[key])
    return value if value in allowed[key] else field.default


def write_to_url() -> None:
    """Mirror the current filters into the query string (defaults are left out, so links stay short)."""
    wanted = {}
    for key, field in FIELDS.items():
        value = st.session_state.get(key, field.default)
        if isinstance(value, list):
            value = tuple(value)
        if value != field.default and value not in (None, ""):
            wanted[key] = _dump(field, value)
    if st.session_state.get(IGNORED_KEY):  # the note about a link's dropped values lasts until the view changes
        opened = st.session_state.setdefault("_url_opened", wanted)
        if opened != wanted:
            st.session_state[IGNORED_KEY] = ()
    if dict(st.query_params) != wanted:
        st.query_params.from_dict(wanted)


def reset() -> None:
    """Back to the defaults (the language is kept)."""
    for key, field in FIELDS.items():
        if key != "lang":
            st.session_state[key] = field.default


def period_window(preset: str, as_of: dt.date, fiscal_start: int, date_from=None, date_to=None):
    """(from, to) of a period preset, relative to the data's as-of date."""
    year_start = periods.period_start(as_of, "year", fiscal_start)
    if preset == "this_year":
        return year_start, periods.period_end(year_start, "year")
    if preset == "ytd":
        return year_start, as_of
    if preset == "last_year":
        previous = periods.add_months(year_start, -12)
        return previous, year_start - dt.timedelta(days=1)
    if preset == "last_12m":
        return periods.add_months(as_of, -12) + dt.timedelta(days=1), as_of
    return date_from or year_start, date_to or as_of


def current_filter(as_of: dt.date | None) -> Filter:
    """The metrics Filter for the sidebar's current choices, within the signed-in user's scope (without
    dates when `as_of` is None). A custom period whose end the user chose counts the data after the
    complete-through date (marked partial); every preset stops there."""
    state = st.session_state
    date_from = date_to = None
    if as_of:
        date_from, date_to = period_window(state["period"], as_of, state["fy"], state["date_from"], state["date_to"])
    explicit_end = state["period"] == "custom" and state["date_to"] is not None
    return Filter(
        date_from=date_from,
        date_to=date_to,
        branches=tuple(state["branches"]),
        districts=tuple(state["districts"]),
        kinds=tuple(state["kinds"]),
        categories=tuple(state["categories"]),
        audiences=tuple(state["audiences"]),
        formats=tuple(state["formats"]),
        scope=_auth.scope(),
        beyond_complete=bool(as_of) and explicit_end,
    )


def filter_key(flt: Filter) -> tuple:
    """A plain, hashable form of a Filter for cache keys."""
    return (
        flt.date_from,
        flt.date_to,
        flt.branches,
        flt.districts,
        flt.kinds,
        flt.include_children,
        flt.categories,
        flt.audiences,
        flt.formats,
        flt.scope,
        flt.beyond_complete,
        flt.question,
    )


def from_key(key: tuple) -> Filter:
    return Filter(*key)


# ---------------------------------------------------------------- a click on a chart or a table row chooses


def pick(widget_key: str, field: str, keys: list, many: bool = False) -> None:
    """on_select callback of a chart or table drawn with `keys` (one per row, or per point in plotting order):
    the clicked row's or bar's key becomes the filter or page choice `field` (a list field gets it as its only
    value). It runs before the next script run, so the widgets of that run show the choice and the URL says
    so. A click that selects nothing (a click on the background) changes nothing."""
    selection = st.session_state.get(widget_key, {}).get("selection", {})
    rows = list(selection.get("rows", []))
    points = [p.get("point_index", p.get("pointIndex")) for p in selection.get("points", [])]
    chosen = [keys[i] for i in rows + points if i is not None and 0 <= i < len(keys)]
    if not chosen:
        return
    st.session_state[field] = list(dict.fromkeys(chosen)) if many else chosen[0]


COMPARISONS = ("yoy", "previous", "custom", "none")


def months_back(comparison: str, date_from: dt.date, date_to: dt.date, compare_from: dt.date | None) -> int | None:
    """How many whole months back the comparison period starts: None for the same period a year earlier (and
    for no comparison); for "previous" the window's length in months (the period just before it); for
    "custom" the months from `compare_from` to the window's start (None when it does not start earlier)."""

    def index(day: dt.date) -> int:
        return day.year * 12 + day.month

    if comparison == "previous":
        return index(date_to) - index(date_from) + 1
    if comparison == "custom" and compare_from is not None and index(compare_from) < index(date_from):
        return index(date_from) - index(compare_from)
    return None
