"""The expectation suites as declared: what each checks for given thresholds, and their SQL on hand-written rows."""

import pytest
from pyspark.sql import types as T

from miner.quality import (
    ANNOT_STRIPPED,
    CRITICAL,
    SUITES,
    WARNING,
    Checks,
    candidates_suite,
    labels_suite,
    pairs_suite,
    quarantine_suite,
    rejected_readings_suite,
    rewrites_suite,
    sessions_suite,
    training_suite,
    turns_suite,
)
from schemas.outputs import TRAINING

BOUNDS = ("column", "column_list", "min_value", "max_value", "value_set")


def described(expectations):
    """(expectation type, description, severity) of each expectation, in order."""
    return [(type(e).__name__, e.description, e.severity.value) for e in expectations]


def bounds(expectation):
    return {name: getattr(expectation, name) for name in BOUNDS if getattr(expectation, name, None) is not None}


def by_description(expectations):
    return {e.description: e for e in expectations}


def test_the_suites_cover_every_validated_dataset():
    assert SUITES == {
        "turns": turns_suite, "quarantine": quarantine_suite, "sessions": sessions_suite,
        "candidates": candidates_suite, "pairs": pairs_suite, "labels": labels_suite, "rewrites": rewrites_suite,
        "rejected_readings": rejected_readings_suite, "training": training_suite,
    }
    assert (CRITICAL, WARNING) == ("critical", "warning")


def test_turns_suite_with_the_defaults_and_with_configured_locales():
    assert described(turns_suite(Checks(min_users=3))) == [
        ("ExpectColumnValuesToBeUnique", "(event_id) unique", CRITICAL),
        ("ExpectColumnValuesToNotBeNull", "every turn has a user", CRITICAL),
        ("ExpectColumnValuesToBeBetween", "NLU confidence in [0, 1]", CRITICAL),
        ("ExpectColumnValuesToBeInSet", "status is a known status", CRITICAL),
        ("ExpectColumnValueLengthsToBeBetween", "utterances of 1 to 512 characters", CRITICAL),
    ]
    suite = turns_suite(Checks(min_users=3, locales=("en-US", "de-DE"), max_utterance_chars=40))
    # an unconfigured locale in the input is a warning here (the outputs block it)
    assert described(suite)[-2:] == [
        ("ExpectColumnValueLengthsToBeBetween", "utterances of 1 to 40 characters", CRITICAL),
        ("ExpectColumnValuesToBeInSet", "locales in the configured set", WARNING),
    ]
    assert bounds(suite[-2]) == {"column": "utterance", "min_value": 1, "max_value": 40}
    assert bounds(suite[-1]) == {"column": "locale", "value_set": ["de-DE", "en-US"]}
    assert bounds(suite[3]) == {
        "column": "status", "value_set": ["cancelled", "error", "interrupted", "success", "unhandled"],
    }


@pytest.mark.parametrize(
    "rows_in, share, limit, description",
    [
        (200, 0.05, 10, "quarantined rows at most 5% of the 200 in"),
        (19, 0.05, 0, "quarantined rows at most 5% of the 19 in"),  # 0.95 of a row: none may be quarantined
        (4, 0.25, 1, "quarantined rows at most 25% of the 4 in"),
    ],
)
def test_quarantine_suite_bounds_the_quarantined_share_of_the_input(rows_in, share, limit, description):
    (expectation,) = quarantine_suite(Checks(min_users=3, rows_in=rows_in, max_quarantine_share=share))
    assert described([expectation]) == [("ExpectTableRowCountToBeBetween", description, CRITICAL)]
    assert bounds(expectation) == {"min_value": 0, "max_value": limit}


def test_quarantine_suite_is_empty_without_the_input_count():
    assert quarantine_suite(Checks(min_users=3)) == []


def test_sessions_and_candidates_suites_follow_the_run_settings():
    checks = Checks(min_users=3, session_gap_seconds=90.5, max_session_turns=50, rephrase_window_seconds=30.0,
                    max_following_turns=2)
    sessions = by_description(sessions_suite(checks))
    assert list(sessions) == ["(session_id, turn_index) unique", "at most 50 turns a session", "gaps of at most 90.5 s"]
    assert bounds(sessions["(session_id, turn_index) unique"]) == {"column_list": ["session_id", "turn_index"]}
    assert bounds(sessions["at most 50 turns a session"]) == {"column": "turn_index", "min_value": 0, "max_value": 49}
    assert bounds(sessions["gaps of at most 90.5 s"]) == {"column": "gap_s", "min_value": 0.0, "max_value": 90.5}

    candidates = by_description(candidates_suite(checks))
    assert list(candidates) == [
        "rephrase probability in [0, 1]", "targets at most 2 turns ahead", "targets within 30 s",
        "no turn paired with itself",
    ]
    assert bounds(candidates["targets at most 2 turns ahead"]) == {"column": "hop", "min_value": 1, "max_value": 2}
    assert bounds(candidates["targets within 30 s"]) == {"column": "gap_s", "min_value": 0.0, "max_value": 30.0}


def test_output_suites_share_the_weight_floor_and_locale_checks():
    checks = Checks(min_users=5, locales=("en-US",))
    for suite in (pairs_suite, labels_suite, rewrites_suite, training_suite):
        first = suite(checks)[:3]
        assert described(first) == [
            ("ExpectColumnValuesToBeBetween", "weight in [0, 1]", CRITICAL),
            ("ExpectColumnValuesToBeBetween", "at least 5 users behind every row", CRITICAL),
            ("ExpectColumnValuesToBeInSet", "locales in the configured set", CRITICAL),  # blocking in the outputs
        ], suite.__name__
        assert bounds(first[1]) == {"column": "support_users", "min_value": 5}


def test_a_count_far_from_the_previous_runs_is_a_warning_where_there_was_one():
    checks = Checks(min_users=3, baseline_counts={"pairs": 7, "labels": 0}, count_change=(0.8, 1.25))
    count = pairs_suite(checks)[2]
    assert described([count]) == [
        ("ExpectTableRowCountToBeBetween", "pairs count within 0.8x-1.25x of the previous run's 7", WARNING),
    ]
    assert bounds(count) == {"min_value": 5, "max_value": 9}  # floor(5.6), ceil(8.75)
    # none for a dataset the previous run had none of, or did not count
    for suite in (labels_suite, rewrites_suite, training_suite):
        assert "ExpectTableRowCountToBeBetween" not in [kind for kind, _, _ in described(suite(checks))]


def test_pairs_labels_and_rewrites_suites():
    checks = Checks(min_users=3)
    assert described(pairs_suite(checks))[2:] == [
        ("ExpectCompoundColumnsToBeUnique", "(locale, source, target) unique", CRITICAL),
        ("UnexpectedRowsExpectation", "no self-pairs", CRITICAL),
        ("ExpectColumnValuesToBeInSet", "kind is rephrase or variant", CRITICAL),
    ]
    assert described(labels_suite(checks))[2:] == [
        ("ExpectCompoundColumnsToBeUnique", "(locale, source) unique", CRITICAL),
    ]
    assert described(rewrites_suite(checks))[2:] == [
        ("ExpectCompoundColumnsToBeUnique", "(locale, source) unique", CRITICAL),
        ("UnexpectedRowsExpectation", "no rewrite to itself", CRITICAL),
        ("ExpectColumnValuesToBeBetween", "served users never negative", CRITICAL),
        ("ExpectColumnValuesToBeBetween", "live success rate in [0, 1]", CRITICAL),
    ]


def test_training_suite_checks_known_intents_only_when_given():
    assert [d for _, d, _ in described(training_suite(Checks(min_users=3)))[2:]] == [
        "(id) unique", "(locale, utt) unique", "annot_utt strips back to utt", "scenario is the intent's prefix",
        "no scrubbed PII", "every record has an intent",
    ]
    known = training_suite(Checks(min_users=3, known_intents=("play_music", "alarm_set")))[-1]
    assert described([known]) == [("ExpectColumnValuesToBeInSet", "intents the NLU knows", CRITICAL)]
    assert bounds(known) == {"column": "intent", "value_set": ["alarm_set", "play_music"]}


def flagged(spark, expectations, schema, rows, key):
    """For each row query of the suite, the keys of the rows it flags, run on the rows as a Spark view."""
    spark.createDataFrame(rows, schema).createOrReplaceTempView("batch_under_test")
    return {
        e.description: sorted(
            r[key] for r in spark.sql(e.unexpected_rows_query.replace("{batch}", "batch_under_test")).collect()
        )
        for e in expectations
        if type(e).__name__ == "UnexpectedRowsExpectation"
    }


def training_row(id_, utt, annot_utt, intent="alarm_set", scenario="alarm"):
    return (id_, "en-US", "train", scenario, intent, utt, annot_utt, "rephrase", 0.6, 4, "run")


def test_training_row_queries_on_hand_written_records(spark):
    rows = [
        training_row("ok", "wake me at seven", "wake me at [time : seven]"),
        training_row("two-slots", "set seven alarm for monday", "set [time : seven] alarm for [date : monday]"),
        training_row("empty-value", "wake me", "wake me[time : ]"),  # an empty slot value strips to nothing
        training_row("unclosed", "play jazz", "play [genre : jazz", intent="play_music", scenario="play"),
        training_row("other-value", "wake me at seven", "wake me at [time : eight]"),
        training_row("wrong-scenario", "play jazz", "play jazz", intent="play_music", scenario="music"),
        training_row("phone", "call <phone>", "call <phone>", intent="calling_call", scenario="calling"),
        training_row("email-slot", "mail bob", "mail [person : <email>]", intent="email_send", scenario="email"),
        training_row("no-intent", "hello", "hello", intent=None, scenario="general"),  # the not-null check's case
    ]
    schema = T.StructType([T.StructField(f.name, f.dataType, True) for f in TRAINING.spark_schema.fields])
    assert flagged(spark, training_suite(Checks(min_users=3)), schema, rows, "id") == {
        "annot_utt strips back to utt": ["email-slot", "other-value", "unclosed"],
        "scenario is the intent's prefix": ["wrong-scenario"],
        "no scrubbed PII": ["email-slot", "phone"],
    }


def test_annot_stripped_drops_the_marks_and_keeps_the_values(spark):
    df = spark.createDataFrame(
        [("wake me at [time : seven]",), ("[time : seven] [date : today]",), ("no marks",), (None,)], "annot_utt string"
    )
    assert [r[0] for r in df.selectExpr(ANNOT_STRIPPED).collect()] == ["wake me at seven", "seven today", "no marks",
                                                                      None]


def test_self_pair_queries_on_hand_written_rows(spark):
    pair_schema = "id string, locale string, source string, target string"
    pairs = [("ok", "en-US", "wake me", "set an alarm"), ("self", "en-US", "wake me", "wake me")]
    assert flagged(spark, pairs_suite(Checks(min_users=3)), pair_schema, pairs, "id") == {"no self-pairs": ["self"]}
    assert flagged(spark, rewrites_suite(Checks(min_users=3)), pair_schema, pairs, "id") == {
        "no rewrite to itself": ["self"],
    }
    candidate_schema = "source_event_id string, target_event_id string"
    candidates = [("e1", "e2"), ("e3", "e3")]
    assert flagged(spark, candidates_suite(Checks(min_users=3)), candidate_schema, candidates, "source_event_id") == {
        "no turn paired with itself": ["e3"],
    }


def test_rejected_readings_suite_and_its_row_queries_on_hand_written_rows(spark):
    checks = Checks(min_users=3, locales=("en-US",))
    assert described(rejected_readings_suite(checks)) == [
        ("ExpectCompoundColumnsToBeUnique", "(locale, text, intent) unique", CRITICAL),
        ("ExpectColumnValuesToBeBetween", "at least 3 users rejected every reading", CRITICAL),
        ("UnexpectedRowsExpectation", "rejected by most of the users it was served to", CRITICAL),
        ("ExpectColumnValuesToBeBetween", "rejection rate in [0, 1]", CRITICAL),
        ("UnexpectedRowsExpectation", "no reading both rejected and accepted", CRITICAL),
        ("ExpectColumnValuesToBeInSet", "locales in the configured set", CRITICAL),
    ]
    schema = "id string, intent string, served_users double, rejected_users double, accepted_intent string"
    rows = [
        ("ok", "alarm_set", 5.0, 4.0, "alarm_remove"),
        ("half", "alarm_set", 8.0, 4.0, None),  # as many accepted it as rejected it: not most
        ("both", "alarm_set", 5.0, 4.0, "alarm_set"),
        ("no accepted reading", "alarm_set", 3.0, 3.0, None),
    ]
    assert flagged(spark, rejected_readings_suite(checks), schema, rows, "id") == {
        "rejected by most of the users it was served to": ["half"],
        "no reading both rejected and accepted": ["both"],
    }
