"""A day mined by one submit (jobs/mine.py) equals the day mined stage by stage (tests/jobs/mined_day.py)."""

import json
from pathlib import Path

from jobs import mine
from pipeline.stages import MINING_STAGES, stats_path
from tests.dataset_content import run_content
from tests.jobs.mined_day import day_rows, mined_day
from tests.logs_factory import write_logs


def test_one_submit_mines_the_day_as_the_stages_submitted_one_by_one(spark, tmp_path_factory, tmp_path):
    by_stage = mined_day(spark, tmp_path_factory)
    logs = write_logs(tmp_path / "logs" / "part-0.parquet", day_rows()).parent
    args = mine.parse_args([
        "--logs", str(logs), "--out", str(tmp_path / "out"), "--embedding-cache", str(tmp_path / "cache"),
    ])
    stats = mine.run(spark, args)

    assert list(stats["stages"]) == [stage.name for stage in MINING_STAGES]
    names = [stage.name for stage in MINING_STAGES]
    at_once, stage_by_stage = run_content(tmp_path / "out", names), run_content(Path(by_stage), names)
    assert sorted(at_once) == sorted(stage_by_stage)
    for name, rows in stage_by_stage.items():
        # the source file names differ (other folders): compare the quarantine's rows without them
        assert [r.replace(str(logs), "LOGS") for r in at_once[name]] == [
            r.replace(str(Path(by_stage).parent / "logs"), "LOGS") for r in rows
        ], name
    assert stats["rows_out"] == json.loads(Path(stats_path(str(tmp_path / "out"), "aggregate")).read_text())["rows_out"]
