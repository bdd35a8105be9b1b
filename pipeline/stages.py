"""The stages of a run, in order, and the command-line arguments each receives: the one place that lists them.

The CLI runs them in one SparkSession; the Airflow DAG submits each as its own spark-submit. Both build the
arguments here, from one dict of values (the DAG's values are Jinja templates), so the two cannot drift. The
reports order their panels by `STAGE_ORDER`, and every stage's stats file is at `stats_path`.
This module imports nothing heavy: the DAG file imports it at parse time.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import posixpath
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

JOBS_PACKAGE = "jobs"


@dataclass(frozen=True)
class Stage:
    name: str
    arguments: tuple[str, ...]  # each value becomes `--name value`

    @property
    def module(self) -> str:
        """The stage's spark-submit application: jobs/<name>.py."""
        return f"{JOBS_PACKAGE}.{self.name}"

    def argv(self, values: Mapping[str, object]) -> list[str]:
        args: list[str] = []
        for name in self.arguments:
            value = values[name]
            if isinstance(value, Mapping):  # a table of settings (the log format) travels as JSON
                text = json.dumps(value, sort_keys=True, separators=(",", ":"))
            else:
                text = ",".join(value) if isinstance(value, (list, tuple)) else str(value)
            args += [f"--{name.replace('_', '-')}", text]
        return args

    def load(self):
        return importlib.import_module(self.module)

    @property
    def application(self) -> str:
        """The job's file, what spark-submit is given."""
        return str(Path(__file__).parent.parent / JOBS_PACKAGE / f"{self.name}.py")


# Mining one day of logs into OUT: quarantine, sessions, candidates, variants, pairs and labels.
INGEST = Stage("ingest", ("logs", "out", "log_format", "max_utterance_chars", "scrub_pii", "stop_quarantine_share"))
SESSIONIZE = Stage("sessionize", ("out", "session_gap_seconds", "max_session_turns"))
REPHRASES = Stage(
    "rephrases",
    (
        "out", "rephrase_window_seconds", "max_following_turns", "embedding_model", "embedding_cache",
        "min_users",
    ),
)
VARIANTS = Stage("variants", ("out", "min_users", "top_phrasings_per_goal"))
AGGREGATE = Stage("aggregate", ("out", "min_users", "intent_prior"))
MINING_STAGES = (INGEST, SESSIONIZE, REPHRASES, VARIANTS, AGGREGATE)
# The stage whose stats mark a day as mined completely.
LAST_MINING_STAGE = MINING_STAGES[-1]
# All the mining stages of a day as one spark-submit (jobs/mine.py): one start-up instead of one per stage,
# for a cluster whose start-up costs more than retrying a day's mining whole. It takes every stage's arguments.
MINE = Stage("mine", tuple(dict.fromkeys(name for stage in MINING_STAGES for name in stage.arguments)))

# A scheduled day, after its days are mined: merge them into the running aggregate in staging.
ACCUMULATE = Stage("accumulate", ("root", "ds", "out", "decay", "late_days", "min_users"))
EMIT = Stage("emit", ("out", "run_id", "min_users"))
VALIDATE = Stage(
    "validate",
    (
        "out", "min_users", "locales", "max_quarantine_share", "min_count_ratio", "max_count_ratio",
        "max_utterance_chars", "session_gap_seconds", "max_session_turns", "rephrase_window_seconds",
        "max_following_turns",
    ),
)

# `rephrase-miner run`: one batch of logs, straight into OUT.
STAGES = (*MINING_STAGES, EMIT, VALIDATE)
# A scheduled day, after its days are mined: accumulate, emit, validate (then publish).
SCHEDULED_STAGES = (ACCUMULATE, EMIT, VALIDATE)
# Every stage, in the order a scheduled run meets them; reports list stages in this order.
STAGE_ORDER = tuple(stage.name for stage in (*MINING_STAGES, *SCHEDULED_STAGES))
# The stats file that is no stage's: the previous run's counts, which validation compares this run's with.
BASELINE_STATS = "baseline"


def stage_named(name: str) -> Stage:
    return next(stage for stage in (*MINING_STAGES, *SCHEDULED_STAGES) if stage.name == name)


def stats_path(run_dir: str, stage: str) -> str:
    """Where a stage writes its stats (`schemas.stats` declares what they hold)."""
    return posixpath.join(run_dir, "_stats", f"{stage}.json")


def new_run_id() -> str:
    """A run's (and a published version's) id: its UTC start time, then 8 random hex digits."""
    return f"{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
