# Clarity — the two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The whole suite on every logical core (at most 4), printing the 10 slowest tests.
# `--dist loadgroup` keeps each demo practice's tests on one worker, which builds it once
# (tests/conftest.py makes the xdist_group marks work on pytest 9.2, pytest-xdist #1386).
PYTEST_ALL := $(BIN)/pytest -n logical --maxprocesses=4 --dist loadgroup --durations=10
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
DEV_STAMP := $(VENV)/.installed-dev-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test lint typecheck pytest bench validate venv dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(DEV_STAMP) $(STAMP)

venv: $(STAMP)
dev: $(DEV_STAMP)

## Build the demo practice, run the briefing and outreach, serve the app.
demo: $(STAMP)
	$(BIN)/clarity demo

## Lint, type-check and run the whole test suite.
test: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(PYTEST_ALL)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(DEV_STAMP)
	$(BIN)/mypy .

pytest: $(DEV_STAMP)
	$(PYTEST_ALL)

## Benchmarks: print figures (time, size, memory) for the targets in the issues.
bench: $(DEV_STAMP)
	$(BIN)/python -m bench

## Validate the repeat-purchase model on public data (CDNOW, downloaded at run time).
validate: $(DEV_STAMP)
	$(BIN)/python -m evals.validate_clv

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache build *.egg-info
