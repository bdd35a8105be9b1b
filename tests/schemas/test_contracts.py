import pyarrow as pa
from pyspark.sql import types as T

from schemas import ALL_CONTRACTS, INTERACTIONS, QUARANTINE, SESSIONS, TURNS


def test_interactions_contract_yields_the_documented_arrow_schema():
    slot = pa.struct([pa.field("name", pa.string()), pa.field("value", pa.string())])
    assert INTERACTIONS.arrow_schema == pa.schema(
        [
            pa.field("event_id", pa.string(), nullable=False),
            pa.field("user_id", pa.string(), nullable=False),
            pa.field("device_id", pa.string(), nullable=True),
            pa.field("ts", pa.timestamp("us", tz="UTC"), nullable=False),
            pa.field("locale", pa.string(), nullable=False),
            pa.field("utterance", pa.string(), nullable=False),
            pa.field("intent", pa.string(), nullable=True),
            pa.field("slots", pa.list_(slot), nullable=True),
            pa.field("nlu_confidence", pa.float32(), nullable=True),
            pa.field("status", pa.string(), nullable=False),
            pa.field("rewritten_utterance", pa.string(), nullable=True),
        ]
    )


def test_spark_schema_matches_arrow_schema_for_every_contract():
    for contract in ALL_CONTRACTS:
        spark_fields = [(f.name, f.nullable) for f in contract.spark_schema.fields]
        arrow_fields = [(f.name, f.nullable) for f in contract.arrow_schema]
        assert spark_fields == arrow_fields, contract.name
    assert INTERACTIONS.spark_schema["ts"].dataType == T.TimestampType()
    assert INTERACTIONS.spark_schema["nlu_confidence"].dataType == T.FloatType()


def test_downstream_contracts_never_carry_raw_ids():
    for contract in (QUARANTINE, TURNS, SESSIONS):
        assert not {"user_id", "device_id"} & set(contract.column_names), contract.name


def test_markdown_documents_each_column_once():
    text = INTERACTIONS.markdown()
    assert "| device_id | string | yes | device; a session belongs to one (user_id, device_id) |" in text
    assert "| ts | timestamp[us, UTC] | no |" in text
    for name in INTERACTIONS.column_names:
        assert text.count(f"\n| {name} |") == 1


def test_a_conforming_file_schema_has_no_problems_and_extra_columns_are_ignored():
    schema = INTERACTIONS.arrow_schema.append(pa.field("asr_nbest", pa.list_(pa.string())))
    assert INTERACTIONS.problems_with(schema) == []


def test_equivalent_physical_types_are_accepted():
    schema = pa.schema(
        [
            (f.name, pa.large_string()) if f.type == pa.string() else f
            for f in INTERACTIONS.arrow_schema
        ]
    ).set(3, pa.field("ts", pa.timestamp("ms", tz="UTC")))
    assert INTERACTIONS.problems_with(schema) == []


def test_missing_and_mistyped_columns_are_each_named():
    schema = (
        INTERACTIONS.arrow_schema.remove(INTERACTIONS.arrow_schema.get_field_index("status"))
        .set(3, pa.field("ts", pa.timestamp("us")))
        .set(8, pa.field("nlu_confidence", pa.float64()))
    )
    problems = [str(p) for p in INTERACTIONS.problems_with(schema)]
    assert problems == [
        "column 'ts': has type timestamp[us], expected timestamp[us, UTC]",
        "column 'nlu_confidence': has type double, expected float32",
        "column 'status': missing (expected string)",
    ]


def test_an_optional_column_may_be_missing_but_not_mistyped():
    without = INTERACTIONS.arrow_schema.remove(INTERACTIONS.arrow_schema.get_field_index("rewritten_utterance"))
    assert INTERACTIONS.problems_with(without) == []
    mistyped = without.append(pa.field("rewritten_utterance", pa.int64()))
    assert [str(p) for p in INTERACTIONS.problems_with(mistyped)] == [
        "column 'rewritten_utterance': has type int64, expected string"
    ]
    assert "| rewritten_utterance | string | yes (optional column: may be missing from a file) |" in (
        INTERACTIONS.markdown()
    )
    assert "optional" not in TURNS.markdown()


def test_slots_must_be_name_value_structs():
    bad_slots = pa.list_(pa.struct([pa.field("name", pa.string()), pa.field("val", pa.string())]))
    schema = INTERACTIONS.arrow_schema.set(7, pa.field("slots", bad_slots))
    assert [p.column for p in INTERACTIONS.problems_with(schema)] == ["slots"]
