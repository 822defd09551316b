# The two commands a newcomer needs: `make demo` and `make test`. Both build .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DATA_DIR ?= $(or $(STRIKEOUTS_DATA_DIR),../shared/data)
DEMO_DATE ?= 2025-07-15

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

demo: venv
	STRIKEOUTS_DATA_DIR=$(DATA_DIR) $(BIN)/strikeouts ingest
	STRIKEOUTS_DATA_DIR=$(DATA_DIR) $(BIN)/strikeouts summary

bench: venv
	STRIKEOUTS_DATA_DIR=$(DATA_DIR) $(BIN)/python benchmarks/ingest.py

clean:
	rm -rf $(VENV) .strikeouts .mypy_cache .ruff_cache
