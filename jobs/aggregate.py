"""Stage 5, aggregate: pool evidence across users into weighted pairs and intent labels.

    spark-submit jobs/aggregate.py --out OUT_DIR [--min-users K] [--intent-prior true|false]

Reads OUT/outcomes, OUT/candidates, OUT/phrasings, OUT/goal_phrasings, OUT/embeddings and OUT/variants; writes
OUT/pairs (rephrases and variants), OUT/labels, the sketches of their users that the scheduled runs count users
across days with (OUT/pair_users, OUT/label_users), OUT/feedback (the served rewrites' outcomes),
OUT/reading_feedback (the outcomes of the readings served as is, `miner.readings`) and OUT/_stats/aggregate.json.
"""

from __future__ import annotations

import argparse

from pyspark import StorageLevel
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from miner.aggregate import (
    MIN_USERS,
    confirmed_candidates,
    failing_phrasings,
    intent_labels,
    rephrase_evidence,
    rephrase_pairs,
    serving_heads,
)
from miner.chain import transition_probabilities, user_transitions
from miner.defaults import INTENT_PRIOR
from miner.feedback import rewrite_feedback
from miner.prior import PRIOR_SCHEMA, intent_priors, reliable_phrasings
from miner.readings import reading_feedback
from miner.sketches import label_user_sketches, pair_user_sketches
from miner.variants import goal_heads, one_pair_per_key, with_goal_heads
from pipeline.config import parse_bool
from pipeline.io import dataset_path, read_dataset, row_count, write_dataset, write_stats
from pipeline.stages import AGGREGATE
from schemas.candidates import CANDIDATES
from schemas.feedback import FEEDBACK, READING_FEEDBACK
from schemas.labels import LABELS
from schemas.outcomes import OUTCOMES
from schemas.pairs import PAIRS
from schemas.phrasings import GOAL_PHRASINGS, PHRASINGS
from schemas.sketches import LABEL_USERS, PAIR_USERS
from schemas.stats import AGGREGATE_STATS
from schemas.texts import EMBEDDINGS

STAGE = AGGREGATE.name


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=STAGE, description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="run output directory (or URI)")
    parser.add_argument("--min-users", type=int, default=MIN_USERS, help="k-anonymity floor on every pair and label")
    parser.add_argument(
        "--intent-prior", type=parse_bool, default=INTENT_PRIOR,
        help="true: labels weigh votes against the intent prior of the day's reliable phrasings; false: votes alone",
    )
    return parser.parse_args(argv)


def run(spark: SparkSession, args: argparse.Namespace) -> dict:
    candidates_df = read_dataset(spark, dataset_path(args.out, "candidates"), CANDIDATES)
    outcomes_df = read_dataset(spark, dataset_path(args.out, "outcomes"), OUTCOMES)
    variants_df = read_dataset(spark, dataset_path(args.out, "variants"), PAIRS)
    reliability_df = read_dataset(spark, dataset_path(args.out, "phrasings"), PHRASINGS)
    # On disk only: read back, a memory-and-disk block is cached in memory again whole, which at ten million
    # turns is more than the heap.
    confirmed_df = confirmed_candidates(candidates_df, outcomes_df, reliability_df).persist(StorageLevel.DISK_ONLY)
    transitions_df = transition_probabilities(user_transitions(outcomes_df)).localCheckpoint()

    pairs_path, labels_path = dataset_path(args.out, "pairs"), dataset_path(args.out, "labels")
    goal_phrasings_df = read_dataset(spark, dataset_path(args.out, "goal_phrasings"), GOAL_PHRASINGS)
    heads_df = serving_heads(goal_heads(goal_phrasings_df, args.min_users), reliability_df)
    failing_df = failing_phrasings(reliability_df, args.min_users).localCheckpoint()
    if args.intent_prior:
        prior_df = intent_priors(
            reliable_phrasings(reliability_df, goal_phrasings_df),
            failing_df.select("locale", F.col("source").alias("text")),
            read_dataset(spark, dataset_path(args.out, "embeddings"), EMBEDDINGS),
        ).localCheckpoint()
    else:
        prior_df = spark.createDataFrame([], PRIOR_SCHEMA)
    write_dataset(
        intent_labels(confirmed_df, failing_df, prior_df).transform(with_goal_heads, heads_df),
        labels_path, LABELS, partition_by=("locale",),
    )
    labels_df = read_dataset(spark, labels_path, LABELS)
    rephrases_df = rephrase_pairs(rephrase_evidence(confirmed_df), transitions_df, labels_df, args.min_users)
    write_dataset(
        one_pair_per_key(rephrases_df.unionByName(variants_df)), pairs_path, PAIRS, partition_by=("locale",)
    )
    pairs_df = read_dataset(spark, pairs_path, PAIRS)
    write_dataset(
        pair_user_sketches(confirmed_df, pairs_df), dataset_path(args.out, PAIR_USERS.name), PAIR_USERS
    )
    confirmed_df.unpersist()
    write_dataset(
        label_user_sketches(outcomes_df, labels_df), dataset_path(args.out, LABEL_USERS.name), LABEL_USERS
    )
    served_rewrites = write_dataset(
        rewrite_feedback(outcomes_df), dataset_path(args.out, FEEDBACK.name), FEEDBACK, observe=row_count()
    )["rows"]
    served_readings = write_dataset(
        reading_feedback(outcomes_df), dataset_path(args.out, READING_FEEDBACK.name), READING_FEEDBACK,
        observe=row_count(),
    )["rows"]

    stats = {
        "pairs_by_kind": {r["kind"]: r["n"] for r in pairs_df.groupBy("kind").agg(F.count("*").alias("n")).collect()},
        "labels": labels_df.count(),
        "min_users": args.min_users,
        "intent_prior": args.intent_prior,
        "served_rewrites": served_rewrites,
        "served_readings": served_readings,
    }
    stats["rows_out"] = sum(stats["pairs_by_kind"].values())
    write_stats(args.out, STAGE, stats, AGGREGATE_STATS)
    return stats


if __name__ == "__main__":
    from pipeline.spark import submit

    submit(STAGE, parse_args, run)
