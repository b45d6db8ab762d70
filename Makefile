# Two commands do everything on a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NODE_STAMP := local_chain/node_modules/.installed
# The dashboard's front-end libraries, from npm (connector_ui/package.json), served from vendor/.
UI_VENDOR := connector_ui/vendor/uPlot.esm.js

.PHONY: setup browser demo up test lint typecheck compile bench bench-settlement faults load clean

setup: $(STAMP) $(NODE_STAMP) $(UI_VENDOR)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	# Real metered sample data for `cbp baseline evaluate` (docs/baselines.md): only the
	# package's data files are read, so none of its heavy dependencies is installed.
	$(PY) -m pip install --quiet --no-deps "eemeter==4.1.1"
	touch $(STAMP)

$(NODE_STAMP): local_chain/package.json local_chain/package-lock.json
	cd local_chain && npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

$(UI_VENDOR): connector_ui/package.json connector_ui/package-lock.json
	cd connector_ui && npm ci --no-audit --no-fund --loglevel=error
	mkdir -p connector_ui/vendor
	cp connector_ui/node_modules/uplot/dist/uPlot.esm.js connector_ui/node_modules/uplot/dist/uPlot.min.css connector_ui/vendor/
	cp connector_ui/node_modules/uplot/LICENSE connector_ui/vendor/uPlot.LICENSE
	touch $(UI_VENDOR)

# Debian's Chromium for the dashboard's browser tests (Playwright never downloads a browser here).
browser:
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium)

demo: setup
	$(PY) -m cli.main demo

up: setup
	$(PY) -m cli.main up

# The suite as two pytest processes at once (tests/shards.py); `pytest tests` runs it as one.
test: setup browser lint typecheck
	$(PY) -m tests.shards

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: setup
	$(VENV)/bin/mypy ledger api workers cli faults loadgen

compile: setup
	$(PY) -m cli.main chain compile

bench: setup
	$(PY) -m cli.main bench registration

# Settlement of 10,000 PODs end to end beside the pure computation (docs/settlement.md).
bench-settlement: setup
	$(PY) -m cli.main bench settlement --pods 10000

faults: setup
	$(PY) -m cli.main faults run

load: setup
	$(PY) -m cli.main load run

clean:
	rm -rf data reports
