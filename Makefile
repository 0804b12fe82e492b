# Two commands: `make run` and `make test`. Everything else is what they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
APP    := $(BIN)/complaint-desk
HOST   ?= 127.0.0.1
PORT   ?= 5000
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/complaint_desk_test

.PHONY: run test setup browser lint test-sqlite test-postgres bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

MO := web/translations/en/LC_MESSAGES/messages.mo
$(MO): web/translations/en/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile -d web/translations

# The engine's messages (English ids, as the API gives them) in Russian for the pages.
ENGINE_MO := web/translations/ru/LC_MESSAGES/engine.mo
$(ENGINE_MO): web/translations/ru/LC_MESSAGES/engine.po $(STAMP)
	$(BIN)/pybabel compile -d web/translations -D engine

NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

setup: $(STAMP) $(MO) $(ENGINE_MO) $(NODE_STAMP)

# Browser tests drive Debian's Chromium; install it when missing and we may (root on Debian).
browser:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; fi
	@[ -x /usr/bin/chromium ] || echo "Chromium missing: browser tests will be skipped (apt-get install -y chromium)"

# The demo's session key: random, made once, kept under instance/ (never committed). A real deployment
# sets SECRET_KEY instead; without either the app refuses to start.
SECRET := instance/secret_key
$(SECRET):
	mkdir -p instance
	umask 077 && $(BIN)/python -c "import secrets; print(secrets.token_urlsafe(48))" > $(SECRET)

run: setup $(SECRET)
	$(APP) db upgrade
	$(APP) deploy-processes
	$(APP) seed-demo
	@echo "Complaint desk on http://$(HOST):$(PORT) — demo users: operator, responsible, qms, owner, executive, admin (password: demo)"
	$(APP) serve --host $(HOST) --port $(PORT)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test-sqlite: setup
	$(BIN)/pytest

# Runs the suite again on PostgreSQL when TEST_DATABASE_URL is set (the CI script sets it).
test-postgres: setup
	@if [ -n "$$TEST_DATABASE_URL" ]; then $(BIN)/pytest; else echo "TEST_DATABASE_URL not set: PostgreSQL run skipped"; fi

# The SQLite and PostgreSQL suites run side by side, each with its own log under test-artifacts/logs/.
test: lint browser
	bash .ci/suites

bench: setup
	$(BIN)/python bench/lifecycle.py
	$(BIN)/python bench/timers.py
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/reports.py

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
