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

# Migrate, seed the demo into an empty database, then serve with a Celery worker beside the web server.
# On exit the worker gets 10 s to finish its task, then is killed (a warm shutdown can otherwise hang).
run: $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --if-empty
	@trap 'kill $$worker 2>/dev/null; for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 $$worker 2>/dev/null || break; sleep 1; done; kill -9 $$worker 2>/dev/null' EXIT INT TERM; \
	$(VENV)/bin/celery -A crbn_portal worker -Q default,render --concurrency 2 --loglevel WARNING & worker=$$!; \
	echo ""; echo "CRBN Portal is starting at http://$(HOST):$(PORT)/ (Ctrl-C stops the server and the worker)"; echo ""; \
	$(PY) manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
