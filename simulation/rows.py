"""What a simulated turn is made of: the log's Arrow schema, the truth's vocabularies, the integer codes the
vectorized simulation uses for them, and the per-row and per-user arrays a batch collects."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from schemas.interactions import INTERACTIONS, STATUSES

# The contract's columns, types and order, all declared nullable: malformed rows carry nulls in required
# columns (that is their point), which Arrow and Parquet refuse under a not-null declaration. The contract
# checks nullability per row, not per file, so this is exactly what a sloppy real producer writes.
LOG_SCHEMA = pa.schema([field.with_nullable(True) for field in INTERACTIONS.arrow_schema])
SLOTS_TYPE = LOG_SCHEMA.field("slots").type
TS_TYPE = LOG_SCHEMA.field("ts").type

# The values of the truth's nlu_outcome, role and surface columns (schemas.truth.TRUTH).
OUTCOMES = ("correct", "friction", "bargein", "cancel", "silent")
ROLES = ("first", "variant", "rephrase", "repeat", "switch", "followup", "stop", "bot", "malformed", "hostile")
SURFACES = ("clean", "noisy", "hostile")

# Integer codes of the vectorized simulation (indices into the tuples above).
CORRECT, FRICTION, BARGEIN, CANCEL, SILENT = range(len(OUTCOMES))
FIRST, VARIANT, REPHRASE, REPEAT, SWITCH, FOLLOWUP, STOP, BOT = range(8)
CLEAN, NOISY, HOSTILE = range(len(SURFACES))
NONE = -1  # no row / no goal / no outcome / no device
STATUS_CODES = {status: code for code, status in enumerate(STATUSES)}


@dataclass
class Rows:
    """The turns of a batch, one entry per row, as emitted (columns are numpy arrays)."""

    user: np.ndarray  # position of the user in the batch
    device: np.ndarray  # device slot (see Users.device_ids) or NONE
    t: np.ndarray  # seconds since the simulated day's midnight
    phrasing: np.ndarray
    goal: np.ndarray  # NONE for turns serving no goal (stop words, the bot)
    role: np.ndarray
    attempt: np.ndarray  # 0 for turns serving no goal
    rephrase_of: np.ndarray  # row number or NONE
    rephrase_root: np.ndarray

    @property
    def size(self) -> int:
        return len(self.t)


class RowChunks:
    """Collects the rows emitted step by step; row numbers are positions in the final concatenation."""

    def __init__(self) -> None:
        self._chunks: list[tuple[np.ndarray, ...]] = []
        self.size = 0

    def append(self, *columns: np.ndarray) -> np.ndarray:
        count = len(columns[0])
        self._chunks.append(tuple(np.asarray(c) for c in columns))
        self.size += count
        return np.arange(self.size - count, self.size)

    def concatenated(self) -> Rows:
        return Rows(*(np.concatenate(parts) for parts in zip(*self._chunks)))


@dataclass
class Users:
    ids: pa.Array  # "u" + 16 hex digits
    device_ids: pa.Array  # slot i: user i's first device; slot n + i: their second
    has_two_devices: np.ndarray
    web_client: np.ndarray  # no device id at all

