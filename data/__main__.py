"""Command line: `python -m data import ...`, `python -m data status`, `python -m data sample`."""

from data.cli import main

raise SystemExit(main())
