"""`make bench`: the pipeline against the bare Spark job and two single-machine references, at growing sizes.

    python -m bench.run --work DIR --results DIR [--sizes 100000 1000000 10000000] [--master local[2]]
        [--paraphrase-max-texts N] [--skip-references]

For each size it simulates a day of logs (cached under WORK, the same text the demo uses), then measures,
each in its own process so that nothing is shared:
- the pipeline (`rephrase-miner run`), per stage: wall time, turns/s, peak memory, shuffle bytes;
- (0) the bare Spark job (bench/bare_job.py), the floor for any Spark pipeline over these logs;
- (a) the evaluation's baseline (a) as one pyarrow/pandas process (bench/baseline_a.py);
- (b) sentence-transformers paraphrase mining over all distinct utterances, where it fits.
At 1M turns (else the middle of several sizes) it also runs a second day's logs (another simulator seed: other users, other NLU errors,
the same MASSIVE phrasings) against the persistent embedding cache the first day filled, and reports the
cache hit rate. Results: RESULTS/bench.json and RESULTS/bench.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.measure import Measured, run_measured, shuffle_bytes_by_group, spark_env
from pipeline.config import RunConfig
from pipeline.runner import code_version
from pipeline.stages import INGEST, REPHRASES, STAGES

DEFAULT_SIZES = (100_000, 1_000_000, 10_000_000)
DAY = dt.date(2026, 11, 30)
SEED = 7
GIB = 1024**3


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__.splitlines()[0])
    parser.add_argument("--work", required=True, type=Path, help="scratch directory: logs, outputs, event logs")
    parser.add_argument("--results", required=True, type=Path, help="where bench.json and bench.md go")
    parser.add_argument("--sizes", nargs="+", type=int, default=list(DEFAULT_SIZES), help="turns per day")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--shuffle-partitions", type=int, default=8)
    parser.add_argument("--paraphrase-max-texts", type=int, default=150_000)
    parser.add_argument("--skip-references", action="store_true", help="only the pipeline (profiling)")
    parser.add_argument(
        "--keep", action="store_true",
        help="keep the sizes of RESULTS/bench.json that this run does not measure (to measure sizes in turns)",
    )
    return parser.parse_args(argv)


def log(message: str) -> None:
    print(f"[bench {dt.datetime.now():%H:%M:%S}] {message}", flush=True)


def _python() -> str:
    return sys.executable


def simulate(work: Path, turns: int, day: dt.date, seed: int = SEED) -> Path:
    """The logs of one simulated day of about `turns` turns, generated once and reused."""
    folder = work / f"sim-{turns}-{day}-seed{seed}"
    if not (folder / "truth.parquet").exists():
        log(f"simulating {turns:,} turns for {day}")
        subprocess.run(
            [_python(), "-m", "simulation.simulate", "--out", str(folder), "--turns", str(turns), "--seed", str(seed),
             "--date", day.isoformat(), "--overwrite"],
            check=True, stdout=subprocess.DEVNULL,
        )
    return folder / "logs"


def _config(work: Path, args: argparse.Namespace, cache: Path | None) -> Path:
    path = work / ("config-cached.json" if cache else "config.json")
    values = {"shuffle_partitions": args.shuffle_partitions}
    if cache:
        values["embedding_cache"] = str(cache)
    path.write_text(json.dumps(values))
    return path


def _fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def _stage_windows(measured: Measured) -> dict[str, tuple[float, float]]:
    """When each pipeline stage ran, from its '[stage] running' / '[stage] done' progress lines."""
    windows, started = {}, {}
    for at, line in measured.lines:
        if line.startswith("[") and "]" in line:
            name, rest = line[1:].split("]", 1)
            if rest.strip() == "running":
                started[name] = at
            elif rest.strip().startswith("done in") and name in started:
                windows[name] = (started.pop(name), at)
    return windows


def measure_pipeline(work: Path, logs: Path, label: str, args: argparse.Namespace, cache: Path | None) -> dict:
    out, events = work / f"out-{label}", _fresh(work / f"events-{label}")
    shutil.rmtree(out, ignore_errors=True)
    log(f"pipeline on {label}")
    measured = run_measured(
        [_python(), "-m", "cli.main", "run", "--logs", str(logs), "--out", str(out),
         "--config", str(_config(work, args, cache))],
        spark_env(events, args.master), work / f"pipeline-{label}.log", echo=print,
    )
    if measured.returncode != 0:
        raise RuntimeError(f"the pipeline failed on {label}: see {work / f'pipeline-{label}.log'}")
    manifest = json.loads((out / "manifest.json").read_text())
    shuffle = shuffle_bytes_by_group(events)
    windows = _stage_windows(measured)
    rows_in = manifest["stages"][INGEST.name]["rows_in"]
    stages = {}
    for name, stage in manifest["stages"].items():
        start, end = windows.get(name, (0.0, measured.wall_s))
        stages[name] = {
            "wall_s": stage["elapsed_s"],
            "turns_per_s": round(rows_in / max(stage["elapsed_s"], 1e-9)),
            "peak_rss_bytes": measured.peak_between(start, end),
            "shuffle_bytes": shuffle.get(name, 0),
        }
    rephrases = manifest["stages"][REPHRASES.name]
    return {
        "rows_in": rows_in,
        "wall_s": round(measured.wall_s, 2),
        "turns_per_s": round(rows_in / measured.wall_s),
        "peak_rss_bytes": measured.peak_rss_bytes,
        "shuffle_bytes": sum(shuffle.values()),
        "stages": stages,
        "distinct_texts": rephrases["distinct_texts"],
        "embedded_texts": rephrases["embedded_texts"],
        "cache_hits": rephrases.get("cache_hits"),
    }


def measure_bare_job(work: Path, logs: Path, label: str, args: argparse.Namespace) -> dict:
    events = _fresh(work / f"events-bare-{label}")
    log(f"bare Spark job on {label}")
    measured = run_measured(
        [_python(), str(Path(__file__).with_name("bare_job.py")), "--logs", str(logs),
         "--out", str(work / f"bare-{label}")],
        spark_env(events, args.master, {"spark.sql.shuffle.partitions": str(args.shuffle_partitions)}),
        work / f"bare-{label}.log",
    )
    if measured.returncode != 0:
        raise RuntimeError(f"the bare job failed on {label}: see {work / f'bare-{label}.log'}")
    return {
        "wall_s": round(measured.wall_s, 2),
        "peak_rss_bytes": measured.peak_rss_bytes,
        "shuffle_bytes": sum(shuffle_bytes_by_group(events).values()),
    }


def measure_stage_submits(work: Path, logs: Path, label: str, args: argparse.Namespace) -> dict:
    """Every stage of a run as a process of its own, one after the other, as the DAG submits them: what a
    start-up per task costs against `rephrase-miner run`'s one session."""
    out, events = work / f"out-{label}-submits", _fresh(work / f"events-submits-{label}")
    shutil.rmtree(out, ignore_errors=True)
    log(f"one process per stage on {label}")
    values = {
        **RunConfig(shuffle_partitions=args.shuffle_partitions).as_dict(), "logs": str(logs), "out": str(out),
        "run_id": "bench-stage-submits",
    }
    env = spark_env(events, args.master, {"spark.sql.shuffle.partitions": str(args.shuffle_partitions)})
    wall, peak = 0.0, 0
    for stage in STAGES:
        measured = run_measured(
            [_python(), stage.application, *stage.argv(values)], env, work / f"submit-{label}-{stage.name}.log"
        )
        if measured.returncode != 0:
            raise RuntimeError(f"{stage.name} failed on {label}: see {work / f'submit-{label}-{stage.name}.log'}")
        wall, peak = wall + measured.wall_s, max(peak, measured.peak_rss_bytes)
    return {"wall_s": round(wall, 2), "peak_rss_bytes": peak}


def measure_script(work: Path, module: str, logs: Path, label: str, extra: list[str]) -> dict:
    log(f"{module} on {label}")
    measured = run_measured(
        [_python(), "-m", module, "--logs", str(logs), "--out", str(work / f"{module}-{label}.parquet"), *extra],
        dict(os.environ), work / f"{module}-{label}.log",
    )
    result = {"wall_s": round(measured.wall_s, 2), "peak_rss_bytes": measured.peak_rss_bytes}
    last = measured.lines[-1][1] if measured.lines else ""
    if measured.returncode != 0:
        result["failed"] = last
    elif "skipped" in last:
        result = {"skipped": json.loads(last)["skipped"]}  # the script prints its result as JSON
    return result


def machine() -> dict:
    memory = next(
        (int(line.split()[1]) * 1024 for line in Path("/proc/meminfo").read_text().splitlines()
         if line.startswith("MemTotal")), 0,
    )
    model = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), platform.processor(),
    )
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()
    return {
        "cpu": model, "cores": os.cpu_count(), "memory_bytes": memory, "python": platform.python_version(),
        "java": java[0] if java else "", "os": platform.platform(),
    }


def main(argv: list[str] | None = None) -> int:
    from bench.report import write_report

    args = parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    results = {"started_at": dt.datetime.now(dt.timezone.utc).isoformat(), "machine": machine(),
               "master": args.master, "shuffle_partitions": args.shuffle_partitions, "code_version": code_version(),
               "sizes": {}}
    previous = args.results / "bench.json"
    if args.keep and previous.exists():
        kept = json.loads(previous.read_text(encoding="utf-8"))
        results["started_at"] = kept["started_at"]
        results["sizes"] = {size: entry for size, entry in kept["sizes"].items() if int(size) not in args.sizes}
    clock = time.monotonic()
    middle = sorted(args.sizes)[len(args.sizes) // 2] if len(args.sizes) > 1 else None
    cache_size = 1_000_000 if 1_000_000 in args.sizes else middle
    for turns in sorted(args.sizes):
        logs, label = simulate(args.work, turns, DAY), f"{turns}"
        cache = _fresh(args.work / f"cache-{turns}") if turns == cache_size else None
        entry = {"pipeline": measure_pipeline(args.work, logs, label, args, cache)}
        if not args.skip_references:
            entry["bare_job"] = measure_bare_job(args.work, logs, label, args)
            entry["baseline_a"] = measure_script(args.work, "bench.baseline_a", logs, label, [])
            entry["paraphrase_mining"] = measure_script(
                args.work, "bench.paraphrase_mining", logs, label,
                ["--max-texts", str(args.paraphrase_max_texts)],
            )
        if turns == cache_size and not args.skip_references:
            entry["stage_submits"] = measure_stage_submits(args.work, logs, label, args)
        if cache:
            # Another seed: other users and other NLU errors over the same MASSIVE phrasings (the same seed
            # on the next date would repeat the day's text exactly).
            next_day = simulate(args.work, turns, DAY + dt.timedelta(days=1), SEED + 1)
            entry["next_day_cached"] = measure_pipeline(args.work, next_day, f"{turns}-next-day", args, cache)
        results["sizes"][str(turns)] = entry
        write_report(results, args.results)  # after every size: a long run keeps what it measured
    results["bench_wall_s"] = round(time.monotonic() - clock, 1)
    write_report(results, args.results)
    log(f"done in {results['bench_wall_s']:.0f}s: {args.results / 'bench.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
