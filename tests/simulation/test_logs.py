"""A batch's log and truth: the contracts' columns, every value of the vocabularies, the stats."""

from __future__ import annotations

import collections

from schemas.interactions import INTERACTIONS, STATUSES
from schemas.truth import TRUTH
from simulation.rows import OUTCOMES, ROLES


def test_the_log_has_the_contracts_columns_and_types_and_the_truth_its_schema(run):
    log, truth, _ = run

    assert log.schema.names == INTERACTIONS.arrow_schema.names
    assert [f.type for f in log.schema] == [f.type for f in INTERACTIONS.arrow_schema]
    assert INTERACTIONS.problems_with(log.schema) == []
    assert truth.schema.equals(TRUTH.arrow_schema)


def test_stats_count_what_was_produced(run):
    log, truth, stats = run
    roles = collections.Counter(truth.column("role").to_pylist())

    assert stats.turns == log.num_rows == sum(truth.column("deliveries").to_pylist())
    assert stats.events == truth.num_rows
    assert stats.users == 2 * 600 + 1  # and the bot
    assert stats.rephrases == roles["rephrase"]
    assert stats.malformed == roles["malformed"]
    assert stats.bot_turns == roles["bot"] == 90
    assert 5 < (stats.turns - stats.bot_turns) / 1200 < 8  # turns per user


def test_every_failure_type_and_status_appears(run):
    log, truth, _ = run

    assert set(truth.column("nlu_outcome").drop_null().to_pylist()) == set(OUTCOMES)
    assert set(STATUSES) <= set(log.column("status").to_pylist())
    assert set(ROLES) == set(truth.column("role").to_pylist())
