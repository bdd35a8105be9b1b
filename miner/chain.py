"""The absorbing Markov chain over phrasings (Ponnusamy et al., AAAI 2020), iterated as joins.

States are the normalized phrasings of one locale, plus two absorbing states, SUCCESS and FAILURE. Each
user's turn of phrasing u contributes one vote per user and edge:

- u succeeded (not a silent failure): u -> SUCCESS, weight 1;
- u was defective and the next turn v came within the window: u -> v with the pair's rephrase probability p,
  and u -> FAILURE with 1 - p (the user asked for something else);
- u was defective and nothing followed: u -> FAILURE, weight 1.

Rows are normalized into probabilities (Q between phrasings, R into the absorbing states). Instead of
inverting (I - Q), which is huge and sparse, success probabilities iterate s <- R_success + Q s, and
reachability sums path probabilities over at most `REACH_HOPS` hops; reformulation chains are short.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

SUCCESS_ITERATIONS = 5
REACH_HOPS = 3
# Paths below this probability cannot change a ranking; dropping them bounds the joins on hot phrasings.
MIN_PATH_PROBABILITY = 0.01

MOVE, SUCCESS, FAILURE = "move", "success", "failure"


def _edge(target: Column, outcome: str, weight: Column) -> Column:
    return F.struct(target.alias("target"), F.lit(outcome).alias("outcome"), weight.alias("weight"))


def user_transitions(outcomes_df: DataFrame) -> DataFrame:
    """(locale, user_key, source, target, outcome, weight) from turn outcomes, one vote per user and edge.

    Expects per turn: locale, user_key, text, is_defective, next_text (nullable), next_probability.
    """
    no_target = F.lit(None).cast("string")
    edges = F.when(~F.col("is_defective"), F.array(_edge(no_target, SUCCESS, F.lit(1.0)))).otherwise(
        F.when(
            F.col("next_text").isNotNull(),
            F.array(
                _edge(F.col("next_text"), MOVE, F.col("next_probability")),
                _edge(no_target, FAILURE, 1.0 - F.col("next_probability")),
            ),
        ).otherwise(F.array(_edge(no_target, FAILURE, F.lit(1.0))))
    )
    return (
        outcomes_df.select("locale", "user_key", F.col("text").alias("source"), F.explode(edges).alias("edge"))
        .select(
            "locale", "user_key", "source", "edge.target", "edge.outcome",
            F.col("edge.weight").cast("double").alias("weight"),
        )
        .groupBy("locale", "user_key", "source", "target", "outcome")
        .agg(F.max("weight").alias("weight"))
    )


def transition_probabilities(user_transitions_df: DataFrame) -> DataFrame:
    """(locale, source, target, outcome, probability, users): user votes pooled and row-normalized."""
    # user_transitions has one row per user and edge, so counting rows counts distinct users.
    pooled = user_transitions_df.groupBy("locale", "source", "target", "outcome").agg(
        F.sum("weight").alias("votes"), F.count(F.lit(1)).alias("users")
    )
    # A source's total over its window of edges: totals aggregated apart and joined back would make Spark pool
    # every user's votes twice, once for each use of `pooled`.
    whole_source = (
        Window.partitionBy("locale", "source")
        .orderBy("outcome", "target")
        .rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)
    )
    return (
        pooled.withColumn("total_votes", F.sum("votes").over(whole_source))
        .where(F.col("total_votes") > 0)
        .select(
            "locale", "source", "target", "outcome",
            (F.col("votes") / F.col("total_votes")).alias("probability"),
            "users",
        )
    )


def success_probabilities(transitions_df: DataFrame, iterations: int = SUCCESS_ITERATIONS) -> DataFrame:
    """(locale, state, success_probability): the chance of absorbing into SUCCESS from each phrasing."""
    direct = transitions_df.groupBy("locale", "source").agg(
        F.sum(F.when(F.col("outcome") == SUCCESS, F.col("probability")).otherwise(0.0)).alias("direct")
    )
    moves = transitions_df.where(F.col("outcome") == MOVE).select("locale", "source", "target", "probability")
    success = direct.select("locale", F.col("source").alias("state"), F.col("direct").alias("success_probability"))
    for _ in range(iterations):
        through_moves = (
            moves.join(
                success.withColumnRenamed("state", "target"), on=["locale", "target"], how="inner"
            )
            .groupBy("locale", "source")
            .agg(F.sum(F.col("probability") * F.col("success_probability")).alias("via_moves"))
        )
        success = (
            direct.join(through_moves, on=["locale", "source"], how="left")
            .select(
                "locale",
                F.col("source").alias("state"),
                F.least(F.lit(1.0), F.col("direct") + F.coalesce(F.col("via_moves"), F.lit(0.0))).alias(
                    "success_probability"
                ),
            )
            .localCheckpoint()
        )
    return success


def reach_probabilities(transitions_df: DataFrame, hops: int = REACH_HOPS) -> DataFrame:
    """(locale, source, target, reach_probability): summed probability of paths of 1..hops moves."""
    moves = transitions_df.where(
        (F.col("outcome") == MOVE) & (F.col("probability") >= MIN_PATH_PROBABILITY)
    ).select("locale", "source", "target", "probability")
    frontier = moves.select("locale", "source", "target", F.col("probability").alias("path_probability"))
    reached = frontier
    for _ in range(hops - 1):
        frontier = (
            frontier.join(
                moves.select("locale", F.col("source").alias("target"), F.col("target").alias("next"), "probability"),
                on=["locale", "target"],
                how="inner",
            )
            .select(
                "locale", "source", F.col("next").alias("target"),
                (F.col("path_probability") * F.col("probability")).alias("path_probability"),
            )
            .where(F.col("path_probability") >= MIN_PATH_PROBABILITY)
            .groupBy("locale", "source", "target")
            .agg(F.sum("path_probability").alias("path_probability"))
            .localCheckpoint()
        )
        reached = reached.unionByName(frontier)
    return (
        reached.where(F.col("source") != F.col("target"))
        .groupBy("locale", "source", "target")
        .agg(F.least(F.lit(1.0), F.sum("path_probability")).alias("reach_probability"))
        .select("locale", "source", "target", "reach_probability")
    )
