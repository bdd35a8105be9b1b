"""What the simulator's tests build on: a small config, hand-made seed records, the shipped ones, table bytes."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
from importlib import resources

import pyarrow as pa

from simulation.config import SimulationConfig

DAY = dt.date(2026, 11, 30)
SMALL = SimulationConfig(bot_hours=0.05, users_per_batch=400)  # a 90-turn bot keeps runs fast


def record(intent: str, annot_utt: str, scenario: str | None = None) -> dict:
    return {"scenario": scenario or intent.split("_")[0], "intent": intent, "annot_utt": annot_utt}


ALARM_RECORDS = [
    record("alarm_set", "wake me up at [time : seven am]"),
    record("alarm_set", "set an alarm for [time : six pm]"),
    record("alarm_set", "alarm for [date : monday] at [time : nine]"),
    record("alarm_query", "what alarms do i have at [time : five am]"),
    record("alarm_query", "show my alarms"),
    record("weather_query", "weather from [date : monday] to [date : friday]"),
]


def shipped(name: str, folder: str = "massive") -> list[dict]:
    path = resources.files("miner").joinpath("data", folder, name)
    with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def ipc_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()
