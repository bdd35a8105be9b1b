import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyspark.sql import Row
from pyspark.sql import functions as F
from pyspark.sql import types as T

from miner.defaults import PII_KINDS
from miner.privacy import PII_PATTERNS, check_scrub_names, is_scrubbed, scrub_pii, scrubbed
from miner.records import training_records
from schemas.labels import LABELS

TEXT = T.StructType([T.StructField("text", T.StringType(), True)])


def scrub_all(spark, texts, names=("email", "phone", "digits")):
    df = spark.createDataFrame([(t,) for t in texts], TEXT)
    return [r["scrubbed"] for r in df.select(scrubbed(F.col("text"), names).alias("scrubbed")).collect()]


def test_each_pattern_and_what_it_leaves_alone(spark):
    texts = [
        "mail jane.doe+work@example.co.uk the report",
        "call +1 (555) 123-4567 now",
        "ruf 0171 1234567 an",
        "call ٠١٧١٢٣٤٥٦٧",  # Arabic-Indic digits are digits too
        "my code is 94105",
        "set an alarm for 7 30",
        "play 1999 by prince",
        "wake me at 07:30 on november 30",
        "account ab12345c",  # inside a word too
        "",
        None,
    ]
    assert scrub_all(spark, texts) == [
        "mail <email> the report",
        "call <phone> now",
        "ruf <phone> an",
        "call <phone>",
        "my code is <number>",
        "set an alarm for 7 30",
        "play 1999 by prince",
        "wake me at 07:30 on november 30",
        "account ab<number>c",
        "",
        None,
    ]


def test_the_patterns_are_the_kinds_the_configuration_offers():
    assert tuple(PII_PATTERNS) == PII_KINDS


def test_only_the_configured_patterns_run(spark):
    texts = ["mail a@b.org or call 555 123 4567"]
    assert scrub_all(spark, texts, ("email",)) == ["mail <email> or call 555 123 4567"]
    assert scrub_all(spark, texts, ()) == texts
    with pytest.raises(ValueError, match="unknown PII pattern"):
        check_scrub_names(["email", "ssn"])


def test_scrub_pii_rewrites_utterance_served_rewrite_and_slot_values_only(spark):
    schema = T.StructType([
        T.StructField("event_id", T.StringType()),
        T.StructField("utterance", T.StringType()),
        T.StructField("slots", T.ArrayType(T.StructType([
            T.StructField("name", T.StringType()), T.StructField("value", T.StringType()),
        ]))),
        T.StructField("rewritten_utterance", T.StringType()),
    ])
    rows = [
        ("e1", "text 555 123 4567 to bob", [Row(name="phone_number", value="555 123 4567"), Row(name="person", value="bob")],
         "send a text to 555 123 4567"),
        ("e2", "play jazz", None, None),
        ("e3", None, [Row(name="email", value=None)], None),
        ("12345678", "hi", [], "hello"),  # an id that looks like a number is not text: left alone
    ]
    got = [r.asDict(recursive=True) for r in scrub_pii(spark.createDataFrame(rows, schema)).orderBy("event_id").collect()]
    assert got == [
        {"event_id": "12345678", "utterance": "hi", "slots": [], "rewritten_utterance": "hello"},
        {"event_id": "e1", "utterance": "text <phone> to bob",
         "slots": [{"name": "phone_number", "value": "<phone>"}, {"name": "person", "value": "bob"}],
         "rewritten_utterance": "send a text to <phone>"},
        {"event_id": "e2", "utterance": "play jazz", "slots": None, "rewritten_utterance": None},
        {"event_id": "e3", "utterance": None, "slots": [{"name": "email", "value": None}], "rewritten_utterance": None},
    ]


def test_scrubbed_phrasings_never_become_training_records(spark):
    slots = [Row(name="time", value="seven")]
    labels = [
        ("en-US", "wake me at seven", "alarm_set", 0.6, 4, 4, "Wake me at seven", slots, None),
        ("en-US", "call phone", "calling", 0.6, 4, 4, "call <phone>", [Row(name="phone", value="<phone>")], None),
        ("en-US", "text mom", "messaging", 0.6, 4, 4, "text mom", [Row(name="person", value="<email>")], None),
        ("en-US", "play jazz", "play_music", 0.6, 4, 4, "play jazz", None, None),
    ]
    records = training_records(spark.createDataFrame(labels, LABELS.spark_schema), "run-1")
    assert sorted(r["utt"] for r in records.collect()) == ["play jazz", "wake me at seven"]


ALPHABET = st.characters(codec="utf-8", exclude_categories=("Cs",))


@settings(max_examples=15, deadline=None)
@given(st.lists(st.text(ALPHABET, max_size=40), min_size=1, max_size=30))
def test_scrubbed_text_has_no_long_digit_run_and_no_address(spark, texts):
    df = spark.createDataFrame([(t,) for t in texts], TEXT)
    out = df.select(scrubbed(F.col("text")).alias("s")).select(
        F.col("s").rlike(r"\p{Nd}{5}").alias("digits"),
        F.col("s").rlike(PII_PATTERNS["email"][0]).alias("email"),
        is_scrubbed(F.col("s")).alias("placeholder"),
        (F.col("s") == F.col("s")).alias("not_null"),
    )
    rows = out.collect()
    assert not any(r["digits"] or r["email"] for r in rows)
    assert all(r["not_null"] for r in rows)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Nd")).filter(lambda c: c != "@"),
                        max_size=40), min_size=1, max_size=30))
def test_text_without_digits_or_at_signs_is_left_as_it_is(spark, texts):
    assert scrub_all(spark, texts) == texts
