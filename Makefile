# Declass: the two commands that matter are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SHARED_DIR ?= ../shared
DEV_CORPUS := $(SHARED_DIR)/cables/dev
export DJANGO_DEBUG ?= 1
# The checkout's local settings (config/local_env.py): DJANGO_DEBUG=1 and a generated
# DJANGO_SECRET_KEY, so that `.venv/bin/python manage.py ...` works without `make`.
LOCAL_ENV := $(or $(DECLASS_VAR_DIR),var)/local.env

.DEFAULT_GOAL := help
.PHONY: help setup browser run test lint format check audit deploy-check migrate demo bench-ingest clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

# requirements.txt points to requirements/dev.txt: the runtime set, the embedded PostgreSQL,
# tests and tooling, every package (pip included) locked with its hashes.
$(VENV)/.installed: requirements.txt requirements/dev.txt requirements/runtime.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements.txt
	touch $@

# Written once; a variable set in the environment wins over it.
$(LOCAL_ENV):
	$(PY) -m config.local_env

setup: $(VENV)/.installed $(LOCAL_ENV) ## Create .venv, install the locked requirements (hashes checked), write var/local.env

# As the owner of the tables (DECLASS_DB_ROLE=owner: DATABASE_OWNER_URL, or DATABASE_URL,
# acting as declass_owner); db_roles before (the roles must exist) and after (grants).
migrate: setup ## Create the database roles, apply migrations as the owner, grant the app role
	DECLASS_DB_ROLE=owner $(PY) manage.py db_roles
	DECLASS_DB_ROLE=owner $(PY) manage.py migrate --noinput
	DECLASS_DB_ROLE=owner $(PY) manage.py db_roles

demo: migrate ## Create the demo admin and import the demo cables (and the shared corpus if present)
	$(PY) manage.py create_demo_admin
	$(PY) manage.py import_cables cables/demo --no-progress || true
	@if [ -d "$(DEV_CORPUS)" ]; then \
		$(PY) manage.py import_cables "$(DEV_CORPUS)" || true; \
	else echo "No corpus at $(DEV_CORPUS): imported the demo cables only."; fi

run: demo ## Set up, then run the web server, a Celery worker and beat
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) deploy/run_local.py

browser: ## Install Debian's chromium for the browser tests, where this machine allows it
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
			|| echo "Could not install chromium: browser tests will be skipped."; \
		else echo "chromium is not installed and cannot be installed here: browser tests will be skipped."; fi; }

test: setup browser ## Run the whole suite (embedded PostgreSQL by default; DATABASE_URL/CELERY_BROKER_URL: that PostgreSQL and Redis)
	$(PY) -m pytest

lint: setup ## ruff check and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup ## Apply ruff fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check: setup ## Django system checks and migration drift
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

audit: setup ## Security audit: bandit over the code (offline), pip-audit over the installed packages
	$(VENV)/bin/bandit -c deploy/bandit.yaml -r audit cables redaction workflow releases api config deploy -q
	$(PY) deploy/dependency_audit.py

deploy-check: setup ## Production settings check (run with the production environment set)
	DJANGO_DEBUG=0 $(PY) manage.py check --deploy --fail-level WARNING

bench-ingest: setup ## Import benchmark into PostgreSQL (set DATABASE_URL)
	$(PY) bench/ingest.py

clean: ## Stop the embedded PostgreSQL; remove the venv and local data
	-@if [ -x $(PY) ]; then $(PY) -m config.embedded_db stop; fi
	rm -rf $(VENV) var
