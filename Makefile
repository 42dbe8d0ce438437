# hbmcycle — run `make help` for the list of targets.
# Only Python 3.11+ and make are needed: the first target that needs the
# environment creates .venv from the hash-pinned requirements.lock.

PYTHON ?= python3
PORT   ?= 8888
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install data check report lab lint test bench refresh lock clean chromium
DB := data/processed/hbmcycle.duckdb

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "hbmcycle needs Python 3.11 or newer; found " + sys.version.split()[0] + " (set PYTHON=python3.11)")'
	@echo "Creating $(VENV) from requirements.lock (first run only, a minute or two)..."
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@# The reports' inlined Vega bundle depends only on the installed vl-convert: build it with the environment.
	$(BIN)/python -c 'from hbmcycle.reports.render import vega_bundle; vega_bundle()'
	@touch $@

install: $(STAMP) ## Create the virtual environment from the lock file

check: $(STAMP) ## Validate data/raw only (writes nothing)
	$(BIN)/hbmcycle data check

data: $(STAMP) ## Validate data/raw and build data/processed/hbmcycle.duckdb
	$(BIN)/hbmcycle data build

# The database is rebuilt only when data/raw or the data layer changed, so a second
# `make report` with nothing changed does no work (reports re-render only when stale).
$(DB): $(STAMP) $(wildcard data/raw/*.csv data/raw/*.yaml src/hbmcycle/data/*.py src/hbmcycle/data/sql/*)
	$(BIN)/hbmcycle data build

# When the database is stale, `report --build-data` builds it while the render workers import
# (one process, both cores busy); `make -q` asks make itself whether $(DB) is out of date.
report: $(STAMP) ## Build the data if it changed, render the reports whose inputs changed (reports/*.html, index.html)
	@if $(MAKE) --no-print-directory -q $(DB) 2>/dev/null; then echo "$(BIN)/hbmcycle report"; $(BIN)/hbmcycle report; \
	else echo "$(BIN)/hbmcycle report --build-data"; $(BIN)/hbmcycle report --build-data; fi

lab: $(DB) ## Open JupyterLab on the notebooks (make lab PORT=8899); the venv's python3 kernel is the project's
	$(BIN)/jupyter lab --notebook-dir=notebooks --port=$(PORT) $(if $(filter 0,$(shell id -u)),--allow-root)

# The browser test drives Debian's chromium; as root with apt (CI) it is installed when missing.
chromium:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser test (first run only)..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium not found: apt-get install chromium (the browser test fails without it)"; fi; }

lint: $(STAMP) ## ruff (lint and format check) and mypy, as CI runs them
	$(BIN)/ruff check src tests notebooks benchmarks
	$(BIN)/ruff format --check src tests notebooks benchmarks
	$(BIN)/mypy

test: $(STAMP) chromium lint ## Lint, then run the test suite (installs chromium for the browser test when it can)
	$(BIN)/python -m pytest

bench: data ## Run the benchmarks (each speed goal printed as PASS or FAIL)
	@status=0; for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || status=1; done; \
	if [ $$status = 0 ]; then echo "bench: every goal PASS"; else echo "bench: a goal FAILED (see above)"; fi; exit $$status

refresh: $(STAMP) ## Pull machine-readable sources, show what changed, validate, keep vintages
	$(BIN)/hbmcycle data refresh

lock: ## Re-resolve requirements.lock from pyproject.toml (needs network)
	$(PYTHON) -m pip install --quiet uv && $(PYTHON) -m uv pip compile pyproject.toml --extra dev --python-version 3.11 --universal --generate-hashes -o requirements.lock

clean: ## Remove generated data and reports (keeps .venv)
	rm -rf data/processed/* data/processed/.generations data/processed/.build.lock reports/
