# Shoal: `make up` runs the product on this machine, `make test` runs the whole test suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
AGENT_BINARY  := build/out/shoal-agent
AGENT_SOURCES := $(shell find agent -name '*.py') build/agent.sh

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

# The single-file agent (Nuitka; minutes the first time, ccache makes rebuilds quick) and its
# offline image; the test suite runs one test against each.
$(AGENT_BINARY): $(AGENT_SOURCES) | $(STAMP)
	bash build/agent.sh

agent: $(AGENT_BINARY)
	bash build/agent.sh --image-only

# The agent builds in the background while the suite runs; its two tests wait for it (build/test.sh).
test: $(STAMP)
	bash build/deps.sh test
	bash build/test.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	@for script in $$(ls bench/*.py | grep -v -e _common -e _sim); do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .data .pytest_cache .ruff_cache build/out
