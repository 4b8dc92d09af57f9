# The two commands of the README: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint bench

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt
	touch $@

# Migrate, seed the demo into an empty database, then serve with a Celery worker and Celery beat (the periodic
# sweeps that re-queue lost jobs, docs/operations.md) beside the web server. Beat is a process of its own rather
# than the worker's -B child, so the kill below cannot orphan it. On exit the worker gets 10 s to finish its task,
# then is killed (a warm shutdown can otherwise hang); beat stops at once.
run: $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --if-empty
	@trap 'kill $$worker $$beat 2>/dev/null; for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 $$worker 2>/dev/null || break; sleep 1; done; kill -9 $$worker $$beat 2>/dev/null' EXIT INT TERM; \
	$(VENV)/bin/celery -A crbn_portal worker -Q default,render --concurrency 2 --loglevel WARNING & worker=$$!; \
	$(VENV)/bin/celery -A crbn_portal beat --schedule var/celerybeat-schedule --loglevel WARNING & beat=$$!; \
	echo ""; echo "CRBN Portal is starting at http://$(HOST):$(PORT)/ (Ctrl-C stops the server, the worker and beat)"; echo ""; \
	$(PY) manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
