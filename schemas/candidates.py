"""Multiturn rephrase candidates with their features: the output of `jobs/rephrases.py`."""

from schemas.contract import Column, Contract
from schemas.types import BOOL, FLOAT32, FLOAT64, INT32, SLOTS, STRING

CANDIDATES = Contract(
    name="candidates",
    doc=(
        "`OUT/candidates/`, Parquet partitioned by `locale`. Each turn that can be a defect (friction, or a "
        "success the next turn corrects within 15 s for another intent) paired with each of the next "
        "`max_following_turns` turns of its user, on any of their devices, that come within "
        "`rephrase_window_seconds`, with the "
        "features that tell a rephrase from a topic switch and the resulting rephrase probability. Pairs from "
        "other turns feed nothing downstream and are not scored. Runaway sessions (bots) give no candidates."
    ),
    columns=(
        Column("locale", STRING, False, "canonical locale"),
        Column("session_id", STRING, False, "the session of the earlier turn (the later one may be on another device)"),
        Column("user_key", STRING, False, "keyed hash of the user (for one vote per user)"),
        Column("source_event_id", STRING, False, "the earlier turn"),
        Column("target_event_id", STRING, False, "the later turn"),
        Column("hop", INT32, False, "1 = the user's next turn, 2 = the one after, ..."),
        Column("gap_s", FLOAT64, False, "seconds between the two turns"),
        Column("source", STRING, False, "normalized text of the earlier turn"),
        Column("target", STRING, False, "normalized text of the later turn"),
        Column("source_status", STRING, False, "status of the earlier turn"),
        Column("target_status", STRING, False, "status of the later turn"),
        Column("source_intent", STRING, True, "NLU intent of the earlier turn"),
        Column("target_intent", STRING, True, "NLU intent of the later turn"),
        Column("source_confidence", FLOAT32, True, "NLU confidence of the earlier turn"),
        Column("target_confidence", FLOAT32, True, "NLU confidence of the later turn"),
        Column("target_slots", SLOTS, True, "slots of the later turn's interpretation"),
        Column("is_friction", BOOL, False, "the earlier turn failed visibly: a friction status or low confidence"),
        Column(
            "is_silent_failure", BOOL, False,
            "the earlier turn reported success but the user asked again at once for another intent: in similar "
            "words, or after a phrasing whose successes its users correct far more often than the locale's",
        ),
        Column("target_succeeded", BOOL, False, "the later turn reported success with enough confidence"),
        Column("lexical_similarity", FLOAT32, False, "rapidfuzz token-set ratio / 100, script-aware"),
        Column("semantic_similarity", FLOAT32, False, "cosine of the sentence embeddings"),
        Column(
            "slot_overlap", FLOAT32, True,
            "share of the later turn's slot values found in the earlier text; null when it has no slots",
        ),
        Column("rephrase_probability", FLOAT32, False, "the scoring rule's probability that target rephrases source"),
    ),
)
