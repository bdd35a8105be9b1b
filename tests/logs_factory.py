"""Hand-written interaction-log files for job tests."""

from __future__ import annotations

import datetime as dt
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


SEVEN = [{"name": "time", "value": "seven"}]


def rephrase_day_rows(
    start: dt.datetime, rephrasing_users: list[str], other_users: tuple[str, str] = ("switcher", "listener"),
    prefix: str = "",
) -> list[dict]:
    """A small day: each rephrasing user fails with "Wake me at seven" and rephrases it into a success; the
    first of `other_users` fails with it and switches to "play jazz"; the second plays jazz straight away.
    Users are 20 minutes apart; `prefix` keeps event ids of different days apart."""
    def at(user_index: int, seconds: int) -> dt.datetime:
        return start + dt.timedelta(minutes=20 * user_index, seconds=seconds)

    rows = []
    for i, user in enumerate(rephrasing_users):
        rows += [
            row(f"{prefix}e{i}-1", user, at(i, 0), "Wake me at seven", status="error", intent=None, slots=None,
                nlu_confidence=0.2, device_id=f"device-of-{user}"),
            row(f"{prefix}e{i}-2", user, at(i, 6), "set an alarm for seven", intent="alarm_set", slots=SEVEN,
                device_id=f"device-of-{user}"),
        ]
    n = len(rephrasing_users)
    rows += [
        row(f"{prefix}a5-1", other_users[0], at(n, 0), "wake me at seven", status="error", intent=None,
            slots=None, nlu_confidence=0.2),
        row(f"{prefix}a5-2", other_users[0], at(n, 20), "play jazz", intent="play_music", slots=[]),
        row(f"{prefix}a6-1", other_users[1], at(n + 1, 0), "play jazz", intent="play_music", slots=[]),
    ]
    return rows
