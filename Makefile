# The two set-up commands (see README.md): `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev

.PHONY: demo test lint bench figures stress clean web

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(STAMP_DEV): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(STAMP_RUN)

# the dashboard's Open MCT, from the committed lock file (web/node_modules is not committed)
web: web/node_modules/.installed

web/node_modules/.installed: web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

demo: $(STAMP_RUN)
	$(BIN)/ilrs run --out out/reference

# the suite on every core (pytest-xdist); a module's tests stay on one worker so their
# module fixtures (live servers, PostgreSQL, twin runs) are built once
test: $(STAMP_DEV) web
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/pytest -n auto --dist loadscope

# make test three times in a row while two CPU hogs run (the suite must not flake)
stress: $(STAMP_DEV) web
	scripts/stress-test.sh

bench: $(STAMP_DEV)
	for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# the README's figures that are quick to regenerate (the CLI's start, sky, serve and run
# times, the twin's, the sky engine's against Skyfield); `make bench` runs every benchmark
figures: $(STAMP_DEV)
	$(BIN)/python benchmarks/cli.py
	$(BIN)/python benchmarks/twin.py
	$(BIN)/python benchmarks/sky.py

clean:
	rm -rf $(VENV) out .pytest_cache
