import datetime as dt

import pyarrow as pa

from schemas import ALL_CONTRACTS, TRUTH
from simulation.batches import simulate_tables
from simulation.config import SimulationConfig

SLOT = pa.struct([pa.field("name", pa.string()), pa.field("value", pa.string())])
# (name, type, nullable) of every truth column, in order: what evaluation and the NLU loop read.
DECLARED = [
    ("event_id", pa.string(), True),
    ("locale", pa.string(), False),
    ("user_id", pa.string(), False),
    ("utterance", pa.string(), True),
    ("gold_intent", pa.string(), True),
    ("gold_slots", pa.list_(SLOT), True),
    ("goal_id", pa.string(), True),
    ("role", pa.string(), False),
    ("nlu_outcome", pa.string(), True),
    ("rephrase_of", pa.string(), True),
    ("rephrase_root", pa.string(), True),
    ("attempt", pa.int32(), True),
    ("surface", pa.string(), True),
    ("defect", pa.string(), True),
    ("rewritten_utterance", pa.string(), True),
    ("deliveries", pa.int32(), False),
]


def test_the_truth_contract_declares_every_column_with_its_type_and_nullability():
    assert [(f.name, f.type, f.nullable) for f in TRUTH.arrow_schema] == DECLARED
    assert [(f.name, f.nullable) for f in TRUTH.spark_schema.fields] == [(n, nullable) for n, _, nullable in DECLARED]


def test_the_simulator_writes_the_truth_contract():
    records = {"en-US": [
        {"scenario": "alarm", "intent": "alarm_set", "annot_utt": "wake me up at [time : seven am]"},
        {"scenario": "alarm", "intent": "alarm_set", "annot_utt": "set an alarm for [time : six pm]"},
        {"scenario": "alarm", "intent": "alarm_query", "annot_utt": "show my alarms"},
    ]}
    config = SimulationConfig(bot_hours=0.01, users_per_batch=50)

    _, truth, _ = simulate_tables(records, 50, dt.date(2026, 11, 30), seed=7, config=config)

    assert [(f.name, f.type, f.nullable) for f in truth.schema] == DECLARED
    assert truth.schema.equals(TRUTH.arrow_schema)
    assert TRUTH.problems_with(truth.schema) == []
    for field in truth.schema:
        if not field.nullable:
            assert truth.column(field.name).null_count == 0, field.name


def test_the_truth_is_no_dataset_of_the_pipeline():
    assert TRUTH not in ALL_CONTRACTS  # the miner never reads it: not in the pipeline's contracts and docs
