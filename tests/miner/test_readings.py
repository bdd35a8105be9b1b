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


def test_a_user_rejects_a_reading_by_meeting_friction_or_rephrasing_it_at_once(spark):
    rows = [
        ("interrupted", None, True),
        ("cancelled", 0.1, True),
        ("error", None, True),
        ("unhandled", None, True),
        ("success", 0.8, True),  # rephrased at once
        ("success", 0.5, True),  # the edge: as likely a rephrase as not
        ("success", 0.2, False),  # another request: a silent-phrasing flag on the words is no rejection
        ("success", None, False),  # nothing after it (a low confidence the user let stand, say)
        (None, None, False),  # no status: no evidence
    ]
    df = spark.createDataFrame([r[:2] for r in rows], "status string, next_probability double")
    got = df.select(is_rejected(F.col("status"), F.col("next_probability")).alias("rejected")).collect()
    assert [r["rejected"] for r in got] == [r[2] for r in rows]


def test_reading_feedback_counts_each_user_once_per_reading_said_as_is(spark):
    outcomes = spark.createDataFrame(
        [
            outcome("a", "e1", DELETE, "alarm_set", "cancelled"),  # a rejects, then lets it stand: rejected
            outcome("a", "e2", DELETE, "alarm_set", "success"),
            outcome("b", "e3", DELETE, "alarm_set", "interrupted"),
            outcome("c", "e4", DELETE, "alarm_set", "success", confidence=0.3),  # unsure, let stand
            outcome("c", "e8", DELETE, "alarm_set", "success", defective=True, next_probability=0.1),  # no rephrase
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
    got = [(r["text"], r["intent"], r["rejected_users"], round(r["rejection_rate"], 3), r["accepted_intent"])
           for r in rejected.collect()]
    assert got == [(DELETE, "alarm_set", 3.9, round(3.9 / 4.9, 3), None)]
    assert sorted(r["intent"] for r in rejected_readings(merged, min_users=2).collect()) == ["alarm_set", "alarm_set"]


def test_a_rejected_reading_carries_the_reading_most_users_of_its_phrasing_accepted(spark):
    feedback = spark.createDataFrame(
        [
            ("en-US", DELETE, "alarm_set", 40.0, 40.0),  # rejected
            ("en-US", DELETE, "calendar_remove", 9.0, 9.0),  # rejected too
            ("en-US", DELETE, "alarm_remove", 30.0, 1.0),  # accepted by 29
            ("en-US", DELETE, "alarm_query", 12.0, 2.0),  # accepted by 10: fewer
            ("en-US", WAKE, "alarm_query", 5.0, 5.0),  # rejected
            ("en-US", WAKE, "alarm_set", 2.0, 0.0),  # accepted, but by fewer than 3 users
            ("en-US", WAKE, "alarm_remove", 7.0, 4.0),  # more rejected it than accepted it
            ("de-DE", DELETE, "alarm_remove", 50.0, 0.0),  # another locale's phrasing
        ],
        READING_FEEDBACK.spark_schema,
    )
    got = sorted((r["text"], r["intent"], r["accepted_intent"]) for r in rejected_readings(feedback, 3).collect())
    assert got == [
        (DELETE, "alarm_set", "alarm_remove"), (DELETE, "calendar_remove", "alarm_remove"),
        (WAKE, "alarm_query", None), (WAKE, "alarm_remove", None),
    ]


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
        [("en-US", DELETE, "alarm_set", 5.0, 4.0, 0.8, None), ("en-US", DELETE, "alarm_query", 3.0, 3.0, 1.0, None),
         ("en-US", "wake me", "alarm_set", 3.0, 3.0, 1.0, None)],
        REJECTED_READINGS.spark_schema,
    )
    got = unrejected_labels(labels, rejected)
    assert got.columns == labels.columns
    assert sorted((r["locale"], r["source"]) for r in got.collect()) == [("de-DE", DELETE), ("en-US", WAKE)]
