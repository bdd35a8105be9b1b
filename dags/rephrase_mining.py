"""
### rephrase_mining: mine a day of assistant logs into rewrites and NLU training data

Every day, for the logical date `ds`:

1. **plan** lists the days to mine: `ds`, plus any of the `late_days` days before it whose log files changed
   since they were mined (late deliveries). It clears the run's staging folder.
2. **the mining stages** (`pipeline.stages.MINING_STAGES`, in order: {mining}) mine each of those days into
   `ROOT/days/<day>/`. With the param `mining_submits` at `per_stage` (the default), each stage of each day is
   its own mapped spark-submit, retried alone. At `one`, the task **mine** runs a day's stages in one
   spark-submit (`jobs/mine.py`): one start-up per day instead of five, where a cluster's start-up costs
   more than retrying a day's mining whole (docs/operations.md gives the overhead measured).
3. **accumulate** merges the mined days into the running aggregate: the last final published state, scaled by
   `decay` per day of age, plus each day's evidence, scaled the same way. It writes to `ROOT/staging/<ds>/`.
4. **emit** writes the rewrite table and the MASSIVE-format training records into staging.
5. **validate** runs the Great Expectations suites. A critical failure fails the task, and nothing is published.
6. **publish** renames the staging folder to `ROOT/published/<ds>/<version>/` and replaces the `CURRENT.json`
   and `LATEST.json` pointers. Readers never see a half-written or failed run. It then draws the run's dashboard
   and the index of published days, and updates the Airflow Assets `{training}`, `{rewrites}` and `{rejected}`
   (`pipeline.assets`): each asset event's extra names the run (`path`, `ds`, `version`), and the `nlu_retrain`
   DAG is scheduled on them.

Every Spark task is a `spark-submit` on the connection **`spark_default`**: its host is the master
(`local[*]`, `spark://host:7077`, `yarn` or `k8s://...`). The paths come from the params `logs` and `root`,
or else from the Airflow Variables `rephrase_miner_logs` and `rephrase_miner_root`. The thresholds are params.
See the README, "Scheduling with Airflow".
"""

from __future__ import annotations

import datetime as dt
import sys

from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from airflow.sdk import DAG, CronDataIntervalTimetable, Param, task

from miner.defaults import PII_KINDS

# Light by design: none of these modules imports Spark, so the DAG parses fast.
from pipeline.assets import PUBLISHED_DATASETS, REJECTED_READINGS_TABLE, REWRITE_TABLE, TRAINING_SET, airflow_asset
from pipeline.config import TASK_RETRIES, RunConfig
from pipeline.stages import MINE, MINING_STAGES, SCHEDULED_STAGES

DAG_ID = "rephrase_mining"
LOGS = "{{ params.logs or var.value.rephrase_miner_logs }}"
ROOT = "{{ params.root or var.value.rephrase_miner_root }}"
STAGING = ROOT + "/staging/{{ ds }}"
# How the mining stages of a day are submitted: the first is the default.
MINING_SUBMITS = ("per_stage", "one")
DEFAULTS = RunConfig()

# The values the post-mining stages' arguments are rendered from (the CLI fills the same names).
SCHEDULED_VALUES = {
    "root": ROOT,
    "ds": "{{ ds }}",
    "out": STAGING,
    "decay": "{{ params.decay }}",
    "late_days": "{{ params.late_days }}",
    "min_users": "{{ params.min_users }}",
    "run_id": "{{ run_id }}",
    "locales": "{{ params.locales | join(',') }}",
    **{
        name: "{{ params.%s }}" % name
        for name in (
            "max_quarantine_share", "min_count_ratio", "max_count_ratio", "max_utterance_chars",
            "session_gap_seconds", "max_session_turns", "rephrase_window_seconds", "max_following_turns",
        )
    },
}

SPARK_CONF = {
    "spark.sql.shuffle.partitions": "{{ params.shuffle_partitions }}",
    "spark.sql.session.timeZone": "UTC",
    # The interpreter of the driver (here, client mode) and of the executors: this environment by default,
    # `./environment/bin/python` with `spark_archives` on a cluster (README, "Running on a cluster").
    "spark.pyspark.driver.python": "{{ params.driver_python }}",
    "spark.pyspark.python": "{{ params.executor_python }}",
    "spark.archives": "{{ params.spark_archives }}",
}


def _param(default, kind, description: str, **limits) -> Param:
    return Param(default, type=kind, description=description, **limits)


PARAMS = {
    "logs": _param(None, ["null", "string"], "log root (date=YYYY-MM-DD folders); unset: rephrase_miner_logs"),
    "root": _param(None, ["null", "string"], "runs root (days/, staging/, published/); unset: rephrase_miner_root"),
    "late_days": _param(DEFAULTS.late_days, "integer", "days back that late logs are re-mined for", minimum=0),
    "decay": _param(DEFAULTS.decay, "number", "weight of yesterday's evidence", exclusiveMinimum=0, maximum=1),
    "min_users": _param(DEFAULTS.min_users, "integer", "k-anonymity floor: users behind every output", minimum=1),
    "intent_prior": _param(DEFAULTS.intent_prior, "boolean", "labels weigh votes against the day's intent prior"),
    "max_utterance_chars": _param(
        DEFAULTS.max_utterance_chars, "integer", "longer utterances are quarantined", minimum=1
    ),
    "log_format": Param(
        DEFAULTS.log_format.as_dict(), type="object",
        description="how the logs map onto the contract (README, 'Bring your own logs'); default: native Parquet",
    ),
    "stop_quarantine_share": _param(
        DEFAULTS.stop_quarantine_share, "number", "ingest stops when it quarantines more of a day than this",
        minimum=0, maximum=1,
    ),
    "scrub_pii": Param(
        list(DEFAULTS.scrub_pii), type="array", items={"type": "string", "enum": list(PII_KINDS)},
        description="PII scrubbed from utterances and slot values at ingest; empty: none",
    ),
    "session_gap_seconds": _param(
        DEFAULTS.session_gap_seconds, "number", "a pause this long ends a session", exclusiveMinimum=0
    ),
    "max_session_turns": _param(
        DEFAULTS.max_session_turns, "integer", "longer sessions are cut into parts", minimum=2
    ),
    "rephrase_window_seconds": _param(
        DEFAULTS.rephrase_window_seconds, "number", "how soon a rephrase follows", exclusiveMinimum=0
    ),
    "max_following_turns": _param(
        DEFAULTS.max_following_turns, "integer", "how many turns ahead a rephrase may come", minimum=1
    ),
    "top_phrasings_per_goal": _param(
        DEFAULTS.top_phrasings_per_goal, "integer", "phrasings paired per goal", minimum=2
    ),
    "embedding_model": _param(DEFAULTS.embedding_model, "string", "sentence-transformers folder; empty: packaged"),
    "embedding_cache": _param(
        DEFAULTS.embedding_cache, "string", "persistent embedding cache (model, text); empty: ROOT/embedding_cache"
    ),
    "locales": Param(
        list(DEFAULTS.locales), type="array", items={"type": "string"},
        description="locales a run may emit (validated); empty: any",
    ),
    "max_quarantine_share": _param(
        DEFAULTS.max_quarantine_share, "number", "above this share of quarantined rows, a day is not published",
        minimum=0, maximum=1,
    ),
    "min_count_ratio": _param(DEFAULTS.min_count_ratio, "number", "warn below this ratio to the last run", minimum=0),
    "max_count_ratio": _param(DEFAULTS.max_count_ratio, "number", "warn above this ratio to the last run", minimum=0),
    "shuffle_partitions": _param(DEFAULTS.shuffle_partitions, "integer", "spark.sql.shuffle.partitions", minimum=1),
    "driver_python": _param(sys.executable, "string", "Python of the Spark driver (client mode: this worker)"),
    "executor_python": _param(sys.executable, "string", "Python of the executors, e.g. ./environment/bin/python"),
    "spark_archives": _param("", "string", "spark.archives, e.g. hdfs:///envs/rephrase-miner.tar.gz#environment"),
    "mining_submits": Param(
        MINING_SUBMITS[0], type="string", enum=list(MINING_SUBMITS),
        description="per_stage: a spark-submit per mining stage and day; one: a day's mining stages in one",
    ),
}


def spark_task(stage, **kwargs) -> dict:
    """The arguments every Spark task shares; the master comes from the `spark_default` connection."""
    return {
        "task_id": stage.name,
        "application": stage.application,
        "conn_id": "spark_default",
        "name": f"rephrase-miner {stage.name} {{{{ ds }}}}",
        "conf": SPARK_CONF,
        **kwargs,
    }


with DAG(
    dag_id=DAG_ID,
    doc_md=__doc__.replace("{mining}", " → ".join(stage.name for stage in MINING_STAGES))
    .replace("{training}", TRAINING_SET.name).replace("{rewrites}", REWRITE_TABLE.name)
    .replace("{rejected}", REJECTED_READINGS_TABLE.name),
    # A run covers the data interval of one UTC day and starts once that day is over, so `ds` is the
    # day being mined (Airflow 3's "@daily" would fire at the start of the day it names).
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=dt.datetime(2026, 11, 30, tzinfo=dt.timezone.utc),
    catchup=True,
    max_active_runs=1,
    default_args=TASK_RETRIES,
    params=PARAMS,
    tags=["rephrase-miner", "spark", "self-learning"],
) as dag:

    @task
    def plan(logs: str, root: str, ds: str | None = None, params: dict | None = None, run_id: str | None = None):
        """The days to mine (ds and late ones): one dict of stage argument values per day."""
        import dataclasses

        from pipeline.plan import plan_run

        names = {f.name for f in dataclasses.fields(RunConfig)}
        config = dataclasses.replace(DEFAULTS, **{k: v for k, v in params.items() if k in names})
        return plan_run(logs, root, ds, config, run_id)

    @task(outlets=[airflow_asset(dataset) for dataset in PUBLISHED_DATASETS])
    def publish(root: str, ds: str | None = None, outlet_events=None) -> dict:
        """Rename the validated staging folder into place, point readers at it, and say so to the Assets."""
        from pipeline.assets import event_extra
        from pipeline.warehouse import publish as publish_run
        from reporting.page import write_published_dashboards

        published = publish_run(root, ds)
        write_published_dashboards(root, published)
        # Airflow records these events only when the task succeeds: a failed attempt triggers no consumer.
        for dataset in PUBLISHED_DATASETS:
            outlet_events[airflow_asset(dataset)].extra = event_extra(published, dataset)
        return published

    @task.branch
    def mining_submits(params: dict | None = None) -> str:
        """A spark-submit per mining stage, or one for all of a day's stages (param `mining_submits`)."""
        return MINING_STAGES[0].name if params["mining_submits"] == MINING_SUBMITS[0] else MINE.name

    planned = plan(LOGS, ROOT)
    chosen = mining_submits()
    planned >> chosen
    previous = chosen
    for mining_stage in MINING_STAGES:
        mined = SparkSubmitOperator.partial(**spark_task(mining_stage)).expand(
            application_args=planned.map(mining_stage.argv)
        )
        previous >> mined
        previous = mined
    mined_at_once = SparkSubmitOperator.partial(**spark_task(MINE)).expand(application_args=planned.map(MINE.argv))
    chosen >> mined_at_once
    first_scheduled, *later_scheduled = SCHEDULED_STAGES
    # The branch not taken is skipped: the first post-mining task follows whichever mined the days.
    accumulated = SparkSubmitOperator(
        **spark_task(
            first_scheduled, application_args=first_scheduled.argv(SCHEDULED_VALUES),
            trigger_rule="none_failed_min_one_success",
        )
    )
    [previous, mined_at_once] >> accumulated
    previous = accumulated
    for stage in later_scheduled:
        submitted = SparkSubmitOperator(**spark_task(stage, application_args=stage.argv(SCHEDULED_VALUES)))
        previous >> submitted
        previous = submitted
    previous >> publish(ROOT)
