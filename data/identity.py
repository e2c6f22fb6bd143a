"""What makes two imports of a file the same: its content and the options that shape its rows.

The options are the effective mapping (data/shaping.py: the mapping file's parsed content, never its
path, with --branch and --year folded in) and the Options fields named in SHAPING. The import's kind is
part of the identity through the imports table's own `kind` column (the kind the file was planned as,
whether a mapping, --kind or its headers said so). They are written as canonical JSON
(sorted keys) and stored, with their SHA-256, in the imports table (`options`, `options_hash`).

An import logged before options were recorded (options_hash NULL) counts as made with no mapping and no
options: re-importing such a file with a mapping replaces its rows; without one it is unchanged.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass

from data.mapping import Mapping

# Options fields, beyond the mapping, that change what a file's rows become. One line per new option;
# a field an Options object lacks reads as None.
SHAPING = ("sheet",)


@dataclass(frozen=True)
class Identity:
    """The canonical options of one import, as JSON text and its digest."""

    options: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.options.encode()).hexdigest()


def of(mapping: Mapping, options) -> Identity:
    """The identity of importing with `mapping` (the effective mapping) and `options`."""
    # The kind is left out: the imports table keys each import by the kind it was planned as.
    content = {key: _plain(value) for key, value in dataclasses.asdict(mapping).items() if key not in ("path", "kind")}
    shaping = {name: _plain(getattr(options, name, None)) for name in SHAPING}
    canonical = {"mapping": content, **{k: v for k, v in shaping.items() if v is not None}}
    return Identity(json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":")))


def _plain(value):
    """A value as JSON can hold it, the same on every run (sets sorted, paths as text)."""
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value if value is None or isinstance(value, (str, int, float, bool, list)) else str(value)


NONE = of(Mapping(), None)  # what an import logged before options were recorded counts as


def changes(before: str | None, after: Identity) -> list[str]:
    """What differs between stored options (JSON, or None for an older import) and `after`, readably:
    `year None -> 2023`, `columns changed`."""
    old = json.loads(before or NONE.options)
    new = json.loads(after.options)
    out = []
    flat_old = {**old.get("mapping", {}), **{k: v for k, v in old.items() if k != "mapping"}}
    flat_new = {**new.get("mapping", {}), **{k: v for k, v in new.items() if k != "mapping"}}
    for key in sorted(flat_old.keys() | flat_new.keys()):
        was, now = flat_old.get(key), flat_new.get(key)
        if was == now or (not was and not now):
            continue
        if isinstance(was, (dict, list)) or isinstance(now, (dict, list)):
            out.append(f"{key} changed")
        else:
            out.append(f"{key} {was!r} -> {now!r}")
    return out


def why_replaced(cursor, source: str, kind: str, content_hash: str, identity: Identity) -> str:
    """Why the rows of `source` are being replaced (called before they are): new content, or the same
    content imported with other options."""
    latest = cursor.execute(
        "SELECT content_hash, options FROM imports WHERE source_file = ? AND kind = ? AND removed_at IS NULL "
        "ORDER BY import_id DESC LIMIT 1",
        [source, kind],
    ).fetchone()
    if latest is None or latest[0] != content_hash:
        return "replaced: the file's content changed since the last import; its earlier rows were removed"
    what = changes(latest[1], identity)
    return (
        "replaced: same content, but the mapping or options changed since the last import"
        + (f" ({'; '.join(what)})" if what else "")
        + "; its earlier rows were removed"
    )
