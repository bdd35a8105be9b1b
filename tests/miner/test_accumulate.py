"""Merging days into the running aggregate: decayed masses, latest descriptions, conservative counts."""

import pytest
from pyspark.sql import Row

from miner.accumulate import (
    LABEL_MASSES,
    PAIR_MASSES,
    decayed,
    label_state,
    labels_from_state,
    merged_label_state,
    merged_pair_state,
    pair_state,
    pairs_from_state,
)
from miner.posterior import beta_lower_bound
from schemas.labels import LABELS
from schemas.pairs import PAIRS

WAKE, ALARM, JAZZ = "wake me at seven", "set an alarm for seven", "play jazz"


def pair(source, target, alpha, beta, users, sessions, score, kind="rephrase", intent="alarm_set", semantic=0.8):
    weight = float(beta_lower_bound([alpha], [beta])[0])
    return ("en-US", source, target, kind, weight, users, sessions, intent, 0.9, 0.5, score, alpha, beta, 0.7,
            semantic, 0.6)


def label(source, intent, weight, users, voters, surface="Wake me at seven", goal_head=None):
    return ("en-US", source, intent, weight, users, voters, surface, [Row(name="time", value="seven")], goal_head)


def merged(spark, days):
    """days: [(day, pairs rows, labels rows, factor)] merged as the accumulate job does."""
    pair_frames, label_frames = [], []
    for day, pairs, labels, factor in days:
        pairs_df = spark.createDataFrame(pairs, PAIRS.spark_schema)
        labels_df = spark.createDataFrame(labels, LABELS.spark_schema)
        pair_frames.append(decayed(pair_state(pairs_df, day), factor, PAIR_MASSES))
        label_frames.append(decayed(label_state(labels_df, day), factor, LABEL_MASSES))
    union = lambda frames: frames[0].unionByName(frames[1]) if len(frames) == 2 else frames[0]  # noqa: E731
    return merged_pair_state(union(pair_frames)), merged_label_state(union(label_frames))


def test_two_days_sum_with_decay_and_keep_the_latest_description(spark):
    yesterday = [
        pair(WAKE, ALARM, 3.0, 1.0, 4, 4, 0.5, semantic=0.7),
        pair(JAZZ, "jazz please", 2.0, 0.0, 3, 3, 0.4, kind="variant", intent=None),
    ]
    today = [pair(WAKE, ALARM, 2.0, 0.0, 3, 2, 0.9, semantic=0.9)]
    pair_state_df, _ = merged(spark, [("2026-11-29", yesterday, [], 0.5), ("2026-11-30", today, [], 1.0)])

    rows = {(r["source"], r["kind"]): r.asDict() for r in pair_state_df.collect()}
    assert rows[(WAKE, "rephrase")] == {
        "locale": "en-US", "source": WAKE, "target": ALARM, "kind": "rephrase",
        "alpha": 0.5 * 3.0 + 2.0, "beta": 0.5 * 1.0, "score_mass": pytest.approx(0.5 * 0.5 + 0.9), "day_mass": 1.5,
        "support_users": 4,  # the most users on one day: a lower bound on the users of both days
        "support_sessions": 6, "last_day": "2026-11-30", "target_intent": "alarm_set",
        "success_probability": pytest.approx(0.9), "reach_probability": pytest.approx(0.5),
        "mean_rephrase_probability": pytest.approx(0.7),
        "semantic_similarity": pytest.approx(0.9),  # today's, not yesterday's 0.7
        "lexical_similarity": pytest.approx(0.6),
    }
    # a pair seen only yesterday keeps yesterday's evidence, decayed, and its null intent
    assert (rows[(JAZZ, "variant")]["alpha"], rows[(JAZZ, "variant")]["target_intent"]) == (1.0, None)


def test_pairs_from_state_reweigh_and_drop_rephrases_that_disagree_with_the_label(spark):
    pairs = [
        pair(WAKE, ALARM, 4.0, 1.0, 5, 5, 0.6),
        pair(WAKE, JAZZ, 3.0, 0.0, 3, 3, 0.3, intent="play_music"),  # disagrees with the label alarm_set
        pair(JAZZ, "jazz please", 2.0, 0.0, 3, 3, 0.4, kind="variant", intent=None),  # variants need no label
    ]
    labels = [label(WAKE, "alarm_set", 0.6, 5, 4)]
    pair_state_df, label_state_df = merged(spark, [("2026-11-30", pairs, labels, 0.9)])
    labels_df = labels_from_state(label_state_df)
    result = sorted(pairs_from_state(pair_state_df, labels_df).collect(), key=lambda r: r["source"])

    assert [(r["source"], r["target"], r["kind"]) for r in result] == [
        (JAZZ, "jazz please", "variant"), (WAKE, ALARM, "rephrase"),
    ]
    wake = result[1]
    assert wake["alpha"] == pytest.approx(3.6) and wake["beta"] == pytest.approx(0.9)
    assert wake["weight"] == pytest.approx(float(beta_lower_bound([3.6], [0.9])[0]))
    assert wake["score"] == pytest.approx(0.6)  # a mean over days: decay does not shrink it
    assert list(result[0].asDict()) == list(PAIRS.column_names)


def test_a_pair_that_was_a_rephrase_one_day_and_a_variant_another_is_one_pair(spark):
    yesterday = [pair(WAKE, ALARM, 3.0, 1.0, 4, 4, 0.5), pair(WAKE, JAZZ, 2.0, 0.0, 3, 3, 0.3, intent="play_music")]
    today = [
        pair(WAKE, ALARM, 9.0, 0.0, 9, 9, 0.9, kind="variant"),  # more weight, but the rephrase stays
        pair(WAKE, JAZZ, 3.0, 0.0, 3, 3, 0.4, kind="variant", intent=None),  # its rephrase disagrees: dropped
        pair(JAZZ, ALARM, 2.0, 0.0, 3, 3, 0.4, kind="variant", intent=None),
    ]
    labels = [label(WAKE, "alarm_set", 0.8, 5, 5)]
    pair_state_df, label_state_df = merged(spark, [("2026-11-29", yesterday, labels, 0.5), ("2026-11-30", today, [], 1.0)])
    result = pairs_from_state(pair_state_df, labels_from_state(label_state_df)).collect()

    assert sorted((r["source"], r["target"], r["kind"], r["alpha"]) for r in result) == [
        (JAZZ, ALARM, "variant", 2.0), (WAKE, JAZZ, "variant", 3.0), (WAKE, ALARM, "rephrase", 1.5),
    ]


def test_labels_that_days_disagree_on_lose_weight_and_fall_below_the_floor(spark):
    day_one = [label(WAKE, "alarm_set", 0.8, 5, 5, goal_head=ALARM), label(JAZZ, "play_music", 0.3, 4, 2)]
    day_two = [label(WAKE, "alarm_set", 0.6, 3, 3, surface="wake me at 7", goal_head=None),
               label(JAZZ, "play_radio", 0.5, 4, 4)]
    _, label_state_df = merged(spark, [("2026-11-29", [], day_one, 1.0), ("2026-11-30", [], day_two, 1.0)])
    labels = {r["source"]: r.asDict() for r in labels_from_state(label_state_df).collect()}

    assert labels[WAKE] == {
        "locale": "en-US", "source": WAKE, "intent": "alarm_set",
        "weight": pytest.approx((0.8 * 5 + 0.6 * 3) / 8), "support_users": 5, "voters": 5,
        "surface": "wake me at 7", "slots": [Row(name="time", value="seven")], "goal_head": None,  # latest day's
    }
    # play_radio 0.5 x 4 = 2.0 beats play_music 0.3 x 2 = 0.6, but has only 2.0 / 6 voters: 0.33 >= 0.25
    assert (labels[JAZZ]["intent"], round(labels[JAZZ]["weight"], 3)) == ("play_radio", 0.333)
    assert labels_from_state(label_state_df, min_weight=0.4).count() == 1
