"""Stage 6, emit: the rewrite table and the MASSIVE-format training records.

    spark-submit jobs/emit.py --out OUT_DIR --run-id RUN_ID [--min-users K]

Reads OUT/pairs, OUT/labels, OUT/feedback (the served rewrites' outcomes, `miner.feedback`) and
OUT/reading_feedback (the outcomes of the readings served as is, `miner.readings`); writes OUT/rewrites (Parquet),
OUT/withdrawn_rewrites (those their outcomes withdrew, with the reason), OUT/rejected_readings (the readings most
of their users rejected), OUT/training/<locale>.jsonl (labels a failed rewrite or a rejected reading contradicts
are held back) and OUT/_stats/emit.json.
"""

from __future__ import annotations

import argparse
import json
import posixpath

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from miner.defaults import MIN_USERS
from miner.feedback import live_rewrites, trusted_labels, withdrawn_rewrites
from miner.readings import rejected_readings, unrejected_labels
from miner.records import training_records
from pipeline.io import dataset_path, read_dataset, read_if_present, write_dataset, write_stats
from pipeline.stages import EMIT
from pipeline.storage import remove_dir, write_text
from schemas.feedback import FEEDBACK, READING_FEEDBACK
from schemas.labels import LABELS
from schemas.outputs import REJECTED_READINGS, REWRITES, TRAINING, WITHDRAWN_REWRITES
from schemas.pairs import PAIRS
from schemas.stats import EMIT_STATS

STAGE = EMIT.name


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=STAGE, description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="run output directory (or URI)")
    parser.add_argument("--run-id", required=True, help="recorded in every training record's provenance")
    parser.add_argument(
        "--min-users", type=int, default=MIN_USERS,
        help="served users a rewrite's live outcomes, and rejecting users a rejected reading, need to count",
    )
    return parser.parse_args(argv)


def write_training_jsonl(records_df, training_dir: str) -> dict[str, int]:
    """One JSON Lines file per locale, records sorted by id so reruns write identical files.

    Training sets hold one record per failing phrasing, so they are small enough to write from the driver.
    """
    remove_dir(training_dir)
    counts: dict[str, int] = {}
    lines_by_locale: dict[str, list[str]] = {}
    for row in records_df.orderBy("locale", "id").toLocalIterator():
        record = {name: row[name] for name in TRAINING.column_names}
        lines_by_locale.setdefault(row["locale"], []).append(json.dumps(record, ensure_ascii=False))
    for locale, lines in sorted(lines_by_locale.items()):
        write_text(posixpath.join(training_dir, f"{locale}.jsonl"), "\n".join(lines) + "\n")
        counts[locale] = len(lines)
    return counts


def _counts_by_locale(df) -> dict[str, int]:
    return dict(sorted((r["locale"], r["n"]) for r in df.groupBy("locale").agg(F.count("*").alias("n")).collect()))


def run(spark: SparkSession, args: argparse.Namespace) -> dict:
    pairs_df = read_dataset(spark, dataset_path(args.out, "pairs"), PAIRS)
    labels_df = read_dataset(spark, dataset_path(args.out, "labels"), LABELS)

    feedback_df = read_dataset(spark, dataset_path(args.out, "feedback"), FEEDBACK)

    rewrites_path, withdrawn_path = dataset_path(args.out, "rewrites"), dataset_path(args.out, "withdrawn_rewrites")
    write_dataset(
        live_rewrites(pairs_df, labels_df, feedback_df, args.min_users), rewrites_path, REWRITES,
        partition_by=("locale",),
    )
    write_dataset(
        withdrawn_rewrites(pairs_df, labels_df, feedback_df, args.min_users), withdrawn_path, WITHDRAWN_REWRITES,
        partition_by=("locale",),
    )
    withdrawn_df = read_dataset(spark, withdrawn_path, WITHDRAWN_REWRITES)
    rejected_path = dataset_path(args.out, REJECTED_READINGS.name)
    # Runs mined before negative feedback have no reading feedback: they reject no reading.
    reading_feedback_df = read_if_present(spark, dataset_path(args.out, READING_FEEDBACK.name), READING_FEEDBACK)
    write_dataset(
        rejected_readings(reading_feedback_df, args.min_users), rejected_path, REJECTED_READINGS,
        partition_by=("locale",),
    )
    rejected_df = read_dataset(spark, rejected_path, REJECTED_READINGS)
    labels_to_train = trusted_labels(labels_df, withdrawn_df).transform(unrejected_labels, rejected_df)
    training_counts = write_training_jsonl(
        training_records(labels_to_train, args.run_id), dataset_path(args.out, "training")
    )

    rewrites_by_locale = _counts_by_locale(read_dataset(spark, rewrites_path, REWRITES))
    withdrawn_by_locale = _counts_by_locale(read_dataset(spark, withdrawn_path, WITHDRAWN_REWRITES))
    rejected_by_locale = _counts_by_locale(rejected_df)
    stats = {
        "training_records": sum(training_counts.values()),
        "training_records_by_locale": training_counts,
        "rewrites": sum(rewrites_by_locale.values()),
        "rewrites_by_locale": rewrites_by_locale,
        "withdrawn_rewrites": sum(withdrawn_by_locale.values()),
        "withdrawn_rewrites_by_locale": withdrawn_by_locale,
        "rejected_readings": sum(rejected_by_locale.values()),
        "rejected_readings_by_locale": rejected_by_locale,
    }
    stats["rows_out"] = stats["training_records"] + stats["rewrites"]
    write_stats(args.out, STAGE, stats, EMIT_STATS)
    return stats


if __name__ == "__main__":
    from pipeline.spark import submit

    submit(STAGE, parse_args, run)
