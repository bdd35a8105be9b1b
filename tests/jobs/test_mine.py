"""A day mined by one submit (jobs/mine.py) equals the day mined stage by stage (tests/jobs/mined_day.py)."""

import json
from pathlib import Path

import pyarrow.dataset as ds

from jobs import mine
from pipeline.stages import MINING_STAGES, stats_path
from tests.jobs.mined_day import day_rows, mined_day
from tests.logs_factory import write_logs

# Sketch bytes may follow the order users were added in; what they hold is compared through the counts.
UNCOMPARED = ("users_sketch", "elapsed_s", "input_fingerprint")


def content(out: Path) -> dict[str, list[str]]:
    """Every dataset's sorted rows (floats rounded) and every stage's stats, but timings."""
    def comparable(record: dict) -> str:
        return json.dumps(
            {k: round(v, 5) if isinstance(v, float) else str(v) for k, v in record.items() if k not in UNCOMPARED},
            sort_keys=True,
        )

    datasets = {
        folder.name: sorted(comparable(r) for r in ds.dataset(folder, format="parquet").to_table().to_pylist())
        for folder in sorted(out.iterdir()) if folder.is_dir() and not folder.name.startswith("_")
    }
    stats = {
        stage.name: comparable(json.loads(Path(stats_path(str(out), stage.name)).read_text()))
        for stage in MINING_STAGES
    }
    return {**datasets, **{f"_stats/{name}": [text] for name, text in stats.items()}}


def test_one_submit_mines_the_day_as_the_stages_submitted_one_by_one(spark, tmp_path_factory, tmp_path):
    by_stage = mined_day(spark, tmp_path_factory)
    logs = write_logs(tmp_path / "logs" / "part-0.parquet", day_rows()).parent
    args = mine.parse_args([
        "--logs", str(logs), "--out", str(tmp_path / "out"), "--embedding-cache", str(tmp_path / "cache"),
    ])
    stats = mine.run(spark, args)

    assert list(stats["stages"]) == [stage.name for stage in MINING_STAGES]
    at_once = content(tmp_path / "out")
    assert sorted(at_once) == sorted(content(by_stage))
    for name, rows in content(by_stage).items():
        # the source file names differ (other folders): compare the quarantine's rows without them
        assert [r.replace(str(logs), "LOGS") for r in at_once[name]] == [
            r.replace(str(Path(by_stage).parent / "logs"), "LOGS") for r in rows
        ], name
    assert stats["rows_out"] == json.loads(Path(stats_path(str(tmp_path / "out"), "aggregate")).read_text())["rows_out"]
