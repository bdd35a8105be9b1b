"""
### nlu_retrain: retrain the intent classifier on each published training set, and record its scores

An example consumer of what `rephrase_mining` publishes. It is scheduled on two of the Airflow Assets that the
`publish` task of `rephrase_mining` updates, `{training}` and `{rewrites}` (`pipeline.assets`), and runs
once both were updated since its last run: each published run triggers one retraining.

The Assets' URIs (`x-rephrase-miner://published/...`) name the datasets, not a place: the runs root is a
runtime Variable and each publish makes a new version folder, so no URI fixed at parse time could say where
a run is. Each asset event's extra does: `path` (the run's folder `ROOT/published/<ds>/<version>`), `ds`,
`version`, `published_at` and `dataset_path`.

1. **find_published** picks the published run to read: the `published` param when set (a run's folder: a
   manual run, or `dag.test(run_conf=...)`); else the triggering asset events' extra (the newest day's run,
   when several were published in between); else, for a manual run without it, the latest published run
   under the `root` param or the Variable `rephrase_miner_root`.
2. **retrain**, per locale of the published training set: trains the baseline intent classifier
   (`nlu.classifier`) on annotated MASSIVE records, retrains it with the published records added, and
   scores both on held-out records (paired bootstrap interval, regressed intents, verdict). The annotated
   records come from the `baseline_train` param, or the Variable `nlu_baseline_train`, or else the packaged
   MASSIVE subset; the held-out ones from `evaluation` (or the Variable `nlu_evaluation`), or else
   `holdout_share` of the annotated records, chosen by a hash of the record id. It writes the scores to
   `ROOT/models/nlu/<ds>/<version>/scores.json` (the published folder itself is never changed) and then,
   with `fail_on_regression`, fails on a regression verdict, without a retry: the scores say why.

See docs/operations.md, "Retraining on each published run".
"""

from __future__ import annotations

from dataclasses import asdict

from airflow.sdk import DAG, Param, task

# Light by design: neither module imports Spark, scikit-learn or Airflow's task machinery.
from pipeline.assets import RETRAINING_INPUTS, REWRITE_TABLE, TRAINING_SET, airflow_asset
from pipeline.config import TASK_RETRIES, RetrainConfig

DAG_ID = "nlu_retrain"
DEFAULTS = RetrainConfig()
ROOT = "{{ params.root or var.value.get('rephrase_miner_root', '') }}"
BASELINE_TRAIN = "{{ params.baseline_train or var.value.get('nlu_baseline_train', '') }}"
EVALUATION = "{{ params.evaluation or var.value.get('nlu_evaluation', '') }}"
OPTIONAL_PATH = ["null", "string"]

PARAMS = {
    "published": Param(None, type=OPTIONAL_PATH, description="a published run's folder; unset: the asset events'"),
    "root": Param(None, type=OPTIONAL_PATH, description="runs root for a manual run; unset: rephrase_miner_root"),
    "baseline_train": Param(
        None, type=OPTIONAL_PATH,
        description="folder of annotated MASSIVE JSONL(.gz) files; unset: nlu_baseline_train, else the packaged subset",
    ),
    "evaluation": Param(
        None, type=OPTIONAL_PATH,
        description="folder of held-out MASSIVE JSONL(.gz) files; unset: nlu_evaluation, else holdout_share",
    ),
    "locales": Param([], type="array", items={"type": "string"}, description="locales to retrain; empty: all"),
    "holdout_share": Param(
        DEFAULTS.holdout_share, type="number", exclusiveMinimum=0, exclusiveMaximum=1,
        description="share of the annotated records held out when there is no evaluation set",
    ),
    "seed": Param(DEFAULTS.seed, type="integer", description="seeds the held-out choice and the bootstrap"),
    "fail_on_regression": Param(
        DEFAULTS.fail_on_regression, type="boolean", description="fail the run on a regression verdict",
    ),
}

with DAG(
    dag_id=DAG_ID,
    doc_md=__doc__.replace("{training}", TRAINING_SET.name).replace("{rewrites}", REWRITE_TABLE.name),
    # A list of Assets: a run once every one of them was updated (Airflow's AssetAll).
    schedule=[airflow_asset(dataset) for dataset in RETRAINING_INPUTS],
    max_active_runs=1,
    default_args=TASK_RETRIES,
    params=PARAMS,
    tags=["rephrase-miner", "nlu", "self-learning"],
) as dag:

    @task
    def find_published(root: str, params: dict | None = None, triggering_asset_events=None) -> dict:
        """The published run to retrain on: {"path", "ds", "version", "root"}."""
        from pipeline.assets import newest_published
        from pipeline.warehouse import published_path, published_run

        if params.get("published"):
            path, source = params["published"], "the published param"
        elif triggering_asset_events and (events := triggering_asset_events.get(airflow_asset(TRAINING_SET))):
            path, source = newest_published([event.extra for event in events])["path"], "the asset events"
        elif root:
            path, source = published_path(root), f"{root}/published/LATEST.json"
        else:
            raise ValueError("no published run to retrain on: no asset event, and neither the published nor the "
                             "root param nor the Variable rephrase_miner_root is set")
        run_root, ds, version = published_run(path)
        print(f"[nlu_retrain] retraining on {path} (from {source})", flush=True)
        return {"path": path, "ds": ds, "version": version, "root": run_root}

    @task
    def retrain(published: dict, baseline_train: str, evaluation: str, params: dict | None = None) -> dict:
        """Retrain per locale, write the scores, and fail on a regression verdict (fail_on_regression)."""
        from pathlib import Path

        from airflow.sdk.exceptions import AirflowFailException

        from nlu.retrain import PACKAGED_MASSIVE, packaged_encoder, retrain_published, write_scores
        from pipeline.warehouse import nlu_scores_dir

        config = RetrainConfig(**{key: params[key] for key in asdict(DEFAULTS)})
        report = retrain_published(
            published["path"], Path(baseline_train) if baseline_train else PACKAGED_MASSIVE,
            Path(evaluation) if evaluation else None, list(params["locales"]), config, packaged_encoder(),
        )
        scores = write_scores(nlu_scores_dir(published["root"], published["ds"], published["version"]), report)
        print(f"[nlu_retrain] scores: {scores}", flush=True)
        if report["regressed_locales"] and config.fail_on_regression:
            raise AirflowFailException(
                f"the retrained model regressed on {', '.join(report['regressed_locales'])} (see {scores}); "
                "it must not replace the baseline"
            )
        return {"scores": scores, "locales": sorted(report["locales"]), "skipped": report["skipped"],
                "regressed_locales": report["regressed_locales"]}

    retrain(find_published(ROOT), BASELINE_TRAIN, EVALUATION)
