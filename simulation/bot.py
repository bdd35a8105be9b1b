"""The looping bot: one user and device repeating one popular phrasing every 1-3 s for hours, as in real logs."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from schemas.truth import TRUTH
from simulation.config import SimulationConfig
from simulation.draws import derive_seed, hex_ids
from simulation.logs import BatchStats, SimulatedBatch, assemble
from simulation.rows import BOT, CLEAN, NONE, Rows, Users
from simulation.surfaces import Surfaces
from simulation.world import LocaleWorld


def bot_turn_count(config: SimulationConfig) -> int:
    return int(config.bot_hours * 3600 / 2) if config.bot_hours > 0 else 0  # one turn every 2 s on average


def bot_batch(world: LocaleWorld, day_start_us: int) -> SimulatedBatch:
    """One user+device repeating one popular phrasing every 1-3 s for hours: thousands of turns."""
    rng = np.random.default_rng(derive_seed(world.traffic_seed, "bot", world.locale))
    count = bot_turn_count(world.config)
    top = world.ranked_goals[0]
    phrasing = world.phrasing_ids(np.array([top]), world.goal_own_carrier.values[[top]])[0]
    none = np.full(count, NONE)
    rows = Rows(
        user=np.zeros(count, dtype=np.int64), device=np.zeros(count, dtype=np.int64),
        t=rng.uniform(1 * 3600, 3 * 3600) + np.cumsum(rng.uniform(1.0, 3.0, count)),
        phrasing=np.full(count, phrasing), goal=none, role=np.full(count, BOT),
        attempt=np.zeros(count, dtype=np.int64), rephrase_of=none, rephrase_root=none,
    )
    users = Users(hex_ids(rng, 1, 8, "u"), hex_ids(rng, 1, 6, "d"), np.zeros(1, bool), np.zeros(1, bool))
    surfaces = Surfaces(np.full(count, CLEAN), np.zeros(0, dtype=np.int64), [], [], np.zeros(count, bool))
    log, truth = assemble(world, rows, surfaces, users, day_start_us, hex_ids(rng, count))
    truth = pa.RecordBatch.from_arrays(truth.columns + [pa.array(np.ones(count, np.int32))], schema=TRUTH.arrow_schema)
    stats = BatchStats(turns=count, events=count, users=1, sessions=1, bot_turns=count)
    return SimulatedBatch(world.locale, log, truth, stats)
