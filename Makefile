# Shoal: `make up` runs the product on this machine, `make test` runs the whole test suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: up test lint fmt bench deps agent clean

$(STAMP): pyproject.toml plugins-sdk/pyproject.toml
	@bash build/deps.sh runtime
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]' -e plugins-sdk
	@touch $(STAMP)

up: $(STAMP)
	$(BIN)/shoal up

deps:
	bash build/deps.sh test

test: $(STAMP)
	bash build/deps.sh test
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .data .pytest_cache .ruff_cache build/out
