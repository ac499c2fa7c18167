# servicekit developer commands. Everything installs into a local virtual environment (.venv),
# so a fresh clone needs only Python 3.11+, make and the package registries.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
PIP    := $(PY) -m pip --disable-pip-version-check --quiet

.PHONY: help demo test lint typecheck contracts pytest bench mutate docs docs-serve clean

help:
	@echo "make demo   - run the servicekit demo on the built-in defaults"
	@echo "make test   - install test dependencies into .venv and run ruff, mypy, import-linter, pytest, the strict docs build"
	@echo "make bench  - run the benchmarks against peer libraries (prints ratios)"
	@echo "make mutate - mutation testing of the core modules (MODULES=\"calendar/_hours.py sla\" for some; ARGS=\"--max 100\")"
	@echo "make docs   - build the documentation site (strict)"

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "servicekit needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)

# One stamp per extra set; reinstalled when pyproject.toml changes.
$(VENV)/.installed-%: pyproject.toml | $(PY)
	$(PIP) install -e '.[$*]'
	@touch $@

$(VENV)/.installed-core: pyproject.toml | $(PY)
	$(PIP) install -e .
	@touch $@

demo: $(VENV)/.installed-core
	$(PY) -m servicekit demo

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests benchmarks examples tools

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy --strict src

contracts: $(VENV)/.installed-test
	$(BIN)/lint-imports

pytest: $(VENV)/.installed-test
	$(PY) -m pytest

test: lint typecheck contracts pytest docs

bench: $(VENV)/.installed-bench
	$(PY) benchmarks/run.py

# Mutation testing (issue 20): not part of `make test`, too slow for CI; see docs/quality.md.
ARGS ?= --max 150
mutate: $(VENV)/.installed-mutate
	$(PY) tools/mutate.py $(MODULES) $(ARGS)

docs: $(VENV)/.installed-docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

docs-serve: $(VENV)/.installed-docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve

clean:
	rm -rf $(VENV) site build dist .pytest_cache .mypy_cache .ruff_cache .hypothesis
