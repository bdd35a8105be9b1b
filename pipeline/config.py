"""Run settings: defaults, an optional TOML/JSON file, and the arguments each stage receives."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

# miner.defaults, not the transforms' modules: the Airflow DAG imports this file and must not import Spark.
from miner.defaults import (
    DECAY,
    INTENT_PRIOR,
    LATE_DAYS,
    LOCALES,
    MAX_COUNT_RATIO,
    MAX_FOLLOWING_TURNS,
    MAX_QUARANTINE_SHARE,
    MAX_SESSION_TURNS,
    MAX_UTTERANCE_CHARS,
    MIN_COUNT_RATIO,
    MIN_USERS,
    REPHRASE_WINDOW_SECONDS,
    SCRUB_PII,
    SESSION_GAP_SECONDS,
    STOP_QUARANTINE_SHARE,
    TOP_PHRASINGS_PER_GOAL,
)
from pipeline.log_format import LogFormat


@dataclass(frozen=True)
class RunConfig:
    max_utterance_chars: int = MAX_UTTERANCE_CHARS
    # PII patterns scrubbed at ingest (miner.privacy.PII_PATTERNS); empty: none.
    scrub_pii: tuple[str, ...] = SCRUB_PII
    session_gap_seconds: float = SESSION_GAP_SECONDS
    max_session_turns: int = MAX_SESSION_TURNS
    rephrase_window_seconds: float = REPHRASE_WINDOW_SECONDS
    max_following_turns: int = MAX_FOLLOWING_TURNS
    embedding_model: str = ""
    # Directory (or URI) of the persistent embedding cache; "" = none (`daily` and the DAG default to ROOT's).
    embedding_cache: str = ""
    min_users: int = MIN_USERS
    intent_prior: bool = INTENT_PRIOR
    top_phrasings_per_goal: int = TOP_PHRASINGS_PER_GOAL
    shuffle_partitions: int = 8
    decay: float = DECAY
    late_days: int = LATE_DAYS
    locales: tuple[str, ...] = LOCALES
    max_quarantine_share: float = MAX_QUARANTINE_SHARE
    stop_quarantine_share: float = STOP_QUARANTINE_SHARE
    min_count_ratio: float = MIN_COUNT_RATIO
    max_count_ratio: float = MAX_COUNT_RATIO
    # The logs' layout and its mapping onto the interactions contract (the `[log_format]` table); default:
    # the contract's own Parquet.
    log_format: LogFormat = field(default_factory=LogFormat)

    def __post_init__(self):
        # The DAG's params and JSON configs give the mapping as a dict.
        if isinstance(self.log_format, dict):
            object.__setattr__(self, "log_format", LogFormat.from_dict(self.log_format))

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class RetrainConfig:
    """Settings of the `nlu_retrain` DAG (`nlu.retrain`): its params take their defaults from here."""

    # Without an evaluation set, this share of the annotated records (chosen by a hash of the record id, so
    # the same records every run) is held out to score the models on, and never trained on.
    holdout_share: float = 0.2
    # Seeds the held-out choice and the paired bootstrap: the same inputs give the same scores.
    seed: int = 0
    # A regression verdict fails the task (after the scores are written), so that no one ships that model.
    fail_on_regression: bool = True


def load_config(path: str | None) -> RunConfig:
    """Defaults, overridden by the keys of a TOML or JSON file. Unknown keys are an error, not a no-op."""
    if path is None:
        return RunConfig()
    text = Path(path).read_text(encoding="utf-8")
    values = json.loads(text) if path.endswith(".json") else tomllib.loads(text)
    known = {f.name: f.type for f in fields(RunConfig)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ValueError(f"{path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(known)}")
    defaults = RunConfig()
    typed = {key: _typed(getattr(defaults, key), value) for key, value in values.items()}
    config = replace(defaults, **typed)
    if not config.log_format.is_native:
        from pipeline.log_input import check_log_format  # Spark's types: not at the DAG's parse time

        check_log_format(config.log_format)
    return config


def _typed(default, value):
    if isinstance(default, LogFormat):
        if not isinstance(value, dict):
            raise ValueError(f"log_format: expected a table, got {value!r}")
        return LogFormat.from_dict(value)
    if isinstance(default, bool):
        return parse_bool(value) if isinstance(value, str) else bool(value)
    if isinstance(default, tuple):
        return tuple(value.split(",") if isinstance(value, str) else value)
    return type(default)(value)


def parse_bool(text: str) -> bool:
    """"true" or "false" in any case (what a template renders a boolean as); anything else is an error."""
    lowered = str(text).strip().lower()
    if lowered not in ("true", "false"):
        raise ValueError(f"expected true or false, got {text!r}")
    return lowered == "true"


# The scheduled DAGs' task retries: a transient failure (storage, a lost executor) is retried with backoff.
TASK_RETRIES = {
    "retries": 2,
    "retry_delay": dt.timedelta(minutes=2),
    "retry_exponential_backoff": True,
    "max_retry_delay": dt.timedelta(minutes=30),
}
