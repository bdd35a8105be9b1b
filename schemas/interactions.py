"""The input contract: an interaction log, one row per turn."""

from schemas.contract import Column, Contract
from schemas.types import FLOAT32, SLOTS, STRING, TIMESTAMP_UTC

STATUSES = ("success", "error", "unhandled", "interrupted", "cancelled")
FRICTION_STATUSES = ("error", "unhandled", "interrupted", "cancelled")

INTERACTIONS = Contract(
    name="interactions",
    doc=(
        "A directory of Parquet files, any layout (Hive-style `date=YYYY-MM-DD/` folders allowed), one row "
        "per turn. Extra columns are ignored. A missing column or a column of another type fails the run "
        "with the file and column named, except an optional column, which a file may lack (read as nulls). Rows "
        "that break the contract are quarantined with a reason."
    ),
    columns=(
        Column("event_id", STRING, False, "id of the turn; the same event may be delivered more than once"),
        Column("user_id", STRING, False, "pseudonymous account id"),
        Column("device_id", STRING, True, "device; a session belongs to one (user_id, device_id)"),
        Column("ts", TIMESTAMP_UTC, False, "when the request was received (any Parquet time unit, UTC)"),
        Column("locale", STRING, False, "BCP-47 locale, e.g. en-US, de-DE, sw-KE, ja-JP"),
        Column("utterance", STRING, False, "ASR 1-best or typed text, as said"),
        Column("intent", STRING, True, "the NLU's top interpretation, MASSIVE-style (alarm_set); null = none"),
        Column(
            "slots", SLOTS, True,
            "slot values of that interpretation, as they appear in the utterance",
        ),
        Column("nlu_confidence", FLOAT32, True, "0..1"),
        Column("status", STRING, False, "outcome of the turn: " + ", ".join(STATUSES)),
        Column(
            "rewritten_utterance", STRING, True,
            "what the NLU read instead of `utterance` when a runtime rewriter served a rewrite (the rewrite "
            "table's `target`); null when none was served. `intent`, `slots`, `nlu_confidence` and `status` are "
            "the outcome of the rewritten text",
            optional=True,
        ),
    ),
)
