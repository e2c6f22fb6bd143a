"""Facts that depend only on a database's content, not on any filter (where a table's data starts and
ends, branch names, service populations, targets, the branch list and filter choices of a scope, the
branches a branch selection stands for), remembered per database state so that every page call does not
read them again.

A state is keyed on the database file (path, inode, size, modification time) plus the last import id,
and only for a read-only connection: DuckDB keeps a file that is open read-only from being written by
any process (a published generation is never written again, see data/store.py), so nothing can change
under the key. A lake's connection (data/lake.py connect_duckdb) is keyed on the generation its files were
exported from. Any other writable or in-memory connection gets no memo: everything is read afresh. At most
MAX_STATES states are kept (the least recently used goes first); each holds a fixed set of facts plus a
short list per scope or branch selection asked about.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import duckdb

from data import lake

MAX_STATES = 4
_STATES: OrderedDict[tuple, dict[Hashable, Any]] = OrderedDict()
_LOCK = threading.Lock()
# A read-only connection's key, kept while the connection lives: its file cannot change meanwhile.
_KEYS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

_STATE_SQL = (
    "SELECT d.path, d.readonly, (SELECT max(import_id) FROM imports) "
    "FROM duckdb_databases() d WHERE d.database_name = current_database()"
)


class Memo:
    """The remembered facts of one database state (none when `key` is None)."""

    def __init__(self, key: tuple | None):
        self.key = key

    def get(self, name: Hashable, make: Callable[[], Any]) -> Any:
        """The fact `name`, made by `make()` the first time in this state. Callers must not mutate it."""
        if self.key is None:
            return make()
        with _LOCK:
            facts = _STATES.get(self.key)
            if facts is not None:
                _STATES.move_to_end(self.key)
                if name in facts:
                    return facts[name]
        value = make()  # outside the lock: two threads may both make it, with the same result
        with _LOCK:
            facts = _STATES.setdefault(self.key, {})
            _STATES.move_to_end(self.key)
            facts[name] = value
            while len(_STATES) > MAX_STATES:
                _STATES.popitem(last=False)
        return value


def state_key(con) -> tuple | None:
    """The key of the database's current state, or None when it may change while we read it."""
    lake_key = lake.memo_key(con)
    if lake_key is not None:
        return lake_key
    cursor = con.cursor()
    try:
        row = cursor.execute(_STATE_SQL).fetchone()
    except duckdb.Error:  # no imports table: not a KPI database we can key
        return None
    finally:
        cursor.close()
    if row is None:
        return None
    path, read_only, last_import = row
    if not read_only or not path or path == ":memory:":
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (os.path.realpath(path), stat.st_ino, stat.st_size, stat.st_mtime_ns, last_import)


def memo(con) -> Memo:
    """The memo of the database `con` reads (one cheap query the first time for a connection)."""
    try:
        return Memo(_KEYS[con])
    except (KeyError, TypeError):  # not seen yet, or a connection that cannot be weakly referenced
        pass
    key = state_key(con)
    if key is not None:
        try:
            _KEYS[con] = key
        except TypeError:
            pass
    return Memo(key)


def clear() -> None:
    with _LOCK:
        _STATES.clear()
        _KEYS.clear()
