"""Command line: `python -m metrics list`, `python -m metrics query ...`."""

from metrics.cli import main

raise SystemExit(main())
