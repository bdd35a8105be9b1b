"""The pipeline runner: every stage of a run, or of a scheduled day, in one SparkSession.

`rephrase-miner run` and `rephrase-miner daily` call it; the Airflow DAG runs the same stages (`pipeline.stages`)
as one spark-submit each. A stage runs here exactly as spark-submit runs it: from its command-line arguments.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import subprocess
import time
from importlib import metadata
from pathlib import Path

from pipeline.config import RunConfig
from pipeline.errors import ValidationFailed
from pipeline.stages import INGEST, MINING_STAGES, SCHEDULED_STAGES, STAGES, VALIDATE, Stage, new_run_id, stats_path
from pipeline.storage import read_json, write_json

# What a user reads; the other datasets under OUT are the stages' working sets.
PUBLISHED_OUTPUTS = ("pairs", "rewrites", "rejected_readings", "training", "quarantine")


def code_version() -> str:
    version = metadata.version("rephrase-miner")
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=Path(__file__).parent, capture_output=True,
            text=True, timeout=5, check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return version
    return f"{version}+g{commit}"


def _remove_success_marker(out: str) -> None:
    marker = Path(out) / "_SUCCESS"
    if "://" not in out and marker.exists():
        marker.unlink()


def start_spark(label: str, config: RunConfig, master: str | None, log):
    from pipeline.spark import build_spark

    clock = time.monotonic()
    log(f"[{label}] starting Spark")
    spark = build_spark(f"rephrase-miner {label}", master, config.shuffle_partitions)
    log(f"[{label}] Spark ready on {spark.sparkContext.master} in {time.monotonic() - clock:.1f}s")
    return spark


def run_stage(spark, stage: Stage, values: dict, log, label: str = "") -> dict:
    """Run one stage in this session exactly as spark-submit would: from its command-line arguments."""
    from pipeline.io import record_elapsed

    module = stage.load()
    clock = time.monotonic()
    prefix = f"[{label + ' ' if label else ''}{stage.name}]"
    log(f"{prefix} running")
    # The stage's Spark jobs carry its name: in the Spark UI, and for the benchmark's shuffle accounting.
    spark.sparkContext.setJobGroup(stage.name, f"rephrase-miner {prefix[1:-1]}")
    stats = module.run(spark, module.parse_args(stage.argv(values)))
    elapsed = time.monotonic() - clock
    record_elapsed(values["out"], stage.name, elapsed)
    log(f"{prefix} done in {elapsed:.1f}s, {stats['rows_out']:,} rows out")
    return {"elapsed_s": round(elapsed, 2), **stats}


def run_pipeline(logs: str, out: str, config: RunConfig, master: str | None, log=print) -> dict:
    """Run every stage in one SparkSession, then write OUT/manifest.json, the dashboard and OUT/_SUCCESS.

    A run that fails validation still gets its manifest and dashboard (to see why), but no _SUCCESS.
    """
    from pipeline.warehouse import run_counts, write_baseline
    from reporting.page import write_dashboard

    started = dt.datetime.now(dt.timezone.utc)
    run_id = new_run_id()
    _remove_success_marker(out)
    previous_counts = run_counts(out)  # the run this one replaces, if any, before its stats are overwritten
    spark = start_spark(f"run {run_id}", config, master, log)
    values = {**config.as_dict(), "logs": logs, "out": out, "run_id": run_id}
    stages, blocked = {}, None
    for stage in STAGES:
        if stage is VALIDATE:
            write_baseline(out, previous_counts)
        try:
            stages[stage.name] = run_stage(spark, stage, values, log)
        except ValidationFailed as error:
            stages[stage.name], blocked = read_json(stats_path(out, VALIDATE.name)), error
    manifest = {
        "run_id": run_id,
        "started_at": started.isoformat(),
        "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(),
        "code_version": code_version(),
        "logs": logs,
        "out": out,
        "config": config.as_dict(),
        "input_fingerprint": stages[INGEST.name]["input_fingerprint"],
        "stages": stages,
        "outputs": {
            **{name: posixpath.join(out, name) for name in PUBLISHED_OUTPUTS},
            "dashboard": posixpath.join(out, "quality", "dashboard.html"),
            "data docs": stages[VALIDATE.name]["data_docs"],
        },
    }
    write_json(posixpath.join(out, "manifest.json"), manifest)
    if "://" not in out:  # the dashboard writer is local-only; a remote run's manifest has everything it shows
        write_dashboard(out)
        log(f"[run {run_id}] dashboard: {manifest['outputs']['dashboard']}")
    if blocked:
        raise blocked
    write_json(posixpath.join(out, "_SUCCESS"), {"run_id": run_id})
    return manifest


def run_daily(logs: str, root: str, ds: str, config: RunConfig, master: str | None, log=print) -> dict:
    """What the Airflow DAG does for one logical date, in one SparkSession: mine ds (and days of late logs),
    accumulate, emit, validate, publish."""
    from pipeline.plan import plan_run
    from pipeline.warehouse import publish, staging_dir
    from reporting.page import write_published_dashboards

    run_id = new_run_id()
    planned_days = plan_run(logs, root, ds, config, run_id, log)
    spark = start_spark(f"daily {ds}", config, master, log)
    for values in planned_days:
        for stage in MINING_STAGES:
            run_stage(spark, stage, values, log, label=values["day"])
    scheduled = {**config.as_dict(), "root": root, "ds": ds, "out": staging_dir(root, ds), "run_id": run_id}
    for stage in SCHEDULED_STAGES:
        run_stage(spark, stage, scheduled, log, label=ds)
    published = publish(root, ds, log=log)
    write_published_dashboards(root, published, log)
    return published
