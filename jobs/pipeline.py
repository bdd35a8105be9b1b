"""The stages of a run, in order, and the command-line arguments each receives.

The CLI runs them in one SparkSession; the Airflow DAG submits each as its own spark-submit. Both build the
arguments here, so the two cannot drift apart.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from jobs.config import RunConfig


@dataclass(frozen=True)
class Stage:
    name: str
    module: str
    takes_logs: bool
    settings: tuple[str, ...]

    def argv(self, logs: str, out: str, config: RunConfig, run_id: str) -> list[str]:
        values = {**config.as_dict(), "run_id": run_id}
        args = ["--logs", logs] if self.takes_logs else []
        args += ["--out", out]
        for setting in self.settings:
            args += [f"--{setting.replace('_', '-')}", str(values[setting])]
        return args

    def load(self):
        return importlib.import_module(self.module)


STAGES = (
    Stage("ingest", "jobs.ingest", takes_logs=True, settings=("max_utterance_chars",)),
    Stage("sessionize", "jobs.sessionize", takes_logs=False, settings=("session_gap_seconds", "max_session_turns")),
    Stage(
        "rephrases", "jobs.rephrases", takes_logs=False,
        settings=("rephrase_window_seconds", "max_following_turns", "embedding_model"),
    ),
    Stage("variants", "jobs.variants", takes_logs=False, settings=("min_users", "top_phrasings_per_goal")),
    Stage("aggregate", "jobs.aggregate", takes_logs=False, settings=("min_users",)),
    Stage("emit", "jobs.emit", takes_logs=False, settings=("run_id",)),
)
