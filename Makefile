# Two commands: `make run` (set up, build the sample database if absent, start the dashboard)
# and `make test` (set up, lint, run every test, the real-browser ones included).
# Both create .venv on first use; `make test` also installs Debian's chromium and a CJK font when
# they are missing (as root; otherwise it prints the apt-get command to run).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run test lint sample system clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

system:
	@if [ -x /usr/bin/chromium ] && fc-list :lang=zh 2>/dev/null | grep -q .; then \
		echo "chromium and a Chinese font are installed"; \
	elif [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk; \
	else \
		echo "browser tests need: sudo apt-get install chromium fonts-noto-cjk"; \
	fi

sample: $(VENV)/.installed
	$(PY) -m data sample

run: sample
	$(PY) -m streamlit run dashboard.py --server.port $(PORT)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: system lint
	$(PY) -m pytest

clean:
	rm -rf data/kpi.duckdb data/kpi.duckdb.wal data/kpi_rejected test-artifacts
