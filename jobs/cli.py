"""`rephrase-miner`: the command line.

    rephrase-miner simulate --out DIR [--users N] [--locales ...] [--seed S]
    rephrase-miner run --logs DIR --out DIR [--config FILE] [--master URL]
    rephrase-miner daily --logs DIR --root DIR --ds YYYY-MM-DD [--config FILE] [--master URL]
    rephrase-miner evaluate --run OUT --truth FILE --out DIR [--min-users N] [--master URL]
    rephrase-miner evaluate-sources --out DIR [--devlogs DIR] [--seeds 7 11] [--massive DIR] [--config FILE]
    rephrase-miner summary --out DIR
    rephrase-miner loop --massive DIR --out DIR [--locales ...] [--days N] [--users N] [--master URL]
    rephrase-miner train-encoder --data DIR [--out DIR] [--teachers use e5] [--holdout]
    rephrase-miner evaluate-encoder --data DIR --out DIR [--miner-eval FILE] [--model-card FILE]
"""

from __future__ import annotations

import argparse
import datetime as dt
import posixpath
import subprocess
import sys
import time
import uuid
from importlib import metadata
from pathlib import Path

from jobs.config import RunConfig, load_config
from jobs.errors import InputContractError, PublishError, ValidationFailed
from jobs.pipeline import MINING_STAGES, SCHEDULED_STAGES, STAGES, VALIDATE, Stage
from jobs.storage import read_json, write_json


# What a user reads; the other datasets under OUT are the stages' working sets.
PUBLISHED_OUTPUTS = ("pairs", "rewrites", "training", "quarantine")


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


def new_run_id() -> str:
    return f"{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def start_spark(label: str, config: RunConfig, master: str | None, log):
    from jobs.spark import build_spark

    clock = time.monotonic()
    log(f"[{label}] starting Spark")
    spark = build_spark(f"rephrase-miner {label}", master, config.shuffle_partitions)
    log(f"[{label}] Spark ready on {spark.sparkContext.master} in {time.monotonic() - clock:.1f}s")
    return spark


def run_stage(spark, stage: Stage, values: dict, log, label: str = "") -> dict:
    """Run one stage in this session exactly as spark-submit would: from its command-line arguments."""
    from jobs.io import record_elapsed

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
    from jobs.report import write_dashboard
    from jobs.warehouse import run_counts, write_baseline

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
            stages[stage.name], blocked = read_json(posixpath.join(out, "_stats", "validate.json")), error
    manifest = {
        "run_id": run_id,
        "started_at": started.isoformat(),
        "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(),
        "code_version": code_version(),
        "logs": logs,
        "out": out,
        "config": config.as_dict(),
        "input_fingerprint": stages["ingest"]["input_fingerprint"],
        "stages": stages,
        "outputs": {
            **{name: posixpath.join(out, name) for name in PUBLISHED_OUTPUTS},
            "dashboard": posixpath.join(out, "quality", "dashboard.html"),
            "data docs": stages["validate"]["data_docs"],
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
    from jobs.plan import plan_run
    from jobs.warehouse import publish, staging_dir

    run_id = new_run_id()
    planned_days = plan_run(logs, root, ds, config, run_id, log)
    spark = start_spark(f"daily {ds}", config, master, log)
    for values in planned_days:
        for stage in MINING_STAGES:
            run_stage(spark, stage, values, log, label=values["day"])
    scheduled = {**config.as_dict(), "root": root, "ds": ds, "out": staging_dir(root, ds), "run_id": run_id}
    for stage in SCHEDULED_STAGES:
        run_stage(spark, stage, scheduled, log, label=ds)
    return publish(root, ds, log=log)


def format_summary(manifest: dict) -> str:
    ingest, sessions = manifest["stages"]["ingest"], manifest["stages"]["sessionize"]

    def line(label: str, count: int, note: str = "") -> str:
        return f"  {label:<28}{count:>10,}{'  ' + note if note else ''}"

    lines = [f"run {manifest['run_id']} ({manifest['code_version']})"]
    lines.append(line("rows in", ingest["rows_in"], f"from {ingest['files']} file(s)"))
    lines.append(line("quarantined", ingest["quarantined"]))
    lines += [line(f"  {reason}", count) for reason, count in ingest["quarantined_by_reason"].items()]
    lines.append(line("duplicates", ingest["duplicates"]))
    lines.append(line("turns used", ingest["turns"]))
    lines.append(
        line(
            "sessions", sessions["sessions"],
            f"{sessions['runaway_sessions']} runaway ({sessions['runaway_turns']:,} turns, "
            f"cut into parts of at most {manifest['config']['max_session_turns']})",
        )
    )
    rephrases, emitted = manifest["stages"]["rephrases"], manifest["stages"]["emit"]
    pairs = manifest["stages"]["aggregate"]["pairs_by_kind"]
    lines.append(line("rephrase candidates", rephrases["candidates"], f"{rephrases['likely_rephrases']:,} likely"))
    lines.append(line("pairs", sum(pairs.values()), ", ".join(f"{n:,} {kind}" for kind, n in sorted(pairs.items()))))
    lines.append(line("rewrites", emitted["rewrites"], _per_locale(emitted["rewrites_by_locale"])))
    lines.append(
        line("training records", emitted["training_records"], _per_locale(emitted["training_records_by_locale"]))
    )
    validation = manifest["stages"]["validate"]
    verdict = "passed" if validation["passed"] else "FAILED: " + "; ".join(validation["failed_critical"])
    warnings = len(validation["warnings"])
    lines.append(line("expectations", validation["expectations"], f"{verdict}, {warnings} warning(s)"))
    lines.append("  outputs:")
    lines += [f"    {name:<12} {path}" for name, path in manifest["outputs"].items()]
    lines.append(f"    {'manifest':<12} {posixpath.join(manifest['out'], 'manifest.json')}")
    return "\n".join(lines)


def _per_locale(counts: dict[str, int]) -> str:
    return ", ".join(f"{locale} {n:,}" for locale, n in counts.items())


def _run_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="rephrase-miner run", description="Run the whole pipeline.")
    parser.add_argument("--logs", required=True, help="interaction-log directory (Parquet)")
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--config", help="TOML or JSON file of settings (see README)")
    parser.add_argument("--master", help="Spark master URL; default local[*] or what spark-submit gives")
    args = parser.parse_args(argv)
    try:
        manifest = run_pipeline(args.logs, args.out, load_config(args.config), args.master)
    except ValidationFailed:
        print(format_summary(read_json(posixpath.join(args.out, "manifest.json"))))  # what was blocked, and why
        raise
    print(format_summary(manifest))
    return 0


def _daily_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="rephrase-miner daily",
        description="Run one scheduled day as the Airflow DAG does, in one Spark session, and publish it.",
    )
    parser.add_argument("--logs", required=True, help="log root with one date=YYYY-MM-DD folder per day")
    parser.add_argument("--root", required=True, help="root of the scheduled runs (days/, staging/, published/)")
    parser.add_argument("--ds", required=True, type=_iso_day, help="the logical date, YYYY-MM-DD")
    parser.add_argument("--config", help="TOML or JSON file of settings (see README)")
    parser.add_argument("--master", help="Spark master URL; default local[*]")
    args = parser.parse_args(argv)
    pointer = run_daily(args.logs, args.root, args.ds, load_config(args.config), args.master)
    print(f"published {pointer['ds']} as {pointer['path']}")
    return 0


def _iso_day(text: str) -> str:
    return dt.date.fromisoformat(text).isoformat()


def _summary_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="rephrase-miner summary", description="Print a run's summary.")
    parser.add_argument("--out", required=True)
    print(format_summary(read_json(posixpath.join(parser.parse_args(argv).out, "manifest.json"))))
    return 0


def _simulate_command(argv: list[str]) -> int:
    from jobs import simulate

    return simulate.main(argv) or 0


def _evaluate_command(argv: list[str]) -> int:
    from jobs import evaluate

    return evaluate.main(argv)


def _evaluate_sources_command(argv: list[str]) -> int:
    from jobs import evaluate_sources

    return evaluate_sources.main(argv)


def _loop_command(argv: list[str]) -> int:
    from jobs import loop

    return loop.main(argv)


def _train_encoder_command(argv: list[str]) -> int:
    from jobs import train_encoder

    return train_encoder.main(argv)


def _evaluate_encoder_command(argv: list[str]) -> int:
    from jobs import evaluate_encoder

    return evaluate_encoder.main(argv)


COMMANDS = {
    "run": _run_command,
    "daily": _daily_command,
    "simulate": _simulate_command,
    "evaluate": _evaluate_command,
    "evaluate-sources": _evaluate_sources_command,
    "summary": _summary_command,
    "loop": _loop_command,
    "train-encoder": _train_encoder_command,
    "evaluate-encoder": _evaluate_encoder_command,
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        print(__doc__.strip(), file=sys.stderr)
        print(f"\ncommands: {', '.join(COMMANDS)}", file=sys.stderr)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    try:
        return COMMANDS[argv[0]](argv[1:])
    except (InputContractError, ValueError, FileNotFoundError, FileExistsError) as error:
        print(f"rephrase-miner {argv[0]}: error: {error}", file=sys.stderr)
        return 2
    except (ValidationFailed, PublishError) as error:
        print(f"rephrase-miner {argv[0]}: not published: {error}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
