"""One local SparkSession for the whole suite: local[2], UTC, two shuffle partitions."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

# `make test` gates CI, so its property tests draw the same examples on every run (a random find there would
# block a landing that did not cause it); `make fuzz` draws new ones.
settings.register_profile("gate", derandomize=True, database=None)
settings.register_profile("explore", max_examples=2000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "gate"))


@pytest.fixture(scope="session")
def spark():
    # py4j logs at INFO when its connections are collected at exit, after the test's streams are closed.
    logging.getLogger("py4j").setLevel(logging.WARNING)
    from pipeline.spark import build_spark

    session = build_spark("rephrase-miner tests", master="local[2]", shuffle_partitions=2)
    yield session
    session.stop()


@pytest.fixture
def run(tmp_path) -> str:
    """A finished run's folder, as the dashboards read it (tests/runs_factory.py); tests/simulation has its own."""
    from tests.runs_factory import latest_run

    return latest_run(tmp_path)


@pytest.fixture
def previous(tmp_path) -> str:
    """The run before `run`."""
    from tests.runs_factory import earlier_run

    return earlier_run(tmp_path)


def argument_error(parse_args, argv: list[str], capsys) -> str:
    """What a stage's parse_args prints when it rejects argv: argparse's usage error, with exit status 2."""
    with pytest.raises(SystemExit) as exit_info:
        parse_args(argv)
    assert exit_info.value.code == 2
    return capsys.readouterr().err


@contextlib.contextmanager
def no_automatic_broadcast(spark):
    """Spark joins by sort-merge what it would broadcast for its size (every test table): a large day's path."""
    threshold = spark.conf.get("spark.sql.autoBroadcastJoinThreshold")
    spark.conf.set("spark.sql.autoBroadcastJoinThreshold", "-1")
    try:
        yield
    finally:
        spark.conf.set("spark.sql.autoBroadcastJoinThreshold", threshold)


def utc(*parts: int) -> dt.datetime:
    """A UTC timestamp for hand-written rows: utc(2026, 11, 30, 23, 59, 30)."""
    return dt.datetime(*parts, tzinfo=dt.timezone.utc)


def collected(timestamp: dt.datetime) -> dt.datetime:
    """How Spark hands a timestamp back to Python in a UTC session: naive, in UTC."""
    return timestamp.astimezone(dt.timezone.utc).replace(tzinfo=None)


@pytest.fixture(scope="session")
def dag_bag(tmp_path_factory):
    """The parsed DAGs, from a DagBag over dags/ (what the DAG processor does)."""
    from tests.airflow_env import PROJECT, airflow_env

    home = tmp_path_factory.mktemp("airflow-home")
    patch = pytest.MonkeyPatch()
    for key, value in airflow_env(home).items():
        patch.setenv(key, value)
    # The metadata DB the DagBag consults, in the private home.
    subprocess.run([str(Path(sys.executable).with_name("airflow")), "db", "migrate"], check=True, capture_output=True,
                   env={**os.environ, **airflow_env(home)}, timeout=300)
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(PROJECT / "dags"))
    assert bag.import_errors == {}
    yield bag
    patch.undo()


@pytest.fixture(scope="session")
def dag(dag_bag):
    """The mining DAG, rephrase_mining."""
    return dag_bag.get_dag("rephrase_mining")


# A scheduled day, the DAG's first (a logical date before start_date gets no task instances), mined in
# this session: the reference the DAG and cluster runs must equal.
FIRST_DAY = "2026-11-30"


@pytest.fixture(scope="session")
def first_day_logs(tmp_path_factory):
    from tests.logs_factory import rephrase_day_rows, write_logs

    logs = tmp_path_factory.mktemp("scheduled") / "logs"
    users = [f"early-{n}" for n in range(4)]
    write_logs(logs / f"date={FIRST_DAY}" / "part-0.parquet", rephrase_day_rows(utc(2026, 11, 30, 9), users))
    return logs


@pytest.fixture(scope="session")
def first_day_published(spark, first_day_logs, tmp_path_factory):
    """`rephrase-miner daily` for the first day, in the test session: (runs root, published folder)."""
    from pipeline.config import RunConfig
    from pipeline.runner import run_daily

    root = tmp_path_factory.mktemp("scheduled-local") / "runs"
    pointer = run_daily(str(first_day_logs), str(root), FIRST_DAY, RunConfig(shuffle_partitions=2), master=None)
    return root, pointer["path"]


def published_content(folder) -> dict[str, list]:
    """Every published dataset's rows, sorted, with floats rounded and the run id dropped: equal content.

    The state's user sketches are left out too: their bytes may follow the order users were added in, and
    what they hold is compared through `support_users`.
    """
    import glob
    import json

    import pyarrow.parquet as pq

    def comparable(record: dict) -> str:
        return json.dumps(
            {
                k: round(v, 5) if isinstance(v, float) else str(v)
                for k, v in record.items() if k not in ("run_id", "users_sketch")
            },
            sort_keys=True,
        )

    content = {
        name: sorted(comparable(r) for r in pq.read_table(f"{folder}/{name}").to_pylist())
        for name in ("pairs", "labels", "rewrites", "pair_state", "label_state")
    }
    lines = [line for path in sorted(glob.glob(f"{folder}/training/*.jsonl")) for line in open(path, encoding="utf-8")]
    content["training"] = sorted(comparable(json.loads(line)) for line in lines)
    return content
