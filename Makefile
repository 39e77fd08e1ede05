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
# postgresql is not installed), then the whole suite on SQLite; both on two workers (pytest-xdist).
# Work stealing: a worker that runs out takes tests from the other, so a few long kill-and-restart
# tests never leave one core idle at the end (on 2 cores, with the kill tests' shorter PostgreSQL
# lease: 352 s -> 222 s for the SQLite run)
test: $(STAMP) lint
	ASL_ENGINE_TEST_STORE=postgresql $(BIN)/python -m pytest tests/api -rs -n 2 --dist worksteal
	$(BIN)/python -m pytest -n 2 --dist worksteal

# ruff (the rule set pinned in pyproject.toml) on the whole tree, mypy --strict on asl_engine (the API included)
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV)
