# Porto: `make run` starts the app with demo data; `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# The database name follows the checkout, so two checkouts can run their tests at once.
POSTGRES_TEST_URL ?= postgres://postgres@127.0.0.1:5432/porto_$(notdir $(CURDIR))
# The RQ pass: a PostgreSQL database of its own, and a Redis database number of its own (never
# 0), emptied before each test.
POSTGRES_RQ_TEST_URL ?= $(POSTGRES_TEST_URL)_rq
RQ_TEST_REDIS_URL ?= redis://127.0.0.1:6379/12

.PHONY: run test install lint typecheck migrations-check test-sqlite test-postgres test-rq test-processes bench clean system-packages

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

# The SQLite, PostgreSQL and RQ passes run side by side, each on its own database (their output
# is shown as each ends); the tests that start real processes (servers, workers) run last,
# alone, so their timings are not squeezed by the passes.
test: system-packages install lint typecheck migrations-check
	@$(MAKE) --no-print-directory -j3 --output-sync=target test-sqlite test-postgres test-rq
	@$(MAKE) --no-print-directory test-processes

# Debian packages the tests need, each named when it is missing: Chromium (browser tests),
# gettext (translation check), poppler-utils (reading PDFs), and the Noto fonts the PDFs fall
# back to for Chinese, Japanese, Korean and emoji.
system-packages:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	command -v pdftoppm >/dev/null || missing="$$missing poppler-utils"; \
	command -v fc-list >/dev/null || missing="$$missing fontconfig"; \
	fc-list -q "Noto Sans" 2>/dev/null || missing="$$missing fonts-noto-core"; \
	fc-list -q "Noto Sans CJK SC" 2>/dev/null || missing="$$missing fonts-noto-cjk"; \
	fc-list -q "Noto Color Emoji" 2>/dev/null || missing="$$missing fonts-noto-color-emoji"; \
	if [ -n "$$missing" ]; then \
		echo "Missing Debian packages:$$missing. Install them: sudo apt-get install$$missing" >&2; \
		exit 1; \
	fi

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck:
	$(VENV)/bin/mypy porto

migrations-check:
	$(PY) manage.py makemigrations --check --dry-run

test-sqlite:
	@echo "== SQLite pass: every test but the PostgreSQL-only and real-process ones (database tasks)"
	PORTO_MEDIA_ROOT=var/test-media/sqlite $(VENV)/bin/pytest -m "not postgres and not processes"

# The tests that touch the database again on PostgreSQL, plus the tests that need it
# (concurrency, SKIP LOCKED); tests that never touch the database run in the SQLite pass only.
# With CI=true an unreachable PostgreSQL fails the run; elsewhere it is skipped with a reason.
test-postgres:
	@echo "== PostgreSQL pass: the tests that touch the database, on PostgreSQL (database tasks)"
	@if $(PY) -m tests.services postgres "$(POSTGRES_TEST_URL)"; then \
		DATABASE_URL="$(POSTGRES_TEST_URL)" PORTO_MEDIA_ROOT=var/test-media/postgres \
			$(VENV)/bin/pytest -m "not browser and not processes"; \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL at $(POSTGRES_TEST_URL) is unreachable: CI needs it." >&2; exit 1; \
	else \
		echo "SKIPPED the PostgreSQL pass: no server at $(POSTGRES_TEST_URL) (set POSTGRES_TEST_URL)."; \
	fi

# The sending and tracking suites again on PostgreSQL with PORTO_TASK_BACKEND=rq: every task
# goes through RQ on a real Redis, and tests.tasks.run_queued_tasks runs them with an in-process
# RQ worker (scheduler included). The files that enqueue, wake, retry or project; tests about
# one backend itself carry task_backend("db"|"rq", reason=...). docs/testing.md says which files
# are left out and why. With CI=true an unreachable Redis or PostgreSQL fails the run.
RQ_SUITE := \
	tests/mail/test_task_backends.py \
	tests/mail/test_requests.py \
	tests/mail/test_command.py \
	tests/mail/test_retries.py \
	tests/mail/test_pipeline_batches.py \
	tests/mail/test_poison.py \
	tests/mail/test_copies.py \
	tests/mail/test_breaker.py \
	tests/mail/test_periodic_jobs.py \
	tests/mail/test_webhook_views.py \
	tests/mail/test_webhook_bodies.py \
	tests/mail/test_projection_batches.py \
	tests/mail/test_pixel_view.py \
	tests/mail/test_pixel_tracking.py \
	tests/mail/test_pixel_loads.py \
	tests/mail/test_refresh.py \
	tests/mail/test_provider_events.py \
	tests/hooks/test_delivery.py \
	tests/hooks/test_emit.py

test-rq:
	@echo "== RQ pass: the sending and tracking suites on PostgreSQL, tasks through RQ on Redis ($(RQ_TEST_REDIS_URL))"
	@if ! $(PY) -m tests.services redis "$(RQ_TEST_REDIS_URL)"; then \
		if [ "$$CI" = "true" ]; then \
			echo "Redis at $(RQ_TEST_REDIS_URL) is unreachable: CI needs it." >&2; exit 1; \
		fi; \
		echo "SKIPPED the RQ pass: no Redis at $(RQ_TEST_REDIS_URL) (set RQ_TEST_REDIS_URL)."; \
	elif ! $(PY) -m tests.services postgres "$(POSTGRES_RQ_TEST_URL)"; then \
		if [ "$$CI" = "true" ]; then \
			echo "PostgreSQL at $(POSTGRES_RQ_TEST_URL) is unreachable: CI needs it." >&2; exit 1; \
		fi; \
		echo "SKIPPED the RQ pass: no server at $(POSTGRES_RQ_TEST_URL) (set POSTGRES_TEST_URL)."; \
	else \
		$(PY) -m tests.services flush-redis "$(RQ_TEST_REDIS_URL)" && \
		DATABASE_URL="$(POSTGRES_RQ_TEST_URL)" PORTO_TASK_BACKEND=rq REDIS_URL="$(RQ_TEST_REDIS_URL)" \
			PORTO_MEDIA_ROOT=var/test-media/rq \
			$(VENV)/bin/pytest -m "not browser and not processes" $(RQ_SUITE); \
	fi

# Real processes: `serve`, the workers under kills, RQ on Redis, the sandbox command, make.
test-processes:
	@echo "== Real processes: serve, workers under kills, RQ workers on Redis, commands, make"
	$(VENV)/bin/pytest -m processes

# Every benchmark, each in its own process with production settings, in under 15 minutes; prints
# the figures against their targets and writes bench/results/latest.json (docs/performance.md).
# One module or fewer runs: make bench BENCH_ARGS="bench_documents --runs 5".
bench: install
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var build *.egg-info
