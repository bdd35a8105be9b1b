"""Rows that broke the input contract, with the reason. Nothing is dropped silently."""

from schemas.contract import Column, Contract
from schemas.interactions import INTERACTIONS
from schemas.types import STRING

# In the order they are checked: a row gets the first reason that applies.
REASONS = {
    "null_event_id": "event_id is null",
    "null_user_id": "user_id is null",
    "null_ts": "ts is null",
    "null_locale": "locale is null",
    "null_utterance": "utterance is null",
    "null_status": "status is null",
    "unknown_status": "status is not one of the contract's statuses",
    "malformed_locale": "locale is not a BCP-47 tag of the form ll[-Scrp][-RR|-999]",
    "utterance_too_long": "utterance longer than the configured limit (max_utterance_chars)",
    "no_printable_text": "utterance is empty, whitespace or control characters only",
    "malformed_rewrite": (
        "rewritten_utterance is empty, whitespace or control characters only, or longer than max_utterance_chars"
    ),
    "confidence_out_of_range": "nlu_confidence is NaN or outside 0..1",
    "malformed_slots": "a slot has a null name or a null value",
}

_PSEUDONYMIZED = {"user_id", "device_id"}

QUARANTINE = Contract(
    name="quarantine",
    doc=(
        "`OUT/quarantine/`, Parquet partitioned by `reason`. The input row as read, except that user_id and "
        "device_id are replaced by their keyed hashes (user_key, device_key), plus the reason and the file "
        "it came from."
    ),
    columns=(
        Column("reason", STRING, False, "first broken rule: " + ", ".join(f"`{r}`" for r in REASONS)),
        Column("source_file", STRING, False, "the input file the row was read from"),
        Column("user_key", STRING, True, "hash of user_id (null when user_id is null)"),
        Column("device_key", STRING, True, "hash of device_id (null when device_id is null)"),
    )
    # A quarantined row may break any rule, so every input column is nullable here.
    + tuple(Column(c.name, c.type, True, c.doc) for c in INTERACTIONS.columns if c.name not in _PSEUDONYMIZED),
)
