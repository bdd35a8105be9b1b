"""Stage 3, multiturn rephrases: candidate pairs within sessions, their features and rephrase probability.

    spark-submit jobs/rephrases.py --out OUT_DIR [--rephrase-window-seconds S] [--max-following-turns N]
        [--embedding-model PATH] [--embedding-cache DIR] [--min-users K]

Reads OUT/sessions; writes OUT/texts (each distinct utterance normalized once), OUT/embeddings (each
distinct normalized text embedded once), OUT/candidates, OUT/outcomes (per-turn defects, for the chain)
and OUT/_stats/rephrases.json. With --embedding-cache, only texts that no earlier run embedded with the same
model are embedded; they are added to the cache as a new folder, renamed into place when complete.
"""

from __future__ import annotations

import argparse
import posixpath
import uuid

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from miner.aggregate import turn_outcomes
from miner.candidates import (
    MAX_FOLLOWING_TURNS,
    REPHRASE_WINDOW_SECONDS,
    could_carry_evidence,
    following_turn_pairs,
    scored_candidates,
    silent_phrasings,
    with_normalized_text,
    with_pair_features,
)
from miner.defaults import MIN_USERS
from miner.embeddings import cached_embeddings, embed_texts, uncached_texts
from miner.feedback import served_texts, with_served_text
from miner.models import model_fingerprint
from miner.text import normalized_utterances
from pipeline.io import dataset_path, read_dataset, row_count, write_dataset, write_stats
from pipeline.stages import REPHRASES
from pipeline.storage import exists, move
from schemas.candidates import CANDIDATES
from schemas.outcomes import OUTCOMES
from schemas.sessions import SESSIONS
from schemas.stats import REPHRASES_STATS
from schemas.texts import EMBEDDINGS, TEXTS

STAGE = REPHRASES.name
# Lookup tables up to these many rows are broadcast to every task (at 10M turns, 531k texts and 122k embeddings
# took 128 to 160 MiB of the driver each). A larger day joins them by sort-merge: slower, within any heap.
MAX_BROADCAST_TEXTS = 1_000_000
MAX_BROADCAST_EMBEDDINGS = 400_000


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
    parser.add_argument(
        "--embedding-cache", default="",
        help="persistent embedding cache directory (or URI), keyed by model and text; empty: no cache",
    )
    parser.add_argument(
        "--min-users", type=int, default=MIN_USERS,
        help="users who must correct a phrasing's successes before it counts as misread silently",
    )
    return parser.parse_args(argv)


def spread(df: DataFrame) -> DataFrame:
    """Every core gets a share of a Python-heavy step: adaptive execution would otherwise coalesce a small
    distinct set into one task, and one Python worker, on one core."""
    return df.repartition(max(2, df.sparkSession.sparkContext.defaultParallelism))


def _read_cache(spark: SparkSession, model_dir: str) -> DataFrame:
    if not exists(model_dir):
        return spark.createDataFrame([], EMBEDDINGS.spark_schema)
    # One folder per run that added texts; none is a partition.
    reader = spark.read.schema(EMBEDDINGS.spark_schema).option("recursiveFileLookup", "true")
    return reader.parquet(model_dir).select(*EMBEDDINGS.column_names)


def write_embeddings(spark: SparkSession, texts_df: DataFrame, args: argparse.Namespace) -> dict:
    """OUT/embeddings for the run's distinct texts, each embedded at most once, through the cache if any."""
    embeddings_path = dataset_path(args.out, "embeddings")
    distinct_texts_df = spread(texts_df.select("text").distinct())
    if not args.embedding_cache:
        embedded = write_dataset(
            embed_texts(distinct_texts_df, args.embedding_model), embeddings_path, EMBEDDINGS, observe=row_count()
        )["rows"]
        return {"distinct_texts": embedded, "embedded_texts": embedded, "cache_hits": None}

    model_dir = posixpath.join(args.embedding_cache, model_fingerprint(args.embedding_model))
    batch = uuid.uuid4().hex
    staged = posixpath.join(args.embedding_cache, "_staging", batch)  # never read until renamed into place
    new_batch = posixpath.join(model_dir, f"batch-{batch}")
    # Listed once: the batches of earlier runs, and then the one this run adds.
    cached_df = _read_cache(spark, model_dir)
    new_df = embed_texts(distinct_texts_df.transform(uncached_texts, cached_df), args.embedding_model)
    embedded = write_dataset(new_df, staged, EMBEDDINGS, observe=row_count())["rows"]
    move(staged, new_batch)
    known_df = cached_df.unionByName(read_dataset(spark, new_batch, EMBEDDINGS))
    total = write_dataset(
        distinct_texts_df.transform(cached_embeddings, known_df), embeddings_path, EMBEDDINGS, observe=row_count()
    )["rows"]
    return {"distinct_texts": total, "embedded_texts": embedded, "cache_hits": total - embedded}


def run(spark: SparkSession, args: argparse.Namespace) -> dict:
    sessions_df = read_dataset(spark, dataset_path(args.out, "sessions"), SESSIONS)

    texts_path = dataset_path(args.out, "texts")
    texts_count = write_dataset(
        spread(sessions_df.select("utterance").distinct()).transform(normalized_utterances), texts_path, TEXTS,
        observe=row_count(),
    )["rows"]
    texts_df = read_dataset(spark, texts_path, TEXTS)

    embedding_stats = write_embeddings(spark, texts_df, args)
    embeddings_df = read_dataset(spark, dataset_path(args.out, "embeddings"), EMBEDDINGS)

    # Both the candidates and the per-turn outcomes need every turn with its normalized text. Not persisted:
    # with the texts broadcast it is a scan and a hash lookup, and a cached partition of ten million turns
    # read back into memory ran the driver out of heap. The few served rewrites are kept, so that each use
    # of the turns does not scan the day again to normalize them.
    served_df = served_texts(sessions_df).localCheckpoint()
    turns_df = sessions_df.transform(
        with_normalized_text, texts_df, texts_count <= MAX_BROADCAST_TEXTS
    ).transform(with_served_text, served_df)
    # The pairs feed both the silent-phrasing test and the features: on disk once, not windowed twice.
    pairs_df = (
        turns_df.transform(following_turn_pairs, args.rephrase_window_seconds, args.max_following_turns)
        .transform(could_carry_evidence)
        .persist(StorageLevel.DISK_ONLY)
    )
    silent_df = silent_phrasings(pairs_df, turns_df, args.min_users).localCheckpoint()
    candidates_path = dataset_path(args.out, "candidates")
    totals = write_dataset(
        pairs_df.transform(
            with_pair_features, embeddings_df, embedding_stats["distinct_texts"] <= MAX_BROADCAST_EMBEDDINGS
        ).transform(
            scored_candidates, silent_df, args.rephrase_window_seconds
        ),
        candidates_path, CANDIDATES,
        observe={
            "candidates": F.count(F.lit(1)),
            "friction_sources": F.count_if("is_friction"),
            "silent_failure_sources": F.count_if("is_silent_failure"),
            "likely_rephrases": F.count_if(F.col("rephrase_probability") >= 0.5),
        },
    )
    pairs_df.unpersist()
    candidates_df = read_dataset(spark, candidates_path, CANDIDATES)
    write_dataset(
        turn_outcomes(turns_df, candidates_df, silent_df), dataset_path(args.out, "outcomes"), OUTCOMES
    )

    stats = {
        "texts": texts_count,
        **embedding_stats,
        "embedding_model": args.embedding_model or "multilingual (packaged)",
        "silent_phrasings": silent_df.count(),
        **{key: int(value) for key, value in totals.items()},
    }
    stats["rows_out"] = stats["candidates"]
    write_stats(args.out, STAGE, stats, REPHRASES_STATS)
    return stats


if __name__ == "__main__":
    from pipeline.spark import submit

    submit(STAGE, parse_args, run)
