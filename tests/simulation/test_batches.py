"""The simulator's entry points: planning batches, determinism, the phrasing cache, sizing a run."""

from __future__ import annotations

import pyarrow as pa

from simulation.batches import BatchSpec, estimate_users_per_locale, plan_batches, simulate_batch, simulate_tables
from simulation.config import SimulationConfig
from simulation.world import LocaleWorld
from tests.simulation_factory import DAY, SMALL, ipc_bytes


def test_the_same_seed_gives_identical_tables_and_another_seed_does_not(seed_records, run):
    # fresh worlds here, used ones in `run`: the output does not depend on what ran before
    log, truth, _ = run
    again_log, again_truth, _ = simulate_tables(seed_records, 600, DAY, seed=7, config=SMALL)
    other_log, _, _ = simulate_tables({"sw-KE": seed_records["sw-KE"]}, 100, DAY, seed=8, config=SMALL)

    assert ipc_bytes(again_log) == ipc_bytes(log)
    assert ipc_bytes(again_truth) == ipc_bytes(truth)
    other_ids = set(other_log.column("event_id").drop_null().to_pylist())
    assert other_ids.isdisjoint(log.column("event_id").drop_null().to_pylist())


def test_a_batch_does_not_depend_on_the_phrasing_cache(seed_records, worlds, run):
    spec = BatchSpec("sw-KE", 400, 450)
    forgetful = LocaleWorld(
        "sw-KE", seed_records["sw-KE"], seed=7, config=SimulationConfig(max_cached_phrasings=10)
    )
    simulate_batch(forgetful, BatchSpec("sw-KE", 0, 100), DAY)  # fills the cache: forgotten next
    assert len(forgetful.phrasings) > 10

    batch = simulate_batch(forgetful, spec, DAY)
    expected = simulate_batch(worlds["sw-KE"], spec, DAY)  # a world that has run 600 users

    assert ipc_bytes(pa.Table.from_batches([batch.log])) == ipc_bytes(pa.Table.from_batches([expected.log]))
    assert ipc_bytes(pa.Table.from_batches([batch.truth])) == ipc_bytes(pa.Table.from_batches([expected.truth]))


def test_estimate_users_per_locale_hits_the_target_roughly(seed_records):
    records = {"sw-KE": seed_records["sw-KE"]}
    config = SimulationConfig(bot_hours=0, users_per_batch=500)

    users = estimate_users_per_locale(6_000, records, seed=7, day=DAY, config=config)
    _, _, stats = simulate_tables(records, users, DAY, seed=7, config=config)

    assert 5_000 < stats.turns < 7_000


def test_plan_batches_puts_the_bot_after_the_first_locale():
    config = SimulationConfig(users_per_batch=1000)

    specs = plan_batches(["en-US", "de-DE"], 2500, config)

    assert [(s.locale, s.first_user, s.last_user, s.bot) for s in specs] == [
        ("en-US", 0, 1000, False), ("en-US", 1000, 2000, False), ("en-US", 2000, 2500, False),
        ("en-US", 0, 0, True),
        ("de-DE", 0, 1000, False), ("de-DE", 1000, 2000, False), ("de-DE", 2000, 2500, False),
    ]
