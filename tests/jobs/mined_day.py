"""One small day of logs, mined once per test session by the stage applications themselves.

The job tests of the later stages (rephrases, variants, aggregate) take their inputs from it: each copies the
datasets its stage reads (`STAGE_INPUTS`) into a fresh OUT of its own and runs the stage there, so what the
test reads back was written by the run under test. The day, built on `logs_factory.rephrase_day_rows`:

- account-1 .. account-4 each fail with "Wake me at seven" and rephrase it 6 s later into "set an alarm for
  seven" (alarm_set, time=seven), which succeeds;
- account-5 fails with "wake me at seven" and switches to "play jazz" 20 s later; account-6 plays jazz;
- account-7 .. account-9 succeed straight away with "alarm for seven" (alarm_set, time=seven): a second
  phrasing of the same goal, said by three users.

Fourteen turns, nine users, nine sessions: small enough to mine in seconds.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from pipeline.config import RunConfig
from pipeline.stages import MINING_STAGES
from tests.conftest import utc
from tests.logs_factory import SEVEN, rephrase_day_rows, row, write_logs

T0 = utc(2026, 11, 30, 9, 0, 0)
REPHRASING_USERS = ["account-1", "account-2", "account-3", "account-4"]
SWITCHER, LISTENER = "account-5", "account-6"
VARIANT_USERS = ["account-7", "account-8", "account-9"]

WAKE, ALARM, SHORT_ALARM, JAZZ = "wake me at seven", "set an alarm for seven", "alarm for seven", "play jazz"

# The datasets each stage reads from OUT.
STAGE_INPUTS = {
    "sessionize": ("turns",),
    "rephrases": ("sessions",),
    "variants": ("outcomes",),
    "aggregate": ("candidates", "outcomes", "phrasings", "goal_phrasings", "embeddings", "variants"),
    "emit": ("pairs", "labels"),
}


def day_rows() -> list[dict]:
    rows = rephrase_day_rows(T0, REPHRASING_USERS, (SWITCHER, LISTENER))
    later = T0 + dt.timedelta(hours=3)
    for i, user in enumerate(VARIANT_USERS):
        rows.append(row(f"v{i}", user, later + dt.timedelta(minutes=20 * i), "Alarm for seven", slots=SEVEN))
    return rows


_mined: dict[str, Path] = {}


def mined_day(spark, tmp_path_factory) -> Path:
    """OUT of the day mined through the aggregate stage, the same folder for every caller: read it, never write
    into it (copy what a stage reads with `stage_out`)."""
    if "out" not in _mined:
        root = tmp_path_factory.mktemp("mined-day")
        logs = write_logs(root / "logs" / "part-0.parquet", day_rows()).parent
        values = {
            **RunConfig().as_dict(), "logs": str(logs), "out": str(root / "out"),
            # A cache makes the day's embeddings reusable by the stages' tests that re-run rephrases.
            "embedding_cache": str(root / "embedding-cache"),
        }
        for stage in MINING_STAGES:
            module = stage.load()
            module.run(spark, module.parse_args(stage.argv(values)))
        _mined["out"] = root / "out"
    return _mined["out"]


def stage_out(spark, tmp_path_factory, stage: str) -> Path:
    """A fresh OUT holding a copy of the mined day's datasets that `stage` reads, and nothing else."""
    source = mined_day(spark, tmp_path_factory)
    out = tmp_path_factory.mktemp(f"{stage}-out") / "out"
    for name in STAGE_INPUTS[stage]:
        shutil.copytree(source / name, out / name)
    return out

