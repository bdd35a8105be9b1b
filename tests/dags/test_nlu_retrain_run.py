"""Both DAGs end to end through `dag.test()`, joined by their Assets, on hand-written rows (no Spark).

`rephrase_mining`'s publish task runs alone (`partial_subset`) on a staged run that passed validation: it must
record an asset event for each Asset, with the run's folder in the extra, and queue `nlu_retrain` on both.
Then `nlu_retrain` runs as the scheduler would start it, consuming those events: the script hands the run
the queued events as `SchedulerJobRunner` does (`dag_run.consumed_asset_events`), since `dag.test()` itself
starts a manual run. Last, a manual run with the `published` param on records that contradict the held-out
labels: the run fails, without a retry, and the scores it wrote say why.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.airflow_env import PROJECT, airflow_env
from tests.retrain_factory import HELD_OUT, PUBLISHED, write_annotated, write_published_run, write_staged_run

pytestmark = pytest.mark.integration

DS = "2026-11-30"

# dag.test() does not raise when a run fails: the script prints what the test checks.
DAG_TEST = """
import datetime as dt, json, sys
from airflow.dag_processing.dagbag import DagBag
from airflow.models.asset import AssetDagRunQueue, AssetEvent, DagScheduleAssetReference
from airflow.settings import Session
from sqlalchemy import select
import airflow.models.dagrun as dagrun_module

dags, root, annotated, ds, contradicted = sys.argv[1:6]
bag = DagBag(dag_folder=dags)
session = Session()

def report(name, run):
    tis = run.get_task_instances()
    print(f"{name} " + json.dumps({"run": str(run.state), "tasks": {ti.task_id: str(ti.state) for ti in tis},
                                  "tries": {ti.task_id: ti.try_number for ti in tis}}), flush=True)

mining = bag.get_dag("rephrase_mining").partial_subset(task_ids=["publish"], include_upstream=False)
report("PUBLISH", mining.test(logical_date=dt.datetime.fromisoformat(ds + "T00:00:00+00:00"), run_conf={"root": root}))
events = session.scalars(select(AssetEvent).order_by(AssetEvent.id)).all()
print("EVENTS " + json.dumps([{"asset": e.asset.name, "dag": e.source_dag_id, "task": e.source_task_id,
                               "extra": e.extra} for e in events]), flush=True)
queued = session.scalars(select(AssetDagRunQueue)).all()
print("QUEUED " + json.dumps(sorted([q.target_dag_id, q.asset.name] for q in queued)), flush=True)

# What the scheduler does for an asset-triggered run: it consumes the events of the assets the DAG is on.
create_run = dagrun_module.get_or_create_dagrun
def consuming_the_queued_events(*args, **kwargs):
    run, run_session = create_run(*args, **kwargs), kwargs["session"]
    scheduled_on = select(DagScheduleAssetReference.asset_id).where(DagScheduleAssetReference.dag_id == run.dag_id)
    run.consumed_asset_events.extend(run_session.scalars(select(AssetEvent).where(AssetEvent.asset_id.in_(scheduled_on))))
    run_session.commit()
    return run
dagrun_module.get_or_create_dagrun = consuming_the_queued_events
retrain = bag.get_dag("nlu_retrain")
report("RETRAIN", retrain.test(run_conf={"baseline_train": annotated, "evaluation": annotated}))
dagrun_module.get_or_create_dagrun = create_run

conf = {"published": contradicted, "baseline_train": annotated, "evaluation": annotated}
report("REGRESSION", retrain.test(run_conf=conf))
"""


def run_dag_tests(tmp_path: Path, root: Path, annotated: Path, contradicted: str) -> tuple[dict, str]:
    env = {**os.environ, **airflow_env(tmp_path / "airflow"),
           # as if someone unpaused nlu_retrain: a paused DAG gets no runs queued by asset events
           "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False"}
    airflow = os.path.join(os.path.dirname(sys.executable), "airflow")
    subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
    result = subprocess.run(
        [sys.executable, "-c", DAG_TEST, str(PROJECT / "dags"), str(root), str(annotated), DS, contradicted],
        env=env, capture_output=True, text=True, timeout=900,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    marked = {}
    for line in result.stdout.splitlines():
        name, _, payload = line.partition(" ")
        if name in ("PUBLISH", "EVENTS", "QUEUED", "RETRAIN", "REGRESSION"):
            marked[name] = json.loads(payload)
    assert set(marked) == {"PUBLISH", "EVENTS", "QUEUED", "RETRAIN", "REGRESSION"}, output[-5000:]
    return marked, output


def test_publish_updates_both_assets_and_the_retraining_dag_reads_the_run_they_name(tmp_path):
    root, annotated = tmp_path / "runs", write_annotated(tmp_path / "massive")
    write_staged_run(root, DS, PUBLISHED)
    contradicted = write_published_run(
        tmp_path / "other", DS, "v-contradicted",
        {"en-US": [(utt, "play_music", 1.0, 10) for utt, intent in HELD_OUT if intent == "weather_query"]},
    )
    marked, output = run_dag_tests(tmp_path, root, annotated, contradicted)

    assert marked["PUBLISH"]["run"] == "success" and marked["PUBLISH"]["tasks"] == {"publish": "success"}
    [version] = [p.name for p in (root / "published" / DS).iterdir() if p.is_dir()]
    run_dir = f"{root}/published/{DS}/{version}"
    events = {event["asset"]: event for event in marked["EVENTS"]}
    assert sorted(events) == [
        "rephrase_miner_rejected_readings", "rephrase_miner_rewrite_table", "rephrase_miner_training_set",
    ]
    for asset, folder in (("rephrase_miner_training_set", "training"), ("rephrase_miner_rewrite_table", "rewrites"),
                          ("rephrase_miner_rejected_readings", "rejected_readings")):
        event = events[asset]
        assert (event["dag"], event["task"]) == ("rephrase_mining", "publish")
        assert {k: event["extra"][k] for k in ("ds", "version", "path", "dataset_path")} == {
            "ds": DS, "version": version, "path": run_dir, "dataset_path": f"{run_dir}/{folder}",
        }
    # the training set's and the rewrite table's events queued a run of nlu_retrain (not scheduled on the
    # rejected readings); with both queued, the scheduler starts it
    assert marked["QUEUED"] == [["nlu_retrain", "rephrase_miner_rewrite_table"],
                                ["nlu_retrain", "rephrase_miner_training_set"]]

    # no published param, no root, no Variable: only the asset events could name the run
    assert marked["RETRAIN"]["run"] == "success", output[-5000:]
    assert marked["RETRAIN"]["tasks"] == {"find_published": "success", "retrain": "success"}
    assert f"[nlu_retrain] retraining on {run_dir} (from the asset events)" in output
    scores = json.loads((root / "models" / "nlu" / DS / version / "scores.json").read_text())
    assert scores["published"] == run_dir and scores["regressed_locales"] == []
    assert scores["locales"]["en-US"]["records_added"] == len(PUBLISHED["en-US"])
    assert not (Path(run_dir) / "scores.json").exists()  # the published run is never changed

    assert marked["REGRESSION"]["run"] == "failed"
    assert marked["REGRESSION"]["tasks"] == {"find_published": "success", "retrain": "failed"}
    assert marked["REGRESSION"]["tries"]["retrain"] == 1  # a verdict is not retried
    assert "the retrained model regressed on en-US" in output
    recorded = json.loads((tmp_path / "other" / "models" / "nlu" / DS / "v-contradicted" / "scores.json").read_text())
    assert recorded["regressed_locales"] == ["en-US"] and recorded["locales"]["en-US"]["regression"] is True
