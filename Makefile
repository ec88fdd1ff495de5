# Lineage: `make run` serves the app on the embedded SQLite default with the seed data;
# `make test` runs the whole suite. Each sets up what it needs by itself.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test test-fast system-deps bench soak clean i18n

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

static/vendor/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
	touch $@

install: $(VENV)/.installed static/vendor/.installed

run: install
	bash scripts/system-deps.sh run
	$(VENV)/bin/lineage migrate
	$(VENV)/bin/lineage seed --if-empty
	$(VENV)/bin/lineage serve --host $(HOST) --port $(PORT)

# Debian packages the browser and PostgreSQL tests need (root, as on CI machines).
system-deps:
	bash scripts/system-deps.sh test

test: install system-deps
	bash scripts/test.sh

test-fast: install
	$(PY) -m pytest -q -m "not browser and not postgres"

bench: install
	$(PY) bench/extract.py

# 60 s at 64 connections on the read pages while an admin saves documents: zero errors (issue 7).
soak: install system-deps
	$(PY) bench/soak.py --seconds 60 --connections 64

# The UI strings: extract the keys from the code and templates, then add new ones to each catalog
# (locales/<lang>/LC_MESSAGES/messages.po), where they wait for their translation.
i18n: install
	$(VENV)/bin/pybabel extract -F babel.cfg -k t -k Msg -k N_ --no-location --omit-header -o locales/messages.pot .
	$(VENV)/bin/pybabel update -i locales/messages.pot -d locales --no-wrap --ignore-obsolete

clean:
	rm -rf $(VENV) node_modules static/vendor lineage.db lineage.db-wal lineage.db-shm
