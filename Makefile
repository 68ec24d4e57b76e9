# The zone patent exchange. Two commands: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
export DJANGO_SETTINGS_MODULE ?= marketplace.settings.local
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test install install-dev browser serve bootstrap bench-search bench-matching bench-pages bench-dealroom bench-ledger bench check lint clean ledger-check

$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## Debian's chromium (for the Playwright browser test) and a CJK font (for Chinese in screenshots and PDFs).
browser:
	@bash deploy/install-browser.sh

bootstrap: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py bootstrap
	$(BIN)/python manage.py collectstatic --noinput -v0

## Set up everything on first use, then serve HTTP + WebSocket and a Celery worker.
run: bootstrap
	$(BIN)/python manage.py serve --host $(HOST) --port $(PORT)

## Install the dev dependencies and run the whole suite.
test: $(VENV)/.installed-dev browser
	DJANGO_SETTINGS_MODULE=marketplace.settings.test $(BIN)/python -m pytest

## ruff (style and bugs), mypy (types, django-stubs) and import-linter (the dependency rule of docs/ARCHITECTURE.md).
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	DJANGO_SETTINGS_MODULE=marketplace.settings.test $(BIN)/mypy marketplace listings search cms escrow
	$(BIN)/lint-imports

check: $(VENV)/.installed
	$(BIN)/python manage.py check
	DJANGO_SETTINGS_MODULE=marketplace.settings.test $(BIN)/python manage.py makemigrations --check --dry-run

bench-search: bootstrap
	$(BIN)/python manage.py bench_search --size $(or $(SIZE),100000)

bench-matching: bootstrap
	$(BIN)/python manage.py bench_matching

## The public pages against a bare Django view, on a throw-away copy of var/ (docs/operations.md).
bench-pages: bootstrap
	$(BIN)/python manage.py bench_pages --clients $(or $(CLIENTS),8) --seconds $(or $(SECONDS),15)


## 200 WebSocket clients in 20 deal rooms through channels-redis (REDIS_URL; use a Redis db of your own),
## against a uvicorn the command starts with a throw-away database.
bench-dealroom: $(VENV)/.installed
	REDIS_URL=$(or $(REDIS_URL),redis://127.0.0.1:6379/0) $(BIN)/python manage.py bench_dealroom


## Ledger postings per second with 1 and 16 writers on a throw-away Postgres database (needs DATABASE_URL=postgres://…).
bench-ledger: $(VENV)/.installed
	$(BIN)/python manage.py bench_ledger

## Verify every ledger invariant; exits non-zero on a breach.
ledger-check: $(VENV)/.installed
	$(BIN)/python manage.py ledger_check

bench: bench-search bench-matching bench-pages bench-dealroom bench-ledger

clean:
	rm -rf var/ .pytest_cache
