"""Stage 4, cross-user variants: different users' phrasings of one goal.

    spark-submit jobs/variants.py --out OUT_DIR [--min-users K] [--top-phrasings-per-goal N]

Reads OUT/outcomes; writes OUT/phrasings and OUT/goal_phrasings (per-phrasing aggregates, which the
aggregate stage reads too), OUT/variants (pairs of kind `variant`) and OUT/_stats/variants.json.
"""

from __future__ import annotations

import argparse

from pyspark.sql import SparkSession

from miner.aggregate import MIN_USERS, phrasing_reliability
from miner.variants import TOP_PHRASINGS_PER_GOAL, goal_phrasings, variant_pairs
from pipeline.io import dataset_path, read_dataset, row_count, write_dataset, write_stats
from pipeline.stages import VARIANTS
from schemas.outcomes import OUTCOMES
from schemas.pairs import PAIRS
from schemas.phrasings import GOAL_PHRASINGS, PHRASINGS
from schemas.stats import VARIANTS_STATS

STAGE = VARIANTS.name


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=STAGE, description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="run output directory (or URI)")
    parser.add_argument("--min-users", type=int, default=MIN_USERS)
    parser.add_argument("--top-phrasings-per-goal", type=int, default=TOP_PHRASINGS_PER_GOAL)
    return parser.parse_args(argv)


def run(spark: SparkSession, args: argparse.Namespace) -> dict:
    outcomes_df = read_dataset(spark, dataset_path(args.out, "outcomes"), OUTCOMES)
    phrasings_path, goals_path = dataset_path(args.out, "phrasings"), dataset_path(args.out, "goal_phrasings")
    write_dataset(phrasing_reliability(outcomes_df), phrasings_path, PHRASINGS)
    write_dataset(goal_phrasings(outcomes_df), goals_path, GOAL_PHRASINGS)
    variant_pairs_count = write_dataset(
        variant_pairs(
            read_dataset(spark, goals_path, GOAL_PHRASINGS), read_dataset(spark, phrasings_path, PHRASINGS),
            args.min_users, args.top_phrasings_per_goal,
        ),
        dataset_path(args.out, "variants"), PAIRS, observe=row_count(),
    )["rows"]
    stats = {"variant_pairs": variant_pairs_count, "rows_out": variant_pairs_count}
    write_stats(args.out, STAGE, stats, VARIANTS_STATS)
    return stats


if __name__ == "__main__":
    from pipeline.spark import submit

    submit(STAGE, parse_args, run)
