"""Rows that broke the input contract, with the reason. Nothing is dropped silently."""

from schemas.contract import Column, Contract
from schemas.interactions import INTERACTIONS
from schemas.types import STRING

# A turn's time is plausible from the first of the first year to the first of the last (UTC): outside, it was
# most likely read in the wrong unit (epoch milliseconds as seconds lands near the year 55000).
PLAUSIBLE_YEARS = (2000, 2100)

# In the order they are checked: a row gets the first reason that applies.
REASONS = {
    "unparseable_record": "the JSON line or CSV row could not be parsed (source_value holds its text)",
    "unparseable_value": (
        "a timestamp, confidence or slots value is there but does not parse under the log format "
        "(source_column names it)"
    ),
    "null_event_id": "event_id is null",
    "null_user_id": "user_id is null",
    "null_ts": "ts is null",
    "implausible_ts": (
        f"ts is before {PLAUSIBLE_YEARS[0]} or from {PLAUSIBLE_YEARS[1]} on: a timestamp read in the wrong unit"
    ),
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

# The contract column each reason is about (the quarantine names the log's own column for it). The two
# parse failures name theirs per row.
REASON_COLUMNS = {
    "null_event_id": "event_id", "null_user_id": "user_id", "null_ts": "ts", "implausible_ts": "ts",
    "null_locale": "locale", "null_utterance": "utterance", "null_status": "status", "unknown_status": "status",
    "malformed_locale": "locale", "utterance_too_long": "utterance", "no_printable_text": "utterance",
    "malformed_rewrite": "rewritten_utterance", "confidence_out_of_range": "nlu_confidence",
    "malformed_slots": "slots",
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
        Column(
            "source_column", STRING, True,
            "the column of the logs the reason is about, by the logs' own name (the log format's mapping); "
            "null for `unparseable_record`",
        ),
        Column(
            "source_value", STRING, True,
            "that column's value as text (PII scrubbed, at most 200 characters), or the unparseable record's text",
        ),
        Column("user_key", STRING, True, "hash of user_id (null when user_id is null)"),
        Column("device_key", STRING, True, "hash of device_id (null when device_id is null)"),
    )
    # A quarantined row may break any rule, so every input column is nullable here.
    + tuple(Column(c.name, c.type, True, c.doc) for c in INTERACTIONS.columns if c.name not in _PSEUDONYMIZED),
)
