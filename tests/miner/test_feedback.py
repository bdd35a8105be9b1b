"""Self-aware feedback on hand-written rows: served turns into per-rewrite outcomes, and the rules that keep,
demote and withdraw a rewrite."""

import pytest
from pyspark.sql import Row
from pyspark.sql import types as T

from miner.feedback import (
    MINED_WEIGHT_USERS,
    failed_rewrites,
    live_rewrites,
    merged_feedback,
    rewrite_feedback,
    served_texts,
    trusted_labels,
    with_served_text,
    withdrawn_rewrites,
)
from schemas.feedback import FEEDBACK
from schemas.labels import LABELS
from schemas.outcomes import OUTCOMES
from schemas.outputs import WITHDRAWN_REWRITES
from schemas.pairs import PAIRS

WAKE, ALARM = "wake me at seven", "set an alarm for seven"
PLAY, JAZZ, NEWS = "put on jazz", "play jazz", "play the news"
SLOTS = [Row(name="time", value="seven")]


def outcome(user, event, text, defective, served=None):
    return ("en-US", user, f"s-{user}", event, text, text, "alarm_set", None, 0.9,
            "error" if defective else "success", defective, served, None, None)


def feedback_row(source, target, served, failed, locale="en-US"):
    return (locale, source, target, float(served), float(failed))


def pair(source, target, weight, intent="alarm_set"):
    return ("en-US", source, target, "rephrase", weight, 4, 4, intent, 0.9, 0.8, 0.5, 3.0, 1.0, 0.9, 0.7, 0.6)


def label(source, intent, weight=0.6, goal_head=None):
    return ("en-US", source, intent, weight, 5, 5, source, SLOTS, goal_head)


def test_served_text_is_the_normalized_rewrite_and_null_when_none_was_served(spark):
    schema = "event_id string, rewritten_utterance string"
    turns = spark.createDataFrame([("e1", "Set an Alarm for seven!"), ("e2", None), ("e3", "set an alarm for seven")],
                                  schema)
    with_served = turns.transform(with_served_text, turns.transform(served_texts))
    got = sorted(tuple(r) for r in with_served.select("event_id", "served_text").collect())
    assert got == [("e1", ALARM), ("e2", None), ("e3", ALARM)]


def test_feedback_counts_each_served_user_once_and_ignores_unserved_turns(spark):
    outcomes = spark.createDataFrame(
        [
            outcome("a", "e1", WAKE, True, served=ALARM),  # a fails once, then succeeds: a failed user
            outcome("a", "e2", WAKE, False, served=ALARM),
            outcome("b", "e3", WAKE, False, served=ALARM),
            outcome("b", "e4", WAKE, False, served=ALARM),  # b twice: one user
            outcome("c", "e5", WAKE, True),  # not served: the phrasing's own evidence, not the rewrite's
            outcome("d", "e6", PLAY, True, served=NEWS),
        ],
        OUTCOMES.spark_schema,
    )
    got = sorted(tuple(r) for r in outcomes.transform(rewrite_feedback).collect())
    assert got == [("en-US", PLAY, NEWS, 1.0, 1.0), ("en-US", WAKE, ALARM, 2.0, 1.0)]
    assert rewrite_feedback(outcomes.limit(0)).count() == 0


def test_merged_feedback_sums_the_decayed_days(spark):
    days = spark.createDataFrame(
        [feedback_row(WAKE, ALARM, 4, 1), feedback_row(WAKE, ALARM, 2.5, 0.5), feedback_row(PLAY, JAZZ, 3, 0)],
        FEEDBACK.spark_schema,
    )
    got = sorted(tuple(r) for r in merged_feedback(days).collect())
    assert got == [("en-US", PLAY, JAZZ, 3.0, 0.0), ("en-US", WAKE, ALARM, 6.5, 1.5)]


@pytest.mark.parametrize(
    "served, failed, withdrawn",
    [
        (3, 3, True),  # every one of k users failed
        (5, 3, True),  # 3 failed, 2 succeeded
        (6, 3, False),  # as many succeeded as failed: not (yet) a failure
        (2, 2, False),  # below the k-user floor: no decision rests on 2 users
        (10, 0, False),
    ],
)
def test_a_rewrite_fails_when_k_users_failed_and_more_failed_than_succeeded(spark, served, failed, withdrawn):
    feedback = spark.createDataFrame([feedback_row(WAKE, ALARM, served, failed)], FEEDBACK.spark_schema)
    assert (failed_rewrites(feedback, min_users=3).count() == 1) is withdrawn


def judged(spark, pairs, labels, feedback, min_users=3):
    pairs_df = spark.createDataFrame(pairs, PAIRS.spark_schema)
    labels_df = spark.createDataFrame(labels, LABELS.spark_schema)
    feedback_df = spark.createDataFrame(feedback, FEEDBACK.spark_schema)
    rewrites = sorted(tuple(r) for r in live_rewrites(pairs_df, labels_df, feedback_df, min_users).collect())
    withdrawn = sorted(tuple(r) for r in withdrawn_rewrites(pairs_df, labels_df, feedback_df, min_users).collect())
    return rewrites, withdrawn


def test_live_weight_rises_with_success_falls_with_failure_and_ignores_too_few_users(spark):
    pairs = [pair(WAKE, ALARM, 0.6), pair(PLAY, JAZZ, 0.5, "play_music"), pair("put jazz on", JAZZ, 0.3, "play_music")]
    labels = [label(WAKE, "alarm_set"), label(PLAY, "play_music"), label("put jazz on", "play_music")]
    feedback = [
        feedback_row(WAKE, ALARM, 15, 0),  # worked for all 15: (0.6 x 5 + 15) / 20
        feedback_row(PLAY, JAZZ, 2, 2),  # 2 users: below the floor, the mined weight stands
        # decayed masses: fewer than 3 failed, so not `failed`, but (0.3 x 5 + 1.1) / 9 is below 0.3: demoted
        feedback_row("put jazz on", JAZZ, 4, 2.9),
    ]
    rewrites, withdrawn = judged(spark, pairs, labels, feedback)
    assert MINED_WEIGHT_USERS == 5.0
    assert rewrites == [
        ("en-US", PLAY, JAZZ, pytest.approx(0.5), "play_music", 4, 2.0, None),
        ("en-US", WAKE, ALARM, pytest.approx(0.9), "alarm_set", 4, 15.0, 1.0),
    ]
    assert withdrawn == [
        ("en-US", "put jazz on", JAZZ, "play_music", 4.0, 2.9, pytest.approx(0.275), "demoted"),
    ]


def test_a_failed_rewrite_is_withdrawn_and_its_source_falls_back_to_the_next_target(spark):
    pairs = [pair(WAKE, ALARM, 0.6), pair(WAKE, "alarm at seven", 0.5)]
    feedback = [feedback_row(WAKE, ALARM, 4, 4), feedback_row("never a rewrite", ALARM, 5, 0)]
    rewrites, withdrawn = judged(spark, pairs, [label(WAKE, "alarm_set")], feedback)
    assert rewrites == [("en-US", WAKE, "alarm at seven", pytest.approx(0.5), "alarm_set", 4, 0.0, None)]
    assert withdrawn == [("en-US", WAKE, ALARM, "alarm_set", 4.0, 4.0, 0.0, "failed")]


def test_without_any_feedback_the_table_is_the_mined_one(spark):
    empty = spark.createDataFrame([], T.StructType(FEEDBACK.spark_schema.fields))
    pairs_df = spark.createDataFrame([pair(WAKE, ALARM, 0.6)], PAIRS.spark_schema)
    labels_df = spark.createDataFrame([label(WAKE, "alarm_set")], LABELS.spark_schema)
    assert [tuple(r) for r in live_rewrites(pairs_df, labels_df, empty, 3).collect()] == [
        ("en-US", WAKE, ALARM, pytest.approx(0.6), "alarm_set", 4, 0.0, None)
    ]
    assert withdrawn_rewrites(pairs_df, labels_df, empty, 3).count() == 0


def test_a_label_whose_rewrite_of_its_own_intent_failed_is_held_back_from_training(spark):
    labels = spark.createDataFrame(
        [label(WAKE, "alarm_set"), label(PLAY, "play_music"), label("jazz please", "play_music"), label(NEWS, "news")],
        LABELS.spark_schema,
    )
    withdrawn = spark.createDataFrame(
        [
            ("en-US", WAKE, ALARM, "alarm_set", 5.0, 5.0, 0.0, "failed"),  # the label's intent failed: held back
            ("en-US", PLAY, JAZZ, "play_radio", 4.0, 4.0, 0.0, "failed"),  # another intent failed: label stands
            ("en-US", "jazz please", JAZZ, None, 3.0, 3.0, 0.0, "failed"),  # a goal head (the label's intent)
            ("en-US", NEWS, "the news", "news", 9.0, 4.0, 0.55, "demoted"),  # demoted, not failed: label stands
        ],
        WITHDRAWN_REWRITES.spark_schema,
    )
    kept = sorted((r["source"], r["intent"]) for r in trusted_labels(labels, withdrawn).collect())
    assert kept == [(NEWS, "news"), (PLAY, "play_music")]
