"""Stage 3, multiturn rephrases: candidate pairs within sessions, their features and rephrase probability.

    spark-submit jobs/rephrases.py --out OUT_DIR [--rephrase-window-seconds S] [--max-following-turns N]
        [--embedding-model PATH]

Reads OUT/sessions; writes OUT/texts (each distinct utterance normalized once), OUT/embeddings (each
distinct normalized text embedded once), OUT/candidates, OUT/outcomes (per-turn defects, for the chain)
and OUT/_stats/rephrases.json.
"""

from __future__ import annotations

import argparse

from pyspark import StorageLevel
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from jobs.io import dataset_path, read_dataset, stats_path, write_dataset
from jobs.storage import write_json
from miner.candidates import (
    MAX_FOLLOWING_TURNS,
    REPHRASE_WINDOW_SECONDS,
    following_turn_pairs,
    pair_features,
    scored_candidates,
    with_normalized_text,
)
from miner.aggregate import turn_outcomes
from miner.embeddings import embed_texts
from miner.text import normalized_utterances
from schemas.candidates import CANDIDATES
from schemas.outcomes import OUTCOMES
from schemas.sessions import SESSIONS
from schemas.texts import EMBEDDINGS, TEXTS

STAGE = "rephrases"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=STAGE, description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="run output directory (or URI)")
    parser.add_argument("--rephrase-window-seconds", type=float, default=REPHRASE_WINDOW_SECONDS)
    parser.add_argument("--max-following-turns", type=int, default=MAX_FOLLOWING_TURNS)
    parser.add_argument(
        "--embedding-model", default="",
        help="'multilingual' (default when empty: the packaged static encoder), 'minilm' (all-MiniLM-L6-v2, "
             "English only) or a local SentenceTransformer folder",
    )
    return parser.parse_args(argv)


def run(spark: SparkSession, args: argparse.Namespace) -> dict:
    sessions_df = read_dataset(spark, dataset_path(args.out, "sessions"), SESSIONS)

    texts_path = dataset_path(args.out, "texts")
    write_dataset(sessions_df.select("utterance").distinct().transform(normalized_utterances), texts_path, TEXTS)
    texts_df = read_dataset(spark, texts_path, TEXTS)

    embeddings_path = dataset_path(args.out, "embeddings")
    write_dataset(embed_texts(texts_df.select("text").distinct(), args.embedding_model), embeddings_path, EMBEDDINGS)
    embeddings_df = read_dataset(spark, embeddings_path, EMBEDDINGS)

    pairs_df = (
        sessions_df.transform(with_normalized_text, texts_df)
        .transform(following_turn_pairs, args.rephrase_window_seconds, args.max_following_turns)
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    candidates_path = dataset_path(args.out, "candidates")
    write_dataset(
        scored_candidates(pairs_df, pair_features(pairs_df, embeddings_df), args.rephrase_window_seconds),
        candidates_path, CANDIDATES, partition_by=("locale",),
    )
    pairs_df.unpersist()

    candidates_df = read_dataset(spark, candidates_path, CANDIDATES)
    write_dataset(
        turn_outcomes(sessions_df.transform(with_normalized_text, texts_df), candidates_df),
        dataset_path(args.out, "outcomes"), OUTCOMES, partition_by=("locale",),
    )

    totals = candidates_df.agg(
        F.count("*").alias("candidates"),
        F.count_if("is_friction").alias("friction_sources"),
        F.count_if("is_silent_failure").alias("silent_failure_sources"),
        F.count_if(F.col("rephrase_probability") >= 0.5).alias("likely_rephrases"),
    ).first()
    stats = {
        "texts": texts_df.count(),
        "embedded_texts": embeddings_df.count(),
        "embedding_model": args.embedding_model or "multilingual (packaged)",
        **{key: int(value) for key, value in totals.asDict().items()},
    }
    stats["rows_out"] = stats["candidates"]
    write_json(stats_path(args.out, STAGE), stats)
    return stats


if __name__ == "__main__":
    from jobs.spark import submit

    submit(STAGE, parse_args, run)
