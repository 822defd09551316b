# The two commands a newcomer needs: `make demo` and `make test`. Both build .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# uv installs the pinned dependencies in seconds where pip took a minute (fresh clone, 2 cores)
# Nothing is compiled ahead (uv's --compile-bytecode took 38 s of CPU, most of it modules no run
# imports): Python writes each module's bytecode the first time a process imports it, also where
# the environment sets PYTHONDONTWRITEBYTECODE (as this machine's image does), which made every
# process of a test run compile all it imported.
export PYTHONDONTWRITEBYTECODE :=
UV_VERSION := 0.13.9
UV := $(BIN)/uv
DATA_DIR ?= $(or $(STRIKEOUTS_DATA_DIR),../shared/data)
DEMO_DATE ?= 2025-07-04
# checkov gets its own venv: its dependency pins clash with the project's
CHECKOV_VENV := .venv-checkov
CHECKOV_VERSION := 3.3.30
CHECKOV := $(CHECKOV_VENV)/bin/checkov
# The pinned providers' schemas, from PyPI's prebuilt CDK for Terraform bindings of exactly those
# versions (each package's provider version: `npm view @cdktf/provider-google@14.1.0 cdktf`).
# Bump with infra/versions.tf; tests/infra/test_provider_schema.py fails when they disagree.
TF_SCHEMA_DIR := .tf-schema
TF_SCHEMA_PACKAGES := cdktf-cdktf-provider-google==14.1.0 cdktf-cdktf-provider-google-beta==14.1.0 \
	cdktf-cdktf-provider-archive==10.0.1
TF_SCHEMA_STAMP := $(TF_SCHEMA_DIR)/.stamp-$(shell echo '$(TF_SCHEMA_PACKAGES)' | cksum | cut -d' ' -f1)

.PHONY: venv test lint typecheck unit checkov tfschema demo bench clean

# The venv gets no pip of its own where the system Python has one that can install into another
# interpreter (pip >= 22.3; ensurepip is 7 s of a fresh clone's set-up); elsewhere ensurepip
# gives it one. Probed once, and only when a recipe needs it (the first use keeps the answer).
SYSTEM_PIP = $(eval SYSTEM_PIP := $(shell $(PYTHON) -m pip \
	--python "$$($(PYTHON) -c 'import sys; print(sys.executable)')" \
	--version >/dev/null 2>&1 && echo yes))$(SYSTEM_PIP)
PIP = $(if $(SYSTEM_PIP),$(PYTHON) -m pip,$(BIN)/python -m pip)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(if $(SYSTEM_PIP),--without-pip) $(VENV)
	$(PIP) $(if $(SYSTEM_PIP),--python $(BIN)/python) install --quiet 'uv==$(UV_VERSION)'
	$(UV) pip install --quiet --python $(BIN)/python -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

$(CHECKOV_VENV)/.checkov-$(CHECKOV_VERSION): $(STAMP)
	$(UV) venv --quiet --python $(PYTHON) $(CHECKOV_VENV)
	$(UV) pip install --quiet --python $(CHECKOV_VENV)/bin/python 'checkov==$(CHECKOV_VERSION)'
	touch $@

# tests/infra/test_checkov.py runs it over infra/ (fails in CI when it is missing)
checkov: $(CHECKOV_VENV)/.checkov-$(CHECKOV_VERSION)

# ~76 MB of wheels, once: kept is one compact JSON per provider version (~2.4 MB), not the wheels
$(TF_SCHEMA_STAMP): $(STAMP) shared/strikeouts/deploy/tfschema.py
	rm -rf $(TF_SCHEMA_DIR)/wheels
	$(PIP) download --quiet --no-deps --dest $(TF_SCHEMA_DIR)/wheels $(TF_SCHEMA_PACKAGES)
	$(BIN)/python -m strikeouts.deploy.tfschema $(TF_SCHEMA_DIR) $(TF_SCHEMA_DIR)/wheels/*.whl
	rm -rf $(TF_SCHEMA_DIR)/wheels
	touch $@

# tests/infra/test_provider_schema.py checks infra/'s names against it (fails in CI when missing)
tfschema: $(TF_SCHEMA_STAMP)

lint: venv
	$(BIN)/ruff check shared tests benchmarks functions
	$(BIN)/ruff format --check shared tests benchmarks functions

typecheck: venv
	$(BIN)/mypy

# The ten slowest tests print last. Two workers by default (TEST_WORKERS=0: one process); each
# gets whole groups of tests (tests/conftest.py, worker_group), so a local stack or a replayed
# week is built once per group.
TEST_WORKERS ?= 2
unit: venv
	STRIKEOUTS_DATA_DIR=$(DATA_DIR) $(BIN)/pytest -n $(TEST_WORKERS) --dist loadscope --durations=10

# The checks run beside the tests, which leave part of a core idle while they wait on their
# stacks: mypy (one core, ~20 s on a fresh clone), then ruff, checkov's venv and the provider
# schemas (downloads, mostly), which tests/infra reads; its group runs last (tests/conftest.py).
# A report prints (last) only when it fails, so the ten slowest tests end a passing run, and any
# failing fails.
test: venv
	@$(BIN)/mypy > $(VENV)/mypy.out 2>&1 & types=$$!; \
	$(MAKE) --no-print-directory -j3 lint checkov tfschema > $(VENV)/checks.out 2>&1 & checks=$$!; \
	$(MAKE) --no-print-directory unit; tested=$$?; \
	wait $$checks; checked=$$?; test $$checked -eq 0 || { echo "checks:"; cat $(VENV)/checks.out; }; \
	wait $$types; typed=$$?; test $$typed -eq 0 || { echo "mypy:"; cat $(VENV)/mypy.out; }; \
	test $$tested -eq 0 && test $$checked -eq 0 && test $$typed -eq 0

# ingest is ~3 s, so it always runs; `run` trains missing champions on starts before DEMO_DATE:
# the docs use no date before it, so the demo's champions never predict games they trained on.
demo: venv
	STRIKEOUTS_DATA_DIR=$(DATA_DIR) $(BIN)/strikeouts ingest
	STRIKEOUTS_DATA_DIR=$(DATA_DIR) $(BIN)/strikeouts summary
	STRIKEOUTS_DATA_DIR=$(DATA_DIR) $(BIN)/strikeouts run --date $(DEMO_DATE)

bench: venv
	STRIKEOUTS_DATA_DIR=$(DATA_DIR) $(BIN)/python benchmarks/ingest.py
	STRIKEOUTS_DATA_DIR=$(DATA_DIR) $(BIN)/python benchmarks/replay.py

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) $(TF_SCHEMA_DIR) .strikeouts .mypy_cache .ruff_cache
