"""Multiturn rephrase candidates: each turn with the next turns of its session, their features, a probability.

The scoring rule (`rephrase_probability`) is a hand-set logistic model over features that each mean
something on their own, documented in the README:

    z = -6.0 + 2.0 * semantic + 2.5 * lexical + 4.0 * slot_overlap (0.5 when the target has no slots)
        + 2.0 * (source defective) + 1.0 * (target succeeded) - 3.0 * gap_s / window

Slot overlap weighs most because a rephrase keeps the user's slot values while most topic switches do not;
the similarities separate the rest, and quick corrections are likelier rephrases than slow ones. The
weights are a rounded logistic fit on simulated MASSIVE train/dev traffic (see README), kept few and
interpretable on purpose. The rule only has to separate "said the same thing again" from "asked for
something else": which phrasing a failing one really means is decided later, by pooling one vote per user
across many users.
"""

from __future__ import annotations

import functools

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T
from rapidfuzz import fuzz, process

from miner.defaults import MAX_FOLLOWING_TURNS, MIN_USERS, REPHRASE_WINDOW_SECONDS
from miner.embeddings import vectors_from_binary
from miner.posterior import with_binomial_tail
from miner.text import is_unsegmented, normalize
from schemas.candidates import CANDIDATES
from schemas.contract import Column as Field
from schemas.interactions import FRICTION_STATUSES
from schemas.types import FLOAT32

LOW_CONFIDENCE = 0.5
# A success that the user corrects this fast was not one.
SILENT_FAILURE_SECONDS = 15.0
SILENT_FAILURE_MIN_SIMILARITY = 0.5
# One-sided significance of "corrected at once more often than the locale's phrasings are" (silent_phrasings).
SILENT_PHRASING_SIGNIFICANCE = 0.001

WEIGHTS = {
    "bias": -6.0,
    "semantic": 2.0,
    "lexical": 2.5,
    "slot_overlap": 4.0,
    "defective": 2.0,
    "target_succeeded": 1.0,
    "gap": -3.0,
}
NO_SLOTS_OVERLAP = 0.5

_TURN_FIELDS = ("event_id", "ts", "text", "lexical", "status", "intent", "nlu_confidence", "slots")


def _lookup(table_df: DataFrame, broadcast: bool) -> DataFrame:
    return F.broadcast(table_df) if broadcast else table_df


def with_normalized_text(sessions_df: DataFrame, normalized_df: DataFrame, broadcast: bool = True) -> DataFrame:
    """Attach `text` (the pooling key) and `lexical` (for token similarity) to every turn.

    The distinct texts are broadcast: a day's are hundreds of thousands where its turns are millions, and a
    sort-merge join would shuffle and sort every turn for them. `broadcast=False` is for a table too large
    for the driver's memory.
    """
    return sessions_df.join(_lookup(normalized_df, broadcast), on="utterance", how="inner")


def following_turn_pairs(
    turns_df: DataFrame,
    window_seconds: float = REPHRASE_WINDOW_SECONDS,
    max_following_turns: int = MAX_FOLLOWING_TURNS,
) -> DataFrame:
    """Each turn with each of its user's next `max_following_turns` turns within `window_seconds`.

    The user's turns on all their devices count, in time order (ties by event_id): someone who gives up on the
    kitchen speaker and says it again on their phone is rephrasing too. `session_id` is the earlier turn's.
    Linear in the number of turns: a bounded window frame, never a self-join. Runaway sessions (bots,
    loops) give no pairs.
    """
    next_turns = (
        Window.partitionBy("locale", "user_key").orderBy("ts", "event_id").rowsBetween(1, max_following_turns)
    )
    following = F.collect_list(F.struct(*_TURN_FIELDS)).over(next_turns)
    return (
        turns_df.where(~F.col("is_runaway"))
        .withColumn("following", following)
        .select(
            "locale", "session_id", "user_key", *_TURN_FIELDS,
            F.posexplode("following").alias("position", "next"),
        )
        .withColumn("gap_s", (F.unix_micros("next.ts") - F.unix_micros("ts")) / F.lit(1_000_000.0))
        .where(F.col("gap_s") <= window_seconds)
        .select(
            "locale",
            "session_id",
            "user_key",
            F.col("event_id").alias("source_event_id"),
            F.col("next.event_id").alias("target_event_id"),
            (F.col("position") + 1).cast("int").alias("hop"),
            "gap_s",
            F.col("text").alias("source"),
            F.col("next.text").alias("target"),
            F.col("lexical").alias("source_lexical"),
            F.col("next.lexical").alias("target_lexical"),
            F.col("status").alias("source_status"),
            F.col("next.status").alias("target_status"),
            F.col("intent").alias("source_intent"),
            F.col("next.intent").alias("target_intent"),
            F.col("nlu_confidence").alias("source_confidence"),
            F.col("next.nlu_confidence").alias("target_confidence"),
            F.col("next.slots").alias("target_slots"),
        )
    )


# --- pair features, computed in Arrow batches on the pairs themselves ----------------------------------
# Distinct (source, target) pairs are nearly as many as the pairs in real traffic, so deduplicating them
# and joining the features back would cost two shuffles and save almost no scoring.

FEATURE_FIELDS = (
    Field("lexical_similarity", FLOAT32, False, "rapidfuzz token-set ratio / 100"),
    Field("semantic_similarity", FLOAT32, False, "cosine of the embeddings; 0 where one is missing"),
    Field("slot_overlap", FLOAT32, True, "share of slot values found in the source; null without slots"),
)
# The Arrow UDF's arguments, in order: the only columns of a pair that cross into Python.
_FEATURE_INPUT = ("source", "source_lexical", "target_lexical", "slot_values", "source_embedding", "target_embedding")


@functools.lru_cache(maxsize=1 << 16)
def _slot_value_form(value: str) -> tuple[str, bool]:
    """(normalized value, written without spaces); slot values repeat across turns, normalization is regex work."""
    normalized = normalize(value) or ""
    return normalized, is_unsegmented(normalized)


def slot_overlap(source_text: str, slot_values: list[str]) -> float | None:
    """Share of the slot values that occur in the source text, as whole words where words are spaced."""
    values = [form for form in (_slot_value_form(value) for value in slot_values) if form[0]]
    if not values:
        return None
    padded = f" {source_text} "
    found = sum(1 for v, unsegmented in values if (v in source_text if unsegmented else f" {v} " in padded))
    return found / len(values)


def _rowwise_cosine(source: pa.Array, target: pa.Array) -> np.ndarray:
    """Dot products of unit vectors, row by row; 0 where either embedding is missing."""
    result = np.zeros(len(source), dtype=np.float32)
    present = pc.and_(source.is_valid(), target.is_valid())
    if pc.any(present).as_py():
        rows = np.flatnonzero(present.to_numpy(zero_copy_only=False))
        left, right = vectors_from_binary(source.filter(present)), vectors_from_binary(target.filter(present))
        result[rows] = np.einsum("ij,ij->i", left, right)
    return np.clip(result, -1.0, 1.0)


_FEATURES_TYPE = T.StructType([T.StructField(f.name, f.type.spark, f.nullable) for f in FEATURE_FIELDS])


def pair_features(
    source: pa.Array, source_lexical: pa.Array, target_lexical: pa.Array, slot_values: pa.Array,
    source_embedding: pa.Array, target_embedding: pa.Array,
) -> pa.Array:
    """The `FEATURE_FIELDS` of a batch of pairs, from the features' inputs alone."""
    lexical = process.cpdist(
        source_lexical.to_pylist(),
        target_lexical.to_pylist(),
        scorer=fuzz.token_set_ratio,
        dtype=np.float32,
        workers=1,  # Spark already runs one Python worker per core
    ) / np.float32(100.0)
    overlap = [slot_overlap(text, values) for text, values in zip(source.to_pylist(), slot_values.to_pylist())]
    return pa.StructArray.from_arrays(
        [
            pa.array(lexical, pa.float32()),
            pa.array(_rowwise_cosine(source_embedding, target_embedding), pa.float32()),
            pa.array(overlap, pa.float32()),
        ],
        names=[f.name for f in FEATURE_FIELDS],
    )


def _slot_values(slots: Column) -> Column:
    return F.array_sort(F.coalesce(F.transform(slots, lambda s: s["value"]), F.array().cast("array<string>")))


def is_quick_correction(
    source_status: Column, source_intent: Column, target_intent: Column, hop: Column, gap_s: Column
) -> Column:
    """A reported success the user follows at once with a request the NLU reads as another intent."""
    return (
        (source_status == "success")
        & (hop == 1)
        & (gap_s <= SILENT_FAILURE_SECONDS)
        & ~source_intent.eqNullSafe(target_intent)
    )


def _quick_correction() -> Column:
    return is_quick_correction(
        F.col("source_status"), F.col("source_intent"), F.col("target_intent"), F.col("hop"), F.col("gap_s")
    )


def could_carry_evidence(pairs_df: DataFrame) -> DataFrame:
    """The pairs whose source can be a defect: friction, or a success that may be a silent failure.

    Every other pair (a success followed, later or for the same intent, by something else) feeds nothing
    downstream: a successful turn is a SUCCESS edge in the chain and votes for no label. Scoring only
    these keeps the expensive features off most of the traffic.
    """
    return pairs_df.where(is_friction(F.col("source_status"), F.col("source_confidence")) | _quick_correction())


def silent_phrasings(
    pairs_df: DataFrame, turns_df: DataFrame, min_users: int = MIN_USERS,
    significance: float = SILENT_PHRASING_SIGNIFICANCE,
) -> DataFrame:
    """(locale, text, success_users, corrected_users, p_value): phrasings misread systematically but silently.

    Users correct some successes at once in every locale (a follow-up question, a change of mind). A phrasing
    whose successes its users correct at once far more often than that (one-sided binomial test at
    `significance` against the locale's rate, at least `min_users` correcting users) is a silent failure
    for all of them, even where the correction shares no words with it ("good assistants" read as a light
    command, then "what's the news"). The rate is learnt from the day's own traffic.
    """
    per_user = (
        turns_df.where(~F.col("is_runaway") & (F.col("status") == "success"))
        .groupBy("locale", "text", "user_key")
        .agg(F.lit(1).alias("said"))
        .join(
            pairs_df.where(_quick_correction())
            .select("locale", F.col("source").alias("text"), "user_key")
            .distinct()
            .withColumn("corrected", F.lit(1)),
            on=["locale", "text", "user_key"], how="left",
        )
    )
    # The locale's rate over its whole window of phrasings: a rate aggregated apart and joined back would
    # make Spark compute the per-user join above twice, once for each use of the counts.
    whole_locale = (
        Window.partitionBy("locale").orderBy("text").rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)
    )
    locale_rate = F.sum("corrected_users").over(whole_locale) / F.sum("success_users").over(whole_locale)
    return (
        per_user.groupBy("locale", "text")
        .agg(F.count(F.lit(1)).alias("success_users"), F.count("corrected").alias("corrected_users"))
        .withColumn("locale_rate", locale_rate)
        .where(F.col("corrected_users") >= min_users)
        .transform(with_binomial_tail, "corrected_users", "success_users", "locale_rate", "p_value")
        .where(F.col("p_value") < significance)
        .select("locale", "text", "success_users", "corrected_users", "p_value")
    )


def _feature(field: Field) -> Column:
    """One feature out of the UDF's struct, as nullable as `FEATURE_FIELDS` declares it."""
    value = F.col("features")[field.name]
    return (value if field.nullable else F.coalesce(value, F.lit(0.0).cast(field.type.spark))).alias(field.name)


def with_pair_features(pairs_df: DataFrame, embeddings_df: DataFrame, broadcast: bool = True) -> DataFrame:
    """`pairs_df` plus lexical_similarity, semantic_similarity and slot_overlap, vectorised in Arrow.

    A scalar Arrow UDF: only the features' inputs cross into Python and only the features come back; the
    pairs' other columns stay in the JVM. The embeddings are broadcast unless `broadcast=False` (a table too
    large for the driver's memory), so that the pairs are not shuffled for them.
    """
    source_embeddings = embeddings_df.select(
        F.col("text").alias("source"), F.col("embedding").alias("source_embedding")
    )
    target_embeddings = embeddings_df.select(
        F.col("text").alias("target"), F.col("embedding").alias("target_embedding")
    )
    features = F.arrow_udf(pair_features, _FEATURES_TYPE)(
        *[F.col(name) for name in _FEATURE_INPUT]
    )
    return (
        pairs_df.withColumn("slot_values", _slot_values(F.col("target_slots")))
        .join(_lookup(source_embeddings, broadcast), on="source", how="left")
        .join(_lookup(target_embeddings, broadcast), on="target", how="left")
        .withColumn("features", features)
        .select(*pairs_df.columns, *[_feature(f) for f in FEATURE_FIELDS])
    )


# --- turn-level signals and the score ---------------------------------------------------------------

def is_friction(status: Column, confidence: Column) -> Column:
    return status.isin(*FRICTION_STATUSES) | F.coalesce(confidence < LOW_CONFIDENCE, F.lit(False))


def target_succeeded(status: Column, confidence: Column) -> Column:
    return (status == "success") & F.coalesce(confidence >= LOW_CONFIDENCE, F.lit(True))


def is_silent_failure(
    source_status: Column, source_intent: Column, target_intent: Column, hop: Column, gap_s: Column,
    semantic: Column, lexical: Column, overlap: Column, source_is_silent: Column,
) -> Column:
    """Reported success, yet the very next turn, seconds later, asks for another intent: in much the same
    words, or after a phrasing that is misread silently for many users (`silent_phrasings`)."""
    similar = (semantic >= SILENT_FAILURE_MIN_SIMILARITY) | (lexical >= SILENT_FAILURE_MIN_SIMILARITY) | F.coalesce(
        overlap >= 1.0, F.lit(False)
    )
    return is_quick_correction(source_status, source_intent, target_intent, hop, gap_s) & (similar | source_is_silent)


def rephrase_probability(
    semantic: Column, lexical: Column, overlap: Column, defective: Column, succeeded: Column,
    gap_s: Column, window_seconds: float,
) -> Column:
    w = WEIGHTS
    z = (
        F.lit(w["bias"])
        + w["semantic"] * semantic
        + w["lexical"] * lexical
        + w["slot_overlap"] * F.coalesce(overlap, F.lit(NO_SLOTS_OVERLAP))
        + w["defective"] * defective.cast("double")
        + w["target_succeeded"] * succeeded.cast("double")
        + w["gap"] * gap_s / F.lit(window_seconds)
    )
    return 1.0 / (1.0 + F.exp(-z))


def with_silent_source(pairs_df: DataFrame, silent_df: DataFrame) -> DataFrame:
    """`pairs_df` plus `source_is_silent`: the source phrasing is misread silently (`silent_phrasings`)."""
    silent = silent_df.select("locale", F.col("text").alias("source"), F.lit(True).alias("source_is_silent"))
    return pairs_df.join(F.broadcast(silent), on=["locale", "source"], how="left").withColumn(
        "source_is_silent", F.coalesce(F.col("source_is_silent"), F.lit(False))
    )


def scored_candidates(
    with_features: DataFrame, silent_df: DataFrame, window_seconds: float = REPHRASE_WINDOW_SECONDS
) -> DataFrame:
    """Pairs `with_pair_features` scored: flags and rephrase probability, as `CANDIDATES` lays them out."""
    friction = is_friction(F.col("source_status"), F.col("source_confidence"))
    silent = is_silent_failure(
        F.col("source_status"), F.col("source_intent"), F.col("target_intent"), F.col("hop"),
        F.col("gap_s"), F.col("semantic_similarity"), F.col("lexical_similarity"), F.col("slot_overlap"),
        F.col("source_is_silent"),
    )
    return (
        with_features.transform(with_silent_source, silent_df)
        .withColumns(
            {
                "is_friction": friction,
                "is_silent_failure": ~friction & silent,
                "target_succeeded": target_succeeded(F.col("target_status"), F.col("target_confidence")),
            }
        )
        .withColumn(
            "rephrase_probability",
            rephrase_probability(
                F.col("semantic_similarity"), F.col("lexical_similarity"), F.col("slot_overlap"),
                F.col("is_friction") | F.col("is_silent_failure"), F.col("target_succeeded"),
                F.col("gap_s"), window_seconds,
            ).cast("float"),
        )
        .select(*CANDIDATES.column_names)
    )
