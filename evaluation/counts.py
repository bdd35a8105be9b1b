"""Counting on Spark: every count the evaluation needs, from the truth, OUT/sessions and a run's outputs.

Everything here is a pure transform (DataFrame -> DataFrame); `evaluation/evaluate.py` reads the inputs and
collects `evaluation_counts`, and `evaluation.metrics`, which defines every figure, turns those counts into the
report (`build_report`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import reduce
from typing import Callable, Iterator

import numpy as np
import pyarrow as pa
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T
from rapidfuzz import fuzz
from rapidfuzz.process import cpdist

from evaluation.metrics import BASELINE_MIN_SIMILARITY, BASELINE_WINDOW_SECONDS, MINER, SHARED, Baseline, baselines
from miner.defaults import MIN_USERS
from miner.text import lexical_form, normalize

COUNT_COLUMNS = ("locale", "system", "metric", "value")


# --------------------------------------------------------------------------------------------------
# Normalizing texts once per distinct value

_RAW = "_raw_text"


def _normalize_batches(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        raw = batch.column(0)
        # '' is no phrasing: it would pool every text that is only punctuation or control characters.
        keys = [normalize(text) or None for text in raw.to_pylist()]
        yield pa.RecordBatch.from_arrays([raw, pa.array(keys, pa.string())], names=[_RAW, "key"])


def with_normalized(df: DataFrame, column: str, alias: str) -> DataFrame:
    """`df` plus `alias` = normalize(`column`) (null for a null or empty result).

    The Python work runs once per distinct text, in an Arrow map; the result is joined back.
    """
    distinct_texts = df.select(F.col(column).alias(_RAW)).where(F.col(_RAW).isNotNull()).distinct()
    keys = distinct_texts.mapInArrow(
        _normalize_batches,
        T.StructType([T.StructField(_RAW, T.StringType()), T.StructField("key", T.StringType())]),
    )
    return (
        df.join(keys, df[column] == keys[_RAW], how="left")
        .select(*[df[name] for name in df.columns], keys["key"].alias(alias))
    )


# --------------------------------------------------------------------------------------------------
# Ground truth


def _heaviest(value: str, weight: str) -> Column:
    """Aggregate: the `value` of the largest `weight`, ties to the lexicographically smallest value."""
    # min over (-weight, value) orders by weight descending, then value ascending: deterministic, no window.
    return F.min(F.struct((-F.col(weight)).alias("negative_weight"), F.col(value).alias("value")))["value"]


def gold_intents(truth: DataFrame) -> DataFrame:
    """(locale, text, gold_intent): the majority gold intent of each phrasing. `truth` carries `text`."""
    return (
        truth.where(F.col("text").isNotNull() & F.col("gold_intent").isNotNull())
        .groupBy("locale", "text", "gold_intent")
        .agg(F.count(F.lit(1)).alias("rows"))
        .groupBy("locale", "text")
        .agg(_heaviest("gold_intent", "rows").alias("gold_intent"))
        .select("locale", "text", "gold_intent")
    )


def phrasing_users(truth: DataFrame) -> DataFrame:
    """(locale, text, users): distinct users who said each phrasing, in any role."""
    return (
        truth.where(F.col("text").isNotNull())
        .groupBy("locale", "text")
        .agg(F.count_distinct("user_id").alias("users"))
        .select("locale", "text", "users")
    )


def failing_phrasings(truth: DataFrame, min_users: int = MIN_USERS) -> DataFrame:
    """(locale, text): phrasings that the NLU misread and that min_users distinct users then rephrased."""
    rephrased = (
        truth.where((F.col("role") == "rephrase") & F.col("rephrase_of").isNotNull())
        .select(F.col("rephrase_of").alias("event_id"))
        .distinct()
    )
    return (
        truth.where((F.col("nlu_outcome") != "correct") & F.col("text").isNotNull())
        .join(rephrased, on="event_id", how="left_semi")
        .groupBy("locale", "text")
        .agg(F.count_distinct("user_id").alias("users"))
        .where(F.col("users") >= min_users)
        .select("locale", "text")
    )


def goal_turns(truth: DataFrame, min_users: int = MIN_USERS) -> DataFrame:
    """(event_id, locale, text, gold_intent, is_failing, is_recurring): each goal turn once."""
    recurring = phrasing_users(truth).where(F.col("users") >= min_users).select("locale", "text")
    recurring = recurring.withColumn("is_recurring", F.lit(True))
    return (
        truth.where(
            F.col("event_id").isNotNull() & F.col("gold_intent").isNotNull() & F.col("nlu_outcome").isNotNull()
        )
        .dropDuplicates(["event_id"])  # the truth has one row per event; a repeated row must not count twice
        .join(recurring, on=["locale", "text"], how="left")
        .select(
            "event_id", "locale", "text", "gold_intent",
            (F.col("nlu_outcome") != "correct").alias("is_failing"),
            F.coalesce(F.col("is_recurring"), F.lit(False)).alias("is_recurring"),
        )
    )


# --------------------------------------------------------------------------------------------------
# Counts, in long form (locale, system, metric, value) so that one collect gathers them all


def _long(counts: DataFrame, system: str) -> DataFrame:
    metrics = [name for name in counts.columns if name != "locale"]
    entries = [F.struct(F.lit(m).alias("metric"), F.col(m).cast("long").alias("value")) for m in metrics]
    return counts.select("locale", F.lit(system).alias("system"), F.inline(F.array(*entries))).select(
        *COUNT_COLUMNS
    )


def scope_counts(turns: DataFrame, failing: DataFrame) -> DataFrame:
    """Goal turns, failing turns, recurring failing turns and failing phrasings per locale (system '*')."""
    turn_counts = turns.groupBy("locale").agg(
        F.count(F.lit(1)).alias("goal_turns"),
        F.count_if("is_failing").alias("failing_turns"),
        F.count_if(F.col("is_failing") & F.col("is_recurring")).alias("recurring_failing_turns"),
    )
    phrasing_counts = failing.groupBy("locale").agg(F.count(F.lit(1)).alias("failing_phrasings"))
    return _long(turn_counts, SHARED).unionByName(_long(phrasing_counts, SHARED)).select(*COUNT_COLUMNS)


def label_counts(labels: DataFrame, gold: DataFrame, failing: DataFrame, system: str) -> DataFrame:
    """Records, correct records and recalled failing phrasings per locale.

    `labels` is (locale, text, intent), one row per record; `gold` from gold_intents; `failing` from
    failing_phrasings.
    """
    judged = labels.join(gold, on=["locale", "text"], how="left").withColumn(
        "is_correct", F.coalesce(F.col("intent") == F.col("gold_intent"), F.lit(False))
    )
    record_counts = judged.groupBy("locale").agg(
        F.count(F.lit(1)).alias("records"), F.count_if("is_correct").alias("correct_records")
    )
    recalled = (
        failing.join(judged.where("is_correct"), on=["locale", "text"], how="left_semi")
        .groupBy("locale")
        .agg(F.count(F.lit(1)).alias("recalled_phrasings"))
    )
    return _long(record_counts, system).unionByName(_long(recalled, system)).select(*COUNT_COLUMNS)


def training_labels(training: DataFrame) -> DataFrame:
    """(locale, text, intent) of the training records, text = normalize(utt)."""
    return with_normalized(training, "utt", "text").select("locale", "text", "intent")


def _gold_of(gold: DataFrame, text: str, gold_intent: str) -> DataFrame:
    return gold.select("locale", F.col("text").alias(text), F.col("gold_intent").alias(gold_intent))


def pair_counts(pairs: DataFrame, gold: DataFrame) -> DataFrame:
    """Per locale and kind: `pairs:<kind>` and `same_intent_pairs:<kind>` (system 'miner')."""
    judged = (
        pairs.transform(with_normalized, "source", "source_text")
        .transform(with_normalized, "target", "target_text")
        .join(_gold_of(gold, "source_text", "source_gold"), on=["locale", "source_text"], how="left")
        .join(_gold_of(gold, "target_text", "target_gold"), on=["locale", "target_text"], how="left")
        .withColumn("same_intent", F.coalesce(F.col("source_gold") == F.col("target_gold"), F.lit(False)))
    )
    per_kind = judged.groupBy("locale", "kind").agg(
        F.count(F.lit(1)).alias("pairs"), F.count_if("same_intent").alias("same_intent_pairs")
    )
    entries = [
        F.struct(F.concat(F.lit(f"{name}:"), F.col("kind")).alias("metric"), F.col(name).alias("value"))
        for name in ("pairs", "same_intent_pairs")
    ]
    return per_kind.select("locale", F.lit(MINER).alias("system"), F.inline(F.array(*entries))).select(
        *COUNT_COLUMNS
    )


def chosen_rewrites(rewrites: DataFrame) -> DataFrame:
    """(locale, text, target_text): one rewrite per source as stored, the highest weight (ties: smallest
    target); target_text = normalize(target)."""
    return (
        rewrites.transform(with_normalized, "target", "target_text")
        .groupBy("locale", F.col("source").alias("text"))
        .agg(_heaviest("target_text", "weight").alias("target_text"))
        .select("locale", "text", "target_text")
    )


def replay_counts(turns: DataFrame, rewrites: DataFrame, gold: DataFrame) -> DataFrame:
    """Replays goal turns through the rewrite table: rewritten, wins, losses (all and recurring failing
    turns) and correct turns broken, per locale (system 'miner')."""
    rewritten = chosen_rewrites(rewrites).withColumn("is_rewritten", F.lit(True))
    same_intent = F.coalesce(F.col("target_gold") == F.col("gold_intent"), F.lit(False))
    replayed = (
        turns.join(rewritten, on=["locale", "text"], how="left")
        .join(_gold_of(gold, "target_text", "target_gold"), on=["locale", "target_text"], how="left")
        .withColumn("is_rewritten", F.coalesce(F.col("is_rewritten"), F.lit(False)))
        .withColumn("is_win", F.col("is_rewritten") & same_intent)
        .withColumn("is_loss", F.col("is_rewritten") & ~same_intent)
    )
    failing, recurring = F.col("is_failing"), F.col("is_failing") & F.col("is_recurring")
    counts = replayed.groupBy("locale").agg(
        F.count_if(failing & F.col("is_rewritten")).alias("rewritten"),
        F.count_if(failing & F.col("is_win")).alias("wins"),
        F.count_if(failing & F.col("is_loss")).alias("losses"),
        F.count_if(recurring & F.col("is_rewritten")).alias("recurring_rewritten"),
        F.count_if(recurring & F.col("is_win")).alias("recurring_wins"),
        F.count_if(recurring & F.col("is_loss")).alias("recurring_losses"),
        F.count_if(~failing & F.col("is_loss")).alias("correct_turns_broken"),
    )
    return _long(counts, MINER)


# --------------------------------------------------------------------------------------------------
# Baselines: their votes and labels (the systems themselves: evaluation.metrics.Baseline)


def baseline_votes(sessions: DataFrame, window_seconds: float = BASELINE_WINDOW_SECONDS) -> DataFrame:
    """(locale, user_key, text, success_text, intent): each failed turn labelled by the next success of its
    session within `window_seconds`. `sessions` carries `text` = normalize(utterance)."""
    following = (
        Window.partitionBy("session_id").orderBy("turn_index").rowsBetween(1, Window.unboundedFollowing)
    )
    success = F.struct(F.col("ts").alias("ts"), F.col("text").alias("text"), F.col("intent").alias("intent"))
    is_success = (F.col("status") == "success") & F.col("intent").isNotNull()
    next_success = F.first(F.when(is_success, success), ignorenulls=True).over(following)
    seconds_to_success = (F.unix_micros("next_success.ts") - F.unix_micros("ts")) / F.lit(1_000_000.0)
    return (
        sessions.where(~F.col("is_runaway"))  # bots in a loop are no users
        .withColumn("next_success", next_success)
        .where(
            (F.col("status") != "success")
            & F.col("text").isNotNull()
            & F.col("next_success").isNotNull()
            & (seconds_to_success <= window_seconds)
        )
        .select(
            "locale", "user_key", "text",
            F.col("next_success.text").alias("success_text"), F.col("next_success.intent").alias("intent"),
        )
    )


_SIMILARITY_FIELDS = (
    ("text", pa.string(), T.StringType()),
    ("success_text", pa.string(), T.StringType()),
    ("similarity", pa.float64(), T.DoubleType()),
)
_SIMILARITY_ARROW = pa.schema([pa.field(name, arrow) for name, arrow, _ in _SIMILARITY_FIELDS])
_SIMILARITY_SPARK = T.StructType([T.StructField(name, spark) for name, _, spark in _SIMILARITY_FIELDS])


def _similarity_batches(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        failed, succeeded = batch.column(0), batch.column(1)
        # A null text scores against ''; its vote cannot join back to a score anyway (null keys never match).
        left = [lexical_form(text) or "" for text in failed.to_pylist()]
        right = [lexical_form(text) or "" for text in succeeded.to_pylist()]
        # One vectorised call per batch: cpdist scores left[i] against right[i].
        scores = cpdist(left, right, scorer=fuzz.token_set_ratio, workers=1) if left else np.empty(0)
        similarity = pa.array(np.asarray(scores, dtype=np.float64))
        yield pa.RecordBatch.from_arrays([failed, succeeded, similarity], schema=_SIMILARITY_ARROW)


def with_similarity(votes: DataFrame) -> DataFrame:
    """`votes` plus `similarity`: token_set_ratio (0..100) of the two phrasings, once per distinct pair."""
    distinct_pairs = votes.select("text", "success_text").distinct()
    scored = distinct_pairs.mapInArrow(_similarity_batches, _SIMILARITY_SPARK)
    return votes.join(scored, on=["text", "success_text"], how="left").select(*votes.columns, "similarity")


def pooled_labels(votes: DataFrame, min_users: int) -> DataFrame:
    """(locale, text, intent): per phrasing the intent of the most distinct users (ties: the smallest),
    for phrasings with votes from at least `min_users` distinct users."""
    by_intent = (
        votes.groupBy("locale", "text", "intent")
        .agg(F.count_distinct("user_key").alias("users"))
        .groupBy("locale", "text")
        .agg(_heaviest("intent", "users").alias("intent"))
    )
    supported = (
        votes.groupBy("locale", "text")
        .agg(F.count_distinct("user_key").alias("users"))
        .where(F.col("users") >= min_users)
    )
    return by_intent.join(supported, on=["locale", "text"], how="inner").select("locale", "text", "intent")


def baseline_labels(scored_votes: DataFrame, baseline: Baseline) -> DataFrame:
    """The labels of one baseline; `scored_votes` from with_similarity(baseline_votes(...))."""
    votes = scored_votes
    if baseline.is_gated:
        votes = votes.where(F.col("similarity") >= BASELINE_MIN_SIMILARITY)  # a null similarity fails the gate
    return pooled_labels(votes, baseline.min_users)


# --------------------------------------------------------------------------------------------------
# Everything at once


@dataclass(frozen=True)
class Reference:
    """What every system is scored against, from the truth and the sessions; computed once and reused by
    every count (the job materializes these frames, which keeps the final plan small)."""

    gold: DataFrame  # gold_intents
    failing: DataFrame  # failing_phrasings
    turns: DataFrame  # goal_turns
    votes: DataFrame  # baseline votes with their similarity

    def map(self, function: Callable[[DataFrame], DataFrame]) -> Reference:
        return Reference(*(function(getattr(self, f.name)) for f in fields(self)))


def reference_frames(truth: DataFrame, sessions: DataFrame, min_users: int = MIN_USERS) -> Reference:
    """The Reference, from the truth and OUT/sessions as their contracts read."""
    truth = with_normalized(truth, "utterance", "text")
    return Reference(
        gold=gold_intents(truth),
        failing=failing_phrasings(truth, min_users),
        turns=goal_turns(truth, min_users),
        votes=with_similarity(baseline_votes(with_normalized(sessions, "utterance", "text"))),
    )


def evaluation_counts(
    reference: Reference, training: DataFrame, pairs: DataFrame, rewrites: DataFrame, min_users: int = MIN_USERS
) -> DataFrame:
    """(locale, system, metric, value): every count `build_report` needs. The run's outputs as read."""
    gold, failing = reference.gold, reference.failing
    parts = [
        scope_counts(reference.turns, failing),
        label_counts(training_labels(training), gold, failing, MINER),
        pair_counts(pairs, gold),
        replay_counts(reference.turns, rewrites, gold),
    ] + [
        label_counts(baseline_labels(reference.votes, baseline), gold, failing, baseline.system)
        for baseline in baselines(min_users)
    ]
    return reduce(DataFrame.unionByName, parts).select(*COUNT_COLUMNS)
