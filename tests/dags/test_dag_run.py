"""The DAG end to end, through `dag.test()`, with every Spark task submitted to a standalone cluster.

One master and two workers on loopback, started from the pyspark install and stopped by PID. The master
reaches the tasks only through the `spark_default` connection, as on a real cluster. Two faults are injected:
one worker (with its executor) is SIGKILLed while the rephrases job runs on both, and the first attempt to
publish fails as storage that does not answer would. Airflow retries the publish, Spark reruns the lost
tasks, and the published output must still equal what local mode (`rephrase-miner daily` in this test
session) published for the same logs; the retried publish updates each published Asset once, with the run's
folder in the event (tests/dags/test_nlu_retrain_run.py runs the DAG that consumes them).
"""

import json
import os
import subprocess
import sys
import threading
import time

import pytest

from pipeline.warehouse import published_path
from tests.airflow_env import PROJECT, airflow_env
from tests.conftest import FIRST_DAY, published_content
from tests.standalone_cluster import standalone_cluster

pytestmark = pytest.mark.integration

# dag.test() does not raise when the run fails: the script prints the states for the test to check.
DAG_TEST = """
import datetime as dt, json, sys
from airflow.dag_processing.dagbag import DagBag

import pipeline.warehouse

dag = DagBag(dag_folder=sys.argv[1]).get_dag("rephrase_mining")
for task in dag.tasks:  # the DAG's own retries, without its minutes of waiting
    task.retry_delay = task.max_retry_delay = dt.timedelta(seconds=1)

publish_calls, real_publish = [], pipeline.warehouse.publish
def publish_after_a_transient_failure(*args, **kwargs):
    publish_calls.append(1)
    if len(publish_calls) == 1:
        raise OSError("transient: the warehouse storage did not answer")
    return real_publish(*args, **kwargs)
pipeline.warehouse.publish = publish_after_a_transient_failure

conf = {"logs": sys.argv[2], "root": sys.argv[3], "shuffle_partitions": 2}
run = dag.test(logical_date=dt.datetime.fromisoformat(sys.argv[4] + "T00:00:00+00:00"), run_conf=conf)
states = {f"{ti.task_id}[{ti.map_index}]": str(ti.state) for ti in run.get_task_instances()}
tries = {f"{ti.task_id}[{ti.map_index}]": ti.try_number for ti in run.get_task_instances()}
# What the publish task told the Assets (nlu_retrain is scheduled on them): one event each, after its retry.
from airflow.models.asset import AssetEvent
from airflow.settings import Session
from sqlalchemy import select
events = [[e.asset.name, e.source_task_id, e.extra["path"]] for e in Session().scalars(select(AssetEvent))]
print("DAG-TEST-RESULT " + json.dumps({"run": str(run.state), "tasks": states, "tries": tries, "events": events}))
"""
# Short-lived JVMs start faster with the quick JIT tier only; it changes speed, never results.
QUICK_JVM = {"JAVA_TOOL_OPTIONS": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"}


def kill_a_worker_during(cluster, app_name: str, done: threading.Event, killed: list) -> None:
    """Once `app_name` runs executors on both workers, SIGKILL the second worker and its executor."""
    while not done.is_set():
        state = cluster.state()
        running = [app["name"] for app in state.get("activeapps", [])]
        busy = [worker for worker in state.get("workers", []) if worker.get("coresused", 0) > 0]
        if app_name in running and len(busy) == 2:
            cluster.kill_worker(1)
            killed.append(app_name)
            return
        time.sleep(0.2)


def test_dag_survives_a_lost_worker_and_a_transient_failure_and_matches_local_mode(
    first_day_logs, first_day_published, tmp_path, monkeypatch
):
    for key, value in QUICK_JVM.items():
        monkeypatch.setenv(key, value)
    root = tmp_path / "runs"
    killed, done = [], threading.Event()
    with standalone_cluster(tmp_path / "cluster", workers=2) as cluster:
        master_url = cluster.url
        env = {**os.environ, **airflow_env(tmp_path / "airflow", spark_master=master_url)}
        airflow = os.path.join(os.path.dirname(sys.executable), "airflow")
        subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
        killer = threading.Thread(
            target=kill_a_worker_during, args=(cluster, "rephrase-miner rephrases", done, killed), daemon=True
        )
        killer.start()
        try:
            result = subprocess.run(
                [sys.executable, "-c", DAG_TEST, str(PROJECT / "dags"), str(first_day_logs), str(root), FIRST_DAY],
                env=env, capture_output=True, text=True, timeout=1800,
            )
        finally:
            done.set()
            killer.join()
        alive_after = cluster.state().get("aliveworkers")
    assert result.returncode == 0, result.stderr[-5000:]
    assert killed == ["rephrase-miner rephrases"] and alive_after == 1  # a worker died mid-job
    marked = [line for line in result.stdout.splitlines() if line.startswith("DAG-TEST-RESULT ")]
    assert marked, result.stdout[-3000:] + result.stderr[-3000:]
    states = json.loads(marked[-1].split(" ", 1)[1])
    expected_tasks = ["plan[-1]", "mining_submits[-1]"]
    expected_tasks += [f"{t}[0]" for t in ("ingest", "sessionize", "rephrases", "variants", "aggregate")]
    expected_tasks += [f"{t}[-1]" for t in ("accumulate", "emit", "validate", "publish")]
    assert {k: states[k] for k in ("run", "tasks")} == {
        # the default submits each mining stage alone: the one-submit branch is skipped
        "run": "success", "tasks": {**{task: "success" for task in expected_tasks}, "mine[-1]": "skipped"}
    }, result.stderr[-5000:]
    assert states["tries"]["publish[-1]"] == 2 and states["tries"]["plan[-1]"] == 1  # publish was retried
    assert f"--master {master_url}" in result.stderr + result.stdout  # the connection's master was used

    assert published_content(published_path(str(root))) == published_content(first_day_published[1])
    assert sorted(states["events"]) == [
        ["rephrase_miner_rejected_readings", "publish", published_path(str(root))],
        ["rephrase_miner_rewrite_table", "publish", published_path(str(root))],
        ["rephrase_miner_training_set", "publish", published_path(str(root))],
    ]
