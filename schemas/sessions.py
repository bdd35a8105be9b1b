"""Sessionized turns: the output of `jobs/sessionize.py`."""

from schemas.contract import Column, Contract
from schemas.turns import TURNS
from schemas.types import BOOL, FLOAT64, INT32, STRING

SESSIONS = Contract(
    name="sessions",
    doc=(
        "`OUT/sessions/`, Parquet partitioned by `locale`. The turns of `turns`, each placed in a session: a "
        "run of turns of one (user, device) with no gap above `session_gap_seconds`, ordered by ts then "
        "event_id, and cut into parts of at most `max_session_turns` turns so that a bot cannot make one "
        "unbounded session. No row is dropped."
    ),
    columns=(
        Column("session_id", STRING, False, "opaque, deterministic id of the session (part)"),
        Column("session_part", INT32, False, "0, or the part number of a runaway session cut into parts"),
        Column("turn_index", INT32, False, "0-based position of the turn in its session (part)"),
        Column("gap_s", FLOAT64, True, "seconds since the previous turn of the session; null for the first"),
        Column("is_runaway", BOOL, False, "the uncut session had more than max_session_turns turns"),
    )
    + TURNS.columns,
)
