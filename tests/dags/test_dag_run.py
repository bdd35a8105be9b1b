"""The DAG end to end, through `dag.test()`, with every Spark task submitted to a standalone cluster.

One master and two workers on loopback, started from the pyspark install and stopped by PID. The master
reaches the tasks only through the `spark_default` connection, as on a real cluster. The published output
must equal what local mode (`rephrase-miner daily` in this test session) published for the same logs.
"""

import json
import os
import subprocess
import sys

import pytest

from airflow_env import PROJECT, airflow_env
from conftest import FIRST_DAY, published_content
from jobs.warehouse import published_path
from standalone_cluster import standalone_cluster

pytestmark = pytest.mark.integration

# dag.test() does not raise when the run fails: the script prints the states for the test to check.
DAG_TEST = """
import datetime as dt, json, sys
from airflow.dag_processing.dagbag import DagBag

dag = DagBag(dag_folder=sys.argv[1]).get_dag("rephrase_mining")
conf = {"logs": sys.argv[2], "root": sys.argv[3], "shuffle_partitions": 2}
run = dag.test(logical_date=dt.datetime.fromisoformat(sys.argv[4] + "T00:00:00+00:00"), run_conf=conf)
states = {f"{ti.task_id}[{ti.map_index}]": str(ti.state) for ti in run.get_task_instances()}
print("DAG-TEST-RESULT " + json.dumps({"run": str(run.state), "tasks": states}))
"""
# Short-lived JVMs start faster with the quick JIT tier only; it changes speed, never results.
QUICK_JVM = {"JAVA_TOOL_OPTIONS": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"}


def test_dag_runs_end_to_end_on_a_standalone_cluster_and_matches_local_mode(
    first_day_logs, first_day_published, tmp_path, monkeypatch
):
    for key, value in QUICK_JVM.items():
        monkeypatch.setenv(key, value)
    root = tmp_path / "runs"
    with standalone_cluster(tmp_path / "cluster", workers=2) as master_url:
        env = {**os.environ, **airflow_env(tmp_path / "airflow", spark_master=master_url)}
        airflow = os.path.join(os.path.dirname(sys.executable), "airflow")
        subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
        result = subprocess.run(
            [sys.executable, "-c", DAG_TEST, str(PROJECT / "dags"), str(first_day_logs), str(root), FIRST_DAY],
            env=env, capture_output=True, text=True, timeout=1800,
        )
    assert result.returncode == 0, result.stderr[-5000:]
    marked = [line for line in result.stdout.splitlines() if line.startswith("DAG-TEST-RESULT ")]
    assert marked, result.stdout[-3000:] + result.stderr[-3000:]
    states = json.loads(marked[-1].split(" ", 1)[1])
    expected_tasks = ["plan[-1]"] + [f"{t}[0]" for t in ("ingest", "sessionize", "rephrases", "variants", "aggregate")]
    expected_tasks += [f"{t}[-1]" for t in ("accumulate", "emit", "validate", "publish")]
    assert states == {"run": "success", "tasks": {task: "success" for task in expected_tasks}}, result.stderr[-5000:]
    assert f"--master {master_url}" in result.stderr + result.stdout  # the connection's master was used

    assert published_content(published_path(str(root))) == published_content(first_day_published[1])
