"""The DAG end to end with `mining_submits=one`: a day's mining stages in one spark-submit (jobs/mine.py).

`dag.test()` on local Spark, through the `spark_default` connection: the per-stage branch is skipped, the
`mine` task mines the day, accumulate follows it, and the published output equals what local mode
(`rephrase-miner daily` in this test session) published for the same logs.
"""

import json
import os
import subprocess
import sys

import pytest

from pipeline.warehouse import published_path
from tests.airflow_env import PROJECT, airflow_env
from tests.conftest import FIRST_DAY, published_content
from tests.dags.test_dag_run import QUICK_JVM

pytestmark = pytest.mark.integration

DAG_TEST = """
import datetime as dt, json, sys
from airflow.dag_processing.dagbag import DagBag

dag = DagBag(dag_folder=sys.argv[1]).get_dag("rephrase_mining")
conf = {"logs": sys.argv[2], "root": sys.argv[3], "shuffle_partitions": 2, "mining_submits": "one"}
run = dag.test(logical_date=dt.datetime.fromisoformat(sys.argv[4] + "T00:00:00+00:00"), run_conf=conf)
states = {f"{ti.task_id}[{ti.map_index}]": str(ti.state) for ti in run.get_task_instances()}
print("DAG-TEST-RESULT " + json.dumps({"run": str(run.state), "tasks": states}))
"""


def test_one_submit_per_day_mines_and_publishes_what_local_mode_publishes(
    first_day_logs, first_day_published, tmp_path
):
    root = tmp_path / "runs"
    env = {**os.environ, **QUICK_JVM, **airflow_env(tmp_path / "airflow", spark_master="local[2]")}
    airflow = os.path.join(os.path.dirname(sys.executable), "airflow")
    subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
    result = subprocess.run(
        [sys.executable, "-c", DAG_TEST, str(PROJECT / "dags"), str(first_day_logs), str(root), FIRST_DAY],
        env=env, capture_output=True, text=True, timeout=1200,
    )
    assert result.returncode == 0, result.stderr[-5000:]
    marked = [line for line in result.stdout.splitlines() if line.startswith("DAG-TEST-RESULT ")]
    assert marked, result.stdout[-3000:] + result.stderr[-3000:]
    states = json.loads(marked[-1].split(" ", 1)[1])
    ran = ["plan[-1]", "mining_submits[-1]", "mine[0]", "accumulate[-1]", "emit[-1]", "validate[-1]", "publish[-1]"]
    skipped = [f"{t}[-1]" for t in ("ingest", "sessionize", "rephrases", "variants", "aggregate")]
    assert states == {
        "run": "success", "tasks": {**{t: "success" for t in ran}, **{t: "skipped" for t in skipped}}
    }, result.stderr[-5000:]
    assert published_content(published_path(str(root))) == published_content(first_day_published[1])
