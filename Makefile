# Two commands for a fresh clone: `make demo` and `make test`. Both create or update .venv when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO ?= demo
SEED ?= 7

export SPARK_LOCAL_IP ?= 127.0.0.1
export PYSPARK_PYTHON := $(abspath $(BIN)/python)

.PHONY: demo evaluate test venv clean

venv: $(STAMP)

# requirements.lock is the verified set, resolved from pyproject.toml's pins (see README, Dependencies);
# installing it needs no dependency resolution. torch is pinned to 2.13.0: unpinned, pip takes a multi-GB
# CUDA build.
$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

$(DEMO)/sim/truth.parquet: $(STAMP)
	$(BIN)/rephrase-miner simulate --out $(DEMO)/sim --seed $(SEED) --overwrite

demo: $(DEMO)/sim/truth.parquet
	$(BIN)/rephrase-miner run --logs $(DEMO)/sim/logs --out $(DEMO)/out

# Scores the demo run against the simulator's ground truth: the README's evaluation table.
evaluate: demo
	$(BIN)/rephrase-miner evaluate --run $(DEMO)/out --truth $(DEMO)/sim/truth.parquet --out $(DEMO)/eval

test: $(STAMP)
	$(BIN)/python -m pytest

clean:
	rm -rf demo demo-* .pytest_cache
