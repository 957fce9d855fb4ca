# Vitrine: `make run` starts the demo site, `make test` runs the whole suite.
# Every command the project needs is spelled here once; `make help` lists them.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
TESTING := $(VENV)/.installed-test
PROTOS := $(wildcard protos/shop/v1/*.proto)
GENERATED := contract/gen/.generated
# The quality gates' judges from npm (axe-core, vnu-jar, Lighthouse), pinned in package-lock.json.
NODE_TOOLS := node_modules/.installed

.DEFAULT_GOAL := help
.PHONY: constraints test-integration help setup protos run serve dev preview api seed migrate migration test test-unit test-functional test-e2e gates lint bench bench-import profile bootstrap clean seo-audit

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

# Runtime packages only for `make run`; the test tools come with `make test` (TESTING).
$(INSTALLED): pyproject.toml constraints.txt
	@echo "setup: installing Vitrine's runtime packages into $(VENV) (pinned in constraints.txt)..."
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --progress-bar on -c constraints.txt -e .
	touch $@

$(TESTING): $(INSTALLED)
	@echo "setup: installing the test tools into $(VENV) (pinned in constraints.txt)..."
	$(PY) -m pip install --progress-bar on -c constraints.txt -e '.[test]'
	touch $@

# --ignore-scripts: vnu-jar's install script would download a Java runtime; Debian's is used
# (scripts/bootstrap installs default-jre-headless).
$(NODE_TOOLS): package.json package-lock.json | bootstrap
	@echo "setup: installing the quality gates' judges into node_modules (pinned in package-lock.json)..."
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

$(GENERATED): $(PROTOS) $(INSTALLED)
	rm -rf contract/gen api_client/services.pyi
	mkdir -p contract/gen
	$(PY) -m grpc_tools.protoc -I protos --python_out=contract/gen --pyi_out=contract/gen $(PROTOS)
	$(PY) -m api_client.stubs
	touch $@

setup: $(INSTALLED) $(GENERATED) ## create .venv, install, generate the protobuf modules

protos: $(GENERATED) ## regenerate the protobuf modules from protos/

run: setup ## seed the demo catalogue if empty and start the whole site; Ctrl-C stops it all
	VITRINE_LOG_FORMAT=$${VITRINE_LOG_FORMAT:-text} $(VENV)/bin/vitrine run

serve: setup ## production shape: nginx on :8080, two fronts, two API workers that fronts discover
	$(VENV)/bin/vitrine serve

dev: setup ## the whole site in debug mode: reloads Python, templates and assets; debug panel; /_preview/
	VITRINE_DEBUG=1 VITRINE_LOG_FORMAT=text $(VENV)/bin/vitrine run

preview: setup ## only the template preview on http://127.0.0.1:8000/_preview/ (no API, no database)
	$(VENV)/bin/vitrine preview

api: setup ## start only the API workers (ZeroMQ and HTTP JSON)
	$(VENV)/bin/vitrine api

seed: setup ## (re)generate the demo catalogue: make seed ARGS="--products 1000000"
	$(VENV)/bin/vitrine seed $(ARGS)

seo-audit: setup ## crawl a running site as a search engine would: make seo-audit URL=http://127.0.0.1:8000
	$(VENV)/bin/vitrine seo-audit $(or $(URL),http://127.0.0.1:8000) --report var/seo-audit.json

migrate: setup ## bring the database (VITRINE_DATABASE_URL) to the latest schema migration
	$(VENV)/bin/vitrine migrate

# The next revision number: one past the highest, 0001, 0002, ... in the order they were written
# (0007 was never used: branches written side by side took their numbers before merging).
NEXT_REVISION = $(shell last=$$(ls api/migrations/versions | grep -o '^[0-9]*' | sort -n | tail -1 | sed 's/^0*//'); printf %04d $$(( $${last:-0} + 1 )))

migration: setup ## write a new migration from api/schema.py changes: make migration MESSAGE="add x"
	@test -n "$(MESSAGE)" || { echo 'usage: make migration MESSAGE="what it changes"'; exit 2; }
	$(VENV)/bin/vitrine migrate
	$(VENV)/bin/alembic revision --autogenerate --rev-id $(NEXT_REVISION) -m "$(MESSAGE)"
	$(VENV)/bin/ruff format api/migrations/versions

bootstrap: ## install the system packages the tests need (nginx, chromium, chromium-driver, wrk, postgresql, java, node)
	scripts/bootstrap

test: setup $(TESTING) bootstrap $(NODE_TOOLS) lint ## install what the tests need, run the quality gates and the whole suite
	$(PY) -m pytest $(PYTEST_ARGS)

test-unit: setup $(TESTING) ## only the unit tests (no sockets, no database)
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

test-integration: setup $(TESTING) ## only the integration tests (one process: a real database, loopback sockets)
	$(PY) -m pytest tests/integration $(PYTEST_ARGS)

test-functional: setup $(TESTING) ## only the functional tests (real processes on loopback)
	$(PY) -m pytest tests/functional $(PYTEST_ARGS)

test-e2e: setup $(TESTING) bootstrap ## only the browser tests (Selenium with Debian's Chromium)
	$(PY) -m pytest tests/e2e $(PYTEST_ARGS)

gates: setup $(TESTING) bootstrap $(NODE_TOOLS) ## only the page gates: axe-core, Nu HTML checker, Lighthouse over a running site (docs/quality-gates.md)
	$(PY) -m pytest -m gates $(PYTEST_ARGS)

lint: setup $(TESTING) ## the quality gates: ruff (lint and format), import-linter (the layers), mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

bench: setup $(TESTING) bootstrap ## every scenario of bench/run.py side by side (~4 min); results in bench/results/
	$(PY) bench/run.py $(ARGS)

bench-import: setup $(TESTING) ## vitrine import of a 1,000,000-row file on SQLite and PostgreSQL: time and peak RSS (ARGS="--rows 100000")
	$(PY) bench/import_catalogue.py $(ARGS)

profile: setup $(TESTING) bootstrap ## profile the product page under load with py-spy (bench/profile.py)
	$(PY) -m pip install --quiet -c constraints.txt -e '.[bench]'
	$(PY) bench/profile.py $(ARGS)

constraints: $(TESTING) ## pin what is installed now into constraints.txt (after changing dependencies)
	$(PY) -m pip install --quiet -e '.[test]'
	{ sed -n '1,3p' constraints.txt; $(PY) -m pip freeze --exclude-editable | grep -v '^-e'; } > constraints.tmp
	mv constraints.tmp constraints.txt

clean: ## remove generated files and the demo database (keeps .venv)
	rm -rf contract/gen api_client/services.pyi var
