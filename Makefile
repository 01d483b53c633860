# Two commands for a newcomer: `make demo` and `make test`. Everything else is here for CI and scripts.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/synthhub
PYTEST_ARGS ?=
PROD_ENV := DJANGO_SETTINGS_MODULE=synthhub.settings.production SECRET_KEY=check-deploy-$(shell printf '%060d' 0) \
	ALLOWED_HOSTS=synthhub.example.com DATABASE_URL= SYNTHHUB_METRICS_TOKEN=check-deploy-metrics-token

.PHONY: install demo test test-sqlite test-postgres test-schemathesis test-browser browser-deps check lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# The main job end to end on the embedded SQLite database.
demo: install
	DATABASE_URL= $(BIN)/python manage.py migrate --noinput -v0
	DATABASE_URL= $(BIN)/python manage.py demo

test: install test-sqlite test-postgres test-schemathesis test-browser

test-sqlite: install
	DATABASE_URL= $(BIN)/python -m pytest -q -n 2 $(PYTEST_ARGS)

# PostgreSQL runs when it answers; with CI=true it must answer.
test-postgres: install
	@if DATABASE_URL=$(PG_TEST_URL) $(BIN)/python -m synthhub.dbcheck; then \
		DATABASE_URL=$(PG_TEST_URL) $(BIN)/python -m pytest -q -n 2 $(PYTEST_ARGS); \
	elif [ "$${CI:-}" = "true" ]; then \
		echo "PostgreSQL at $(PG_TEST_URL) does not answer, and CI=true requires it." >&2; exit 1; \
	else \
		echo "PostgreSQL at $(PG_TEST_URL) does not answer: PostgreSQL tests skipped."; \
	fi

# Schemathesis against a live server on PostgreSQL (marker `schemathesis`, deselected from the runs above by
# pyproject's addopts); a few minutes. With CI=true PostgreSQL must answer.
test-schemathesis: install
	@if DATABASE_URL=$(PG_TEST_URL) $(BIN)/python -m synthhub.dbcheck; then \
		DATABASE_URL=$(PG_TEST_URL) $(BIN)/python -m pytest -q -p no:randomly -m schemathesis tests/schemathesis; \
	elif [ "$${CI:-}" = "true" ]; then \
		echo "PostgreSQL at $(PG_TEST_URL) does not answer, and CI=true requires it for Schemathesis." >&2; exit 1; \
	else \
		echo "PostgreSQL at $(PG_TEST_URL) does not answer: the Schemathesis run is skipped."; \
	fi

# Debian's Chromium and its driver for the console's browser tests, installed when missing (needs root or
# sudo). Outside CI a failed install only means the browser tests skip; with CI=true it fails the run.
browser-deps:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then :; else \
		SUDO=$$([ "$$(id -u)" = "0" ] || echo "sudo -n"); \
		{ $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium chromium-driver; } \
		|| { [ "$${CI:-}" != "true" ] && echo "chromium could not be installed: the browser tests will skip."; }; \
	fi

# The console driven in Chromium (marker `browser`, deselected from the runs above); screenshots go to
# var/screenshots/. Outside CI a missing browser skips them with the reason; with CI=true they must run.
test-browser: install browser-deps
	DATABASE_URL= $(BIN)/python -m pytest -q -p no:randomly -m browser tests/browser

check: lint
	DATABASE_URL= $(BIN)/python manage.py makemigrations --check --dry-run
	DATABASE_URL= $(BIN)/python manage.py spectacular --validate --fail-on-warn --file /dev/null
	$(PROD_ENV) $(BIN)/python manage.py check --deploy --fail-level WARNING

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
