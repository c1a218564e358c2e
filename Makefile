# socmaster — the two Quick start commands are `make demo` and `make test`.
SHELL := /bin/bash
VENV ?= .venv

.PHONY: demo test setup lint format generate clean

## Set up (virtual environment, packages, front-end assets) and serve the synthetic demo on SQLite.
demo: setup
	SOCMASTER_DEMO=1 $(VENV)/bin/socmaster demo

## Set up everything (including PostgreSQL and Chromium) and run the whole test suite.
test:
	scripts/setup.sh --test-deps
	scripts/test.sh

setup:
	scripts/setup.sh

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format:
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf var node_modules src/socmaster/web/static/vendor
