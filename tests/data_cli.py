"""`python -m data ...` as a process of its own, the way a scheduled job runs it: for the tests that
kill, starve or race imports (test_faults.py, test_concurrency.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    """Run the command to its end; its output is captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "data", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        **kwargs,
    )


def start(*args: str, env: dict | None = None) -> subprocess.Popen:
    """Start the command and return at once; its standard error is readable as text."""
    return subprocess.Popen(
        [sys.executable, "-m", "data", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
