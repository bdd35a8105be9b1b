"""Which days a scheduled run mines, and each stage's arguments for them. No Spark: an Airflow task runs it.

The run for <ds> always mines <ds>. Logs can arrive late, so it also looks back `late_days` days and mines a
day again when its log files changed since it was mined (or it was never mined completely). The mined
days' evidence then replaces the old in the accumulation.
"""

from __future__ import annotations

import posixpath

from pipeline.config import RunConfig
from pipeline.errors import InputContractError
from pipeline.stages import INGEST, LAST_MINING_STAGE, stats_path
from pipeline.storage import data_files, exists, input_fingerprint, read_json, remove_dir
from pipeline.warehouse import (
    day_dir,
    latest_published,
    logs_for_day,
    run_counts,
    shift_day,
    staging_dir,
    write_baseline,
)


def _needs_mining(logs: str, root: str, day: str) -> bool:
    ingest_stats = stats_path(day_dir(root, day), INGEST.name)
    if not (exists(ingest_stats) and exists(stats_path(day_dir(root, day), LAST_MINING_STAGE.name))):
        return True
    return read_json(ingest_stats)["input_fingerprint"] != input_fingerprint(data_files(logs_for_day(logs, day)))


def days_to_mine(logs: str, root: str, ds: str, late_days: int) -> list[str]:
    """`ds`, plus each of the `late_days` days before it whose logs changed since they were mined."""
    if not exists(logs_for_day(logs, ds)):
        raise InputContractError(f"{logs_for_day(logs, ds)}: no logs for {ds} (yet)")
    earlier = [shift_day(ds, -offset) for offset in range(late_days, 0, -1)]
    late = [day for day in earlier if exists(logs_for_day(logs, day)) and _needs_mining(logs, root, day)]
    return late + [ds]


def embedding_cache_dir(root: str, config: RunConfig) -> str:
    """Scheduled runs keep an embedding cache by default, so that each day embeds only its new texts."""
    return config.embedding_cache or posixpath.join(root, "embedding_cache")


def day_values(days: list[str], logs: str, root: str, config: RunConfig, run_id: str) -> list[dict]:
    """Per day, the values its mining stages' arguments are built from (`Stage.argv`)."""
    return [
        {
            **config.as_dict(), "embedding_cache": embedding_cache_dir(root, config), "day": day,
            "logs": logs_for_day(logs, day), "out": day_dir(root, day), "run_id": run_id,
        }
        for day in days
    ]


def plan_run(logs: str, root: str, ds: str, config: RunConfig, run_id: str, log=print) -> list[dict]:
    """The start of a scheduled run (the DAG's `plan` task): the days to mine, as each day's argument values.

    Also clears the run's staging folder, so that nothing of an earlier, failed attempt is published.
    """
    days = days_to_mine(logs, root, ds, config.late_days)
    log(f"[daily {ds}] mining {', '.join(days)}")
    remove_dir(staging_dir(root, ds))
    previous = latest_published(root)
    write_baseline(staging_dir(root, ds), run_counts(previous) if previous else {})
    return day_values(days, logs, root, config, run_id)
