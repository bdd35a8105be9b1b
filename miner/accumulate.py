"""Evidence across days: merge a day's pairs and labels into the running aggregate, with decay.

The state holds additive masses, so merging is a scaled sum: state(today) = decay^n x state(n days ago)
+ the decayed evidence of each day since. Re-mining a day of late logs replaces that day's evidence, and the
next merge counts it once. Users are not additive (one user may be behind a pair on many days): each day's
rows carry an HLL sketch of their users (`miner.sketches`), the merge unions the sketches, and
`support_users` is the distinct users across the days merged (never below the largest one-day count). The
published pairs and labels must reach the k-user floor on that figure.

Sketches do not decay: a row's users are those of every day merged into it, however old, while its masses
fade. Rows are never dropped for age, so a user once behind a row keeps counting towards its floor.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from miner.aggregate import MIN_LABEL_WEIGHT
from miner.defaults import MIN_USERS
from miner.posterior import with_beta_lower_bound
from miner.sketches import distinct_users, union_of_sketches
from miner.variants import one_pair_per_key
from schemas.contract import Contract
from schemas.labels import LABELS
from schemas.pairs import PAIRS
from schemas.state import LABEL_STATE, PAIR_STATE

PAIR_KEY = ("locale", "source", "target", "kind")
LABEL_KEY = ("locale", "source", "intent")
PAIR_MASSES = ("alpha", "beta", "score_mass", "day_mass")
LABEL_MASSES = ("vote_mass", "voter_mass")
PAIR_LATEST = (
    "target_intent", "success_probability", "reach_probability", "mean_rephrase_probability",
    "semantic_similarity", "lexical_similarity",
)
LABEL_LATEST = ("surface", "slots", "goal_head")


def _in_contract(df: DataFrame, contract: Contract) -> DataFrame:
    return df.select(*[F.col(c.name).cast(c.type.spark).alias(c.name) for c in contract.columns])


def pair_state(pairs_df: DataFrame, pair_users_df: DataFrame, day: str) -> DataFrame:
    """One day's pairs as state rows, at full weight, with their users' sketch (`schemas.sketches.PAIR_USERS`;
    null for a pair without one)."""
    sketches = pair_users_df.select(*PAIR_KEY, "users_sketch")
    return (
        pairs_df.join(sketches, on=list(PAIR_KEY), how="left")
        .withColumns({"score_mass": F.col("score"), "day_mass": F.lit(1.0), "last_day": F.lit(day)})
        .transform(_in_contract, PAIR_STATE)
    )


def label_state(labels_df: DataFrame, label_users_df: DataFrame, day: str) -> DataFrame:
    """One day's labels as state rows, at full weight, with the sketch of the users their phrasing failed for
    (`schemas.sketches.LABEL_USERS`; null for a label without one)."""
    sketches = label_users_df.select("locale", "source", "users_sketch")
    return labels_df.join(sketches, on=["locale", "source"], how="left").withColumns(
        {
            "vote_mass": F.col("weight").cast("double") * F.col("voters"),
            "voter_mass": F.col("voters").cast("double"),
            "last_day": F.lit(day),
        }
    ).transform(_in_contract, LABEL_STATE)


def decayed(state_df: DataFrame, factor: float, masses: tuple[str, ...]) -> DataFrame:
    """The state with every mass multiplied by `factor` (decay ** age in days)."""
    return state_df.withColumns({mass: F.col(mass) * F.lit(float(factor)) for mass in masses})


def summed_per_key(df: DataFrame, contract: Contract, masses: tuple[str, ...]) -> DataFrame:
    """Decayed rows of several days (and the state before them) summed per key: every other column of `contract`."""
    keys = [name for name in contract.column_names if name not in masses]
    return df.groupBy(*keys).agg(*(F.sum(mass).alias(mass) for mass in masses)).select(*contract.column_names)


def _latest(column: str) -> F.Column:
    # Days are distinct within a key, so the latest day's value is unique.
    return F.max_by(column, "last_day").alias(column)


def merged_pair_state(states_df: DataFrame) -> DataFrame:
    """Union of decayed states and days, summed per pair."""
    return (
        states_df.groupBy(*PAIR_KEY)
        .agg(
            *[F.sum(mass).alias(mass) for mass in PAIR_MASSES],
            F.max("support_users").alias("largest_count"),
            union_of_sketches(F.col("users_sketch")).alias("users_sketch"),
            F.sum("support_sessions").alias("support_sessions"),
            *[_latest(column) for column in PAIR_LATEST],
            F.max("last_day").alias("last_day"),
        )
        .withColumn("support_users", distinct_users(F.col("largest_count"), F.col("users_sketch")))
        .transform(_in_contract, PAIR_STATE)
    )


def merged_label_state(states_df: DataFrame) -> DataFrame:
    """Union of decayed states and days, summed per (phrasing, intent)."""
    return (
        states_df.groupBy(*LABEL_KEY)
        .agg(
            *[F.sum(mass).alias(mass) for mass in LABEL_MASSES],
            F.max("support_users").alias("largest_count"),
            union_of_sketches(F.col("users_sketch")).alias("users_sketch"),
            F.max("voters").alias("voters"),
            *[_latest(column) for column in LABEL_LATEST],
            F.max("last_day").alias("last_day"),
        )
        .withColumn("support_users", distinct_users(F.col("largest_count"), F.col("users_sketch")))
        .transform(_in_contract, LABEL_STATE)
    )


def labels_from_state(
    label_state_df: DataFrame, min_users: int = MIN_USERS, min_weight: float = MIN_LABEL_WEIGHT
) -> DataFrame:
    """One label per phrasing: the intent with the most decayed votes, weighted by its share of all voters.

    When days disagree on a phrasing's intent, the share falls, and below `min_weight` the label is dropped; so
    is one whose phrasing failed for fewer than `min_users` distinct users across the days of that label.
    """
    by_votes = Window.partitionBy("locale", "source").orderBy(F.col("vote_mass").desc(), F.col("intent").asc())
    return (
        label_state_df.withColumns(
            {
                "rank": F.row_number().over(by_votes.rowsBetween(Window.unboundedPreceding, Window.currentRow)),
                "all_voters": F.sum("voter_mass").over(
                    by_votes.rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)
                ),
            }
        )
        .where(F.col("rank") == 1)
        .withColumn("weight", F.col("vote_mass") / F.col("all_voters"))
        .where((F.col("weight") >= min_weight) & (F.col("support_users") >= min_users))
        .transform(_in_contract, LABELS)
    )


def pairs_from_state(pair_state_df: DataFrame, labels_df: DataFrame, min_users: int = MIN_USERS) -> DataFrame:
    """Pairs with weights from all days' evidence and at least `min_users` distinct users across the days; a
    rephrase must still agree with its source's label.

    A pair can be a rephrase on one day and a variant on another: as within a day, the rephrase stays (once
    it agrees with the label), so (locale, source, target) stays unique.
    """
    label_intents = labels_df.select("locale", "source", F.col("intent").alias("label_intent"))
    agrees = (F.col("kind") != "rephrase") | F.col("target_intent").eqNullSafe(F.col("label_intent"))
    return (
        pair_state_df.join(label_intents, on=["locale", "source"], how="left")
        .where(agrees & (F.col("support_users") >= min_users))
        .withColumn("score", F.col("score_mass") / F.col("day_mass"))
        .transform(with_beta_lower_bound, "alpha", "beta", "weight")
        .transform(_in_contract, PAIRS)
        .transform(one_pair_per_key)
    )
