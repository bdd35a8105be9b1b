"""The stages of a run, in order, and the command-line arguments each receives.

The CLI runs them in one SparkSession; the Airflow DAG submits each as its own spark-submit. Both build the
arguments here, from one dict of values (the DAG's values are Jinja templates), so the two cannot drift.
This module imports nothing heavy: the DAG file imports it at parse time.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Stage:
    name: str
    module: str
    arguments: tuple[str, ...]  # each value becomes `--name value`

    def argv(self, values: Mapping[str, object]) -> list[str]:
        args: list[str] = []
        for name in self.arguments:
            value = values[name]
            text = ",".join(value) if isinstance(value, (list, tuple)) else str(value)
            args += [f"--{name.replace('_', '-')}", text]
        return args

    def load(self):
        return importlib.import_module(self.module)

    @property
    def application(self) -> str:
        """The job's file, what spark-submit is given."""
        return str(Path(__file__).with_name(f"{self.module.rsplit('.', 1)[1]}.py"))


# Mining one day of logs into OUT: quarantine, sessions, candidates, variants, pairs and labels.
MINING_STAGES = (
    Stage("ingest", "jobs.ingest", ("logs", "out", "max_utterance_chars", "scrub_pii")),
    Stage("sessionize", "jobs.sessionize", ("out", "session_gap_seconds", "max_session_turns")),
    Stage(
        "rephrases", "jobs.rephrases",
        (
            "out", "rephrase_window_seconds", "max_following_turns", "embedding_model", "embedding_cache",
            "min_users",
        ),
    ),
    Stage("variants", "jobs.variants", ("out", "min_users", "top_phrasings_per_goal")),
    Stage("aggregate", "jobs.aggregate", ("out", "min_users", "intent_prior")),
)
ACCUMULATE = Stage("accumulate", "jobs.accumulate", ("root", "ds", "out", "decay", "late_days"))
EMIT = Stage("emit", "jobs.emit", ("out", "run_id"))
VALIDATE = Stage(
    "validate", "jobs.validate",
    (
        "out", "min_users", "locales", "max_quarantine_share", "min_count_ratio", "max_count_ratio",
        "max_utterance_chars", "session_gap_seconds", "max_session_turns", "rephrase_window_seconds",
        "max_following_turns",
    ),
)

# `rephrase-miner run`: one batch of logs, straight into OUT.
STAGES = (*MINING_STAGES, EMIT, VALIDATE)
# A scheduled day, after its days are mined: merge them into the running aggregate in staging, emit, validate.
SCHEDULED_STAGES = (ACCUMULATE, EMIT, VALIDATE)
