"""Valid, de-duplicated, pseudonymized turns: the output of `jobs/ingest.py`."""

import dataclasses

from schemas.contract import Column, Contract
from schemas.interactions import INTERACTIONS
from schemas.types import INT32, STRING

_PASSED_THROUGH = (
    "event_id", "ts", "utterance", "intent", "slots", "nlu_confidence", "status", "rewritten_utterance",
)
# Every turn has every column: an input column that is optional is null here when a file lacked it.
_by_name = {c.name: dataclasses.replace(c, optional=False) for c in INTERACTIONS.columns}

TURNS = Contract(
    name="turns",
    doc=(
        "`OUT/turns/`, Parquet partitioned by `locale`: every input row that passed the contract checks, "
        "one per event_id. Raw user and device ids stop here: downstream sees only their keyed hashes."
    ),
    columns=(
        _by_name["event_id"],
        Column("user_key", STRING, False, "keyed hash of user_id; counts distinct users without naming them"),
        Column("device_key", STRING, False, "keyed hash of device_id ('' hashed when device_id is null)"),
        _by_name["ts"],
        Column("locale", STRING, False, "canonical BCP-47 locale: en-US, zh-Hans-CN, es-419"),
    )
    + tuple(_by_name[name] for name in _PASSED_THROUGH if name not in ("event_id", "ts"))
    + (Column("deliveries", INT32, False, "how many valid copies of the event arrived (1 = no duplicate)"),),
)
