"""evaluation.counts on hand-written truth, sessions and run outputs, in a local Spark."""

import datetime as dt
import inspect

import pytest
from pyspark.sql.pandas.types import from_arrow_schema
from rapidfuzz import fuzz

from evaluation import counts as ev
from evaluation.metrics import Baseline
from miner import defaults
from miner.text import lexical_form
from schemas.outputs import REWRITES, TRAINING
from schemas.pairs import PAIRS
from schemas.sessions import SESSIONS
from schemas.truth import TRUTH
from tests.conftest import utc

T0 = utc(2026, 11, 30, 8)


def truth_row(event_id, user, utterance, gold=None, role="first", outcome="correct", rephrase_of=None, locale="en-US"):
    return {
        "event_id": event_id, "locale": locale, "user_id": user, "utterance": utterance, "gold_intent": gold,
        "gold_slots": None, "goal_id": None, "role": role, "nlu_outcome": outcome, "rephrase_of": rephrase_of,
        "rephrase_root": rephrase_of, "attempt": None, "surface": None, "defect": None, "deliveries": 1,
    }


def _rephrased_failure(prefix, user, failing, gold, outcome, rephrase, locale="en-US"):
    return [
        truth_row(f"{prefix}1", user, failing, gold, outcome=outcome, locale=locale),
        truth_row(f"{prefix}2", user, rephrase, gold, role="rephrase", rephrase_of=f"{prefix}1", locale=locale),
    ]


TRUTH_ROWS = (
    # "wake me at seven": misread for 3 users, each rephrased it -> a failing phrasing, recurring
    _rephrased_failure("a", "u1", "Wake me at seven", "alarm_set", "friction", "set an alarm for seven")
    + _rephrased_failure("b", "u2", "wake me at seven", "alarm_set", "silent", "set an alarm for seven")
    + _rephrased_failure("c", "u3", "wake me at seven!", "alarm_set", "bargein", "Set an alarm for seven")
    + [truth_row("a1", "u1", "Wake me at seven", "alarm_set", outcome="friction")]  # the same event again
    # "play jazz": misread and rephrased by only 2 users -> failing at min_users 2, neither failing nor recurring at 3
    + _rephrased_failure("j", "u1", "play jazz", "music_play", "cancel", "play some jazz music")
    + _rephrased_failure("k", "u2", "play jazz", "music_play", "cancel", "play some jazz music")
    # "lights off": misread for 3 users, but one repeated it, one switched goal: only one rephrase
    + [
        truth_row("l1", "u1", "lights off", "iot_hue_lightoff", outcome="friction"),
        truth_row("l2", "u1", "lights off", "iot_hue_lightoff", role="repeat", outcome="friction", rephrase_of="l1"),
        truth_row("l3", "u2", "lights off", "iot_hue_lightoff", outcome="friction"),
        truth_row("l4", "u2", "what time is it", "datetime_query", role="switch"),
    ]
    + _rephrased_failure("m", "u3", "lights off", "iot_hue_lightoff", "friction", "switch the lights off")
    # two gold intents for one phrasing (majority), and a tie (lexicographically smallest)
    + [
        truth_row("v1", "u1", "turn it up", "volume_up"),
        truth_row("v2", "u2", "Turn it up", "volume_up"),
        truth_row("v3", "u3", "turn it up", "music_play"),
        truth_row("w1", "u1", "what's on", "news_query"),
        truth_row("w2", "u2", "What's on?", "calendar_query"),
    ]
    # no goal: a stop word, a malformed row, a text that normalizes to nothing
    + [
        truth_row("s1", "u1", "stop", role="stop", outcome=None),
        truth_row(None, "u4", None, role="malformed", outcome=None),
        truth_row("q1", "u4", "?!", role="hostile", outcome=None),
    ]
    + _rephrased_failure("d", "d1", "Weck mich um sieben", "alarm_set", "friction", "stell einen Wecker auf sieben", "de-DE")
    + _rephrased_failure("e", "d2", "weck mich um sieben", "alarm_set", "friction", "stell einen Wecker auf sieben", "de-DE")
    + _rephrased_failure("f", "d3", "weck mich um sieben", "alarm_set", "friction", "stell einen Wecker auf sieben", "de-DE")
)


@pytest.fixture(scope="module")
def truth(spark):
    df = spark.createDataFrame(TRUTH_ROWS, from_arrow_schema(TRUTH.arrow_schema))
    return ev.with_normalized(df, "utterance", "text").cache()


@pytest.fixture(scope="module")
def gold(truth):
    return ev.gold_intents(truth).cache()


def as_dict(df, *keys, value):
    return {tuple(r[k] for k in keys): r[value] for r in df.collect()}


def long_counts(df):
    return {(r["locale"], r["system"], r["metric"]): r["value"] for r in df.collect()}


def test_with_normalized_keys_each_text_and_gives_no_key_to_empty_results(spark):
    df = spark.createDataFrame([("Wake me!",), ("wake ME",), ("?!",), (None,)], "utterance string")
    assert sorted(ev.with_normalized(df, "utterance", "text").collect(), key=str) == sorted(
        [("Wake me!", "wake me"), ("wake ME", "wake me"), ("?!", None), (None, None)], key=str
    )


def test_gold_intent_is_the_majority_per_locale_and_phrasing(gold):
    assert as_dict(gold, "locale", "text", value="gold_intent") == {
        ("en-US", "wake me at seven"): "alarm_set",
        ("en-US", "set an alarm for seven"): "alarm_set",
        ("en-US", "play jazz"): "music_play",
        ("en-US", "play some jazz music"): "music_play",
        ("en-US", "lights off"): "iot_hue_lightoff",
        ("en-US", "what time is it"): "datetime_query",
        ("en-US", "switch the lights off"): "iot_hue_lightoff",
        ("en-US", "turn it up"): "volume_up",  # 2 rows against 1
        ("en-US", "what s on"): "calendar_query",  # 1 against 1: the smallest
        ("de-DE", "weck mich um sieben"): "alarm_set",
        ("de-DE", "stell einen wecker auf sieben"): "alarm_set",
    }  # no key for "stop" (no gold intent), the null row or "?!"


@pytest.mark.parametrize(
    "min_users, expected",
    [
        (3, {("en-US", "wake me at seven"), ("de-DE", "weck mich um sieben")}),
        (2, {("en-US", "wake me at seven"), ("de-DE", "weck mich um sieben"), ("en-US", "play jazz")}),
    ],
)
def test_failing_phrasings_need_a_misread_rephrased_by_enough_users(truth, min_users, expected):
    # "lights off" fails for 3 users but only one rephrased it: a repeat and a switch are no rephrases
    rows = ev.failing_phrasings(truth, min_users).collect()
    assert {tuple(r) for r in rows} == expected and len(rows) == len(expected)


def test_scope_counts_each_goal_turn_once(truth):
    counts = long_counts(ev.scope_counts(ev.goal_turns(truth, 3), ev.failing_phrasings(truth, 3)))
    assert counts == {
        ("en-US", "*", "goal_turns"): 21,
        ("en-US", "*", "failing_turns"): 9,  # 3 wake + 2 jazz + 4 lights
        ("en-US", "*", "recurring_failing_turns"): 7,  # jazz was said by 2 users only
        ("en-US", "*", "failing_phrasings"): 1,
        ("de-DE", "*", "goal_turns"): 6,
        ("de-DE", "*", "failing_turns"): 3,
        ("de-DE", "*", "recurring_failing_turns"): 3,
        ("de-DE", "*", "failing_phrasings"): 1,
    }


def training_record(locale, utt, intent):
    return (f"id-{utt}", locale, "train", intent.split("_")[0], intent, utt, utt, "rephrase", 0.9, 3, "run-1")


def test_label_counts_score_training_records_against_the_gold_intent(spark, truth, gold):
    training = spark.createDataFrame(
        [
            training_record("en-US", "Wake me at seven", "alarm_set"),  # right, and recalls a failing phrasing
            training_record("en-US", "play jazz", "music_play"),  # right, not a failing phrasing at 3 users
            training_record("en-US", "lights off", "alarm_set"),  # wrong
            training_record("en-US", "never said", "alarm_set"),  # no gold intent: wrong
            training_record("de-DE", "weck mich um sieben", "alarm_query"),  # wrong
        ],
        TRAINING.spark_schema,
    )
    counts = ev.label_counts(ev.training_labels(training), gold, ev.failing_phrasings(truth, 3), "miner")
    assert long_counts(counts) == {
        ("en-US", "miner", "records"): 4,
        ("en-US", "miner", "correct_records"): 2,
        ("en-US", "miner", "recalled_phrasings"): 1,
        ("de-DE", "miner", "records"): 1,
        ("de-DE", "miner", "correct_records"): 0,
    }


def pair(locale, source, target, kind):
    return (locale, source, target, kind, 0.5, 3, 3, None, None, None, 0.5, 3.0, 1.0, None, None, None)


def test_pair_counts_per_kind(spark, gold):
    pairs = spark.createDataFrame(
        [
            pair("en-US", "wake me at seven", "set an alarm for seven", "rephrase"),  # same
            pair("en-US", "lights off", "what time is it", "rephrase"),
            pair("en-US", "turn it up", "what s on", "variant"),
            pair("en-US", "never said", "play jazz", "variant"),  # unknown source
            pair("en-US", "play jazz", "Play some jazz music", "variant"),  # same, once normalized
            pair("de-DE", "weck mich um sieben", "stell einen wecker auf sieben", "rephrase"),  # same
        ],
        PAIRS.spark_schema,
    )
    assert long_counts(ev.pair_counts(pairs, gold)) == {
        ("en-US", "miner", "pairs:rephrase"): 2,
        ("en-US", "miner", "same_intent_pairs:rephrase"): 1,
        ("en-US", "miner", "pairs:variant"): 3,
        ("en-US", "miner", "same_intent_pairs:variant"): 1,
        ("de-DE", "miner", "pairs:rephrase"): 1,
        ("de-DE", "miner", "same_intent_pairs:rephrase"): 1,
    }


REWRITE_ROWS = [
    ("en-US", "wake me at seven", "Set an alarm for seven", 0.9, "alarm_set", 3, 0.0, None),  # 3 wins
    ("en-US", "wake me at seven", "what time is it", 0.5, "datetime_query", 3, 0.0, None),  # outweighed: never used
    ("en-US", "play jazz", "turn it up", 0.4, "volume_up", 2, 0.0, None),  # 2 losses
    ("en-US", "turn it up", "play some jazz music", 0.4, "music_play", 3, 0.0, None),  # breaks 2 correct volume_up turns
    ("de-DE", "weck mich um sieben", "stell einen wecker auf sieben", 0.8, "alarm_set", 3, 0.0, None),  # 3 wins, no loss
]


def test_replay_counts_wins_losses_and_broken_correct_turns(spark, truth, gold):
    rewrites = spark.createDataFrame(REWRITE_ROWS, REWRITES.spark_schema)
    assert long_counts(ev.replay_counts(ev.goal_turns(truth, 3), rewrites, gold)) == {
        ("en-US", "miner", "rewritten"): 5,
        ("en-US", "miner", "wins"): 3,
        ("en-US", "miner", "losses"): 2,
        ("en-US", "miner", "recurring_rewritten"): 3,
        ("en-US", "miner", "recurring_wins"): 3,
        ("en-US", "miner", "recurring_losses"): 0,
        ("en-US", "miner", "correct_turns_broken"): 2,
        ("de-DE", "miner", "rewritten"): 3,
        ("de-DE", "miner", "wins"): 3,
        ("de-DE", "miner", "losses"): 0,
        ("de-DE", "miner", "recurring_rewritten"): 3,
        ("de-DE", "miner", "recurring_wins"): 3,
        ("de-DE", "miner", "recurring_losses"): 0,
        ("de-DE", "miner", "correct_turns_broken"): 0,
    }


def session_turn(session, index, seconds, utterance, status, intent=None, user="k1", runaway=False):
    ts = T0 + dt.timedelta(seconds=seconds)
    return (
        session, 0, index, None, runaway, f"{session}-{index}", user, "dev", ts, "en-US", utterance, intent, None,
        0.9, status, None, 1,
    )


def test_baseline_votes_take_the_next_success_of_the_session_within_60_seconds(spark):
    sessions = spark.createDataFrame(
        [
            session_turn("s1", 0, 0, "Wake me at seven", "error"),
            session_turn("s1", 1, 20, "wake me at seven", "interrupted", "alarm_query"),
            session_turn("s1", 2, 50, "set an alarm for seven", "success", "alarm_set"),  # labels both
            session_turn("s1", 3, 200, "play jazz", "error"),
            session_turn("s1", 4, 261, "play music", "success", "music_play"),  # 61 s: too late
            session_turn("s2", 0, 0, "lights off", "unhandled", user="k2"),
            session_turn("s2", 1, 10, "ok", "success", user="k2"),  # a success without intent labels nothing
            session_turn("s2", 2, 30, "switch the lights off", "success", "iot_hue_lightoff", user="k2"),
            session_turn("s2", 3, 40, "?!", "error", user="k2"),  # no phrasing
            session_turn("s2", 4, 45, "lights on", "success", "iot_hue_lighton", user="k2"),
            session_turn("s3", 0, 0, "lights off", "error", user="bot", runaway=True),
            session_turn("s3", 1, 1, "lights on", "success", "iot_hue_lighton", user="bot", runaway=True),
            session_turn("s4", 0, 0, "play jazz", "error", user="k3"),
            session_turn("s4", 1, 60, "play some jazz music", "success", "music_play", user="k3"),  # exactly 60 s
            session_turn("s5", 0, 1000, "play jazz", "error"),  # the session's last turn
            session_turn("s6", 0, 1010, "play some jazz music", "success", "music_play"),  # another session
        ],
        SESSIONS.spark_schema,
    )
    votes = ev.baseline_votes(ev.with_normalized(sessions, "utterance", "text")).collect()
    assert sorted(tuple(v) for v in votes) == [
        ("en-US", "k1", "wake me at seven", "set an alarm for seven", "alarm_set"),
        ("en-US", "k1", "wake me at seven", "set an alarm for seven", "alarm_set"),
        ("en-US", "k2", "lights off", "switch the lights off", "iot_hue_lightoff"),
        ("en-US", "k3", "play jazz", "play some jazz music", "music_play"),
    ]


def test_similarity_is_the_token_set_ratio_of_the_lexical_forms(spark):
    texts = [("wake me at seven", "set an alarm for seven"), ("play jazz", "play jazz"), ("東京の天気", "東京の天気は")]
    votes = spark.createDataFrame(
        [("en-US", "k1", a, b, "x") for a, b in texts] + [("en-US", "k2", *texts[0], "x"), ("en-US", "k3", "hi", None, "x")],
        "locale string, user_key string, text string, success_text string, intent string",
    )
    scored = ev.with_similarity(votes).collect()
    assert len(scored) == 5
    assert [r["similarity"] for r in scored if r["success_text"] is None] == [None]  # no score, no crash
    for row in (r for r in scored if r["success_text"] is not None):
        expected = fuzz.token_set_ratio(lexical_form(row["text"]), lexical_form(row["success_text"]))
        assert row["similarity"] == pytest.approx(expected)
    assert {r["text"]: r["similarity"] for r in scored}["play jazz"] == 100.0


VOTES = [
    # "wake me at seven": k1 votes alarm_set three times, but users decide: 2 (k1, k4) against 2 (k2, k3)
    ("en-US", "k1", "wake me at seven", "set an alarm for seven", "alarm_set", 80.0),
    ("en-US", "k1", "wake me at seven", "set an alarm for seven", "alarm_set", 80.0),
    ("en-US", "k1", "wake me at seven", "set an alarm for seven", "alarm_set", 80.0),
    ("en-US", "k4", "wake me at seven", "set an alarm for seven", "alarm_set", 80.0),
    ("en-US", "k2", "wake me at seven", "what time is it", "alarm_query", 40.0),
    ("en-US", "k3", "wake me at seven", "what time is it", "alarm_query", 40.0),
    ("en-US", "k1", "play jazz", "play some jazz music", "music_play", 90.0),
    ("en-US", "k2", "play jazz", "play some jazz music", "music_play", 90.0),
]


@pytest.mark.parametrize(
    "baseline, expected",
    [
        (Baseline("a", 3), {("en-US", "wake me at seven"): "alarm_query"}),  # a tie in users: the smallest
        (Baseline("a", 2), {("en-US", "wake me at seven"): "alarm_query", ("en-US", "play jazz"): "music_play"}),
        (Baseline("b", 3), {}),  # similar votes only: 2 users left for "wake me at seven"
        (Baseline("b", 2), {("en-US", "wake me at seven"): "alarm_set", ("en-US", "play jazz"): "music_play"}),
    ],
)
def test_baseline_labels_pool_users_and_gate_by_similarity(spark, baseline, expected):
    votes = spark.createDataFrame(
        VOTES,
        "locale string, user_key string, text string, success_text string, intent string, similarity double",
    )
    assert as_dict(ev.baseline_labels(votes, baseline), "locale", "text", value="intent") == expected



def test_the_default_floor_is_the_miners():
    for function in (ev.failing_phrasings, ev.goal_turns, ev.reference_frames, ev.evaluation_counts):
        assert inspect.signature(function).parameters["min_users"].default == defaults.MIN_USERS
