# The two commands a newcomer needs: `make demo` and `make test`. Both build .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DATA_DIR ?= $(or $(STRIKEOUTS_DATA_DIR),../shared/data)
DEMO_DATE ?= 2025-07-20

.PHONY: venv test lint typecheck unit demo bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

lint: venv
	$(BIN)/ruff check shared tests benchmarks functions
	$(BIN)/ruff format --check shared tests benchmarks functions

typecheck: venv
	$(BIN)/mypy

unit: venv
	STRIKEOUTS_DATA_DIR=$(DATA_DIR) $(BIN)/pytest

test: lint typecheck unit

# ingest is ~3 s, so it always runs; `run` trains missing champions on starts before DEMO_DATE.
demo: venv
	STRIKEOUTS_DATA_DIR=$(DATA_DIR) $(BIN)/strikeouts ingest
	STRIKEOUTS_DATA_DIR=$(DATA_DIR) $(BIN)/strikeouts summary
	STRIKEOUTS_DATA_DIR=$(DATA_DIR) $(BIN)/strikeouts run --date $(DEMO_DATE)

bench: venv
	STRIKEOUTS_DATA_DIR=$(DATA_DIR) $(BIN)/python benchmarks/ingest.py
	STRIKEOUTS_DATA_DIR=$(DATA_DIR) $(BIN)/python benchmarks/replay.py

clean:
	rm -rf $(VENV) .strikeouts .mypy_cache .ruff_cache
