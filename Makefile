# Lineage: `make run` serves the app on the embedded SQLite default with the seed data;
# `make test` runs the whole suite. Each sets up what it needs by itself.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test test-fast system-deps bench soak clean

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

clean:
	rm -rf $(VENV) node_modules static/vendor lineage.db lineage.db-wal lineage.db-shm
