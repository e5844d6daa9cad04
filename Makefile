# Two commands for a fresh machine:  make demo  (run the platform)  ·  make test  (run the suite)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_DAYS ?= 730

.PHONY: install demo serve test lint typecheck pytest pytest-backends bench clean messages screenshots

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Build the demo market into the default SQLite file and serve site + API on http://127.0.0.1:8000,
## with the delivery worker (webhooks, alert e-mails) beside it; Ctrl-C stops both
demo: install
	$(BIN)/metalwire db upgrade
	$(BIN)/metalwire demo --days $(DEMO_DAYS)
	@$(BIN)/metalwire worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/metalwire serve --host $(HOST) --port $(PORT)

serve: install
	$(BIN)/metalwire serve --host $(HOST) --port $(PORT)

## Lint, type-check and run the whole test suite (PostgreSQL too when METALWIRE_TEST_POSTGRES_URL is
## set: then the two backends' runs go side by side, one a core)
test: install lint typecheck
ifdef METALWIRE_TEST_POSTGRES_URL
	$(MAKE) pytest-backends
else
	$(MAKE) pytest
endif

lint: install
	$(BIN)/ruff check src tests $(wildcard benchmarks)

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest $(PYTEST_ARGS)

## The suite as two processes side by side, one a core: every test on SQLite, and the database
## tests on PostgreSQL (needs METALWIRE_TEST_POSTGRES_URL); the PostgreSQL log follows the SQLite one
pytest-backends: install
	@mkdir -p var
	@METALWIRE_TEST_BACKENDS=postgresql $(BIN)/pytest -p no:cacheprovider $(PYTEST_ARGS) \
		> var/pytest-postgresql.log 2>&1 & postgresql=$$!; \
	METALWIRE_TEST_BACKENDS=sqlite $(BIN)/pytest $(PYTEST_ARGS); sqlite=$$?; \
	wait $$postgresql; pg=$$?; echo "--- PostgreSQL"; cat var/pytest-postgresql.log; \
	test $$sqlite -eq 0 && test $$pg -eq 0

## Retake the README's screenshots from the browser journeys (needs Debian's chromium)
screenshots: install
	METALWIRE_SCREENSHOTS=docs/screenshots $(BIN)/pytest tests/browser -q

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

## Re-extract UI strings and merge them into the Chinese catalog (then translate the new ones)
messages: install
	mkdir -p var
	$(BIN)/pybabel extract -F babel.cfg -k _t:2 -o var/messages.pot .
	$(BIN)/pybabel update -i var/messages.pot -d src/metalwire/locale -D messages --no-fuzzy-matching
