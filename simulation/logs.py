"""A batch's output: its log and ground-truth record batches, assembled from its rows, and what it counts.

The log is in the ``interactions`` input contract (``LOG_SCHEMA``: the columns and types of
``INTERACTIONS.arrow_schema``, declared nullable so that malformed rows can be written); the truth is in the
``truth`` contract (``schemas.truth.TRUTH``), one row per produced event. The miner never sees the truth;
evaluation joins it on ``event_id``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pyarrow as pa

from schemas.interactions import STATUSES
from schemas.truth import TRUTH
from simulation.arrays import masked
from simulation.rows import LOG_SCHEMA, NONE, OUTCOMES, ROLES, SLOTS_TYPE, STATUS_CODES, SURFACES, TS_TYPE, Rows, Users
from simulation.surfaces import Surfaces
from simulation.world import LocaleWorld

# The truth as assembled from the rows; the deliveries column comes last, once duplicates are drawn.
TRUTH_BEFORE_DELIVERIES = pa.schema(list(TRUTH.arrow_schema)[:-1])


@dataclass
class BatchStats:
    turns: int = 0  # rows written, duplicates included
    events: int = 0  # distinct events (truth rows)
    users: int = 0
    sessions: int = 0
    failures: int = 0  # goal turns the NLU misread (noticed or not)
    rephrases: int = 0
    duplicates: int = 0
    malformed: int = 0
    hostile: int = 0  # events with hostile surface text
    bot_turns: int = 0

    def add(self, other: BatchStats) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


@dataclass(frozen=True)
class SimulatedBatch:
    locale: str
    log: pa.RecordBatch  # LOG_SCHEMA, in generation order (writers shuffle)
    truth: pa.RecordBatch  # TRUTH.arrow_schema
    stats: BatchStats


def assemble(
    world: LocaleWorld, rows: Rows, surfaces: Surfaces, users: Users, day_start_us: int, event_ids: pa.Array
) -> tuple[pa.RecordBatch, pa.RecordBatch]:
    """Log and truth (without deliveries) of the rows. Every column is a `take` from per-phrasing,
    per-goal or per-user arrays, so no Python work is done per row."""
    n = rows.size
    # rows whose surface was changed have their own text and slots, appended after the phrasings'
    by_text = rows.phrasing.copy()
    by_text[surfaces.changed] = len(world.phrasings) + np.arange(surfaces.changed.size)
    changed_reads = [world.phrasings[p].read for p in rows.phrasing[surfaces.changed].tolist()]
    texts = pa.concat_arrays([world.phrasing_text.array, pa.array(surfaces.texts, pa.string())])
    read_slots = pa.array([r.slots_of(s) for r, s in zip(changed_reads, surfaces.slots)], SLOTS_TYPE)
    read_slots = pa.concat_arrays([world.phrasing_read_slots.array, read_slots])
    gold_slots = pa.concat_arrays([world.phrasing_slots.array, pa.array(surfaces.slots, SLOTS_TYPE)])
    utterance = texts.take(by_text)
    served = world.phrasing_served.array.take(rows.phrasing)
    status_codes = world.phrasing_status.values[rows.phrasing]
    status_codes[surfaces.interrupted] = STATUS_CODES["interrupted"]
    log = pa.RecordBatch.from_arrays(
        [
            event_ids,
            users.ids.take(rows.user),
            users.device_ids.take(masked(rows.device)),
            pa.array(day_start_us + np.round(rows.t * 1_000_000).astype(np.int64), TS_TYPE),
            pa.array([world.locale] * n, pa.string()),
            utterance,
            world.phrasing_intent.array.take(rows.phrasing),
            read_slots.take(by_text),
            pa.array(world.phrasing_confidence.values[rows.phrasing]),
            pa.array(STATUSES, pa.string()).take(status_codes),
            served,
        ],
        schema=LOG_SCHEMA,
    )

    no_goal = rows.goal == NONE
    outcomes = np.where(no_goal, NONE, world.phrasing_outcome.values[rows.phrasing])
    truth = pa.RecordBatch.from_arrays(
        [
            event_ids,
            pa.array([world.locale] * n, pa.string()),
            users.ids.take(rows.user),
            utterance,
            world.goal_intents.array.take(masked(rows.goal)),
            gold_slots.take(masked(np.where(no_goal, NONE, by_text))),
            world.goal_ids.array.take(masked(rows.goal)),
            pa.array(ROLES, pa.string()).take(rows.role),
            pa.array(OUTCOMES, pa.string()).take(masked(outcomes)),
            event_ids.take(masked(rows.rephrase_of)),
            event_ids.take(masked(rows.rephrase_root)),
            pa.array(rows.attempt.astype(np.int32), mask=rows.attempt == 0),
            pa.array(SURFACES, pa.string()).take(surfaces.codes),
            pa.nulls(n, pa.string()),
            served,
        ],
        schema=TRUTH_BEFORE_DELIVERIES,
    )
    return log, truth

