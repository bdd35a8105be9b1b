"""Negative feedback on hand-written rows: the readings users reject, and the rule that rejects a reading."""

from pyspark.sql import functions as F

from miner.readings import (
    is_rejected,
    merged_reading_feedback,
    reading_feedback,
    rejected_readings,
    unrejected_labels,
)
from schemas.feedback import READING_FEEDBACK
from schemas.labels import LABELS
from schemas.outcomes import OUTCOMES
from schemas.outputs import REJECTED_READINGS

DELETE, WAKE = "delete the alarm", "wake me at seven"


def outcome(user, event, text, intent, status, confidence=0.9, defective=None, next_probability=None, served=None):
    """A turn; defective as the miner marks it (friction or low confidence) unless given."""
    if defective is None:
        defective = status != "success" or confidence < 0.5
    return ("en-US", user, f"s-{user}", event, text, text, intent, None, confidence, status, defective, served,
            None if next_probability is None else "another text", next_probability)


def test_a_user_rejects_a_reading_by_reacting_to_it_not_by_a_low_confidence_the_user_let_stand(spark):
    rows = [
        ("interrupted", 0.7, True, None, True),
        ("error", 0.2, True, None, True),  # friction: the user met it
        ("success", 0.9, True, 0.1, True),  # a silent failure the miner found
        ("success", 0.3, True, None, False),  # unsure, but the user let it stand
        ("success", 0.3, True, 0.8, True),  # unsure, and rephrased at once
        ("success", 0.3, True, 0.2, False),  # unsure, then another request
        ("success", 0.9, False, 0.9, False),  # not defective: a rephrase after a success is a new request
        ("success", None, True, None, True),  # no confidence logged: defective means the user reacted
    ]
    df = spark.createDataFrame(
        [r[:4] for r in rows], "status string, nlu_confidence float, is_defective boolean, next_probability double"
    )
    got = df.select(
        is_rejected(F.col("status"), F.col("nlu_confidence"), F.col("is_defective"), F.col("next_probability"))
    ).collect()
    assert [r[0] for r in got] == [r[4] for r in rows]


def test_reading_feedback_counts_each_user_once_per_reading_said_as_is(spark):
    outcomes = spark.createDataFrame(
        [
            outcome("a", "e1", DELETE, "alarm_set", "cancelled"),  # a rejects, then lets it stand: rejected
            outcome("a", "e2", DELETE, "alarm_set", "success"),
            outcome("b", "e3", DELETE, "alarm_set", "interrupted"),
            outcome("c", "e4", DELETE, "alarm_set", "success", confidence=0.3),  # unsure, let stand
            outcome("d", "e5", DELETE, "alarm_remove", "success"),  # another reading of the same words
            outcome("e", "e6", DELETE, None, "unhandled"),  # no reading: nothing to reject
            outcome("f", "e7", DELETE, "alarm_set", "error", served=WAKE),  # rewritten: the rewrite's evidence
        ],
        OUTCOMES.spark_schema,
    )
    got = sorted(tuple(r) for r in outcomes.transform(reading_feedback).collect())
    assert got == [("en-US", DELETE, "alarm_remove", 1.0, 0.0), ("en-US", DELETE, "alarm_set", 3.0, 2.0)]
    assert reading_feedback(outcomes.limit(0)).columns == list(READING_FEEDBACK.column_names)


def test_days_merge_per_reading_and_most_users_must_reject_it(spark):
    days = spark.createDataFrame(
        [
            ("en-US", DELETE, "alarm_set", 4.0, 3.0),
            ("en-US", DELETE, "alarm_set", 0.9, 0.9),  # yesterday's, decayed
            ("en-US", WAKE, "alarm_query", 6.0, 3.0),  # half: not most
            ("en-US", WAKE, "alarm_set", 10.0, 2.0),
            ("de-DE", "lösche den wecker", "alarm_set", 2.5, 2.5),  # all, but fewer than 3 users
            ("de-DE", "lösche den wecker", "alarm_set", 0.4, 0.4),
        ],
        READING_FEEDBACK.spark_schema,
    )
    merged = merged_reading_feedback(days)
    assert sorted(tuple(r) for r in merged.collect()) == [
        ("de-DE", "lösche den wecker", "alarm_set", 2.9, 2.9),
        ("en-US", DELETE, "alarm_set", 4.9, 3.9),
        ("en-US", WAKE, "alarm_query", 6.0, 3.0),
        ("en-US", WAKE, "alarm_set", 10.0, 2.0),
    ]
    rejected = rejected_readings(merged, min_users=3)
    assert rejected.columns == list(REJECTED_READINGS.column_names)
    got = [(r["text"], r["intent"], r["rejected_users"], round(r["rejection_rate"], 3)) for r in rejected.collect()]
    assert got == [(DELETE, "alarm_set", 3.9, round(3.9 / 4.9, 3))]
    assert sorted(r["intent"] for r in rejected_readings(merged, min_users=2).collect()) == ["alarm_set", "alarm_set"]


def test_a_label_whose_intent_users_reject_for_its_own_phrasing_is_held_back(spark):
    labels = spark.createDataFrame(
        [
            ("en-US", DELETE, "alarm_set", 0.6, 5, 5, DELETE, None, None),  # users reject alarm_set for it
            ("en-US", WAKE, "alarm_set", 0.7, 4, 4, WAKE, None, None),  # another phrasing's rejection
            ("de-DE", DELETE, "alarm_set", 0.7, 4, 4, DELETE, None, None),  # another locale
        ],
        LABELS.spark_schema,
    )
    rejected = spark.createDataFrame(
        [("en-US", DELETE, "alarm_set", 5.0, 4.0, 0.8), ("en-US", DELETE, "alarm_query", 3.0, 3.0, 1.0),
         ("en-US", "wake me", "alarm_set", 3.0, 3.0, 1.0)],
        REJECTED_READINGS.spark_schema,
    )
    got = unrejected_labels(labels, rejected)
    assert got.columns == labels.columns
    assert sorted((r["locale"], r["source"]) for r in got.collect()) == [("de-DE", DELETE), ("en-US", WAKE)]
