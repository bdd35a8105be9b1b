"""Data contracts: one declaration per dataset gives its Spark schema, pyarrow schema and docs."""

from schemas.interactions import INTERACTIONS
from schemas.quarantine import QUARANTINE
from schemas.sessions import SESSIONS
from schemas.turns import TURNS

ALL_CONTRACTS = (INTERACTIONS, QUARANTINE, TURNS, SESSIONS)

__all__ = ["ALL_CONTRACTS", "INTERACTIONS", "QUARANTINE", "SESSIONS", "TURNS"]
