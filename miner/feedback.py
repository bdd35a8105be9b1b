"""Self-aware feedback: what the served rewrites did, and which of them to keep, demote or withdraw.

A runtime rewriter logs the text it sent to the NLU (`rewritten_utterance`). A rewritten turn is evidence
about the rewrite (source, target), not about how the NLU reads the source: it worked when the turn was not
defective, and failed when the user met friction, or interrupted, cancelled or rephrased it at once
(`is_defective` of `miner.aggregate.turn_outcomes`). One vote per user and day, as everywhere.

The rules, applied at each emit to the feedback of all days (decayed like all evidence):

* a rewrite served to fewer than `min_users` users keeps its mined weight: no decision rests on fewer users
  than the k-anonymity floor;
* **withdrawn, `failed`**: at least `min_users` users failed with it, and more failed than succeeded. The
  (source, target) stays out while those failures outweigh later successes; the source may get its next best
  target;
* otherwise its **live weight** is the mined weight updated by the outcomes, as a Beta mean in which the mined
  weight counts as `MINED_WEIGHT_USERS` served users: a rewrite that keeps working gains weight, one that
  fails loses it, and below `MIN_REWRITE_WEIGHT` it is **withdrawn, `demoted`**.

A failed rewrite also casts doubt on the label it served: when most users failed with a target of the label's
intent, the label is as wrong as the rewrite, and its training record is held back (`trusted_labels`) while the
failures last.

What a served rewrite hides: while it is served, its source no longer fails, so the days add no new evidence
for it. Nothing is lost: the pair and label states keep the evidence that created it (decay scales their
masses, not the ratios that weights are made of), and the served outcomes now confirm it instead.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from miner.accumulate import summed_per_key
from miner.aggregate import MIN_REWRITE_WEIGHT, best_rewrites
from miner.text import normalized_utterances
from schemas.feedback import FEEDBACK
from schemas.outputs import REWRITES, WITHDRAWN_REWRITES

REWRITE_KEY = ("locale", "source", "target")
FEEDBACK_MASSES = ("served_users", "failed_users")
# The mined weight weighs as much as this many served users' outcomes: a few failures do not undo a rewrite
# that many users confirmed, and a few successes do not crown a weak one.
MINED_WEIGHT_USERS = 5.0


def served_texts(turns_df: DataFrame) -> DataFrame:
    """(rewritten_utterance, served_text): each distinct rewrite that was served, normalized once.

    The served texts are few (targets of the rewrite table): small enough to keep and to broadcast.
    """
    return normalized_utterances(
        turns_df.where(F.col("rewritten_utterance").isNotNull())
        .select(F.col("rewritten_utterance").alias("utterance"))
        .distinct()
    ).select(F.col("utterance").alias("rewritten_utterance"), F.col("text").alias("served_text"))


def with_served_text(turns_df: DataFrame, served_df: DataFrame) -> DataFrame:
    """Attach `served_text` from `served_texts`: the normalized `rewritten_utterance` (null when none was served)."""
    return turns_df.join(F.broadcast(served_df), on="rewritten_utterance", how="left")


def served_users(turns_df: DataFrame, keys: tuple[str, ...], failed: Column, failed_users: str) -> DataFrame:
    """Per key, one vote per user: `served_users`, and `failed_users` (named so), those with a turn `failed`."""
    per_user = turns_df.groupBy(*keys, "user_key").agg(F.max(failed).alias("failed"))
    return per_user.groupBy(*keys).agg(
        F.count(F.lit(1)).cast("double").alias("served_users"),
        F.count_if("failed").cast("double").alias(failed_users),
    )


def rewrite_feedback(outcomes_df: DataFrame) -> DataFrame:
    """Per served (source, target): the users it was served to and the users it failed for, one vote each."""
    served_df = outcomes_df.where(F.col("served_text").isNotNull()).withColumnsRenamed(
        {"text": "source", "served_text": "target"}
    )
    return served_users(served_df, REWRITE_KEY, F.col("is_defective"), "failed_users").select(*FEEDBACK.column_names)


def merged_feedback(feedback_df: DataFrame) -> DataFrame:
    """Decayed feedback of several days (and the state before them), summed per rewrite."""
    return summed_per_key(feedback_df, FEEDBACK, FEEDBACK_MASSES)


def _succeeded() -> F.Column:
    return F.col("served_users") - F.col("failed_users")


def _success_rate() -> F.Column:
    return (_succeeded() / F.col("served_users")).cast("float")


def failed_rewrites(feedback_df: DataFrame, min_users: int) -> DataFrame:
    """(locale, source, target, served_users, failed_users): rewrites most of whose served users failed."""
    return feedback_df.where(
        (F.col("failed_users") >= F.lit(float(min_users))) & (F.col("failed_users") > _succeeded())
    ).select(*FEEDBACK.column_names)


def _judged_rewrites(pairs_df: DataFrame, labels_df: DataFrame, feedback_df: DataFrame, min_users: int) -> DataFrame:
    """The best rewrite of each labelled phrasing among those not failed, with its live weight."""
    failed = failed_rewrites(feedback_df, min_users).select(*REWRITE_KEY)
    judged = F.col("served_users") >= F.lit(float(min_users))
    live_weight = (F.col("weight") * MINED_WEIGHT_USERS + _succeeded()) / (MINED_WEIGHT_USERS + F.col("served_users"))
    return (
        best_rewrites(pairs_df.join(failed, on=list(REWRITE_KEY), how="left_anti"), labels_df)
        .join(failed, on=list(REWRITE_KEY), how="left_anti")  # a goal head standing in may have failed too
        .join(feedback_df, on=list(REWRITE_KEY), how="left")
        .withColumns(
            {
                "served_users": F.coalesce(F.col("served_users"), F.lit(0.0)),
                "failed_users": F.coalesce(F.col("failed_users"), F.lit(0.0)),
            }
        )
        .withColumns(
            {
                "weight": F.when(judged, live_weight).otherwise(F.col("weight")).cast("float"),
                "live_success_rate": F.when(judged, _success_rate()),
            }
        )
    )


def live_rewrites(pairs_df: DataFrame, labels_df: DataFrame, feedback_df: DataFrame, min_users: int) -> DataFrame:
    """The rewrite table: each labelled phrasing's best rewrite that its live outcomes have not withdrawn."""
    return (
        _judged_rewrites(pairs_df, labels_df, feedback_df, min_users)
        .where(F.col("weight") >= MIN_REWRITE_WEIGHT)
        .select(*REWRITES.column_names)
    )


def withdrawn_rewrites(
    pairs_df: DataFrame, labels_df: DataFrame, feedback_df: DataFrame, min_users: int
) -> DataFrame:
    """The rewrites their live outcomes took out of the table, with the reason (`failed` or `demoted`)."""
    target_intents = pairs_df.groupBy(*REWRITE_KEY).agg(F.max("target_intent").alias("target_intent"))
    failed = (
        failed_rewrites(feedback_df, min_users)
        .join(target_intents, on=list(REWRITE_KEY), how="left")
        .withColumns({"live_success_rate": _success_rate(), "reason": F.lit("failed")})
    )
    demoted = (
        _judged_rewrites(pairs_df, labels_df, feedback_df, min_users)
        .where(F.col("weight") < MIN_REWRITE_WEIGHT)
        .withColumn("reason", F.lit("demoted"))
    )
    return failed.select(*WITHDRAWN_REWRITES.column_names).unionByName(
        demoted.select(*WITHDRAWN_REWRITES.column_names)
    )


def trusted_labels(labels_df: DataFrame, withdrawn_df: DataFrame) -> DataFrame:
    """The labels no failed rewrite contradicts: a label whose phrasing was rewritten to a target of the label's
    own intent and failed for most users is held back from training. A failed target of unknown intent (a goal
    head standing in, or no longer mined) counts as the label's: goal heads carry it."""
    failed = withdrawn_df.where(F.col("reason") == "failed").select("locale", "source", "target_intent")
    contradicted = (
        labels_df.select("locale", "source", "intent")
        .join(failed, on=["locale", "source"], how="inner")
        .where(F.col("target_intent").isNull() | (F.col("target_intent") == F.col("intent")))
        .select("locale", "source", "intent")
        .distinct()
    )
    return labels_df.join(contradicted, on=["locale", "source", "intent"], how="left_anti").select(*labels_df.columns)
