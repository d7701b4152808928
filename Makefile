# The two commands of the README: `make run` and `make test`. Both set up
# everything they need on a fresh machine (virtualenv, Python and npm packages,
# and for the tests Debian's Chromium and PostgreSQL).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# apt-get needs root; use sudo when we are not root.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# WeasyPrint (certificate PDFs) needs Debian's Pango; most images have it already.
PANGO = @dpkg -s libpango-1.0-0 libpangoft2-1.0-0 >/dev/null 2>&1 || { $(SUDO) apt-get update -q && \
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q libpango-1.0-0 libpangoft2-1.0-0; }

.PHONY: run test test-sqlite test-postgres lint bench setup clean

run: $(VENV)/.installed node_modules/.installed
	$(PY) manage.py migrate --no-input
	$(PY) manage.py import_content
	$(PY) manage.py seed_demo
	@echo "Open http://$(HOST):$(PORT)/ and log in as learner / demo (also trainer, admin)."
	$(PY) manage.py runserver $(HOST):$(PORT)

test: test-sqlite test-postgres

# The whole suite on SQLite, the embedded default.
test-sqlite: $(VENV)/.installed-dev node_modules/.installed /usr/bin/chromium lint
	env -u DATABASE_URL $(VENV)/bin/pytest

# The whole suite again on a real, throwaway PostgreSQL server.
test-postgres: $(VENV)/.installed-dev node_modules/.installed /usr/bin/chromium
	scripts/with-postgres $(VENV)/bin/pytest

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .

bench: $(VENV)/.installed-dev
	$(PY) bench/run.py

setup: $(VENV)/.installed-dev node_modules/.installed /usr/bin/chromium

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PANGO)
	$(PY) -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(VENV)/bin/python
	$(PANGO)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@ $(VENV)/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser).
/usr/bin/chromium:
	$(SUDO) apt-get update -q
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium

clean:
	rm -rf $(VENV) node_modules staticfiles
