import math

from pyspark.sql import Row
from pyspark.sql import functions as F
from pyspark.sql import types as T

from miner.ingest import (
    SOURCE_VALUE_CHARS,
    canonical_locale,
    deduplicated_turns,
    keyed_hash,
    pseudonymize,
    quarantined_rows,
    reason_examples,
    repeated_event_ids,
    with_quarantine_reason,
)
from schemas.interactions import INTERACTIONS
from schemas.quarantine import REASONS
from schemas.turns import TURNS
from tests.conftest import collected, utc

T0 = utc(2026, 11, 30, 8, 0, 0)


def interaction(event_id="e1", **overrides):
    row = {
        "event_id": event_id,
        "user_id": "u1",
        "device_id": "d1",
        "ts": T0,
        "locale": "en-US",
        "utterance": "wake me up at seven",
        "intent": "alarm_set",
        "slots": [Row(name="time", value="seven")],
        "nlu_confidence": 0.9,
        "status": "success",
        "rewritten_utterance": None,
    }
    row.update(overrides)
    return row


def frame(spark, rows):
    # Files rarely declare nullability, so test rows may break it: read everything as nullable.
    schema = T.StructType([T.StructField(f.name, f.dataType, True) for f in INTERACTIONS.spark_schema.fields])
    return spark.createDataFrame([tuple(r[c] for c in INTERACTIONS.column_names) for r in rows], schema).withColumn(
        "source_file", F.lit("file:/logs/part-0.parquet")
    )


def test_each_broken_rule_gets_its_reason_and_valid_rows_none(spark):
    rows = [
        interaction("ok"),
        interaction("ok-null-optionals", device_id=None, intent=None, slots=None, nlu_confidence=None),
        interaction("ok-markup", utterance="<b>play jazz</b>\u202e"),
        interaction(None),
        interaction("no-user", user_id=None),
        interaction("no-ts", ts=None),
        interaction("no-locale", locale=None),
        interaction("no-utterance", utterance=None),
        interaction("no-status", status=None),
        interaction("bad-status", status="succes"),
        interaction("bad-locale", locale="english"),
        interaction("underscore-locale", locale="en_US"),
        interaction("too-long", utterance="a" * 21),
        interaction("exactly-limit", utterance="a" * 20),
        interaction("empty", utterance=""),
        interaction("controls", utterance="\x00\x07 \x1b\u200b"),
        interaction("conf-high", nlu_confidence=1.5),
        interaction("conf-nan", nlu_confidence=math.nan),
        interaction("slot-null", slots=[Row(name="time", value=None)]),
        interaction("ok-rewritten", rewritten_utterance="set an alarm for 7"),
        interaction("blank-rewrite", rewritten_utterance=" \u200b"),
        interaction("long-rewrite", rewritten_utterance="a" * 21),
        interaction(None, user_id=None, status="nope"),
        interaction("ts-1970", ts=utc(1970, 1, 21, 18, 13, 33)),  # epoch seconds read as milliseconds
        interaction("ts-2100", ts=utc(2100, 1, 1, 0, 0, 0)),
        interaction("ts-edge", ts=utc(2000, 1, 1, 0, 0, 0)),
        interaction("corrupt", ts=None),
        interaction("unparsed-ts", ts=None),
    ]
    # A mapped log's rows carry the parse markers (miner.log_mapping); a row without them gets them as nulls.
    markers = {
        "corrupt_record": F.when(F.col("event_id") == "corrupt", F.lit("{not json")),
        "unparsed_column": F.when(F.col("event_id") == "unparsed-ts", F.lit("ts")),
        "unparsed_value": F.when(F.col("event_id") == "unparsed-ts", F.lit("yesterday")),
    }
    reasons = {
        (r["event_id"], r["reason"])
        for r in frame(spark, rows).withColumns(markers).transform(with_quarantine_reason, 20).collect()
    }
    assert reasons == {
        ("ts-1970", "implausible_ts"),
        ("ts-2100", "implausible_ts"),
        ("ts-edge", None),
        ("corrupt", "unparseable_record"),
        ("unparsed-ts", "unparseable_value"),
        ("ok", None),
        ("ok-null-optionals", None),
        ("ok-markup", None),
        (None, "null_event_id"),
        ("no-user", "null_user_id"),
        ("no-ts", "null_ts"),
        ("no-locale", "null_locale"),
        ("no-utterance", "null_utterance"),
        ("no-status", "null_status"),
        ("bad-status", "unknown_status"),
        ("bad-locale", "malformed_locale"),
        ("underscore-locale", "malformed_locale"),
        ("too-long", "utterance_too_long"),
        ("exactly-limit", None),
        ("empty", "no_printable_text"),
        ("controls", "no_printable_text"),
        ("conf-high", "confidence_out_of_range"),
        ("conf-nan", "confidence_out_of_range"),
        ("slot-null", "malformed_slots"),
        ("ok-rewritten", None),
        ("blank-rewrite", "malformed_rewrite"),
        ("long-rewrite", "malformed_rewrite"),
    }
    assert {reason for _, reason in reasons} - {None} == set(REASONS)


def test_canonical_locale(spark):
    df = spark.createDataFrame(
        [("en-US",), ("en-us",), ("ZH-hans-cn",), ("es-419",), ("SW",), (None,)], "locale string"
    )
    assert [r[0] for r in df.select(canonical_locale(F.col("locale"))).collect()] == [
        "en-US", "en-US", "zh-Hans-CN", "es-419", "sw", None,
    ]


def test_pseudonymize_replaces_ids_with_stable_salted_hashes(spark):
    df = frame(spark, [interaction("a"), interaction("b", device_id=None), interaction("c", user_id=None)])
    keys = {r["event_id"]: r for r in df.transform(pseudonymize, "s3cret").collect()}
    assert "user_id" not in keys["a"] and "device_id" not in keys["a"]
    assert keys["a"]["user_key"] == keys["b"]["user_key"] and len(keys["a"]["user_key"]) == 32
    assert keys["a"]["device_key"] != keys["b"]["device_key"]
    assert keys["c"]["user_key"] is None and keys["c"]["device_key"] is None
    unsalted = df.transform(pseudonymize, "").where("event_id = 'a'").first()
    assert unsalted["user_key"] != keys["a"]["user_key"]
    assert spark.range(1).select(keyed_hash(F.lit("u1"), salt="s3cret")).first()[0] == keys["a"]["user_key"]


def test_deduplication_keeps_one_row_per_event_with_its_delivery_count(spark):
    later = utc(2026, 11, 30, 8, 0, 5)
    rows = [
        interaction("e1"),
        interaction("e1"),
        interaction("e1"),
        interaction("e2", ts=later, utterance="b"),
        interaction("e2", ts=T0, utterance="a"),  # a conflicting copy: the earliest wins
        interaction("e3", locale="EN-us"),
        interaction("e4", status="bogus"),  # quarantined rows never reach the turns
    ]
    checked = frame(spark, rows).transform(with_quarantine_reason, 100).transform(pseudonymize, "")
    repeated_ids = repeated_event_ids(checked)
    assert sorted(r["event_id"] for r in repeated_ids.collect()) == ["e1", "e2"]
    # Grouping only the repeated rows and grouping every row give the same turns.
    by_path = [deduplicated_turns(checked, repeated_ids), deduplicated_turns(checked)]
    for deduplicated in by_path:
        assert deduplicated.columns == list(TURNS.column_names)
        turns = {r["event_id"]: r for r in deduplicated.collect()}
        assert sorted(turns) == ["e1", "e2", "e3"]
        assert [turns[e]["deliveries"] for e in ("e1", "e2", "e3")] == [3, 2, 1]
        assert (turns["e2"]["utterance"], turns["e2"]["ts"]) == ("a", collected(T0))
        assert turns["e3"]["locale"] == "en-US"
    assert sorted(by_path[0].collect()) == sorted(by_path[1].collect())
    quarantined = quarantined_rows(checked).collect()
    assert [(r["event_id"], r["reason"], r["source_file"], r["source_column"], r["source_value"]) for r in quarantined] == [
        ("e4", "unknown_status", "file:/logs/part-0.parquet", "status", "bogus")
    ]
    assert quarantined[0]["user_key"] == turns["e1"]["user_key"]


def test_quarantined_rows_name_the_logs_column_and_its_value_scrubbed_and_cut(spark):
    rows = [
        interaction("code", status="7"),
        interaction("long", utterance="call 5551234567 " + "a" * 300),
        interaction("no-user", user_id=None),
        interaction("year", ts=utc(1970, 1, 21, 18, 13, 33)),
        interaction("garbled", ts=None),
        interaction("fine"),
    ]
    markers = {
        "corrupt_record": F.when(F.col("event_id") == "garbled", F.lit('{"id": 12345678')),
        "unparsed_column": F.lit(None).cast("string"),
        "unparsed_value": F.lit(None).cast("string"),
    }
    checked = (
        frame(spark, rows).withColumns(markers).transform(with_quarantine_reason, 100).transform(pseudonymize, "")
    )
    names = {"status": "outcome", "utterance": "transcript", "user_id": "customer", "ts": "received_ms"}
    found = {
        r["event_id"]: (r["reason"], r["source_column"], r["source_value"])
        for r in quarantined_rows(checked, names).collect()
    }
    assert found == {
        "code": ("unknown_status", "outcome", "7"),
        "long": ("utterance_too_long", "transcript", ("call <phone> " + "a" * 300)[:SOURCE_VALUE_CHARS]),
        "no-user": ("null_user_id", "customer", None),
        "year": ("implausible_ts", "received_ms", "1970-01-21T18:13:33.000Z"),
        "garbled": ("unparseable_record", None, '{"id": <phone>'),
    }


def test_reason_examples_count_rows_and_show_the_most_frequent_values_first(spark):
    quarantine_df = spark.createDataFrame(
        [("unknown_status", "outcome", v) for v in ["7", "7", "9", "7", "8", "9", None]]
        + [("unparseable_record", None, "{x")],
        "reason string, source_column string, source_value string",
    )
    assert [tuple(r) for r in quarantine_df.transform(reason_examples, 2).collect()] == [
        ("unknown_status", "outcome", 7, ["7", "9"]),
        ("unparseable_record", None, 1, ["{x"]),
    ]
