# yibao — two commands on a fresh machine: `make run` and `make test`.
# `make check` is the whole gate: format, lint, types, import contracts, tests.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test check lint types contracts bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { \
	  echo "python3 -m venv failed: installing Debian's python3-venv"; \
	  apt-get update -qq && apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	bash tools/fonts.sh ensure >/dev/null  # Chinese fonts for printed documents (docs/documents.md)
	$(BIN)/yibao demo run
	$(BIN)/yibao db upgrade
	$(BIN)/yibao demo load --if-empty
	@echo "gateway on http://127.0.0.1:8000 (yibao demo info --json lists institutions, credentials, persons)"
	$(BIN)/yibao serve --host 127.0.0.1 --port 8000 --workers 2

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff format --check src tests tools
	$(BIN)/ruff check src tests tools

types: $(STAMP)
	$(BIN)/mypy

contracts: $(STAMP)
	$(BIN)/lint-imports

check: lint types contracts test

bench: $(STAMP)
	$(BIN)/yibao bench engine

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .import_linter_cache
