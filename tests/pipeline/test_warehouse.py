"""Publishing: only a validated staging folder, by a rename, with pointers that never show a partial run."""

import json

import pytest

from pipeline.errors import PublishError
from pipeline.warehouse import publish, published_days, published_path, staging_dir


def stage_run(root, ds, passed=True, marker="new"):
    staged = root / "staging" / ds
    (staged / "_stats").mkdir(parents=True)
    (staged / "_stats" / "validate.json").write_text(json.dumps({"passed": passed, "failed_critical": []}))
    (staged / "pairs").mkdir()
    (staged / "pairs" / "part-0.parquet").write_text(marker)
    return staged


def test_publish_moves_the_staged_run_and_points_readers_at_it(tmp_path):
    stage_run(tmp_path, "2026-11-30")
    pointer = publish(str(tmp_path), "2026-11-30", log=lambda _: None)
    published_root = tmp_path / "published"

    assert not (tmp_path / "staging" / "2026-11-30").exists()
    assert published_path(str(tmp_path)) == published_path(str(tmp_path), "2026-11-30") == pointer["path"]
    assert (published_root / "2026-11-30" / pointer["version"] / "pairs" / "part-0.parquet").read_text() == "new"
    assert published_days(str(tmp_path)) == ["2026-11-30"]
    # no temporary pointer file is left behind, and publishing draws nothing: its callers draw the dashboards
    assert sorted(p.name for p in published_root.iterdir()) == ["2026-11-30", "LATEST.json"]
    published = tmp_path / "published" / "2026-11-30" / pointer["version"]
    assert json.loads((published / "manifest.json").read_text())["ds"] == "2026-11-30"
    assert pointer["replaced"] is None
    assert not (published / "quality" / "dashboard.html").exists()


def test_a_failed_or_unvalidated_run_is_not_published_and_the_last_one_stays(tmp_path):
    stage_run(tmp_path, "2026-11-30", marker="good")
    good = publish(str(tmp_path), "2026-11-30", log=lambda _: None)

    stage_run(tmp_path, "2026-11-30", passed=False, marker="bad")
    with pytest.raises(PublishError, match="validation failed"):
        publish(str(tmp_path), "2026-11-30", log=lambda _: None)
    (tmp_path / "staging" / "2026-11-30" / "_stats" / "validate.json").unlink()
    with pytest.raises(PublishError, match="no validation result"):
        publish(str(tmp_path), "2026-11-30", log=lambda _: None)

    assert published_path(str(tmp_path)) == good["path"]
    assert (tmp_path / "published" / "2026-11-30" / good["version"] / "pairs" / "part-0.parquet").read_text() == "good"
    assert (tmp_path / "staging" / "2026-11-30" / "pairs").exists()  # kept for inspection


def test_a_backfill_does_not_move_latest_back_and_old_versions_are_pruned(tmp_path):
    stage_run(tmp_path, "2026-11-30")
    latest = publish(str(tmp_path), "2026-11-30", log=lambda _: None)
    versions = []
    for _ in range(3):
        stage_run(tmp_path, "2026-11-28")
        versions.append(publish(str(tmp_path), "2026-11-28", log=lambda _: None)["version"])

    assert published_path(str(tmp_path)) == latest["path"]
    assert published_path(str(tmp_path), "2026-11-28").endswith(versions[-1])
    # the current version and one before it, for rollback
    assert sorted(p.name for p in (tmp_path / "published" / "2026-11-28").iterdir()) == sorted(
        ["CURRENT.json", versions[-2], versions[-1]]
    )
    assert published_days(str(tmp_path)) == ["2026-11-28", "2026-11-30"]


def test_nothing_published_yet_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing published yet"):
        published_path(str(tmp_path))
    assert staging_dir("s3a://bucket/runs", "2026-11-30") == "s3a://bucket/runs/staging/2026-11-30"
