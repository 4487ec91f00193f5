# Two commands on a fresh machine:
#   make run    set everything up and start the dashboard on the bundled data
#   make test   set everything up and run the whole test suite (what .ci/run calls)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
ARGS ?=
# Every session runs its page in a thread of its own, and glibc gives such threads heaps of their
# own (up to eight per core) that keep the pages they freed: ten sessions opening a
# million-incident map at once left 235-297 MB there; with two heaps, 54 MB. glibc reads this
# once, when the server starts (bench/paint.py starts the server with it too).
export MALLOC_ARENA_MAX ?= 2

.PHONY: setup bytecode run run-team test lint bench data browser postgis postgis-stop clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	PYTHON=$(PYTHON) sh tools/ensure_build_tools.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $@

static/vendor/.installed: package.json package-lock.json tools/vendor_assets.py $(VENV)/.installed
	npm ci --ignore-scripts --no-audit --no-fund
	$(BIN)/python -m tools.vendor_assets
	touch $@

setup: $(VENV)/.installed static/vendor/.installed

# The app's modules compiled once, as pip compiles the packages: a server started where Python
# does not write bytecode itself (PYTHONDONTWRITEBYTECODE, as on this project's machines)
# otherwise compiles all of them again before every first page (0.2 s).
bytecode: setup
	$(BIN)/python -m compileall -q app.py serve.py geo layers ui

run: setup bytecode
	$(BIN)/streamlit run serve.py --server.port $(PORT) -- $(ARGS)

# The team store on a local PostgreSQL + PostGIS (installed from Debian's packages if missing,
# cluster in var/postgres); the dashboard keeps imports and curated incidents there.
run-team: setup bytecode postgis
	INCIDENT_STORE_URL="$$(cat var/postgis.url)" $(BIN)/streamlit run serve.py --server.port $(PORT) -- $(ARGS)

browser:
	sh tools/ensure_chromium.sh

postgis:
	sh tools/ensure_postgis.sh

postgis-stop:
	sh tools/ensure_postgis.sh stop

test: setup browser postgis
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: setup browser
	$(BIN)/python -m bench.run

# Re-derive the bundled layers from data/raw (the committed files are the output).
data: setup
	$(BIN)/python -m tools.build_rail_network
	$(BIN)/python -m tools.derive_incidents
	$(BIN)/python -m tools.build_places

clean:
	rm -rf $(VENV) node_modules static/vendor test-artifacts
