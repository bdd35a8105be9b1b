"""Per-turn outcomes: whether each turn was defective and what came next. Written by `jobs/rephrases.py`."""

from schemas.contract import Column, Contract
from schemas.types import BOOL, FLOAT32, FLOAT64, SLOTS, STRING

OUTCOMES = Contract(
    name="outcomes",
    doc=(
        "`OUT/outcomes/`, Parquet partitioned by `locale`: every turn outside runaway sessions, with whether "
        "it was defective (friction, low confidence, or a silent failure) and, for the chain, the next turn "
        "of its session within the rephrase window."
    ),
    columns=(
        Column("locale", STRING, False, "canonical locale"),
        Column("user_key", STRING, False, "keyed hash of the user"),
        Column("session_id", STRING, False, "session"),
        Column("event_id", STRING, False, "the turn"),
        Column("text", STRING, False, "normalized utterance"),
        Column("utterance", STRING, False, "utterance as said"),
        Column("intent", STRING, True, "NLU intent"),
        Column("slots", SLOTS, True, "NLU slots"),
        Column("nlu_confidence", FLOAT32, True, "NLU confidence"),
        Column("status", STRING, False, "turn status"),
        Column(
            "is_defective", BOOL, False,
            "friction, low confidence, a success the user corrected at once, or a success of a phrasing misread "
            "silently for many users",
        ),
        Column(
            "served_text", STRING, True,
            "normalized text a runtime rewriter sent to the NLU instead of `text` (null: none served)",
        ),
        Column("next_text", STRING, True, "normalized text of the next turn within the window"),
        Column("next_probability", FLOAT64, True, "rephrase probability of (this turn, next turn)"),
    ),
)
