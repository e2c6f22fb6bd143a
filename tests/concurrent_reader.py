"""A dashboard-like reader for tests/test_concurrency.py, run as its own process:

    python tests/concurrent_reader.py DB STOP_FILE

Until STOP_FILE exists it opens the database the way the dashboard does (one generation, read-only,
checked), reads the import count and the visits and loans totals (through the metric engine, as a page
would), and closes it again, as fast as it can; then it reads once more and stops. Each (imports, visits,
loans) triple the first time it is seen, and each error, is written at once as a JSON line on stderr (so the
test can wait for a state instead of for a length of time). At the end it prints one JSON object on stdout:
every triple it saw, how many reads, and every error message."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data import store  # noqa: E402
from metrics import engine  # noqa: E402
from metrics.filters import Filter  # noqa: E402

WINDOW = Filter(date_from=dt.date(2000, 1, 1), date_to=dt.date(2030, 12, 31))


def total(con, metric: str) -> float:
    result = engine.compute(con, metric, WINDOW, "window", None, 1, compare=False)
    return float(result.table["value"].fillna(0).sum()) if len(result.table) else 0.0


def report(line: dict) -> None:
    print(json.dumps(line), file=sys.stderr, flush=True)


def main() -> None:
    db, stop = sys.argv[1], Path(sys.argv[2])
    seen, reads, errors = set(), 0, []
    last = False
    while not last:
        last = stop.exists()  # one more read after the stop file appeared: the final state is seen
        try:
            con, _ = store.open_reader(db)
            try:
                imports = con.execute("SELECT count(*) FROM imports").fetchone()[0]
                state = (imports, total(con, "visits"), total(con, "loans"))
            finally:
                con.close()
            reads += 1
            if state not in seen:
                seen.add(state)
                report({"state": state})
        except Exception as exc:  # noqa: BLE001 - every failure is the finding
            errors.append(f"{type(exc).__name__}: {exc}")
            report({"error": errors[-1]})
    print(json.dumps({"seen": sorted(seen), "reads": reads, "errors": errors[:20]}))


if __name__ == "__main__":
    main()
