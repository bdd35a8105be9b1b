"""The Airflow Assets of a published run (pipeline/assets.py): names, event extras, and which run a consumer reads."""

import pytest

from pipeline.assets import (
    ASSET_GROUP,
    PUBLISHED_DATASETS,
    REWRITE_TABLE,
    TRAINING_SET,
    airflow_asset,
    event_extra,
    newest_published,
)
from pipeline.warehouse import nlu_scores_dir, published_run

POINTER = {  # what pipeline.warehouse.publish returns
    "ds": "2026-11-30", "version": "20261201T001500Z-ab12cd34", "published_at": "2026-12-01T00:15:00+00:00",
    "path": "s3a://bucket/runs/published/2026-11-30/20261201T001500Z-ab12cd34", "replaced": None,
}


def test_the_assets_are_named_logical_datasets_fixed_at_parse_time():
    assets = [airflow_asset(dataset) for dataset in PUBLISHED_DATASETS]
    assert [(a.name, a.uri, a.group) for a in assets] == [
        ("rephrase_miner_training_set", "x-rephrase-miner://published/training", ASSET_GROUP),
        ("rephrase_miner_rewrite_table", "x-rephrase-miner://published/rewrites", ASSET_GROUP),
        ("rephrase_miner_rejected_readings", "x-rephrase-miner://published/rejected_readings", ASSET_GROUP),
    ]
    assert airflow_asset(TRAINING_SET) == airflow_asset(TRAINING_SET)  # the producer's and the schedule's match


def test_an_event_extra_names_the_published_run_and_the_dataset_in_it():
    assert event_extra(POINTER, TRAINING_SET) == {
        "ds": "2026-11-30", "version": "20261201T001500Z-ab12cd34", "published_at": "2026-12-01T00:15:00+00:00",
        "path": POINTER["path"], "dataset_path": POINTER["path"] + "/training",
    }
    assert event_extra(POINTER, REWRITE_TABLE)["dataset_path"] == POINTER["path"] + "/rewrites"


def test_the_consumer_reads_the_newest_day_and_its_last_version():
    def extra(ds, published_at):
        return {"ds": ds, "published_at": published_at, "path": f"/runs/published/{ds}/{published_at}"}

    # a backfill published an older day last: the newest day still wins; of one day, the later version
    events = [extra("2026-12-02", "t1"), extra("2026-12-02", "t3"), extra("2026-11-30", "t4")]
    assert newest_published(events)["path"] == "/runs/published/2026-12-02/t3"
    with pytest.raises(ValueError, match="no asset event"):
        newest_published([])
    with pytest.raises(ValueError, match="without the published run's path"):
        newest_published([{"ds": "2026-12-02"}])


def test_a_published_folder_gives_its_root_day_and_version():
    assert published_run(POINTER["path"]) == ("s3a://bucket/runs", "2026-11-30", "20261201T001500Z-ab12cd34")
    assert published_run("/runs/published/2026-11-30/v1/") == ("/runs", "2026-11-30", "v1")
    assert nlu_scores_dir("/runs", "2026-11-30", "v1") == "/runs/models/nlu/2026-11-30/v1"
    for wrong in ("/runs/staging/2026-11-30/v1", "/runs/published/yesterday/v1", "/runs/published/2026-11-30"):
        with pytest.raises(ValueError, match="not a published run's folder"):
            published_run(wrong)
