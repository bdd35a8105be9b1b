import datetime as dt
import math

import numpy as np
import pytest
from pyspark.sql import Row
from pyspark.sql import types as T

from miner.candidates import (
    WEIGHTS,
    could_carry_evidence,
    following_turn_pairs,
    scored_candidates,
    silent_phrasings,
    slot_overlap,
    with_pair_features,
)
from miner.embeddings import vectors_to_binary
from schemas.candidates import CANDIDATES
from schemas.sessions import SESSIONS
from tests.conftest import no_automatic_broadcast, utc

T0 = utc(2026, 11, 30, 9, 0, 0)
TURNS_SCHEMA = T.StructType(
    SESSIONS.spark_schema.fields
    + [T.StructField("text", T.StringType(), False), T.StructField("lexical", T.StringType(), False)]
)


def turn(session, index, seconds, text, status="success", intent="alarm_set", confidence=0.9, slots=None,
         runaway=False, user="u1", device="d1"):
    return (
        session, 0, index, None, runaway, f"{session}-{index}", user, device, T0 + dt.timedelta(seconds=seconds),
        "en-US", text, intent, slots, confidence, status, None, 1, text, text,
    )


def test_following_turn_pairs_stay_with_the_user_in_the_window_and_hop_limit(spark):
    turns = [
        turn("s1", 0, 0, "wake me at seven", status="error", intent=None),
        turn("s1", 1, 10, "set an alarm for seven"),
        turn("s1", 2, 20, "thanks"),
        turn("s1", 3, 30, "play jazz"),
        turn("s1", 4, 100, "stop"),  # 70 s after the previous turn: outside the 60 s window
        turn("s2", 0, 5, "hello", user="u2"),  # another user
        turn("bot", 0, 0, "hi", runaway=True),
        turn("bot", 1, 1, "hi", runaway=True),
    ]
    df = spark.createDataFrame(turns, TURNS_SCHEMA)
    rows = following_turn_pairs(df, window_seconds=60, max_following_turns=2).collect()
    assert sorted((r["source_event_id"], r["target_event_id"], r["hop"], r["gap_s"]) for r in rows) == [
        ("s1-0", "s1-1", 1, 10.0),
        ("s1-0", "s1-2", 2, 20.0),
        ("s1-1", "s1-2", 1, 10.0),
        ("s1-1", "s1-3", 2, 20.0),
        ("s1-2", "s1-3", 1, 10.0),
    ]
    first = next(r for r in rows if r["source_event_id"] == "s1-0" and r["hop"] == 1)
    assert (first["source"], first["target"], first["source_status"], first["target_intent"]) == (
        "wake me at seven", "set an alarm for seven", "error", "alarm_set",
    )


def test_a_rephrase_on_the_users_second_device_is_a_candidate(spark):
    """Failure class: the user gives up on the speaker and says it again on the phone (another session)."""
    turns = [
        turn("speaker", 0, 0, "wake me at seven", status="error", intent=None, device="speaker"),
        turn("phone", 0, 12, "set an alarm for seven", device="phone"),
        turn("phone", 1, 40, "thanks", device="phone"),
        turn("other", 0, 5, "play jazz", user="u2", device="speaker"),  # another user on the same device id
    ]
    df = spark.createDataFrame(turns, TURNS_SCHEMA)
    rows = following_turn_pairs(df, window_seconds=60, max_following_turns=3).collect()
    assert sorted((r["session_id"], r["source_event_id"], r["target_event_id"], r["hop"], r["gap_s"]) for r in rows) == [
        ("phone", "phone-0", "phone-1", 1, 28.0),
        ("speaker", "speaker-0", "phone-0", 1, 12.0),
        ("speaker", "speaker-0", "phone-1", 2, 40.0),
    ]


@pytest.mark.parametrize(
    "source, values, expected",
    [
        ("wake me at seven am", ["Seven  AM"], 1.0),
        ("wake me at seven", ["seven", "friday"], 0.5),
        ("spam filter", ["am"], 0.0),
        ("東京の天気は", ["東京"], 1.0),
        ("anything", [], None),
    ],
)
def test_slot_overlap(source, values, expected):
    assert slot_overlap(source, values) == expected


def test_pair_features_are_computed_for_every_pair_row(spark):
    pairs = spark.createDataFrame(
        [
            ("wake me at seven", "set an alarm for seven", "wake me at seven", "set an alarm for seven",
             [Row(name="time", value="seven")]),
            ("wake me at seven", "set an alarm for seven", "wake me at seven", "set an alarm for seven",
             [Row(name="time", value="seven")]),
            ("東京の天気", "東京の天気は", "東 京 の 天 気", "東 京 の 天 気 は", None),
            ("play jazz", "unknown text", "play jazz", "unknown text", None),
        ],
        "source string, target string, source_lexical string, target_lexical string, "
        "target_slots array<struct<name:string,value:string>>",
    )
    vectors = {"wake me at seven": [1.0, 0.0], "set an alarm for seven": [0.6, 0.8], "東京の天気": [0.0, 1.0],
               "東京の天気は": [0.0, 1.0], "play jazz": [1.0, 0.0]}
    embeddings = spark.createDataFrame(
        [(text, vectors_to_binary(np.array([vector]))[0].as_py()) for text, vector in vectors.items()],
        "text string, embedding binary",
    )
    for broadcast in (True, False):  # broadcast embeddings, or (a table too large for that) a sort-merge join
        with no_automatic_broadcast(spark):
            featured = with_pair_features(pairs, embeddings, broadcast).collect()
        assert list(featured[0].asDict()) == [
            *pairs.columns, "lexical_similarity", "semantic_similarity", "slot_overlap"
        ]
        rows = sorted(featured, key=lambda r: r["source"])
        assert [(r["source"], round(r["lexical_similarity"], 4), round(r["semantic_similarity"], 3),
                 r["slot_overlap"]) for r in rows] == [
            ("play jazz", 0.0952, 0.0, None),  # no embedding for the target: semantic similarity 0
            ("wake me at seven", 0.5789, 0.6, 1.0),
            ("wake me at seven", 0.5789, 0.6, 1.0),  # a repeated pair keeps both rows
            ("東京の天気", 1.0, 1.0, None),  # character-level: every character of one is in the other
        ]


def candidate(source_event, target_event, source, target, hop, gap, source_status, source_intent,
              target_status="success", target_intent="alarm_set", source_confidence=0.9,
              semantic=0.7, lexical=0.7, overlap=None, user="u1"):
    return (
        "en-US", "s1", user, source_event, target_event, hop, float(gap), source, target, source, target,
        source_status, target_status, source_intent, target_intent, source_confidence, 0.9, None,
        lexical, semantic, overlap,
    )


PAIR_COLUMNS = (
    "locale string, session_id string, user_key string, source_event_id string, target_event_id string, "
    "hop int, gap_s double, source string, target string, source_lexical string, target_lexical string, "
    "source_status string, target_status string, source_intent string, target_intent string, "
    "source_confidence float, target_confidence float, "
    "target_slots array<struct<name:string,value:string>>, "
    "lexical_similarity float, semantic_similarity float, slot_overlap float"
)


def expected_probability(semantic, lexical, overlap, defective, succeeded, gap):
    w = WEIGHTS
    z = (w["bias"] + w["semantic"] * semantic + w["lexical"] * lexical + w["slot_overlap"] * overlap
         + w["defective"] * defective + w["target_succeeded"] * succeeded + w["gap"] * gap / 60)
    return 1 / (1 + math.exp(-z))


def test_silent_failure_friction_and_topic_switch(spark):
    pairs = spark.createDataFrame(
        [
            # reported success, corrected 4 s later with much the same words for another intent
            candidate("a1", "a2", "wake me at seven", "set an alarm for seven", 1, 4, "success", "alarm_query"),
            # the same pair 40 s later is an ordinary follow-up
            candidate("b1", "b2", "wake me at seven", "set an alarm for seven", 1, 40, "success", "alarm_query"),
            # a clear failure followed by a topic switch: dissimilar, no shared slots
            candidate("c1", "c2", "wake me at seven", "play jazz", 1, 8, "error", None, target_intent="play_music",
                      semantic=0.1, lexical=0.0),
            # low confidence counts as friction
            candidate("d1", "d2", "wake me at seven", "set an alarm for seven", 1, 4, "success", "alarm_query",
                      source_confidence=0.2),
            # a dissimilar quick correction: silent only after a phrasing misread silently for many users
            candidate("e1", "e2", "good assistants", "what is the news", 1, 5, "success", "iot_hue_lightdim",
                      target_intent="news_query", semantic=0.1, lexical=0.1),
            candidate("f1", "f2", "good morning", "what is the news", 1, 5, "success", "general_greet",
                      target_intent="news_query", semantic=0.1, lexical=0.1),
        ],
        PAIR_COLUMNS,
    )
    silent = spark.createDataFrame([("en-US", "good assistants")], "locale string, text string")
    rows = {r["source_event_id"]: r for r in scored_candidates(pairs, silent, window_seconds=60).collect()}
    assert set(rows["a1"].asDict()) == set(CANDIDATES.column_names)
    flags = {k: (r["is_friction"], r["is_silent_failure"], r["target_succeeded"]) for k, r in rows.items()}
    assert flags == {
        "a1": (False, True, True),
        "b1": (False, False, True),
        "c1": (True, False, True),
        "d1": (True, False, True),
        "e1": (False, True, True),
        "f1": (False, False, True),
    }
    assert rows["a1"]["rephrase_probability"] == pytest.approx(expected_probability(0.7, 0.7, 0.5, 1, 1, 4), rel=1e-6)
    assert rows["b1"]["rephrase_probability"] == pytest.approx(expected_probability(0.7, 0.7, 0.5, 0, 1, 40), rel=1e-6)
    assert rows["c1"]["rephrase_probability"] == pytest.approx(expected_probability(0.1, 0.0, 0.5, 1, 1, 8), rel=1e-6)
    assert rows["c1"]["rephrase_probability"] < 0.5 < rows["a1"]["rephrase_probability"]


def test_only_pairs_from_a_possible_defect_are_scored(spark):
    pairs = spark.createDataFrame(
        [
            candidate("a1", "a2", "wake me at seven", "set an alarm", 1, 4, "success", "alarm_query"),  # maybe silent
            candidate("b1", "b2", "wake me at seven", "set an alarm", 1, 40, "success", "alarm_query"),  # too late
            candidate("c1", "c2", "wake me at seven", "set an alarm", 2, 4, "success", "alarm_query"),  # not next
            candidate("e1", "e2", "wake me at seven", "set an alarm", 1, 4, "success", "alarm_set"),  # same intent
            candidate("f1", "f2", "wake me at seven", "set an alarm", 3, 50, "error", None),  # friction
            candidate("g1", "g2", "wake me at seven", "set an alarm", 2, 30, "success", "alarm_query",
                      source_confidence=0.2),  # low confidence is friction
            candidate("h1", "h2", "wake me at seven", "set an alarm", 1, 4, "success", None),  # null vs alarm_set
            candidate("i1", "i2", "wake me at seven", "set an alarm", 1, 4, "success", None,
                      target_intent=None),  # null = null: the same reading
        ],
        PAIR_COLUMNS,
    )
    kept = sorted(r["source_event_id"] for r in pairs.transform(could_carry_evidence).collect())
    assert kept == ["a1", "f1", "g1", "h1"]


def test_a_phrasing_corrected_at_once_far_more_often_than_the_locale_is_misread_silently(spark):
    """Failure class: a silent failure whose rephrase shares no words with it. Ten users had "good assistants"
    read as a light command and eight asked for the news at once; "play jazz" served 100 users, 5 of whom
    asked for something else at once."""
    turns, pairs = [], []
    for number in range(10):
        user = f"g{number}"
        turns.append(turn(user, 0, 0, "good assistants", intent="iot_hue_lightdim", user=user))
        if number < 8:
            pairs.append(candidate(f"{user}-0", f"{user}-1", "good assistants", "what is the news", 1, 4, "success",
                                   "iot_hue_lightdim", target_intent="news_query", user=user))
    for number in range(100):
        user = f"p{number}"
        turns.append(turn(user, 0, 0, "play jazz", intent="play_music", user=user))
        if number < 5:
            pairs.append(candidate(f"{user}-0", f"{user}-1", "play jazz", "volume up", 1, 6, "success",
                                   "play_music", target_intent="audio_volume_up", user=user))
    pairs.append(candidate("g0-0", "g0-2", "good assistants", "the news", 1, 9, "success", "iot_hue_lightdim",
                           target_intent="news_query", user="g0"))  # a user counts once
    turns.append(turn("n0", 0, 0, "wake me at seven", status="error", intent=None, user="n0"))  # never a success
    turns.append(turn("bot", 0, 0, "good assistants", runaway=True, user="bot"))  # bots are no users
    turns_df = spark.createDataFrame(turns, TURNS_SCHEMA)
    pairs_df = spark.createDataFrame(pairs, PAIR_COLUMNS)
    rows = silent_phrasings(pairs_df, turns_df, min_users=3, significance=0.001).collect()
    assert [(r["locale"], r["text"], r["success_users"], r["corrected_users"]) for r in rows] == [
        ("en-US", "good assistants", 10, 8)
    ]
    # P(X >= 8) for X ~ Binomial(10, 13/110): the locale's users correct 13 of 110 successes at once
    assert rows[0]["p_value"] == pytest.approx(_binomial_tail(8, 10, 13 / 110), rel=1e-9)
    # with a floor of 9 correcting users, eight are not enough
    assert silent_phrasings(pairs_df, turns_df, min_users=9, significance=0.001).count() == 0


def _binomial_tail(k, n, p):
    return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1))
