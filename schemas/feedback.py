"""What the served rewrites did: the outcomes a runtime rewriter's turns came back with."""

from schemas.contract import Column, Contract
from schemas.types import FLOAT64, STRING

FEEDBACK = Contract(
    name="feedback",
    doc=(
        "`OUT/feedback/` (one day, written by `jobs/aggregate.py`) and `STAGING/feedback/` (all days, decayed, "
        "written by `jobs/accumulate.py`), Parquet partitioned by `locale`. One row per rewrite (source, target) "
        "that a runtime rewriter served: the users it was served to and the users it failed for, one vote per "
        "user and day. A served turn failed when it was defective: friction, or interrupted, cancelled or "
        "rephrased at once. Served turns come from the log's optional `rewritten_utterance` column."
    ),
    columns=(
        Column("locale", STRING, False, "canonical locale"),
        Column("source", STRING, False, "the phrasing the user said, normalized"),
        Column("target", STRING, False, "what the rewriter sent to the NLU instead, normalized"),
        Column("served_users", FLOAT64, False, "users it was served to (decayed sum over the days)"),
        Column("failed_users", FLOAT64, False, "users for whom it failed (decayed sum over the days)"),
    ),
)

READING_FEEDBACK = Contract(
    name="reading_feedback",
    doc=(
        "`OUT/reading_feedback/` (one day, written by `jobs/aggregate.py`) and `STAGING/reading_feedback/` (all "
        "days, decayed, written by `jobs/accumulate.py`), Parquet partitioned by `locale`. One row per reading "
        "(a phrasing said as is, no rewrite served, and the intent the NLU read it as): the users it was served "
        "to and the users who rejected it, one vote per user and day. A user rejected a reading when the turn "
        "met friction (an error, an unhandled request, an interruption or a cancel) or was rephrased at once "
        "(`miner.readings.is_rejected`); a low-confidence success the user let stand is no rejection."
    ),
    columns=(
        Column("locale", STRING, False, "canonical locale"),
        Column("text", STRING, False, "the phrasing, normalized"),
        Column("intent", STRING, False, "the intent the NLU read it as"),
        Column("served_users", FLOAT64, False, "users the reading was served to (decayed sum over the days)"),
        Column("rejected_users", FLOAT64, False, "users who rejected it (decayed sum over the days)"),
    ),
)
