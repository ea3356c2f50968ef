# Kudos — the two commands that matter are `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := app

.PHONY: run test check bench deps-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

## Start the whole tool offline on http://127.0.0.1:5000: local MediaWikis (installed with apt-get when
## needed), the web tool with a demo login and demo data, and the delivery job; state in instance/.
## Ctrl-C stops everything. RUN_ARGS passes options, e.g. RUN_ARGS="--port 5050" (python -m kudos.demo run -h).
run: $(VENV)/.runtime
	$(BIN)/python -m kudos.demo run $(RUN_ARGS)

## Install everything the tests need (system packages included) and run the whole suite, whole modules spread
## over TEST_WORKERS processes (default 2, one per core of a Toolforge-sized machine; 0 runs in one process).
TEST_WORKERS ?= 2
test: $(VENV)/.dev
	scripts/install-test-deps.sh
	@# Bytecode is written even where the environment turns it off: every worker and every job or server the
	@# tests start would otherwise compile the tool and rewrite the tests' assertions afresh.
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest $(if $(filter-out 0,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder) $(PYTEST_ARGS)

## Lint and type-check.
check: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/mypy

## Run every benchmark under bench/; each ends with a `RESULT <name> key=value …` line.
## `make bench QUICK=1`: the same steps at small sizes, in seconds (CI runs this after the tests).
bench: $(VENV)/.dev
	scripts/install-test-deps.sh
	PYTHON=$(BIN)/python scripts/run-benchmarks $(if $(QUICK),--quick)

# The test components stay in ~/.cache/kudos-test (scripts/lib/test-cache.sh), shared by every clone.
clean:
	rm -rf $(VENV) .cache test-output
