"""The DAG as Airflow parses it: structure, schedule, params and the arguments each task renders."""

import datetime as dt
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

from pipeline.assets import PUBLISHED_DATASETS, airflow_asset
from pipeline.config import RunConfig
from pipeline.stages import ACCUMULATE, EMIT, MINE, MINING_STAGES, VALIDATE
from pipeline.warehouse import staging_dir
from tests.conftest import utc
from tests.logs_factory import row, write_logs

PROJECT = Path(__file__).resolve().parents[2]
RUN_ID = "scheduled__2026-11-30T00:00:00+00:00"
MINING = ["ingest", "sessionize", "rephrases", "variants", "aggregate"]


def test_dag_parses_without_importing_spark_or_touching_data():
    probe = (
        "import sys, runpy; runpy.run_path(sys.argv[1]);"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'pyspark', 'pyarrow', 'great_expectations', 'torch'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(PROJECT / "dags" / "rephrase_mining.py")],
        capture_output=True, text=True, timeout=120, check=True,
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_tasks_and_dependencies(dag):
    downstream = {task.task_id: sorted(task.downstream_task_ids) for task in dag.tasks}
    assert downstream == {
        "plan": sorted(["mining_submits", "mine", *MINING]),  # each mining task maps over the planned days
        "mining_submits": ["ingest", "mine"],
        "ingest": ["sessionize"],
        "sessionize": ["rephrases"],
        "rephrases": ["variants"],
        "variants": ["aggregate"],
        "aggregate": ["accumulate"],
        "mine": ["accumulate"],
        "accumulate": ["emit"],
        "emit": ["validate"],
        "validate": ["publish"],
        "publish": [],
    }
    mapped = {task.task_id for task in dag.tasks if getattr(task, "is_mapped", False)}
    assert mapped == {*MINING, "mine"}
    assert {
        task.task_id: task.task_type for task in dag.tasks if task.task_id not in ("plan", "mining_submits", "publish")
    } == {name: "SparkSubmitOperator" for name in MINING + ["mine", "accumulate", "emit", "validate"]}
    # whichever branch mined the days, the other is skipped and accumulate still runs
    assert dag.get_task("accumulate").trigger_rule == "none_failed_min_one_success"
    assert dag.get_task("mine").partial_kwargs["application"] == str(PROJECT / "jobs" / "mine.py")


def test_mining_submits_chooses_one_submit_per_stage_or_one_per_day(dag):
    choose = dag.get_task("mining_submits").python_callable
    assert dag.params.dump()["mining_submits"] == "per_stage"
    assert choose(params={"mining_submits": "per_stage"}) == "ingest"
    assert choose(params={"mining_submits": "one"}) == "mine"


def test_schedule_retries_and_docs(dag):
    from airflow.serialization.encoders import coerce_to_core_timetable

    assert (dag.timetable.expression, dag.catchup, dag.max_active_runs) == ("0 0 * * *", True, 1)
    # the run for a day starts when the day is over, and its data interval is that day
    timetable = coerce_to_core_timetable(dag.timetable)
    interval = timetable.infer_manual_data_interval(run_after=dt.datetime(2026, 12, 1, 6, tzinfo=dt.timezone.utc))
    assert (interval.start, interval.end) == (
        dt.datetime(2026, 11, 30, tzinfo=dt.timezone.utc), dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc),
    )
    assert dag.start_date == dt.datetime(2026, 11, 30, tzinfo=dt.timezone.utc)
    assert "publish" in dag.doc_md and "spark_default" in dag.doc_md
    assert set(dag.tags) == {"rephrase-miner", "spark", "self-learning"}
    for task in dag.tasks:
        # exponential back-off (some Airflow code paths store True as its factor, 2), capped at 30 minutes
        assert task.retries == 2 and task.retry_exponential_backoff in (True, 2.0)
        assert (task.retry_delay, task.max_retry_delay) == (dt.timedelta(minutes=2), dt.timedelta(minutes=30))
        if task.task_type == "SparkSubmitOperator":
            mapped = getattr(task, "is_mapped", False)
            assert (task.partial_kwargs["conn_id"] if mapped else task._conn_id) == "spark_default"


def test_publish_updates_the_published_assets_and_no_other_task_does(dag):
    # nlu_retrain is scheduled on both; the event extras are tested in tests/dags/test_nlu_retrain_run.py
    assert dag.get_task("publish").outlets == [airflow_asset(dataset) for dataset in PUBLISHED_DATASETS]
    assert all(not task.outlets for task in dag.tasks if task.task_id != "publish")
    assert len(PUBLISHED_DATASETS) == 3 and all(dataset.name in dag.doc_md for dataset in PUBLISHED_DATASETS)


def test_params_default_to_the_run_config(dag):
    params = dag.params.dump()
    defaults = asdict(RunConfig())
    defaults["log_format"] = RunConfig().log_format.as_dict()
    assert {k: tuple(params[k]) if k in ("locales", "scrub_pii") else params[k] for k in defaults} == defaults
    assert (params["logs"], params["root"]) == (None, None)


def render(dag, task_id, field, params=None):
    task = dag.get_task(task_id)
    context = {
        "ds": "2026-11-30", "run_id": RUN_ID, "params": {**dag.params.dump(), **(params or {})},
        "var": {"value": {"rephrase_miner_root": "/from/variable", "rephrase_miner_logs": "/logs/variable"}},
    }
    return task.render_template(getattr(task, field), context, jinja_env=dag.get_template_env())


def test_post_mining_tasks_render_the_stage_arguments_for_the_logical_date(dag):
    root = "s3a://bucket/runs"
    values = {
        **asdict(RunConfig()), "root": root, "ds": "2026-11-30", "out": staging_dir(root, "2026-11-30"),
        "run_id": RUN_ID,
    }
    for stage in (ACCUMULATE, EMIT, VALIDATE):
        assert render(dag, stage.name, "application_args", {"root": root}) == stage.argv(values)
    assert render(dag, "accumulate", "application_args", {"root": root, "decay": 0.7, "late_days": 5}) == [
        "--root", root, "--ds", "2026-11-30", "--out", "s3a://bucket/runs/staging/2026-11-30", "--decay", "0.7",
        "--late-days", "5", "--min-users", "3",
    ]
    # without a param, the Airflow Variable gives the path
    assert render(dag, "validate", "application_args")[:2] == ["--out", "/from/variable/staging/2026-11-30"]
    assert render(dag, "emit", "conf", {"shuffle_partitions": 4})["spark.sql.shuffle.partitions"] == "4"
    assert dag.get_task("emit").application == str(PROJECT / "jobs" / "emit.py")


def test_plan_maps_each_mining_task_over_the_days_to_mine(dag, tmp_path):
    logs, root = tmp_path / "logs", tmp_path / "runs"
    write_logs(logs / "date=2026-11-30" / "part-0.parquet", [row("e1", "u1", utc(2026, 11, 30, 9), "hi")])
    write_logs(logs / "date=2026-11-29" / "part-0.parquet", [row("e0", "u1", utc(2026, 11, 29, 9), "hi")])
    (root / "staging" / "2026-11-30" / "pairs").mkdir(parents=True)  # left by an earlier, failed attempt
    params = {**dag.params.dump(), "min_users": 4}
    days = dag.get_task("plan").python_callable(str(logs), str(root), ds="2026-11-30", params=params, run_id=RUN_ID)

    native = RunConfig().log_format.to_json()
    assert [MINING_STAGES[0].argv(day) for day in days] == [
        ["--logs", f"{logs}/date=2026-11-29", "--out", f"{root}/days/2026-11-29", "--log-format", native,
         "--max-utterance-chars", "512",
         "--scrub-pii", "email,phone,digits", "--stop-quarantine-share", "0.5"],
        ["--logs", f"{logs}/date=2026-11-30", "--out", f"{root}/days/2026-11-30", "--log-format", native,
         "--max-utterance-chars", "512",
         "--scrub-pii", "email,phone,digits", "--stop-quarantine-share", "0.5"],
    ]
    assert MINING_STAGES[3].argv(days[1]) == [
        "--out", f"{root}/days/2026-11-30", "--min-users", "4", "--top-phrasings-per-goal", "10",
    ]
    # the one-submit task gets every mining stage's arguments for the same day
    assert MINE.argv(days[1])[:4] == ["--logs", f"{logs}/date=2026-11-30", "--out", f"{root}/days/2026-11-30"]
    assert {arg for arg in MINE.argv(days[1]) if arg.startswith("--")} == {
        arg for stage in MINING_STAGES for arg in stage.argv(days[1]) if arg.startswith("--")
    }
    # the stale attempt is gone; nothing published yet, so no counts to compare this run with
    assert [p.name for p in (root / "staging" / "2026-11-30").iterdir()] == ["_stats"]
    assert (root / "staging" / "2026-11-30" / "_stats" / "baseline.json").read_text().strip() == "{}"
