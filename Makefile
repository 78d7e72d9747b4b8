# Two commands on a fresh machine: `make demo` and `make test`. Each creates .venv when missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# mkdocs-material prints a multi-line end-of-life banner on every build; it is not ours to show.
export NO_MKDOCS_2_WARNING := 1

.PHONY: demo test lint install browser alertmanager bench clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[ask,serve,site,test]'
	@touch $(STAMP)

install: $(STAMP)

## make demo: index the example runbooks, ask two questions, run the checks (clean, then on a drift scenario), build the site
demo: $(STAMP)
	@$(BIN)/python scripts/demo.py

## make test: the whole test suite, browser tests included
test: $(STAMP) lint browser alertmanager
	$(BIN)/python -m pytest -q

## make lint: ruff, mypy on the core, rbh.checks and the indexer's public APIs, and the import-layer contracts (part of make test)
lint: $(STAMP)
	$(BIN)/ruff check .
	@MYPY=$(abspath $(BIN))/mypy bash scripts/mypy.sh
	@LINT_IMPORTS=$(abspath $(BIN))/lint-imports bash scripts/lint-imports.sh
	@bash scripts/in-installed-layout.sh $(abspath $(BIN))/python $(abspath scripts/no-import-cycles.py)

browser:
	@bash scripts/ensure-chromium.sh

alertmanager:
	@bash scripts/ensure-alertmanager.sh

## make bench: every benchmark in bench/ (minutes; each prints a table, see bench/README.md)
bench: $(STAMP)
	@for script in bench/*.py; do echo "==> $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf build .rbh .pytest_cache
