"""Hand-made run folders for the dashboard tests (tests/reporting, tests/cli): manifests, Parquet pairs and
rewrites, training files and quality/nlu.json, with the simulator's hostile strings in them; and helpers that cut
a rendered page into its panels."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from simulation.defects import STANDALONE_HOSTILE

# the simulator's own hostile payloads, as they can reach pairs and rewrites
SCRIPT, IFRAME = STANDALONE_HOSTILE[0], STANDALONE_HOSTILE[2]
assert (SCRIPT, IFRAME) == ("<script>alert(1)</script>", "</td></tr><iframe src=javascript:alert(1)>")
SCRIPT_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
IFRAME_ESCAPED = "&lt;/td&gt;&lt;/tr&gt;&lt;iframe src=javascript:alert(1)&gt;"

PAIRS = pa.schema([("locale", pa.string()), ("source", pa.string()), ("target", pa.string()), ("kind", pa.string()),
                   ("weight", pa.float32()), ("support_users", pa.int64())])
REWRITES = pa.schema([("locale", pa.string()), ("source", pa.string()), ("target", pa.string()),
                      ("weight", pa.float32()), ("target_intent", pa.string()), ("support_users", pa.int64())])

# en-US: 3 rephrases and 1 variant; de-DE: 2 variants; fr-FR: 1 rephrase and no rewrites at all.
PAIR_ROWS = [
    ("en-US", "wake me at seven", "set an alarm for seven", "rephrase", 0.62, 4),
    ("en-US", SCRIPT, "play some jazz", "rephrase", 0.97, 12),
    ("en-US", IFRAME, "turn on the lights", "rephrase", 0.31, 3),
    ("en-US", "lights on", "turn on the lights", "variant", 0.5, 40),
    ("de-DE", "mach das licht an", "schalte das licht ein", "variant", 0.05, 5),
    ("de-DE", "wecke mich um sieben", "stelle einen wecker", "variant", 1.0, 7),
    ("fr-FR", "allume la lumière", "allume les lumières", "rephrase", 0.44, 3),
]
REWRITE_ROWS = [
    ("en-US", "wake me at seven", "set an alarm for seven", 0.62, "alarm_set", 4),
    ("en-US", SCRIPT, "play some jazz", 0.97, "play_music", 12),
    ("en-US", IFRAME, "turn on the lights", 0.31, None, 3),
    ("de-DE", "mach das licht an", "schalte das licht ein", 0.05, "iot_hue_lighton", 5),
]
RESULTS = [
    {"dataset": "pairs", "expectation": "expect_column_values_to_be_between", "description": "weight in [0, 1]",
     "severity": "critical", "success": True, "unexpected_count": 0},
    {"dataset": "pairs", "expectation": "expect_compound_columns_to_be_unique", "description": "pairs unique",
     "severity": "critical", "success": True, "unexpected_count": 0},
    {"dataset": "training", "expectation": "expect_column_values_to_not_be_null", "description": "intent not null",
     "severity": "warning", "success": False, "unexpected_count": 7},
]


# RUN/quality/nlu.json as `rephrase-miner loop` writes it: en-US improved, de-DE regressed (the CI's low end is
# below -tolerance_points and an intent lost significantly), fr-FR had no failing phrasings.
NLU = {
    "day": "2026-12-01",
    "model": "linear SVM over the packaged sentence encoder's embeddings and character 2-4-gram TF-IDF",
    "tolerance_points": 0.5,
    "locales": {
        "en-US": {"fix_rate": 0.62, "fixed": 31, "failing_phrasings": 50, "records_added": 412,
                  "learnable_fix_rate": 0.9, "learnable_fixed": 27, "learnable_phrasings": 30,
                  "accuracy": {"before": 86.10, "after": 86.52, "delta": 0.42, "low": -0.05, "high": 0.88,
                               "level": 0.95},
                  "baseline_accuracy": 85.9, "test_utterances": 2974,
                  "regressed_intents": [{"intent": "alarm_set", "lost": 5, "gained": 0, "test_utterances": 40,
                                         "p_value": 0.031}],
                  "regression": False},
        "de-DE": {"fix_rate": 0.25, "fixed": 2, "failing_phrasings": 8, "records_added": 37,
                  "accuracy": {"before": 84.0, "after": 83.1, "delta": -0.9, "low": -1.6, "high": -0.2, "level": 0.9},
                  "baseline_accuracy": 84.4, "test_utterances": 2974,
                  "regressed_intents": [{"intent": "iot_hue_lighton", "lost": 6, "gained": 1, "test_utterances": 31,
                                         "p_value": 0.012}],
                  "regression": True},
        "fr-FR": {"fix_rate": None, "fixed": 0, "failing_phrasings": 0, "records_added": 0,
                  "accuracy": {"before": 80.0, "after": 80.0, "delta": 0.0, "low": -0.3, "high": 0.3, "level": 0.95},
                  "baseline_accuracy": 80.0, "test_utterances": 1500, "regressed_intents": [], "regression": False},
    },
}
NLU_PANEL = "NLU model in the loop"


def write_nlu(run_dir: str, nlu: dict | bytes) -> None:
    """RUN/quality/nlu.json: the dict as JSON, or bytes as they are (a malformed file)."""
    path = Path(run_dir) / "quality" / "nlu.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(nlu if isinstance(nlu, bytes) else json.dumps(nlu).encode())


def nlu_rows(page: str) -> dict[str, str]:
    """The NLU panel's table rows, by locale (as escaped in the page)."""
    return dict(re.findall(r'<tr><td class="loc">(.*?)</td>(.*?)</tr>', section(page, NLU_PANEL), re.S))


def manifest(run_id: str, started: str, **stages: dict) -> dict:
    return {"run_id": run_id, "started_at": started, "finished_at": started.replace(":00+", ":42+"),
            "code_version": "0.1.0+gtest", "config": {"min_users": 3}, "stages": stages}


def full_stages() -> dict:
    return {
        "ingest": {"elapsed_s": 21.5, "rows_in": 12345, "quarantined": 123, "duplicates": 77, "turns": 12000,
                   "quarantined_by_reason": {"null_ts": 100, "malformed_locale": 20, SCRIPT: 3}},
        "aggregate": {"elapsed_s": 8.25, "pairs_by_kind": {"rephrase": 4, "variant": 3}},
        "emit": {"elapsed_s": 4.0, "rewrites": 4, "rewrites_by_locale": {"en-US": 3, "de-DE": 1},
                 "training_records": 14, "training_records_by_locale": {"en-US": 9, "de-DE": 4, "fr-FR": 1}},
        "validate": {"elapsed_s": 3.5, "passed": True, "results": RESULTS, "warnings": ["training: intent not null"],
                     "failed_critical": []},
    }


def write_parquet(path: Path, rows: list[tuple], schema: pa.Schema) -> None:
    table = pa.Table.from_pylist([dict(zip(schema.names, row)) for row in rows], schema=schema)
    pq.write_to_dataset(table, str(path), partition_cols=["locale"])
    (path / "_SUCCESS").write_text("")


def make_run(root: Path, name: str, meta: dict | None, pairs=PAIR_ROWS, rewrites=REWRITE_ROWS) -> str:
    run = root / name
    run.mkdir(parents=True)
    if meta is not None:
        (run / "manifest.json").write_text(json.dumps(meta))
    if pairs:
        write_parquet(run / "pairs", pairs, PAIRS)
    if rewrites:
        write_parquet(run / "rewrites", rewrites, REWRITES)
    (run / "training").mkdir()
    (run / "training" / "en-US.jsonl").write_text('{"utt": "wake me at seven"}\n' * 9)
    return str(run)


def latest_run(root: Path) -> str:
    """ROOT/run-2 (r2, 2026-12-01): every stage, validation passed; the `run` fixture of the tests."""
    return make_run(root, "run-2", manifest("r2", "2026-12-01T02:00:00+00:00", **full_stages()))


def earlier_run(root: Path) -> str:
    """ROOT/run-1 (r1, the day before): one rewrite that run-2 also has, validation failed; the `previous` fixture."""
    rows = [("en-US", "wake me at seven", "set an alarm", 0.5, "alarm_set", 3)]
    stages = {**full_stages(), "validate": {"passed": False, "results": RESULTS, "failed_critical": ["pairs: x"]}}
    return make_run(root, "run-1", manifest("r1", "2026-11-30T02:00:00+00:00", **stages), rewrites=rows)


def section(page: str, title: str) -> str:
    """The <section> of the panel with this title."""
    match = re.search(rf'<section class="card[^"]*"><h2>{re.escape(title)}</h2>.*?</section>', page, re.S)
    assert match, f"no panel {title!r}"
    return match.group(0)


def locale_block(page: str, locale: str) -> str:
    pattern = rf'<div class="locale"><h3>{re.escape(locale)} .*?(?=<div class="locale">|</section>)'
    match = re.search(pattern, page, re.S)
    assert match, f"no rewrites block for {locale}"
    return match.group(0)
