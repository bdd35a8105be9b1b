"""Where scheduled runs keep their data under one root, and how a validated run is published.

    ROOT/days/<day>/                   one day's logs mined: turns ... pairs, labels, user sketches, _stats
    ROOT/staging/<ds>/                 the run for <ds>: accumulated state, pairs, labels, rewrites, training
    ROOT/published/<ds>/<version>/     a validated run, moved here from staging by a rename
    ROOT/published/<ds>/CURRENT.json   which version of <ds> readers use (replaced atomically)
    ROOT/published/LATEST.json         the most recent published <ds>
    ROOT/models/nlu/<ds>/<version>/    the scores of the intent classifier retrained on that published run

Readers follow LATEST.json (or a day's CURRENT.json), never a staging folder, so a failed or half-written
run is never read. Nothing here imports Spark: Airflow tasks call it directly.
"""

from __future__ import annotations

import datetime as dt
import posixpath

from pipeline.errors import PublishError
from pipeline.stages import (
    ACCUMULATE,
    BASELINE_STATS,
    EMIT,
    LAST_MINING_STAGE,
    MINING_STAGES,
    SCHEDULED_STAGES,
    VALIDATE,
    new_run_id,
    stats_path,
)
from pipeline.storage import exists, move, read_json, remove_dir, replace_json, subdirectories, write_json


def day_dir(root: str, day: str) -> str:
    return posixpath.join(root, "days", day)


def staging_dir(root: str, ds: str) -> str:
    return posixpath.join(root, "staging", ds)


def logs_for_day(logs: str, day: str) -> str:
    """The Hive-style partition of one day's logs, as the simulator and most log shippers write them."""
    return posixpath.join(logs, f"date={day}")


def days_between(first: str, last: str) -> int:
    return (dt.date.fromisoformat(last) - dt.date.fromisoformat(first)).days


def shift_day(day: str, days: int) -> str:
    return (dt.date.fromisoformat(day) + dt.timedelta(days=days)).isoformat()


def is_day(name: str) -> bool:
    try:
        return dt.date.fromisoformat(name).isoformat() == name
    except ValueError:
        return False


def mined_days(root: str) -> list[str]:
    """Days whose mining finished (the aggregate stage wrote its stats), oldest first."""
    days_root = posixpath.join(root, "days")
    return [
        day for day in subdirectories(days_root)
        if is_day(day) and exists(stats_path(posixpath.join(days_root, day), LAST_MINING_STAGE.name))
    ]


def current_pointer(root: str, ds: str) -> str:
    return posixpath.join(root, "published", ds, "CURRENT.json")


def published_days(root: str) -> list[str]:
    published_root = posixpath.join(root, "published")
    return [day for day in subdirectories(published_root) if is_day(day) and exists(current_pointer(root, day))]


def published_path(root: str, ds: str | None = None) -> str:
    """The folder readers use: the given day's current version, or the latest published day's."""
    pointer_file = current_pointer(root, ds) if ds else posixpath.join(root, "published", "LATEST.json")
    if not exists(pointer_file):
        raise FileNotFoundError(f"{pointer_file}: nothing published yet")
    pointer = read_json(pointer_file)
    # Pointers name a version, not an absolute path, so a root can be copied or moved whole.
    return posixpath.join(root, "published", pointer["ds"], pointer["version"])


def published_run(path: str) -> tuple[str, str, str]:
    """(root, ds, version) of a published run's folder, `ROOT/published/<ds>/<version>`."""
    version_dir = path.rstrip("/")
    day_folder, version = posixpath.split(version_dir)
    published_root, ds = posixpath.split(day_folder)
    root, published = posixpath.split(published_root)
    if published != "published" or not is_day(ds) or not version:
        raise ValueError(f"{path}: not a published run's folder (ROOT/published/<ds>/<version>)")
    return root, ds, version


def nlu_scores_dir(root: str, ds: str, version: str) -> str:
    """Where the `nlu_retrain` DAG records the retrained model's scores for a published run: beside the
    published folder, never in it (a published run is not changed after its validation)."""
    return posixpath.join(root, "models", "nlu", ds, version)


def run_counts(run_dir: str) -> dict[str, int]:
    """Rows per published dataset of a finished run, from its stats (empty when there are none)."""
    counts: dict[str, int] = {}
    for stage in (LAST_MINING_STAGE.name, ACCUMULATE.name):
        if exists(stats_path(run_dir, stage)):
            stats = read_json(stats_path(run_dir, stage))
            counts.update(pairs=sum(stats["pairs_by_kind"].values()), labels=stats["labels"])
    if exists(stats_path(run_dir, EMIT.name)):
        emit = read_json(stats_path(run_dir, EMIT.name))
        counts.update(rewrites=emit["rewrites"], training=emit["training_records"])
    return counts


def write_baseline(out: str, counts: dict[str, int]) -> None:
    """Keep the previous run's counts in OUT/_stats/baseline.json, where validation compares this run's."""
    write_json(stats_path(out, BASELINE_STATS), counts)


def read_baseline(out: str) -> dict[str, int]:
    return read_json(stats_path(out, BASELINE_STATS)) if exists(stats_path(out, BASELINE_STATS)) else {}


def latest_published(root: str) -> str | None:
    try:
        return published_path(root)
    except FileNotFoundError:
        return None


def publish(root: str, ds: str, log=print) -> dict:
    """Move the validated staging folder of `ds` to a new published version and point readers at it.

    The move is a rename, and the pointer is replaced in one step: readers see the previous version or
    the new one, never a mix. A run whose validation did not pass stays in staging, unpublished.
    """
    staged = staging_dir(root, ds)
    validation_file = stats_path(staged, VALIDATE.name)
    if not exists(validation_file):
        raise PublishError(f"{staged}: no validation result; run the validate job first")
    validation = read_json(validation_file)
    if not validation.get("passed"):
        raise PublishError(f"{staged}: validation failed ({validation.get('failed_critical')}); not publishing")
    version = new_run_id()
    target = posixpath.join(root, "published", ds, version)
    previous = read_json(current_pointer(root, ds))["version"] if exists(current_pointer(root, ds)) else None
    previous_latest = latest_published(root)
    write_json(posixpath.join(staged, "manifest.json"), scheduled_manifest(root, ds, version, validation))
    move(staged, target)
    pointer = {"ds": ds, "version": version, "published_at": dt.datetime.now(dt.timezone.utc).isoformat()}
    replace_json(current_pointer(root, ds), pointer)
    latest_file = posixpath.join(root, "published", "LATEST.json")
    # A backfill of an old day does not move readers of "latest" back in time.
    if not exists(latest_file) or read_json(latest_file)["ds"] <= ds:
        replace_json(latest_file, pointer)
    # The version it replaced stays, for rollback; older ones go.
    for old in subdirectories(posixpath.join(root, "published", ds)):
        if old not in (version, previous):
            remove_dir(posixpath.join(root, "published", ds, old))
    log(f"[publish] {ds} -> {target}")
    # `replaced`: the latest run before this one, which the new run's dashboard compares its rewrites with.
    return {**pointer, "path": target, "replaced": previous_latest}


def scheduled_manifest(root: str, ds: str, version: str, validation: dict) -> dict:
    """What the run of ds did: the mining stats of ds itself, then the accumulate, emit and validate stats."""
    stages = {}
    for folder, run_stages in ((day_dir(root, ds), MINING_STAGES), (staging_dir(root, ds), SCHEDULED_STAGES)):
        for stage in run_stages:
            if exists(stats_path(folder, stage.name)):
                stages[stage.name] = read_json(stats_path(folder, stage.name))
    now = dt.datetime.now(dt.timezone.utc).isoformat()
    return {"run_id": f"{ds} {version}", "ds": ds, "version": version, "finished_at": now, "stages": stages}
