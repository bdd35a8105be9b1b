"""The datasets a published run hands to other DAGs, as Airflow Assets, and what each asset event says.

The `rephrase_mining` DAG's `publish` task updates every Asset (its outlets); the `nlu_retrain` DAG is scheduled
on the training set and the rewrite table, and a runtime's own DAG could be on the rejected readings. The
names are defined here once, for both DAG files.

An Asset's URI is fixed when a DAG file is parsed, but a published dataset has no fixed location: the runs
root is a runtime Airflow Variable (`rephrase_miner_root`) and every publish makes a new version folder,
`ROOT/published/<ds>/<version>/`. So each Asset is named, with an `x-rephrase-miner://` URI (Airflow leaves
`x-` schemes as they are) that names the logical dataset, not a place; each asset event's extra says where
that run's copy is (`event_extra`).

Nothing here imports Airflow at module level: only the DAG files ask for Asset objects (`airflow_asset`).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

ASSET_GROUP = "rephrase-miner"


@dataclass(frozen=True)
class PublishedDataset:
    name: str  # the Asset's name, unique in the Airflow deployment
    uri: str
    folder: str  # the dataset's folder in a published run
    description: str


TRAINING_SET = PublishedDataset(
    "rephrase_miner_training_set", "x-rephrase-miner://published/training", "training",
    "MASSIVE-format training records, one JSON Lines file per locale: training/<locale>.jsonl",
)
REWRITE_TABLE = PublishedDataset(
    "rephrase_miner_rewrite_table", "x-rephrase-miner://published/rewrites", "rewrites",
    "the query-rewrite table, Parquet partitioned by locale: rewrites/",
)
REJECTED_READINGS_TABLE = PublishedDataset(
    "rephrase_miner_rejected_readings", "x-rephrase-miner://published/rejected_readings", "rejected_readings",
    "the readings most of their users rejected, for the NLU's hypothesis ranker, Parquet partitioned by locale: "
    "rejected_readings/",
)
PUBLISHED_DATASETS = (TRAINING_SET, REWRITE_TABLE, REJECTED_READINGS_TABLE)
# What retraining is scheduled on: each published run updates both, once.
RETRAINING_INPUTS = (TRAINING_SET, REWRITE_TABLE)


def airflow_asset(dataset: PublishedDataset):
    """The Airflow Asset of a published dataset (the same object for the producer's outlet and the schedule)."""
    from airflow.sdk import Asset

    return Asset(name=dataset.name, uri=dataset.uri, group=ASSET_GROUP)


def event_extra(published: dict, dataset: PublishedDataset) -> dict:
    """An asset event's extra: the published run (`pipeline.warehouse.publish`'s pointer) and the dataset in it.

    `path` is the run's folder, `ROOT/published/<ds>/<version>`: a consumer reads that version even after a
    later publish of the same day has moved `CURRENT.json` on (the replaced version is kept for rollback).
    """
    return {
        "ds": published["ds"],
        "version": published["version"],
        "published_at": published["published_at"],
        "path": published["path"],
        "dataset_path": posixpath.join(published["path"], dataset.folder),
    }


def newest_published(extras: list[dict]) -> dict:
    """Of the events a consumer run was triggered by (several when runs were published in between, as in a
    backfill), the newest day's, and of that day the last published version: each run accumulates the days
    before it, so it supersedes them. Extras without a `path` are not from `publish`, and are an error."""
    if not extras:
        raise ValueError("no asset event to read the published run from")
    missing = [extra for extra in extras if not isinstance(extra, dict) or not extra.get("path")]
    if missing:
        raise ValueError(f"an asset event without the published run's path in its extra: {missing[0]!r}")
    return max(extras, key=lambda extra: (extra.get("ds") or "", extra.get("published_at") or ""))
