"""A team's log rows, as read, into `interactions` rows: every mapping step on tiny hand-written rows."""

import datetime as dt

from pyspark.sql import Row
from pyspark.sql import functions as F
from pyspark.sql import types as T

from miner.log_mapping import annotated_slots, annotation_text, mapped_interactions, mapped_status, normalized_locale
from pipeline.log_format import LogFormat
from schemas.interactions import INTERACTIONS

TEXT_COLUMNS = ("id", "who", "ms", "loc", "text", "code", "score", "nlu_slots", "_corrupt_record", "source_file")
JSONL = LogFormat(
    format="jsonl", timestamp="epoch_millis", normalize_locale=True,
    columns={"event_id": "id", "user_id": "who", "ts": "ms", "locale": "loc", "utterance": "text", "status": "code",
             "nlu_confidence": "score", "slots": "nlu_slots"},
    status_values={"0": "success", "3": "interrupted"}, absent=("device_id", "intent"),
)


def text_rows(spark, rows):
    schema = T.StructType([T.StructField(name, T.StringType()) for name in TEXT_COLUMNS])
    return spark.createDataFrame(rows, schema)


def test_mapped_interactions_renames_parses_and_maps_and_marks_what_does_not_parse(spark):
    source = "file:/logs/date=2026-11-02/part-0.jsonl"
    rows = [
        ("e1", "u1", "1793433600123", "en_US.UTF-8", "wake me at seven", "0", "0.9",
         '[{"name": "time", "value": "seven"}]', None, source),
        ("e2", "u1", "1793433605000", "EN-us", "stop", " 3 ", None, None, None, source),
        ("e3", "u2", "yesterday", "de_DE", "hallo", "7", "high", "[{", None, source),  # nothing parses
        (None, None, None, None, None, None, None, None, "{not json", source),  # an unparseable line
    ]
    mapped = mapped_interactions(
        text_rows(spark, rows), JSONL, {name: T.StringType() for name in TEXT_COLUMNS[:-2]}
    )
    assert mapped.columns == [*INTERACTIONS.column_names, "source_file", "corrupt_record", "unparsed_column",
                              "unparsed_value"]
    at = dt.datetime(2026, 10, 31, 8, 0, 0, 123000)
    assert [tuple(r) for r in mapped.collect()] == [
        ("e1", "u1", None, at, "en-US", "wake me at seven", None, [Row(name="time", value="seven")], 0.8999999761581421,
         "success", None, source, None, None, None),
        ("e2", "u1", None, at.replace(second=5, microsecond=0), "EN-us", "stop", None, None, None, "interrupted",
         None, source, None, None, None),
        ("e3", "u2", None, None, "de-DE", "hallo", None, None, None, "7", None, source, None, "ts", "yesterday"),
        (None, None, None, None, None, None, None, None, None, None, None, source, "{not json", None, None),
    ]


def test_parquet_types_are_cast_and_constants_and_folder_values_fill_their_columns(spark):
    source = "file:/logs/dt=2026-11-02/market=de_DE/part-0.parquet"
    schema = "eid long, uid string, t long, utt string, st int, source_file string"
    source_df = spark.createDataFrame([(7, "u", 1793433600, "hallo", 1, source)], schema)
    log_format = LogFormat(
        timestamp="epoch_seconds", normalize_locale=True, path_columns=("market",),
        columns={
            "event_id": "eid", "user_id": "uid", "ts": "t", "utterance": "utt", "status": "st", "locale": "market",
        },
        constants={"nlu_confidence": 1.0, "intent": "greet"}, absent=("device_id", "slots"),
        status_values={"1": "error"},
    )
    types = {
        "eid": T.LongType(), "uid": T.StringType(), "t": T.LongType(), "utt": T.StringType(), "st": T.IntegerType(),
    }
    (row,) = mapped_interactions(source_df, log_format, types).collect()
    assert tuple(row)[:11] == (
        "7", "u", None, dt.datetime(2026, 10, 31, 8, 0), "de-DE", "hallo", "greet", None, 1.0, "error", None,
    )


def test_annotated_slots_and_their_text(spark):
    df = spark.createDataFrame(
        [("wake me at [time : seven am] on [date : friday]",), ("no slots here",), ("x [time : 7",), (None,)],
        "annot string",
    )
    found = df.select(annotation_text(F.col("annot")), annotated_slots(F.col("annot"))).collect()
    assert [tuple(r) for r in found] == [
        ("wake me at seven am on friday", [Row(name="time", value="seven am"), Row(name="date", value="friday")]),
        ("no slots here", []),
        ("x [time : 7", None),  # an unpaired bracket: the slots are unparsed, not guessed
        (None, None),
    ]


def test_normalized_locale_and_mapped_status(spark):
    df = spark.createDataFrame([(" en_US ", "0"), ("pt_BR.UTF-8", "OK"), ("sr_RS@latin", "9"), (None, None)],
                               "locale string, code string")
    found = df.select(normalized_locale(F.col("locale")), mapped_status(F.col("code"), {"0": "success"})).collect()
    assert [tuple(r) for r in found] == [("en-US", "success"), ("pt-BR", "OK"), ("sr-RS", "9"), (None, None)]
