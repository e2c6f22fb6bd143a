"""Command line: `python -m data import ...`, `status`, `remove`, `rebuild`, `sample`, `export` (see data/cli.py)."""

from data.cli import main

raise SystemExit(main())
