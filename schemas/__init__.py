"""Data contracts: one declaration per dataset gives its Spark schema, pyarrow schema and docs."""

from schemas.candidates import CANDIDATES
from schemas.feedback import FEEDBACK, READING_FEEDBACK
from schemas.interactions import INTERACTIONS
from schemas.labels import LABELS
from schemas.outcomes import OUTCOMES
from schemas.outputs import REJECTED_READINGS, REWRITES, TRAINING, WITHDRAWN_REWRITES
from schemas.pairs import PAIRS
from schemas.phrasings import GOAL_PHRASINGS, PHRASINGS
from schemas.quarantine import QUARANTINE
from schemas.sessions import SESSIONS
from schemas.sketches import LABEL_USERS, PAIR_USERS
from schemas.state import LABEL_STATE, PAIR_STATE
from schemas.texts import EMBEDDINGS, TEXTS
from schemas.truth import TRUTH
from schemas.turns import TURNS

# In pipeline order: the input, then each stage's outputs. Not TRUTH: the simulator's ground truth is no
# dataset of the pipeline (the miner never reads it; only evaluation does).
ALL_CONTRACTS = (
    INTERACTIONS, QUARANTINE, TURNS, SESSIONS, TEXTS, EMBEDDINGS, CANDIDATES, OUTCOMES, PHRASINGS, GOAL_PHRASINGS,
    FEEDBACK, READING_FEEDBACK, PAIRS, LABELS, PAIR_USERS, LABEL_USERS, PAIR_STATE, LABEL_STATE, REWRITES,
    WITHDRAWN_REWRITES, REJECTED_READINGS, TRAINING,
)

__all__ = [
    "ALL_CONTRACTS", "CANDIDATES", "EMBEDDINGS", "FEEDBACK", "GOAL_PHRASINGS", "INTERACTIONS", "LABEL_STATE",
    "LABEL_USERS", "LABELS", "OUTCOMES", "PAIR_STATE", "PAIR_USERS", "PAIRS", "PHRASINGS", "QUARANTINE",
    "READING_FEEDBACK", "REJECTED_READINGS", "REWRITES", "SESSIONS", "TEXTS", "TRAINING", "TRUTH", "TURNS",
    "WITHDRAWN_REWRITES",
]
