"""The nlu_retrain DAG as Airflow parses it: one DAG, scheduled on the published Assets, its params, and how
its first task picks the published run (param, asset events, latest published)."""

import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from types import SimpleNamespace

import pytest

from pipeline.assets import RETRAINING_INPUTS, REWRITE_TABLE, TRAINING_SET, airflow_asset
from pipeline.config import RetrainConfig
from tests.airflow_env import PROJECT

RUN = "/runs/published/2026-11-30/20261201T001500Z-ab12cd34"


@pytest.fixture(scope="module")
def retrain_dag(dag_bag):
    return dag_bag.get_dag("nlu_retrain")


def test_each_dag_file_holds_one_dag(dag_bag):
    files = {Path(dag.fileloc).name: dag.dag_id for dag in dag_bag.dags.values()}
    assert files == {"nlu_retrain.py": "nlu_retrain", "rephrase_mining.py": "rephrase_mining"}


def test_dag_parses_without_importing_the_model_or_touching_data():
    probe = (
        "import sys, runpy; runpy.run_path(sys.argv[1]);"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'pyspark', 'pyarrow', 'sklearn', 'torch', 'nlu'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(PROJECT / "dags" / "nlu_retrain.py")],
        capture_output=True, text=True, timeout=120, check=True,
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_scheduled_on_both_published_assets(retrain_dag):
    from airflow.sdk import AssetAll

    assert retrain_dag.timetable.asset_condition == AssetAll(*[airflow_asset(d) for d in RETRAINING_INPUTS])
    assert (retrain_dag.max_active_runs, set(retrain_dag.tags)) == (1, {"rephrase-miner", "nlu", "self-learning"})
    assert TRAINING_SET.name in retrain_dag.doc_md and REWRITE_TABLE.name in retrain_dag.doc_md
    assert "scores.json" in retrain_dag.doc_md and "fail_on_regression" in retrain_dag.doc_md
    assert {task.task_id: sorted(task.downstream_task_ids) for task in retrain_dag.tasks} == {
        "find_published": ["retrain"], "retrain": [],
    }


def test_params_default_to_the_retrain_config(retrain_dag):
    params = retrain_dag.params.dump()
    assert {key: params[key] for key in asdict(RetrainConfig())} == asdict(RetrainConfig())
    assert [params[k] for k in ("published", "root", "baseline_train", "evaluation", "locales")] == [
        None, None, None, None, [],
    ]


def find_published(retrain_dag, params=None, events=None, root=""):
    task = retrain_dag.get_task("find_published")
    return task.python_callable(root, params={**retrain_dag.params.dump(), **(params or {})},
                                triggering_asset_events=events)


def event(ds: str, published_at: str, path: str):
    return SimpleNamespace(extra={"ds": ds, "published_at": published_at, "path": path})


def test_the_published_run_comes_from_the_param_else_the_events_else_the_latest(retrain_dag, tmp_path):
    expected = {"path": RUN, "ds": "2026-11-30", "version": "20261201T001500Z-ab12cd34", "root": "/runs"}
    assert find_published(retrain_dag, {"published": RUN}, {airflow_asset(TRAINING_SET): [event("x", "", "/y")]}) == (
        expected
    )
    events = {airflow_asset(TRAINING_SET): [event("2026-11-29", "t1", "/runs/published/2026-11-29/v1"),
                                            event("2026-11-30", "t2", RUN)]}
    assert find_published(retrain_dag, events=events) == expected

    (tmp_path / "published").mkdir()
    (tmp_path / "published" / "LATEST.json").write_text('{"ds": "2026-11-30", "version": "v7"}')
    assert find_published(retrain_dag, events={}, root=str(tmp_path))["path"] == f"{tmp_path}/published/2026-11-30/v7"
    with pytest.raises(ValueError, match="no published run to retrain on"):
        find_published(retrain_dag, events={})
    with pytest.raises(ValueError, match="not a published run's folder"):
        find_published(retrain_dag, {"published": "/runs/staging/2026-11-30"})


def test_the_paths_render_from_params_else_variables(retrain_dag):
    task = retrain_dag.get_task("find_published")
    context = {"params": retrain_dag.params.dump(), "var": {"value": SimpleNamespace(get=lambda key, default: {
        "rephrase_miner_root": "/from/variable"}.get(key, default))}}
    rendered = task.render_template(task.op_args, context, jinja_env=retrain_dag.get_template_env())
    assert list(rendered) == ["/from/variable"]
    retrain = retrain_dag.get_task("retrain")
    context["params"] = {**context["params"], "evaluation": "/held/out"}
    rendered = retrain.render_template(retrain.op_args[1:], context, jinja_env=retrain_dag.get_template_env())
    assert list(rendered) == ["", "/held/out"]  # no baseline_train anywhere: the task takes the packaged subset
