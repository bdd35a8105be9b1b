"""Hand-written interaction-log files for job tests."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from schemas.interactions import INTERACTIONS

COLUMNS = INTERACTIONS.column_names


def row(event_id, user_id, ts, utterance, status="success", **overrides):
    values = {
        "event_id": event_id, "user_id": user_id, "device_id": "d1", "ts": ts, "locale": "en-US",
        "utterance": utterance, "intent": "alarm_set", "slots": [], "nlu_confidence": 0.9, "status": status,
    }
    values.update(overrides)
    return values


def write_logs(path: Path, rows: list[dict], schema: pa.Schema | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    schema = schema or pa.schema([f.with_nullable(True) for f in INTERACTIONS.arrow_schema])
    table = pa.Table.from_pylist(rows, schema=schema)
    pq.write_table(table, path)
    return path
