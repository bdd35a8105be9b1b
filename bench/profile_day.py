"""`make bench-profile`: how long `rephrase-miner profile` takes on a simulated day (README "Bring your own logs").

    python -m bench.profile_day --work DIR --results DIR [--turns 1000000] [--master local[2]]

Simulates the day once (cached under WORK, as `make bench` does), then runs the profile command in its own
process and measures its wall time (Spark's start included) and peak memory. Writes RESULTS/profile.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bench.measure import run_measured, spark_env
from bench.run import DAY, log, machine, simulate
from pipeline.runner import code_version

TURNS = 1_000_000


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.profile_day", description=__doc__.splitlines()[0])
    parser.add_argument("--work", required=True, type=Path, help="scratch directory: logs, the profile's output")
    parser.add_argument("--results", required=True, type=Path, help="where profile.json goes")
    parser.add_argument("--turns", type=int, default=TURNS)
    parser.add_argument("--master", default="local[2]")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logs = simulate(args.work, args.turns, DAY)
    profile_json = args.work / "profile.json"
    log(f"profiling {logs}")
    measured = run_measured(
        [sys.executable, "-m", "cli.main", "profile", "--logs", str(logs), "--json", str(profile_json)],
        spark_env(args.work / "events-profile", args.master), args.work / "profile.log", echo=log,
    )
    if measured.returncode not in (0, 1):  # 1: the day is not ready, still a measured profile
        raise SystemExit(f"the profile failed ({measured.returncode}): see {args.work / 'profile.log'}")
    profile = json.loads(profile_json.read_text())
    results = {
        "code_version": code_version(), "master": args.master, "machine": machine(), "turns": args.turns,
        "rows": profile["rows"], "wall_s": round(measured.wall_s, 1), "profile_s": profile["elapsed_s"],
        "peak_rss_bytes": measured.peak_rss_bytes, "verdict": profile["verdict"]["level"],
    }
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "profile.json").write_text(json.dumps(results, indent=2) + "\n")
    log(f"{profile['rows']:,} rows profiled in {measured.wall_s:.1f} s (Spark's start included)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
