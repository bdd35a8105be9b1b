"""`rephrase-miner`: the command line.

    rephrase-miner simulate --out DIR [--users N] [--locales ...] [--seed S]
    rephrase-miner run --logs DIR --out DIR [--config FILE] [--master URL]
    rephrase-miner evaluate --run OUT --truth FILE --out DIR [--min-users N] [--master URL]
    rephrase-miner summary --out DIR
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
from jobs.io import InputContractError, read_json, write_json
from jobs.pipeline import STAGES


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


def run_pipeline(logs: str, out: str, config: RunConfig, master: str | None, log=print) -> dict:
    """Run every stage in one SparkSession, then write OUT/manifest.json and OUT/_SUCCESS."""
    from jobs.spark import build_spark

    started = dt.datetime.now(dt.timezone.utc)
    run_id = f"{started:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    _remove_success_marker(out)
    clock = time.monotonic()
    log(f"[run {run_id}] starting Spark ({master or 'local[*]'})")
    spark = build_spark("rephrase-miner run", master, config.shuffle_partitions)
    log(f"[run {run_id}] Spark ready in {time.monotonic() - clock:.1f}s")
    stages = {}
    for stage in STAGES:
        module = stage.load()
        stage_clock = time.monotonic()
        log(f"[{stage.name}] running")
        stats = module.run(spark, module.parse_args(stage.argv(logs, out, config, run_id)))
        elapsed = time.monotonic() - stage_clock
        stages[stage.name] = {"elapsed_s": round(elapsed, 2), **stats}
        log(f"[{stage.name}] done in {elapsed:.1f}s, {stats['rows_out']:,} rows out")
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
        "outputs": {name: posixpath.join(out, name) for name in PUBLISHED_OUTPUTS},
    }
    write_json(posixpath.join(out, "manifest.json"), manifest)
    write_json(posixpath.join(out, "_SUCCESS"), {"run_id": run_id})
    return manifest


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
    manifest = run_pipeline(args.logs, args.out, load_config(args.config), args.master)
    print(format_summary(manifest))
    return 0


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


COMMANDS = {
    "run": _run_command,
    "simulate": _simulate_command,
    "evaluate": _evaluate_command,
    "summary": _summary_command,
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        print(__doc__.strip(), file=sys.stderr)
        print(f"\ncommands: {', '.join(COMMANDS)}", file=sys.stderr)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    try:
        return COMMANDS[argv[0]](argv[1:])
    except (InputContractError, ValueError, FileNotFoundError) as error:
        print(f"rephrase-miner {argv[0]}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
