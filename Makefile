# Two commands on a fresh machine: `make demo` and `make test`. Each sets itself up first:
# a .venv with the package (editable) and its dev extras (which include the `dask` extra's
# dask.distributed: the distributed graph build is tested on a local cluster), and anvil (pinned npm build) in the
# per-user cache when it is not on PATH. The suite's `cast_bin` fixture installs Foundry's cast
# the same way (same npm, same cache) on first use; `txfirewall setup` does not.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: setup demo test check bench fuzz soak fixtures train train-check clean

# editable_mode=compat: a plain path entry instead of an import hook, so mypy and other static
# tools (in this repo or in a project that uses it) see the package.
$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]" --config-settings editable_mode=compat 2>/dev/null \
		|| $(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)
	$(BIN)/txfirewall setup

demo: setup
	$(BIN)/txfirewall demo

# Lint, format and types first: they take seconds and catch what the suite would find in minutes.
check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: setup check
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python bench/run.py --out docs/benchmarks.md

# Fuzz every parser with BUDGET inputs in all (tools/fuzz.py: the hypothesis targets in tests/fuzz, and
# atheris's coverage-guided runs when it is installed), JOBS worker processes at a time; writes
# FUZZ_REPORT. The default suite runs the same targets with 15 inputs each.
BUDGET      ?= 20000
JOBS        ?= 1
FUZZ_REPORT ?= docs/fuzz_report.md
fuzz: $(STAMP)
	$(BIN)/python tools/fuzz.py --budget $(BUDGET) --jobs $(JOBS) --out $(FUZZ_REPORT)

# Soak the proxy on loopback (tools/soak.py): RATE requests/s of reads, batches and signing requests for
# DURATION seconds against a real proxy process and the fixture chain; writes SOAK_REPORT. CI's one-minute
# soak is `make soak DURATION=60`.
DURATION    ?= 60
RATE        ?= 500
SOAK_REPORT ?= docs/soak_report.md
soak: setup
	$(BIN)/python tools/soak.py --duration $(DURATION) --rate $(RATE) --out $(SOAK_REPORT)

# Rebuild the fixture chain from its Solidity sources and the pinned npm packages' bytecode
# (needs npm for solc and `npm pack`; not needed for demo/test, which use the committed artifacts).
fixtures: setup
	$(BIN)/python anvil_fixtures/compile.py
	$(BIN)/python anvil_fixtures/npm_artifacts.py
	$(BIN)/python anvil_fixtures/deploy.py

# The graph risk model (maintainer step; users may retrain on their own labelled graph, see
# docs/graph_risk.md). DATA holds xblock_phishing_890_subgraph/, or edges.* + labels.csv. Needs
# scikit-learn (the `train` extra); the shipped model is scored without it.
DATA ?= ../shared/data
train: setup
	$(BIN)/python -m pip install --quiet "scikit-learn>=1.5"
	$(BIN)/python tools/train_graph_risk.py --data $(DATA)

# Train again and compare the held-out AUC with the shipped model's (fails beyond 0.01).
train-check: setup
	$(BIN)/python -m pip install --quiet "scikit-learn>=1.5"
	$(BIN)/python tools/train_graph_risk.py --data $(DATA) --check

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
