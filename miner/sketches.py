"""Distinct users across days: an HLL sketch of the user keys behind each day's pairs and labels.

A day's `support_users` is an exact count of distinct users, but counts of different days do not add up: the
same user may be behind a pair on several days. Spark's HyperLogLog sketches (DataSketches) do merge: the
union of two days' sketches estimates the users of both days, each user once. So each mined day keeps, beside
its pairs and labels, a sketch of the same user keys its counts were taken from (`pair_users`, `label_users`),
and `miner.accumulate` unions them into the running state.

Precision, with USERS_SKETCH_LG_K = 12: up to 384 users a sketch keeps one 32-bit coupon per user, and the
estimate is the exact count barring a hash collision (odds about n^2 / 2^27); beyond, it holds 4,096 registers
and the estimate is within about 1.6% (one standard error), above or below. The k-user floor decides among a
handful of users, where the estimate is exact.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from miner.defaults import USERS_SKETCH_LG_K
from schemas.sketches import LABEL_USERS, PAIR_USERS


def users_sketch(user_key: Column, lg_config_k: int = USERS_SKETCH_LG_K) -> Column:
    """Aggregate: the sketch of the distinct (non-null) user keys of a group."""
    return F.hll_sketch_agg(user_key, lg_config_k)


def union_of_sketches(sketch: Column) -> Column:
    """Aggregate: the union of a group's sketches, null sketches skipped; null when the group has none.

    (Spark's union of no sketch is an empty sketch: null keeps "no sketch known", e.g. for state written
    before sketches existed, apart from "no user".)
    """
    return F.when(F.count(sketch) > 0, F.hll_union_agg(sketch))


def distinct_users(largest_count: Column, sketch: Column) -> Column:
    """Distinct users across days: the sketch's estimate, never below the largest count already known (a
    day's exact count, or the figure the state carried).

    The estimate is exact-ish where the floor decides, and beyond 384 users may be 1.6% above or below the
    truth: the largest count keeps it from ever falling below a count known to be exact. Where a row's
    history has no sketch (days mined, or state written, before sketches existed; variants,
    whose support is no count of one set of users), the estimate covers only part of its users or is null,
    and the largest daily count, a lower bound of the users across days, stands.
    """
    return F.greatest(largest_count, F.hll_sketch_estimate(sketch))


def pair_user_sketches(confirmed_df: DataFrame, pairs_df: DataFrame) -> DataFrame:
    """(locale, source, target, kind, users_sketch) for the day's rephrase pairs: the users of the confirmed
    candidates behind each, the very user keys `miner.aggregate.rephrase_evidence` counts as `support_users`.

    Only the pairs that passed the day's floor are sketched: the rest of the candidates never reach the state.
    Variant pairs get none: their support sums each goal's users of the source phrasing, no count of one set.
    """
    rephrases = pairs_df.where(F.col("kind") == "rephrase").select("locale", "source", "target")
    return (
        confirmed_df.join(rephrases, on=["locale", "source", "target"], how="left_semi")
        .groupBy("locale", "source", "target")
        .agg(users_sketch(F.col("user_key")).alias("users_sketch"))
        .withColumn("kind", F.lit("rephrase"))
        .select(*PAIR_USERS.column_names)
    )


def label_user_sketches(outcomes_df: DataFrame, labels_df: DataFrame) -> DataFrame:
    """(locale, source, users_sketch) for the day's labelled phrasings: the users who met a defect with the
    phrasing, the user keys `miner.aggregate.phrasing_reliability` counts as `defective_users` (a label's
    `support_users`)."""
    labelled = labels_df.select("locale", F.col("source").alias("text"))
    return (
        outcomes_df.where(F.col("is_defective"))
        .join(labelled, on=["locale", "text"], how="left_semi")
        .groupBy("locale", "text")
        .agg(users_sketch(F.col("user_key")).alias("users_sketch"))
        .withColumnRenamed("text", "source")
        .select(*LABEL_USERS.column_names)
    )
