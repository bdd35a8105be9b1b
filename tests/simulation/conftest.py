"""A small simulated run shared by the simulator's tests (built once per session: it takes seconds)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from simulation.batches import plan_batches, simulate_batch
from simulation.logs import BatchStats
from simulation.world import LocaleWorld
from tests.simulation_factory import DAY, SMALL, shipped


@pytest.fixture(scope="session")
def seed_records() -> dict[str, list[dict]]:
    return {"en-US": shipped("en-US.train.jsonl.gz"), "sw-KE": shipped("sw-KE.dev.jsonl.gz")}


@pytest.fixture(scope="session")
def worlds(seed_records) -> dict[str, LocaleWorld]:
    return {locale: LocaleWorld(locale, records, seed=7, config=SMALL) for locale, records in seed_records.items()}


@pytest.fixture(scope="session")
def run(worlds):
    """600 users per locale: enough for every hostile phrasing to recur across >= 5 users."""
    specs = plan_batches(list(worlds), 600, SMALL)
    batches = [simulate_batch(worlds[spec.locale], spec, DAY) for spec in specs]
    stats = BatchStats()
    for batch in batches:
        stats.add(batch.stats)
    log = pa.Table.from_batches([b.log for b in batches])
    truth = pa.Table.from_batches([b.truth for b in batches])
    return log, truth, stats


@pytest.fixture(scope="session")
def rows(run):
    log, truth, _ = run
    return log.to_pylist(), {r["event_id"]: r for r in truth.to_pylist()}
