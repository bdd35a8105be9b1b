"""A realistic, hard interaction-log simulator, with ground truth (pure logic: no files, no Spark): its entry points.

Given MASSIVE seed records per locale, ``simulate`` yields batches of users' turns as Arrow record
batches in the ``interactions`` input contract (``LOG_SCHEMA``: the columns and types of
``INTERACTIONS.arrow_schema``, declared nullable so that malformed rows can be written) plus a
ground-truth batch (``schemas.truth.TRUTH``). The miner never sees the truth; evaluation joins it on
``event_id``.

The simulator's parts: the world of goals, phrasings and the NLU (`simulation.world`), the users and their
sessions (`simulation.users`), the surface noise (`simulation.surfaces`), the log and truth rows
(`simulation.logs`), log defects (`simulation.defects`) and the looping bot (`simulation.bot`).

How it runs
-----------
Users are simulated ``users_per_batch`` at a time. Within a batch all sessions advance in lockstep, one
turn per step, as numpy arrays of state, and the Arrow columns are `take`s from per-phrasing arrays: no
Python work per row except for the ~15% of rows whose words get noise. A batch depends only on its
``BatchSpec`` (locale, user range), the seed records, the seed and the config, so batches can run in any
order or in parallel processes and still come out byte-identical; memory is bounded by one batch plus a
capped phrasing cache.

Determinism: the same seed records, parameters and seed give identical batches. Randomness comes from
``random.Random`` / ``numpy`` generators seeded through BLAKE2 of (seed, purpose, locale, ...), never from
Python's salted ``hash()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Iterator, Mapping, Sequence

import pyarrow as pa

from schemas.truth import TRUTH
from simulation.bot import bot_batch, bot_turn_count
from simulation.config import SimulationConfig
from simulation.logs import BatchStats, SimulatedBatch
from simulation.rows import LOG_SCHEMA
from simulation.users import BatchSimulation
from simulation.world import LocaleWorld


@dataclass(frozen=True)
class BatchSpec:
    """One unit of work: users ``first_user`` .. ``last_user - 1`` of a locale, or that locale's bot.

    A batch depends only on its spec, the locale's seed records, the seed and the config, so batches can
    be generated in any order or in parallel processes and still come out identical.
    """

    locale: str
    first_user: int
    last_user: int
    bot: bool = False


def plan_batches(locales: Sequence[str], users_per_locale: int, config: SimulationConfig) -> list[BatchSpec]:
    """The batches of a run, in output order: each locale's users, the bot after the first locale's."""
    specs = []
    for locale_index, locale in enumerate(locales):
        for first_user in range(0, users_per_locale, config.users_per_batch):
            specs.append(BatchSpec(locale, first_user, min(first_user + config.users_per_batch, users_per_locale)))
        if locale_index == 0 and config.bot_hours > 0:
            specs.append(BatchSpec(locale, 0, 0, bot=True))
    return specs


def simulate_batch(world: LocaleWorld, spec: BatchSpec, day: date) -> SimulatedBatch:
    """Generate one planned batch with the world of its locale."""
    if world.locale != spec.locale:
        raise ValueError(f"batch for {spec.locale} given the world of {world.locale}")
    day_start_us = int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp()) * 1_000_000
    if len(world.phrasings) > world.config.max_cached_phrasings:
        world.forget_phrasings()
    if spec.bot:
        return bot_batch(world, day_start_us)
    return BatchSimulation(world, day_start_us, spec.first_user, spec.last_user).run()


def simulate(
    seed_records: Mapping[str, Sequence[Mapping[str, str]]],
    users_per_locale: int,
    day: date,
    seed: int,
    config: SimulationConfig = SimulationConfig(),
) -> Iterator[SimulatedBatch]:
    """Yield the simulated log, locale by locale, ``config.users_per_batch`` users at a time.

    ``users_per_locale`` users are simulated in each locale of ``seed_records`` (in its key order); the
    first locale also gets the looping bot. Memory stays bounded by one batch.
    """
    worlds: dict[str, LocaleWorld] = {}
    for spec in plan_batches(list(seed_records), users_per_locale, config):
        if spec.locale not in worlds:
            worlds = {spec.locale: LocaleWorld(spec.locale, seed_records[spec.locale], seed, config)}
        yield simulate_batch(worlds[spec.locale], spec, day)


def simulate_tables(
    seed_records: Mapping[str, Sequence[Mapping[str, str]]],
    users_per_locale: int,
    day: date,
    seed: int,
    config: SimulationConfig = SimulationConfig(),
) -> tuple[pa.Table, pa.Table, BatchStats]:
    """All of ``simulate`` in memory: (log, truth, stats). For tests and small runs."""
    batches = list(simulate(seed_records, users_per_locale, day, seed, config))
    stats = BatchStats()
    for batch in batches:
        stats.add(batch.stats)
    log = pa.Table.from_batches([b.log for b in batches], schema=LOG_SCHEMA)
    truth = pa.Table.from_batches([b.truth for b in batches], schema=TRUTH.arrow_schema)
    return log, truth, stats


def estimate_users_per_locale(
    target_turns: int,
    seed_records: Mapping[str, Sequence[Mapping[str, str]]],
    seed: int,
    day: date,
    config: SimulationConfig = SimulationConfig(),
    worlds: dict[str, LocaleWorld] | None = None,
) -> int:
    """Users per locale for about ``target_turns`` rows in all, measured on a pilot batch per locale.

    Pass ``worlds`` to keep the worlds built for the pilot (building one takes a moment).
    """
    worlds = {} if worlds is None else worlds
    pilot_users = min(config.users_per_batch, 1000)
    pilot_turns = 0
    for locale, records in seed_records.items():
        world = worlds.get(locale) or LocaleWorld(locale, records, seed, config)
        worlds[locale] = world
        pilot_turns += simulate_batch(world, BatchSpec(locale, 0, pilot_users), day).stats.turns
    bot_turns = bot_turn_count(config)
    turns_per_user_of_every_locale = pilot_turns / pilot_users
    return max(1, round(max(target_turns - bot_turns, 0) / turns_per_user_of_every_locale))

