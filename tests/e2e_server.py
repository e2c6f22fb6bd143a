"""Helpers for the real-browser tests: the system chromium and a `streamlit run` server on a free loopback port.

No browser is ever downloaded: the tests drive Debian's chromium (/usr/bin/chromium, `apt-get install chromium
fonts-noto-cjk`; `make system` does it) through the Python playwright package, which bundles only its driver.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.interact import CHROMIUM_ARGS as CHROMIUM_ARGS  # one list of launch flags: tests and benchmark

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
HEALTH_TIMEOUT = 60.0  # seconds for `streamlit run` to answer /_stcore/health
STOP_TIMEOUT = 10.0  # seconds between SIGTERM and SIGKILL


def in_ci() -> bool:
    """True when the CI variable is set (then a missing browser fails the tests instead of skipping them)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def missing_requirements() -> str | None:
    """Why the browser tests cannot run on this machine, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (.venv/bin/pip install -r requirements-dev.txt)"
    if not os.access(CHROMIUM, os.X_OK):
        return f"no chromium at {CHROMIUM} (`make system`, or apt-get install chromium fonts-noto-cjk)"
    return None


def free_port() -> int:
    """A TCP port nobody listens on right now (bound to port 0, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class StreamlitServer:
    """`streamlit run serve.py` (the dashboard in its server, as `make run` starts it) on 127.0.0.1 with KPI_DB
    pointing at `db_path` and `env` added to the environment; a context manager."""

    def __init__(self, db_path: Path, log_path: Path, env: dict[str, str] | None = None, script: str = "serve.py"):
        self.db_path = db_path
        self.log_path = log_path
        self.extra_env = dict(env or {})
        self.script = script
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.started = 0.0  # time.monotonic() just before `streamlit run`
        self.healthy_after = 0.0  # seconds from `streamlit run` to the first healthy answer

    def start(self) -> StreamlitServer:
        command = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / self.script),
            "--server.headless",
            "true",
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(self.port),
            "--server.fileWatcherType",
            "none",
            "--browser.gatherUsageStats",
            "false",
        ]
        env = {**os.environ, "KPI_DB": str(self.db_path), **self.extra_env}
        self._log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop)
        self.started = time.monotonic()
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        try:
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise
        self.healthy_after = time.monotonic() - self.started
        return self

    def _wait_healthy(self) -> None:
        deadline = self.started + HEALTH_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"streamlit did not answer within {HEALTH_TIMEOUT:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        """Terminate the server (SIGTERM, then SIGKILL after STOP_TIMEOUT); safe to call twice."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_TIMEOUT)
        if not self._log.closed:
            self._log.close()

    def log_tail(self, lines: int = 40) -> str:
        self._log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def __enter__(self) -> StreamlitServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
