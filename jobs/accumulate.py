"""Accumulate: merge the mined days' evidence into the running aggregate, with decay.

    spark-submit jobs/accumulate.py --root ROOT --ds YYYY-MM-DD --out STAGING_DIR [--decay D] [--late-days N]
        [--min-users K]

Starts from the last published state at least N+1 days old (days up to N days back may still be re-mined
for late logs, so their published state is not final), scales it by decay ** age, and adds every mined day
after it (ROOT/days/<day>/pairs and labels, with their users' sketches pair_users and label_users, and the
served rewrites' outcomes, feedback, and the readings', reading_feedback), each scaled by decay ** its age.
Pairs and labels with fewer than K
distinct users across the days are left out. Writes STAGING/pair_state, STAGING/label_state, STAGING/pairs,
STAGING/labels, STAGING/feedback, STAGING/reading_feedback (all days) and STAGING/_stats/accumulate.json.

State and days from before the sketches (no `users_sketch` column, no pair_users or label_users) are read
with null sketches: their rows keep the largest one-day count as their `support_users` (`miner.sketches`).
State and days from before feedback have none: they served no rewrite, and judged no reading.
"""

from __future__ import annotations

import argparse
import functools

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from miner.accumulate import (
    LABEL_MASSES,
    PAIR_MASSES,
    decayed,
    label_state,
    labels_from_state,
    merged_label_state,
    merged_pair_state,
    pair_state,
    pairs_from_state,
)
from miner.defaults import DECAY, LATE_DAYS, MIN_USERS
from miner.feedback import FEEDBACK_MASSES, merged_feedback
from miner.readings import READING_MASSES, merged_reading_feedback
from pipeline.io import dataset_path, read_dataset, read_if_present, write_dataset, write_stats
from pipeline.stages import ACCUMULATE
from pipeline.warehouse import day_dir, days_between, mined_days, published_days, published_path, shift_day
from schemas.contract import Contract
from schemas.feedback import FEEDBACK, READING_FEEDBACK
from schemas.labels import LABELS
from schemas.pairs import PAIRS
from schemas.sketches import LABEL_USERS, PAIR_USERS
from schemas.state import LABEL_STATE, PAIR_STATE
from schemas.stats import ACCUMULATE_STATS

STAGE = ACCUMULATE.name


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=STAGE, description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, help="the scheduled runs' root (days/, staging/, published/)")
    parser.add_argument("--ds", required=True, help="the day being run, YYYY-MM-DD")
    parser.add_argument("--out", required=True, help="staging directory of this run")
    parser.add_argument("--decay", type=float, default=DECAY, help="weight of yesterday's evidence, in (0, 1]")
    parser.add_argument("--late-days", type=int, default=LATE_DAYS, help="days of late logs that are re-mined")
    parser.add_argument(
        "--min-users", type=int, default=MIN_USERS, help="k-anonymity floor on distinct users across the days"
    )
    args = parser.parse_args(argv)
    if not 0.0 < args.decay <= 1.0:
        parser.error(f"--decay must be in (0, 1], got {args.decay}")
    return args


def base_day(root: str, ds: str, late_days: int) -> str | None:
    """The newest published day whose state is final: older than the late-data window."""
    final = [day for day in published_days(root) if day < shift_day(ds, -late_days)]
    return final[-1] if final else None


def _union(frames: list[DataFrame]) -> DataFrame:
    return functools.reduce(DataFrame.unionByName, frames)


def _feedback_of(
    spark: SparkSession, folder: str, factor: float, contract: Contract, masses: tuple[str, ...]
) -> DataFrame:
    """A run's or day's feedback (rewrites' or readings'), decayed; empty where it has none."""
    return decayed(read_if_present(spark, dataset_path(folder, contract.name), contract), factor, masses)


def run(spark: SparkSession, args: argparse.Namespace) -> dict:
    base = base_day(args.root, args.ds, args.late_days)
    days = [day for day in mined_days(args.root) if (base is None or day > base) and day <= args.ds]
    if args.ds not in days:
        raise FileNotFoundError(f"{day_dir(args.root, args.ds)}: {args.ds} has not been mined")

    pair_states, label_states, feedbacks, reading_feedbacks = [], [], [], []
    if base is not None:
        base_dir, factor = published_path(args.root, base), args.decay ** days_between(base, args.ds)
        base_pairs = read_dataset(spark, dataset_path(base_dir, "pair_state"), PAIR_STATE)
        pair_states.append(decayed(base_pairs, factor, PAIR_MASSES))
        label_states.append(
            decayed(read_dataset(spark, dataset_path(base_dir, "label_state"), LABEL_STATE), factor, LABEL_MASSES)
        )
        feedbacks.append(_feedback_of(spark, base_dir, factor, FEEDBACK, FEEDBACK_MASSES))
        reading_feedbacks.append(_feedback_of(spark, base_dir, factor, READING_FEEDBACK, READING_MASSES))
    for day in days:
        factor = args.decay ** days_between(day, args.ds)
        folder = day_dir(args.root, day)
        pairs_df = read_dataset(spark, dataset_path(folder, "pairs"), PAIRS)
        labels_df = read_dataset(spark, dataset_path(folder, "labels"), LABELS)
        pair_users_df = read_if_present(spark, dataset_path(folder, PAIR_USERS.name), PAIR_USERS)
        label_users_df = read_if_present(spark, dataset_path(folder, LABEL_USERS.name), LABEL_USERS)
        pair_states.append(decayed(pair_state(pairs_df, pair_users_df, day), factor, PAIR_MASSES))
        label_states.append(decayed(label_state(labels_df, label_users_df, day), factor, LABEL_MASSES))
        feedbacks.append(_feedback_of(spark, folder, factor, FEEDBACK, FEEDBACK_MASSES))
        reading_feedbacks.append(_feedback_of(spark, folder, factor, READING_FEEDBACK, READING_MASSES))

    names = ("pair_state", "label_state", "labels", "pairs", "feedback", "reading_feedback")
    paths = {name: dataset_path(args.out, name) for name in names}
    write_dataset(merged_feedback(_union(feedbacks)), paths["feedback"], FEEDBACK, partition_by=("locale",))
    write_dataset(
        merged_reading_feedback(_union(reading_feedbacks)), paths["reading_feedback"], READING_FEEDBACK,
        partition_by=("locale",),
    )
    write_dataset(merged_pair_state(_union(pair_states)), paths["pair_state"], PAIR_STATE, partition_by=("locale",))
    write_dataset(merged_label_state(_union(label_states)), paths["label_state"], LABEL_STATE, partition_by=("locale",))
    write_dataset(
        labels_from_state(read_dataset(spark, paths["label_state"], LABEL_STATE), args.min_users), paths["labels"],
        LABELS,
        partition_by=("locale",),
    )
    labels_df = read_dataset(spark, paths["labels"], LABELS)
    write_dataset(
        pairs_from_state(read_dataset(spark, paths["pair_state"], PAIR_STATE), labels_df, args.min_users),
        paths["pairs"], PAIRS, partition_by=("locale",),
    )
    pairs_df = read_dataset(spark, paths["pairs"], PAIRS)
    stats = {
        "ds": args.ds,
        "base_day": base,
        "days": days,
        "day_dirs": {day: day_dir(args.root, day) for day in days},
        "decay": args.decay,
        "min_users": args.min_users,
        "pairs_by_kind": {r["kind"]: r["n"] for r in pairs_df.groupBy("kind").agg(F.count("*").alias("n")).collect()},
        "labels": labels_df.count(),
        "served_rewrites": read_dataset(spark, paths["feedback"], FEEDBACK).count(),
    }
    stats["rows_out"] = sum(stats["pairs_by_kind"].values())
    write_stats(args.out, STAGE, stats, ACCUMULATE_STATS)
    return stats


if __name__ == "__main__":
    from pipeline.spark import submit

    submit(STAGE, parse_args, run)
