# The two commands a new user needs: `make demo` and `make test`. Everything they need is
# installed by `make setup`, on a machine that starts with only Python, pip, npm and git.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.setup-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup demo test lint typecheck unit fixtures bench clean

setup: $(STAMP)

# Re-run the install whenever the dependency list or the setup script changes.
$(STAMP): pyproject.toml scripts/setup_system.sh scripts/install_meilisearch.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	bash scripts/setup_system.sh
	touch $(STAMP)

# The main job on the embedded default (SQLite, a local Meilisearch under var/): ingest the
# bundled demo webinar (again: the same recording updates, never duplicates), then serve the site.
demo: setup
	$(BIN)/webinar-archive ingest media/demo/demo-webinar.opus --manifest media/demo/manifest.yaml \
		--agenda media/demo/agenda.txt
	$(BIN)/webinar-archive serve --host $(HOST) --port $(PORT)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

test: setup lint typecheck
	$(BIN)/pytest

bench: setup
	$(BIN)/python bench/transcribe.py

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache

fixtures:
	$(BIN)/python scripts/make_audio.py
