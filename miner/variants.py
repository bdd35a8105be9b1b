"""Cross-user variants: different users' phrasings of one goal become variant pairs.

A goal is (locale, intent, canonical slot values). Only confirmed successes count. Work is bounded on hot
goals: phrasings are counted per salt bucket first (a user always falls in one bucket, so the per-bucket
distinct counts add up exactly), only the top `TOP_PHRASINGS_PER_GOAL` phrasings of a goal are kept, and
each is paired with the goal's most popular phrasing alone: at most k - 1 pairs per goal, never k^2.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from miner.candidates import LOW_CONFIDENCE
from miner.defaults import MIN_USERS, TOP_PHRASINGS_PER_GOAL
from miner.posterior import with_beta_lower_bound
from schemas.pairs import PAIRS

SALT_BUCKETS = 16


def canonical_slots(slots: Column) -> Column:
    """Slot values as a sorted list of 'name=value', case and spacing folded: the goal's identity."""
    folded = F.transform(
        F.coalesce(slots, F.array().cast("array<struct<name:string,value:string>>")),
        lambda s: F.concat(s["name"], F.lit("="), F.lower(F.trim(F.regexp_replace(s["value"], r"\s+", " ")))),
    )
    return F.array_sort(folded)


def goal_phrasings(outcomes_df: DataFrame, salt_buckets: int = SALT_BUCKETS) -> DataFrame:
    """(locale, intent, goal, text, users): distinct users per phrasing of each goal, salted against skew."""
    confirmed = outcomes_df.where(
        ~F.col("is_defective")
        & (F.col("status") == "success")
        & F.col("intent").isNotNull()
        & F.coalesce(F.col("nlu_confidence") >= LOW_CONFIDENCE, F.lit(True))
    )
    return (
        confirmed.withColumns(
            {
                "goal": canonical_slots(F.col("slots")),
                "salt": F.pmod(F.xxhash64("user_key"), F.lit(salt_buckets)),
            }
        )
        .groupBy("locale", "intent", "goal", "text", "salt")
        .agg(F.count_distinct("user_key").alias("users"))
        .groupBy("locale", "intent", "goal", "text")
        .agg(F.sum("users").alias("users"))
    )


def _top_phrasings(phrasings_df: DataFrame, min_users: int, top_phrasings: int) -> DataFrame:
    """A goal's phrasings with >= min_users users, ranked by users (1 = the goal's head), top ones only."""
    by_popularity = (
        Window.partitionBy("locale", "intent", "goal")
        .orderBy(F.col("users").desc(), F.col("text").asc())
        .rowsBetween(Window.unboundedPreceding, Window.currentRow)
    )
    return (
        phrasings_df.where(F.col("users") >= min_users)
        .withColumn("rank", F.row_number().over(by_popularity))
        .where(F.col("rank") <= top_phrasings)
    )


def goal_heads(phrasings_df: DataFrame, min_users: int = MIN_USERS) -> DataFrame:
    """(locale, intent, goal, head, head_users): each goal's most popular phrasing, if >= min_users used it."""
    return _top_phrasings(phrasings_df, min_users, 1).select(
        "locale", "intent", "goal", F.col("text").alias("head"), F.col("users").alias("head_users")
    )


def with_goal_heads(labels_df: DataFrame, heads_df: DataFrame) -> DataFrame:
    """Labels with `goal_head`: the head of the goal (label intent, slot values of the best rephrase).

    The phrasing most users succeed with for exactly that request is the rewrite of last resort when no
    single rephrase target reached the k-user floor.
    """
    return (
        labels_df.withColumn("goal", canonical_slots(F.col("slots")))
        .join(heads_df, on=["locale", "intent", "goal"], how="left")
        .withColumn("goal_head", F.when(F.col("head") != F.col("source"), F.col("head")))
        .drop("goal", "head", "head_users")
    )


def variant_pairs(
    phrasings_df: DataFrame, reliability_df: DataFrame, min_users: int = MIN_USERS,
    top_phrasings: int = TOP_PHRASINGS_PER_GOAL,
) -> DataFrame:
    """Each of a goal's top phrasings (>= min_users users) -> the goal's most popular phrasing."""
    top = _top_phrasings(phrasings_df, min_users, top_phrasings)
    heads = top.where(F.col("rank") == 1).select(
        "locale", "intent", "goal", F.col("text").alias("target"), F.col("users").alias("target_users")
    )
    source_reliability = reliability_df.select(
        "locale", F.col("text").alias("source"), F.col("defective_users").alias("source_defective_users")
    )
    target_reliability = reliability_df.select(
        "locale", F.col("text").alias("target"), F.col("reliability").alias("success_probability")
    )
    pooled = (
        top.where(F.col("rank") > 1)
        .select("locale", "intent", "goal", F.col("text").alias("source"), F.col("users").alias("source_users"))
        .join(heads, on=["locale", "intent", "goal"], how="inner")
        .groupBy("locale", "source", "target")
        .agg(
            F.sum(F.least("source_users", "target_users")).alias("support_users"),
            F.sum("source_users").alias("alpha"),
            F.max_by("intent", "source_users").alias("target_intent"),
        )
    )
    return (
        pooled.join(source_reliability, on=["locale", "source"], how="left")
        .join(target_reliability, on=["locale", "target"], how="left")
        .withColumns(
            {
                "kind": F.lit("variant"),
                "beta": F.coalesce(F.col("source_defective_users"), F.lit(0)).cast("double"),
                "support_sessions": F.col("support_users"),
                "reach_probability": F.lit(None).cast("double"),
                "mean_rephrase_probability": F.lit(None).cast("double"),
                "semantic_similarity": F.lit(None).cast("double"),
                "lexical_similarity": F.lit(None).cast("double"),
            }
        )
        .transform(with_beta_lower_bound, "alpha", "beta", "weight")
        .withColumn("score", F.col("weight") * F.coalesce(F.col("success_probability"), F.lit(0.0)))
        .select(*[F.col(c.name).cast(c.type.spark) for c in PAIRS.columns])
    )


def one_pair_per_key(pairs_df: DataFrame) -> DataFrame:
    """(locale, source, target) is unique: where a rephrase and a variant coincide, the rephrase stays."""
    preference = (
        Window.partitionBy("locale", "source", "target")
        .orderBy(F.col("kind").asc(), F.col("weight").desc())
        .rowsBetween(Window.unboundedPreceding, Window.currentRow)
    )
    return (
        pairs_df.withColumn("preference", F.row_number().over(preference))
        .where(F.col("preference") == 1)
        .select(*PAIRS.column_names)
    )
