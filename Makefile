# Two commands for a fresh clone: `make demo` and `make test`. Both create or update .venv when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO := demo

export SPARK_LOCAL_IP ?= 127.0.0.1
export PYSPARK_PYTHON := $(abspath $(BIN)/python)

.PHONY: demo test venv clean

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
	$(BIN)/rephrase-miner simulate --out $(DEMO)/sim --overwrite

demo: $(DEMO)/sim/truth.parquet
	$(BIN)/rephrase-miner run --logs $(DEMO)/sim/logs --out $(DEMO)/out

test: $(STAMP)
	$(BIN)/python -m pytest

clean:
	rm -rf $(DEMO) .pytest_cache
