"""Command line: `python -m reports annual ...`, `python -m reports plan ...`."""

from reports.cli import main

raise SystemExit(main())
