# Two commands: `make run` (set up, build the sample database if absent, start the dashboard)
# and `make test` (set up, lint, run every test, the real-browser ones included).
# Both create .venv on first use; `make test` also installs Debian's chromium, a CJK font, pango and
# poppler-utils when they are missing (as root; otherwise it prints the apt-get command to run).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501
# The address `make run` listens on: this machine only, unless told otherwise (`make run ADDRESS=0.0.0.0`,
# behind a reverse proxy with TLS: see "Serving it to a network" in the README).
ADDRESS ?= 127.0.0.1

.PHONY: run test lint sample system java clean

$(VENV)/.installed: requirements.txt requirements-dev.txt requirements-spark.txt
	@echo "first run: creating the virtual environment $(VENV) with $(PYTHON)"
	$(PYTHON) -m venv $(VENV)
	@echo "upgrading pip in $(VENV)"
	$(PY) -m pip install --upgrade pip
	@echo "installing the dashboard's packages from requirements-dev.txt (about a minute, about 650 MB)"
	$(PY) -m pip install -r requirements-dev.txt
	touch $@
	@echo "$(VENV) is ready"

# Debian packages of the browser tests (tests/test_e2e_browser.py): chromium, a Chinese font, and fc-list;
# of the annual report: chromium again (kaleido draws the chart images with it), pango and HarfBuzz's subsetter
# for WeasyPrint's PDF (chromium pulls them in today, but only through GTK), and poppler-utils (pdftotext,
# pdffonts), with which tests/test_report_render.py reads the PDF back.
SYSTEM_PACKAGES := chromium fonts-noto-cjk fontconfig poppler-utils libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0

system:
	@if [ -x /usr/bin/chromium ] && fc-list :lang=zh 2>/dev/null | grep -q . && command -v pdftotext >/dev/null \
		&& /sbin/ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0.so.0; then \
		echo "chromium, a Chinese font, pango and poppler-utils are installed"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing $(SYSTEM_PACKAGES) with apt-get"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES); \
	else \
		echo "the browser and report tests need Debian packages; run: sudo apt-get install $(SYSTEM_PACKAGES)"; \
	fi

# The Spark parity tests (tests/test_spark.py) need a Java runtime for pyspark; the dashboard itself never does.
java:
	@if command -v java >/dev/null; then \
		echo "Java is installed ($$(java -version 2>&1 | head -1))"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing default-jre-headless with apt-get"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless; \
	else \
		echo "the Spark tests need Java; run: sudo apt-get install default-jre-headless"; \
	fi

sample: $(VENV)/.installed
	$(PY) -m data sample

run: system sample
	@echo "serving on http://$(ADDRESS):$(PORT) (make run ADDRESS=0.0.0.0 to listen on every interface)"
	$(PY) -m streamlit run serve.py --server.address $(ADDRESS) --server.port $(PORT)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: system java lint
	$(PY) -m pytest

clean:
	rm -rf data/kpi.duckdb data/kpi.duckdb.wal data/kpi_rejected test-artifacts

# The performance benchmark (about 10 minutes on 2 cores): generates 1M/3M/10M-row exports into bench/work/ and
# writes bench/RESULTS.md. `make bench BENCH_ARGS=--small` for the quick version.
.PHONY: bench
bench: $(VENV)/.installed
	$(PY) -m bench.run $(BENCH_ARGS)
