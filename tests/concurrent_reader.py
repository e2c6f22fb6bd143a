"""A dashboard-like reader for tests/test_concurrency.py, run as its own process:

    python tests/concurrent_reader.py DB SECONDS

For SECONDS it opens the database the way the dashboard does (one generation, read-only, checked),
reads the import count and the visits and loans totals (through the metric engine, as a page would),
and closes it again, as fast as it can. It prints one JSON object: every (imports, visits, loans)
triple it saw, how many reads, and every error message."""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data import store  # noqa: E402
from metrics import engine  # noqa: E402
from metrics.filters import Filter  # noqa: E402

WINDOW = Filter(date_from=dt.date(2000, 1, 1), date_to=dt.date(2030, 12, 31))


def total(con, metric: str) -> float:
    result = engine.compute(con, metric, WINDOW, "window", None, 1, compare=False)
    return float(result.table["value"].fillna(0).sum()) if len(result.table) else 0.0


def main() -> None:
    db, seconds = sys.argv[1], float(sys.argv[2])
    seen, reads, errors = set(), 0, []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            con, _ = store.open_reader(db)
            try:
                imports = con.execute("SELECT count(*) FROM imports").fetchone()[0]
                seen.add((imports, total(con, "visits"), total(con, "loans")))
            finally:
                con.close()
            reads += 1
        except Exception as exc:  # noqa: BLE001 - every failure is the finding
            errors.append(f"{type(exc).__name__}: {exc}")
    print(json.dumps({"seen": sorted(seen), "reads": reads, "errors": errors[:20]}))


if __name__ == "__main__":
    main()
