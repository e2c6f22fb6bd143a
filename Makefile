# Two commands: `make run` (set up, build the sample database if absent, start the dashboard)
# and `make test` (set up, lint, run every test). Both create .venv on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run test lint sample clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

sample: $(VENV)/.installed
	$(PY) -m data sample

run: sample
	$(PY) -m streamlit run dashboard.py --server.port $(PORT)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: lint
	$(PY) -m pytest

clean:
	rm -rf data/kpi.duckdb data/kpi.duckdb.wal data/kpi_rejected
