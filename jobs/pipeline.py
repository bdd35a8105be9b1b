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

    def argv(self, logs: str, out: str, config: RunConfig) -> list[str]:
        args = ["--logs", logs] if self.takes_logs else []
        args += ["--out", out]
        for setting in self.settings:
            args += [f"--{setting.replace('_', '-')}", str(getattr(config, setting))]
        return args

    def load(self):
        return importlib.import_module(self.module)


STAGES = (
    Stage("ingest", "jobs.ingest", takes_logs=True, settings=("max_utterance_chars",)),
    Stage("sessionize", "jobs.sessionize", takes_logs=False, settings=("session_gap_seconds", "max_session_turns")),
)
