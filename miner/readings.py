"""Negative feedback: the readings of a phrasing that its users reject.

Rewrites and training records need a label, and a label needs a rephrase that worked. For a phrasing whose every
rephrase was misread too (a goal no turn of the day served right, in any words), the logs hold no label. They
still say which reading is wrong: when most users who were served a phrasing read as intent X met friction,
interrupted, cancelled or rephrased it at once, X is not what that phrasing means. A runtime whose NLU ranks its
hypotheses (an n-best list) can then serve the next-best one instead (`nlu.classifier.RerankedReader` does so in
the loop). That is how a locale's failures get their first working reading after a launch, before any label exists.

The rules, applied at each emit to the reading feedback of all days (decayed like all evidence):

* a reading is judged on the turns where the phrasing was said as is (no rewrite served) and read as an intent;
  one vote per user and day, as everywhere;
* a user **rejected** it when the turn met friction (an error, an unhandled request, an interruption or a
  cancel) or when the user rephrased it at once (`is_rejected`). Nothing else counts: a low-confidence success
  the user let stand says nothing about the intent, and neither does a quick next request after a phrasing the
  miner finds misread silently (`miner.candidates.silent_phrasings` judges the words, for all their readings:
  a popular phrasing read right the day after it was read wrong would reject its right reading);
* **rejected**: at least `min_users` users rejected it, and more rejected it than did not (`rejected_readings`),
  the rule that withdraws a failed rewrite;
* **accepted**: a reading of the same phrasing that at least `min_users` users accepted, more of them than
  rejected it (the most accepted one, ties by intent). Once a next-best reading works, the runtime keeps serving
  it: a retrained model that reads the phrasing as yet another intent would otherwise fail its users for a day
  before that reading is rejected too.

What a rejection hides: while a reading is rejected it is not served, so the days add no evidence against it. Its
rejections stay in the decayed state, and the reading stays rejected until they fade below the k-user floor; then
it is served again and judged afresh. A model retrained to read the phrasing right never meets the rejection.

A label of a phrasing whose users reject that very reading is held back from training (`unrejected_labels`):
the rephrases that voted for it say one thing, the users served it another.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from miner.accumulate import summed_per_key
from miner.feedback import served_users
from schemas.feedback import READING_FEEDBACK
from schemas.interactions import FRICTION_STATUSES
from schemas.outputs import REJECTED_READINGS

READING_KEY = ("locale", "text", "intent")
READING_MASSES = ("served_users", "rejected_users")
# A next turn at least this likely to be a rephrase of the turn (`next_probability`) is the user's correction.
REPHRASED_PROBABILITY = 0.5


def is_rejected(status: Column, next_probability: Column) -> Column:
    """A turn that met friction, or that its user rephrased at once."""
    met_friction = F.coalesce(status.isin(*FRICTION_STATUSES), F.lit(False))
    return met_friction | F.coalesce(next_probability >= REPHRASED_PROBABILITY, F.lit(False))


def reading_feedback(outcomes_df: DataFrame) -> DataFrame:
    """Per reading (locale, text, intent) of the turns said as is: users served it and users who rejected it."""
    rejected = is_rejected(F.col("status"), F.col("next_probability"))
    said_as_is = outcomes_df.where(F.col("served_text").isNull() & F.col("intent").isNotNull())
    return served_users(said_as_is, READING_KEY, rejected, "rejected_users").select(*READING_FEEDBACK.column_names)


def merged_reading_feedback(reading_feedback_df: DataFrame) -> DataFrame:
    """Decayed reading feedback of several days (and the state before them), summed per reading."""
    return summed_per_key(reading_feedback_df, READING_FEEDBACK, READING_MASSES)


def rejected_readings(reading_feedback_df: DataFrame, min_users: int) -> DataFrame:
    """The readings at least `min_users` users rejected, more of them than did not, each with the reading of its
    phrasing that users accepted, if any."""
    accepted_users = F.col("served_users") - F.col("rejected_users")
    floor = F.lit(float(min_users))
    accepted = (
        reading_feedback_df.where((accepted_users >= floor) & (accepted_users > F.col("rejected_users")))
        .groupBy("locale", "text")
        .agg(F.min_by("intent", F.struct(-accepted_users, F.col("intent"))).alias("accepted_intent"))
    )
    return (
        reading_feedback_df.where((F.col("rejected_users") >= floor) & (F.col("rejected_users") > accepted_users))
        .withColumn("rejection_rate", (F.col("rejected_users") / F.col("served_users")).cast("float"))
        .join(accepted, on=["locale", "text"], how="left")
        .select(*REJECTED_READINGS.column_names)
    )


def unrejected_labels(labels_df: DataFrame, rejected_df: DataFrame) -> DataFrame:
    """The labels whose intent is not a rejected reading of their own phrasing."""
    rejected = rejected_df.select("locale", F.col("text").alias("source"), "intent")
    return labels_df.join(rejected, on=["locale", "source", "intent"], how="left_anti").select(*labels_df.columns)
