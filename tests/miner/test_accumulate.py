"""Merging days into the running aggregate: decayed masses, latest descriptions, distinct users across days."""

import pytest
from pyspark.sql import Row
from pyspark.sql import functions as F

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
from miner.sketches import users_sketch
from schemas.labels import LABELS
from schemas.pairs import PAIRS
from schemas.sketches import LABEL_USERS, PAIR_USERS

WAKE, ALARM, JAZZ = "wake me at seven", "set an alarm for seven", "play jazz"


def pair(source, target, alpha, beta, users, sessions, score, kind="rephrase", intent="alarm_set", semantic=0.8):
    weight = float(beta_lower_bound([alpha], [beta])[0])
    return ("en-US", source, target, kind, weight, users, sessions, intent, 0.9, 0.5, score, alpha, beta, 0.7,
            semantic, 0.6)


def label(source, intent, weight, users, voters, surface="Wake me at seven", goal_head=None):
    return ("en-US", source, intent, weight, users, voters, surface, [Row(name="time", value="seven")], goal_head)


def sketches(spark, users_by_key: dict, contract):
    """The day's user sketches, as the aggregate job writes them: {key tuple: [user keys]} -> contract rows."""
    key = [name for name in contract.column_names if name != "users_sketch"]
    rows = [(*k, user) for k, users in users_by_key.items() for user in users]
    keys_df = spark.createDataFrame(rows, ", ".join(f"{name} string" for name in [*key, "user_key"]))
    return keys_df.groupBy(*key).agg(users_sketch(F.col("user_key")).alias("users_sketch")).select(
        *contract.column_names
    )


def merged(spark, days, users=None):
    """days: [(day, pairs rows, labels rows, factor)] merged as the accumulate job does. users: {day: {(source,
    target, kind): [user keys], source: [user keys]}}, the day's pair and label sketches (none: a day mined
    before sketches existed)."""
    pair_frames, label_frames = [], []
    for day, pairs, labels, factor in days:
        pairs_df = spark.createDataFrame(pairs, PAIRS.spark_schema)
        labels_df = spark.createDataFrame(labels, LABELS.spark_schema)
        day_users = (users or {}).get(day, {})
        pair_users = {("en-US", *k): v for k, v in day_users.items() if isinstance(k, tuple)}
        label_users = {("en-US", k): v for k, v in day_users.items() if isinstance(k, str)}
        pair_frames.append(
            decayed(pair_state(pairs_df, sketches(spark, pair_users, PAIR_USERS), day), factor, PAIR_MASSES)
        )
        label_frames.append(
            decayed(label_state(labels_df, sketches(spark, label_users, LABEL_USERS), day), factor, LABEL_MASSES)
        )
    union = lambda frames: frames[0].unionByName(frames[1]) if len(frames) == 2 else frames[0]  # noqa: E731
    return merged_pair_state(union(pair_frames)), merged_label_state(union(label_frames))


def estimated(state_df):
    """The state's keys and counts, with each sketch's estimate (null: no sketch) in place of its bytes."""
    key = [c for c in ("locale", "source", "target", "kind", "intent") if c in state_df.columns]
    return sorted(
        tuple(row) for row in state_df.select(
            *key, "support_users", F.hll_sketch_estimate("users_sketch").alias("sketched_users")
        ).collect()
    )


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
        "support_users": 4,  # no sketch (days mined before them): the most users on one day, a lower bound
        "users_sketch": None, "support_sessions": 6, "last_day": "2026-11-30", "target_intent": "alarm_set",
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


AT_SEVEN, SEVEN_AM, SEVEN_OCLOCK = "alarm at seven", "seven am alarm", "seven o'clock alarm"
DAY_ONE, DAY_TWO = "2026-11-29", "2026-11-30"


def test_pairs_count_distinct_users_across_days_and_the_floor_holds_on_that_count(spark):
    day_one = [
        pair(WAKE, ALARM, 2.0, 0.0, 2, 2, 0.5), pair(JAZZ, "jazz please", 2.0, 0.0, 2, 2, 0.4, intent="play_music"),
        pair(SEVEN_AM, ALARM, 2.0, 0.0, 2, 2, 0.5), pair(AT_SEVEN, ALARM, 3.0, 0.0, 3, 3, 0.5),
    ]
    day_two = [
        pair(WAKE, ALARM, 2.0, 0.0, 2, 2, 0.5), pair(JAZZ, "jazz please", 2.0, 0.0, 2, 2, 0.4, intent="play_music"),
        pair(SEVEN_AM, ALARM, 2.0, 0.0, 2, 2, 0.5), pair(AT_SEVEN, ALARM, 1.0, 0.0, 1, 1, 0.5),
        pair(SEVEN_OCLOCK, ALARM, 3.0, 0.0, 3, 3, 0.5),
    ]
    users = {
        DAY_ONE: {  # AT_SEVEN has no sketch: as a day mined before sketches existed
            (WAKE, ALARM, "rephrase"): ["account-1", "account-2"],
            (JAZZ, "jazz please", "rephrase"): ["account-1", "account-2"],
            (SEVEN_AM, ALARM, "rephrase"): ["account-1", "account-2"],
        },
        DAY_TWO: {
            (WAKE, ALARM, "rephrase"): ["account-3", "account-4"],  # two other users
            (JAZZ, "jazz please", "rephrase"): ["account-2", "account-1"],  # the same two users
            (SEVEN_AM, ALARM, "rephrase"): ["account-2", "account-3"],  # one of them again
            (AT_SEVEN, ALARM, "rephrase"): ["account-5"],
            (SEVEN_OCLOCK, ALARM, "rephrase"): ["account-6", "account-7", "account-8"],  # today only
        },
    }
    pair_state_df, _ = merged(spark, [(DAY_ONE, day_one, [], 0.5), (DAY_TWO, day_two, [], 1.0)], users)

    # (locale, source, target, kind, support_users, the merged sketch's estimate)
    assert estimated(pair_state_df) == sorted([
        ("en-US", WAKE, ALARM, "rephrase", 4, 4),  # 2 + 2 other users: 4, where the largest day says 2
        ("en-US", JAZZ, "jazz please", "rephrase", 2, 2),  # the same 2 users on both days stay 2
        ("en-US", SEVEN_AM, ALARM, "rephrase", 3, 3),  # 2 + 2 sharing one: exactly the floor
        ("en-US", AT_SEVEN, ALARM, "rephrase", 3, 1),  # day one's unsketched count stands as a floor
        ("en-US", SEVEN_OCLOCK, ALARM, "rephrase", 3, 3),  # one side only: today's sketch, unchanged
    ])

    labels_df = spark.createDataFrame(
        [label(source, "alarm_set", 0.8, 5, 5) for source in (WAKE, SEVEN_AM, AT_SEVEN, SEVEN_OCLOCK)]
        + [label(JAZZ, "play_music", 0.8, 5, 5)],
        LABELS.spark_schema,
    )
    published = lambda k: {  # noqa: E731
        r["source"]: r["support_users"] for r in pairs_from_state(pair_state_df, labels_df, min_users=k).collect()
    }
    assert published(3) == {WAKE: 4, SEVEN_AM: 3, AT_SEVEN: 3, SEVEN_OCLOCK: 3}
    assert published(4) == {WAKE: 4}


def test_labels_count_distinct_users_across_the_days_of_their_intent_and_the_floor_holds_on_that_count(spark):
    day_one = [
        label(WAKE, "alarm_set", 0.8, 2, 2), label(JAZZ, "play_music", 0.8, 2, 2),
        label(AT_SEVEN, "alarm_set", 0.8, 3, 3), label(SEVEN_AM, "alarm_set", 0.8, 3, 3),
    ]
    day_two = [
        label(WAKE, "alarm_set", 0.8, 2, 2), label(JAZZ, "play_music", 0.8, 2, 2),
        label(SEVEN_AM, "timer_set", 0.8, 2, 2),  # another intent: its users count towards that label only
    ]
    users = {
        DAY_ONE: {  # AT_SEVEN has no sketch
            WAKE: ["account-1", "account-2"], JAZZ: ["account-1", "account-2"],
            SEVEN_AM: ["account-1", "account-2", "account-3"],
        },
        DAY_TWO: {
            WAKE: ["account-3", "account-4"], JAZZ: ["account-1", "account-2"], SEVEN_AM: ["account-4", "account-5"],
        },
    }
    _, label_state_df = merged(spark, [(DAY_ONE, [], day_one, 1.0), (DAY_TWO, [], day_two, 1.0)], users)

    # (locale, source, intent, support_users, the merged sketch's estimate; null: no sketch)
    assert estimated(label_state_df) == sorted([
        ("en-US", WAKE, "alarm_set", 4, 4),
        ("en-US", JAZZ, "play_music", 2, 2),
        ("en-US", AT_SEVEN, "alarm_set", 3, None),
        ("en-US", SEVEN_AM, "alarm_set", 3, 3),
        ("en-US", SEVEN_AM, "timer_set", 2, 2),
    ])
    labels = {(r["source"], r["intent"]): r["support_users"] for r in labels_from_state(label_state_df, 3).collect()}
    # SEVEN_AM: alarm_set wins 2.4 votes to 1.6 (weight 0.48), on its own three users
    assert labels == {(WAKE, "alarm_set"): 4, (AT_SEVEN, "alarm_set"): 3, (SEVEN_AM, "alarm_set"): 3}
    assert {r["source"] for r in labels_from_state(label_state_df, 4).collect()} == {WAKE}
