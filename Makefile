# Storedesk: `make run` to try it, `make test` to check it. See README.md.

PORT ?= 8000
SMTP_PORT ?= 2525
PYTHON ?= python3

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
POSTGRES_URL := postgres://postgres@127.0.0.1:5432/storedesk
# Reachability is checked against the maintenance database: pytest-django creates test_storedesk.
POSTGRES_ADMIN_URL := postgres://postgres@127.0.0.1:5432/postgres
POSTGRES_REDIS_URL := redis://127.0.0.1:6379/15
CHROMIUM := /usr/bin/chromium

# A missing service fails the build in CI and is skipped, loudly, on a developer's machine.
# Used inside a recipe's single shell, so `exit 0` skips the rest of that recipe.
require_or_skip = if [ "$${CI:-}" = "true" ]; then echo "FAIL $@: $(1) (required when CI=true)" >&2; exit 1; fi; echo "SKIPPED $@: $(1)"; exit 0

# Catalogues are compiled with Babel, so no gettext tools are needed.
translations: $(STAMP)
	$(BIN)/storedesk compile_translations

.PHONY: translations run test lint typecheck test-sqlite test-postgres test-browser bench clean

# Reinstall only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# PORT is exported too, so links in mail (STOREDESK_BASE_URL's default) use the same port.
run: export PORT := $(PORT)
run: export STOREDESK_SMTP_PORT := $(SMTP_PORT)
run: translations
	$(BIN)/storedesk migrate --noinput
	$(BIN)/storedesk load_demo
	$(BIN)/storedesk serve --port $(PORT)

test: lint typecheck test-sqlite test-postgres test-browser

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/storedesk makemigrations --check --dry-run

typecheck: $(STAMP)
	$(BIN)/mypy storedesk conftest.py bench
	$(BIN)/mypy e2e

test-sqlite: translations
	env -u DATABASE_URL -u REDIS_URL $(BIN)/pytest -n 2 --dist loadgroup storedesk

test-postgres: translations
	@if ! $(BIN)/python -c "import psycopg; psycopg.connect('$(POSTGRES_ADMIN_URL)', connect_timeout=3).close()" 2>/dev/null; then \
		$(call require_or_skip,PostgreSQL is not reachable at 127.0.0.1:5432); \
	fi; \
	if ! $(BIN)/python -c "import redis; redis.Redis.from_url('$(POSTGRES_REDIS_URL)', socket_connect_timeout=3).ping()" 2>/dev/null; then \
		$(call require_or_skip,Redis is not reachable at 127.0.0.1:6379); \
	fi; \
	set -x; DATABASE_URL=$(POSTGRES_URL) REDIS_URL=$(POSTGRES_REDIS_URL) $(BIN)/pytest -n 2 --dist loadgroup storedesk

test-browser: translations
	@if ! test -x $(CHROMIUM); then \
		$(call require_or_skip,$(CHROMIUM) is not installed); \
	fi; \
	set -x; env -u DATABASE_URL -u REDIS_URL $(BIN)/pytest e2e

bench: $(STAMP)
	$(BIN)/python bench/inbox.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/chat.py
	$(BIN)/python bench/kb_clusters.py --write
	$(BIN)/python bench/kb_eval.py
	$(BIN)/python bench/kb_search.py

# Conservative on purpose: development data only, never the venv or the secret key.
clean:
	rm -rf var/devmail
	rm -f var/*.sqlite3 var/*.sqlite3-wal var/*.sqlite3-shm var/*.sqlite3-journal
