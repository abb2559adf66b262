# Porto: `make run` starts the app with demo data; `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# The database name follows the checkout, so two checkouts can run their tests at once.
POSTGRES_TEST_URL ?= postgres://postgres@127.0.0.1:5432/porto_$(notdir $(CURDIR))

.PHONY: run test install lint typecheck migrations-check test-sqlite test-postgres bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

# Translations are compiled on every install (.mo files are not committed).
install: $(VENV)/.installed
	$(PY) manage.py compilemessages --ignore=.venv --verbosity=0

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py serve

test: install lint typecheck migrations-check test-sqlite test-postgres

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck:
	$(VENV)/bin/mypy porto

migrations-check:
	$(PY) manage.py makemigrations --check --dry-run

test-sqlite:
	$(VENV)/bin/pytest -m "not postgres"

# The same suite on PostgreSQL, plus the tests that need it (concurrency, SKIP LOCKED).
# With CI=true an unreachable PostgreSQL fails the run; elsewhere it is skipped with a reason.
test-postgres:
	@if $(PY) -m tests.services postgres "$(POSTGRES_TEST_URL)"; then \
		DATABASE_URL="$(POSTGRES_TEST_URL)" $(VENV)/bin/pytest -m "not browser"; \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL at $(POSTGRES_TEST_URL) is unreachable: CI needs it." >&2; exit 1; \
	else \
		echo "SKIPPED the PostgreSQL pass: no server at $(POSTGRES_TEST_URL) (set POSTGRES_TEST_URL)."; \
	fi

bench: install
	$(PY) -m bench

clean:
	rm -rf $(VENV) var build *.egg-info
