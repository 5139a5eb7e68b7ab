# Clarity — the two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
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
	$(BIN)/pytest

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(DEV_STAMP)
	$(BIN)/mypy .

pytest: $(DEV_STAMP)
	$(BIN)/pytest

## Benchmarks: print figures (time, size, memory) for the targets in the issues.
bench: $(DEV_STAMP)
	$(BIN)/python -m bench

## Validate the repeat-purchase model on public data (CDNOW, downloaded at run time).
validate: $(DEV_STAMP)
	$(BIN)/python -m evals.validate_clv

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache build *.egg-info
