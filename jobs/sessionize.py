"""Stage 2, sessionize: place every turn in a session of its (user, device).

    spark-submit jobs/sessionize.py --out OUT_DIR [--session-gap-seconds S] [--max-session-turns N]

Reads OUT/turns, writes OUT/sessions and OUT/_stats/sessionize.json.
"""

from __future__ import annotations

import argparse

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from miner.sessions import MAX_SESSION_TURNS, SESSION_GAP_SECONDS, sessionize
from pipeline.io import dataset_path, read_dataset, write_dataset, write_stats
from pipeline.stages import SESSIONIZE
from schemas.sessions import SESSIONS
from schemas.stats import SESSIONIZE_STATS
from schemas.turns import TURNS

STAGE = SESSIONIZE.name


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=STAGE, description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="run output directory (or URI)")
    parser.add_argument("--session-gap-seconds", type=float, default=SESSION_GAP_SECONDS)
    parser.add_argument("--max-session-turns", type=int, default=MAX_SESSION_TURNS)
    return parser.parse_args(argv)


def run(spark: SparkSession, args: argparse.Namespace) -> dict:
    sessions_df = read_dataset(spark, dataset_path(args.out, "turns"), TURNS).transform(
        sessionize, args.session_gap_seconds, args.max_session_turns
    )
    starts_part = F.col("turn_index") == 0
    starts_session = starts_part & (F.col("session_part") == 0)
    totals = write_dataset(
        sessions_df, dataset_path(args.out, "sessions"), SESSIONS,
        observe={
            "turns": F.count(F.lit(1)),
            "sessions": F.count_if(starts_session),
            # Each part of a runaway session has its own id, and its own first turn.
            "session_ids": F.count_if(starts_part),
            "runaway_sessions": F.count_if(F.col("is_runaway") & starts_session),
            "runaway_turns": F.count_if("is_runaway"),
            "longest_session_part_turns": F.max(F.col("turn_index") + 1),
        },
    )
    stats = {key: int(value) for key, value in totals.items()}
    stats["rows_out"] = stats["turns"]
    write_stats(args.out, STAGE, stats, SESSIONIZE_STATS)
    return stats


if __name__ == "__main__":
    from pipeline.spark import submit

    submit(STAGE, parse_args, run)
