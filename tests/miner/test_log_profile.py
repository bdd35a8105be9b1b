"""The profile's aggregations on tiny checked rows: every figure, with a quarantined row and a null confidence."""

import datetime as dt

from pyspark.sql import types as T

from miner.ingest import with_quarantine_reason
from miner.log_profile import confidence_histogram, locale_status_mix, profile_totals, rephrase_evidence
from schemas.interactions import INTERACTIONS

DAY = "file:/logs/date=2026-11-30/part-0.parquet"
T0 = dt.datetime(2026, 11, 30, 9, 0, 0)


def turn(event_id, user_id, seconds, utterance, status, confidence=0.9, locale="en-US", source=DAY, intent="x"):
    at = T0 + dt.timedelta(seconds=seconds)
    return (event_id, user_id, "d", at, locale, utterance, intent, [], confidence, status, None, source,
            None, None, None)


def checked(spark, rows):
    columns = [*INTERACTIONS.column_names, "source_file", "corrupt_record", "unparsed_column", "unparsed_value"]
    # As mapped logs arrive: any column may be null (the quarantine's business).
    schema = T.StructType([T.StructField(f.name, f.dataType) for f in INTERACTIONS.spark_schema])
    for name in columns[len(schema.fields):]:
        schema = schema.add(name, "string")
    return spark.createDataFrame(rows, schema).transform(with_quarantine_reason, 512)


def users_rephrasing(user_ids, start=0):
    """Each user says a failing phrasing, then within ten seconds one that works."""
    rows = []
    for i, user_id in enumerate(user_ids):
        rows.append(turn(f"{user_id}-1", user_id, start + 1000 * i, "Wake me at 7", "unhandled", 0.2))
        rows.append(turn(f"{user_id}-2", user_id, start + 1000 * i + 10, "set an alarm for 7", "success"))
    return rows


def test_totals_count_rows_quarantine_users_span_and_days_outside_the_folder(spark):
    rows = [
        turn("e1", "u1", 0, "hi", "success"),
        turn("e1", "u1", 0, "hi", "success"),  # a repeated delivery
        turn("e2", "u2", 60, "hey", "error", confidence=None, intent=None),
        turn("e3", "u2", 86400, "late", "success"),  # the next day, in this day's folder
        turn("e4", "u3", 30, "hi", "succes"),  # quarantined: unknown_status
    ]
    assert profile_totals(checked(spark, rows)).collect()[0].asDict() == {
        "rows": 5, "quarantined": 1, "valid_rows": 4, "event_ids": 3, "users": 2, "devices": 2,
        "first_ts": T0, "last_ts": T0 + dt.timedelta(days=1), "null_confidence": 1, "null_intent": 1,
        "with_slots": 0, "rewritten": 0, "outside_folder_day": 1,
    }


def test_mix_spells_locales_as_ingest_and_leaves_out_quarantined_rows(spark):
    rows = [
        turn("e1", "u1", 0, "hi", "success", locale="en-us"),
        turn("e2", "u1", 5, "hi", "success"),
        turn("e3", "u2", 5, "hallo", "cancelled", locale="de-DE"),
        turn("e4", "u2", 5, "", "cancelled", locale="de-DE"),  # quarantined: no_printable_text
    ]
    assert sorted(tuple(r) for r in locale_status_mix(checked(spark, rows)).collect()) == [
        ("de-DE", "cancelled", 1), ("en-US", "success", 2),
    ]


def test_confidence_buckets_put_one_in_the_last_and_skip_nulls(spark):
    rows = [turn(f"e{i}", "u1", i, "hi", "success", confidence=c) for i, c in enumerate([0.0, 0.05, 0.55, 1.0, None])]
    assert sorted(tuple(r) for r in confidence_histogram(checked(spark, rows)).collect()) == [(0, 2), (5, 1), (9, 1)]


def test_rephrase_evidence_counts_sessions_rephrases_and_pairs_at_the_user_floor(spark):
    rows = users_rephrasing(["u1", "u2", "u3"])  # one pair, three users: at the floor of 3
    rows += users_rephrasing(["u4"], start=50_000)  # the same pair once more, but by one user
    rows += [
        turn("r1", "u5", 0, "play jazz", "error"),
        turn("r2", "u5", 5, "Play jazz ", "error"),  # a repetition, not a rephrase
        turn("r3", "u5", 400, "jazz please", "success"),  # after the session gap: another session
        turn("r4", "u6", 0, "lights", "interrupted"),
        turn("r5", "u6", 90, "turn on the lights", "success"),  # outside the rephrase window
    ]
    evidence = rephrase_evidence(checked(spark, rows), 300.0, 60.0, 3).collect()[0].asDict()
    assert evidence == {
        "sessions": 4 + 2 + 1, "friction_turns": 4 + 2 + 1, "rephrased_turns": 4, "recovered_turns": 4,
        "pairs": 1, "pairs_at_floor": 1,
    }
    assert rephrase_evidence(checked(spark, rows), 300.0, 60.0, 5).collect()[0]["pairs_at_floor"] == 0


def test_rephrase_evidence_of_no_valid_rows_is_zeros(spark):
    rows = [turn("e1", None, 0, "hi", "success")]  # quarantined: null_user_id
    assert tuple(rephrase_evidence(checked(spark, rows), 300.0, 60.0, 3).collect()[0]) == (0, 0, 0, 0, 0, 0)
