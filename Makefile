# Two commands do all the set-up: `make serve` and `make test`. Each (re)builds .venv when
# pyproject.toml changed, so a fresh machine with only python3 and make is enough.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# `make serve PORT=9000 HOST=0.0.0.0 DB=:memory: CLOCK=virtual LOG_LEVEL=debug`; anything else
# `asl-engine serve` takes goes in SERVE_ARGS. Unset ones keep the command's defaults.
HOST ?= 127.0.0.1
PORT ?= 8083
SERVE_OPTIONS = --host $(HOST) --port $(PORT) $(if $(DB),--db $(DB)) $(if $(CLOCK),--clock $(CLOCK)) \
	$(if $(LOG_LEVEL),--log-level $(LOG_LEVEL)) $(SERVE_ARGS)

.PHONY: serve test lint venv bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

serve: $(STAMP)
	$(BIN)/asl-engine serve $(SERVE_OPTIONS)

# lint first (a few seconds): a type error or a lint finding fails the test command like a test;
# then the API suite with every server on PostgreSQL (skipped, saying why, where Debian's
# postgresql is not installed), then the whole suite on SQLite. Both on three workers
# (pytest-xdist) that steal each other's queued tests: most of the suite waits on servers and
# timers, which a third worker overlaps on two cores (SQLite run 222 s -> 175 s here). Last, the
# tests marked `alone` (they bound a time) with the machine to themselves.
TEST_RUN = $(BIN)/python -m pytest -n 3 --dist worksteal -m "not alone"
# Bytecode is written even where the environment says not to (PYTHONDONTWRITEBYTECODE, as on
# this project's CI machines): the suite starts a few hundred servers as subprocesses, and
# each would compile asl_engine again (0.99 s -> 0.80 s per start here).
test: export PYTHONDONTWRITEBYTECODE =
test: $(STAMP) lint
	ASL_ENGINE_TEST_STORE=postgresql $(TEST_RUN) tests/api -rs
	$(TEST_RUN)
	$(BIN)/python -m pytest -m alone -rs

# ruff (the rule set pinned in pyproject.toml) on the whole tree, mypy --strict on asl_engine (the API included)
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV)
