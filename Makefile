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

.PHONY: run dev serve test test-sqlite test-postgres messages lint bench cluster setup clean
.PHONY: bench-http bench-compliance load

# run, dev and serve sign sessions with the key in .secret_key (git-ignored, made once
# for this checkout, so sessions survive a restart) unless the environment sets
# DJANGO_SECRET_KEY, as a server's does.
run dev serve: export DJANGO_SECRET_KEY ?= $(file < .secret_key)

# The site's address for links in emails and on certificates (settings.SITE_URL): the
# environment's SITE_URL if it sets one (a server's does: docs/production.md), else the
# address run, dev and serve listen on, so `make run PORT=8101` links to :8101. HOST
# 0.0.0.0 (every interface) is no address to open: links then name 127.0.0.1; set
# SITE_URL for an address other machines use.
SITE_HOST = $(if $(filter 0.0.0.0,$(HOST)),127.0.0.1,$(HOST))
run dev serve: export SITE_URL ?= http://$(SITE_HOST):$(PORT)

# The site as its users see it: DEBUG off (the default), so the site's own error pages;
# static files collected and served by WhiteNoise under hashed names; emails printed
# here (no mail server on a laptop). Plain http://127.0.0.1 needs no HTTPS setting:
# HTTPS redirects, HSTS and Secure cookies follow an https:// SITE_URL.
run: export DJANGO_STATIC_MANIFEST := true
run: export DJANGO_EMAIL_BACKEND ?= django.core.mail.backends.console.EmailBackend
run: $(VENV)/.installed node_modules/.installed | .secret_key
	$(PY) manage.py migrate --no-input
	$(PY) manage.py collectstatic --no-input -v 0
	$(PY) manage.py import_content
	$(PY) manage.py seed_demo --demo
	@echo "Open http://$(SITE_HOST):$(PORT)/ and log in as learner / demo (also trainer, admin)."
	$(PY) manage.py runserver $(HOST):$(PORT)

# Development: DEBUG on (Django's technical error pages, static files straight from
# static/ and node_modules/, emails printed), otherwise as make run.
dev: export DJANGO_DEBUG := true
dev: $(VENV)/.installed node_modules/.installed | .secret_key
	$(PY) manage.py migrate --no-input
	$(PY) manage.py import_content
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver $(HOST):$(PORT)

# The production server: migrate, collect static files, import content, list what
# `check --deploy` finds, then gunicorn (gunicorn.conf.py) in the foreground. Set the
# production environment first (README "Production"); without it this serves
# http://$(HOST):$(PORT) like make run, with no demo accounts.
serve: export DJANGO_STATIC_MANIFEST := true
serve: $(VENV)/.installed node_modules/.installed | .secret_key
	$(PY) manage.py migrate --no-input
	$(PY) manage.py collectstatic --no-input -v 0
	$(PY) manage.py import_content
	$(PY) manage.py check --deploy
	exec env HOST=$(HOST) PORT=$(PORT) $(VENV)/bin/gunicorn

.secret_key:
	@umask 077 && $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@

test: test-sqlite test-postgres

# Test processes (pytest-xdist): one per core by default; TEST_WORKERS=0 runs in this
# process (for pdb). A file's tests stay in one process, so module fixtures start once.
TEST_WORKERS ?= auto
PYTEST = $(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadfile

# The whole suite on SQLite, the embedded default.
test-sqlite: $(VENV)/.installed-dev node_modules/.installed tests/oidc/node_modules/.installed tests/s3/node_modules/.installed /usr/bin/chromium /usr/bin/redis-server /usr/sbin/nginx lint
	env -u DATABASE_URL $(PYTEST)

# The whole suite again on a real, throwaway PostgreSQL server.
test-postgres: $(VENV)/.installed-dev node_modules/.installed tests/oidc/node_modules/.installed tests/s3/node_modules/.installed /usr/bin/chromium /usr/bin/redis-server /usr/sbin/nginx
	scripts/with-postgres $(PYTEST)

# The interface's translations: collect every marked string into
# locale/<lang>/LC_MESSAGES/django.po (translate the new entries there), then compile
# the .mo files Django reads. Both files are committed, so running the site needs no
# gettext; the tests check the catalogue is complete and compiled.
GETTEXT = @command -v xgettext >/dev/null 2>&1 || { $(SUDO) apt-get update -q && \
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q gettext; }
MESSAGE_SOURCES = --ignore=node_modules --ignore=staticfiles --ignore=tests --ignore=bench \
	--ignore=content --ignore=course_player.egg-info --ignore=scripts
messages: $(VENV)/.installed-dev
	$(GETTEXT)
	$(PY) manage.py makemessages --all --add-location=file --no-obsolete $(MESSAGE_SOURCES)
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy

# In-process page timings (bench/run.py), then the HTTP benchmark on SQLite (about 6
# minutes more; docs/benchmarks.md).
bench: $(VENV)/.installed-dev node_modules/.installed
	$(PY) bench/run.py
	$(WRK)
	$(PY) bench/http_bench.py

# Debian's wrk, the HTTP benchmark's load generator.
WRK = @command -v wrk >/dev/null 2>&1 || { $(SUDO) apt-get update -q && \
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q wrk; }

# The HTTP benchmark alone (bench/http_bench.py): every page under gunicorn with
# production settings against a bare Django hello, on SQLite and PostgreSQL by default
# (BENCH_DB=sqlite|postgres|both; BENCH_HTTP_ROUNDS, BENCH_HTTP_SECONDS; docs/benchmarks.md).
bench-http: export BENCH_DB ?= both
bench-http: $(VENV)/.installed node_modules/.installed
	$(WRK)
	$(PY) bench/http_bench.py

# The compliance matrix at 10,000 people x 50 courses on a throwaway PostgreSQL
# (bench/compliance_bench.py; BENCH_PEOPLE, BENCH_COURSES, BENCH_ROUNDS; docs/benchmarks.md).
bench-compliance: $(VENV)/.installed-dev
	scripts/with-postgres $(PY) bench/compliance_bench.py

# Simulated learners (bench/load.py, Locust from the `load` extra), bounded in time:
# LOAD_USERS (1000; several: "1000 10000"), LOAD_SECONDS (180), LOAD_DB (sqlite, postgres, both).
# Ends with "Failed requests: N of M" and fails (exit status 1) when N is not 0.
load: $(VENV)/.installed node_modules/.installed
	@[ -x $(VENV)/bin/locust ] || $(PY) -m pip install --quiet --disable-pip-version-check -e '.[load]'
	$(PY) bench/load.py

# nginx -> two gunicorn app servers -> PostgreSQL + Redis on loopback, a bounded Locust
# load test with one app server stopped and restarted, and its figures (docs/production.md,
# "Scale-out"); fails when any request failed or anything seen is missing from the
# database. The script installs nginx, redis-server and the `load` extra when missing.
cluster: $(VENV)/.installed node_modules/.installed
	scripts/cluster

setup: $(VENV)/.installed-dev node_modules/.installed tests/oidc/node_modules/.installed tests/s3/node_modules/.installed /usr/bin/chromium /usr/bin/redis-server /usr/sbin/nginx

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PANGO)
	$(PY) -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(VENV)/bin/python
	$(PANGO)
	$(GETTEXT)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@ $(VENV)/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The OpenID Connect provider the SSO tests start (npm oidc-provider), kept apart from
# the app's packages; tests/browser/test_sso.py also runs this `npm ci` when it is missing.
tests/oidc/node_modules/.installed: tests/oidc/package.json tests/oidc/package-lock.json
	npm ci --prefix tests/oidc --no-audit --no-fund --loglevel=error
	touch $@

# The S3-compatible server the shared-storage tests start (npm s3rver), kept apart in
# the same way; tests/test_s3_storage.py also runs this `npm ci` when it is missing.
tests/s3/node_modules/.installed: tests/s3/package.json tests/s3/package-lock.json
	npm ci --prefix tests/s3 --no-audit --no-fund --loglevel=error
	touch $@

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser).
/usr/bin/chromium:
	$(SUDO) apt-get update -q
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium

# Debian's Redis for tests/test_cache.py, which starts a private server on a unix socket.
/usr/bin/redis-server:
	$(SUDO) apt-get update -q
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q redis-server

# Debian's nginx for tests/test_server_settings.py, which runs the shipped configuration
# (deploy/nginx/) as a private process in front of gunicorn.
/usr/sbin/nginx:
	$(SUDO) apt-get update -q
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q nginx

clean:
	rm -rf $(VENV) node_modules tests/oidc/node_modules tests/s3/node_modules staticfiles
