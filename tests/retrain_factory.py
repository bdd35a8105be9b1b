"""Hand-written MASSIVE records and published runs for the retraining tests (tests/nlu/test_retrain.py and the
nlu_retrain DAG tests): annotated data, a held-out test set, and the training records a run publishes."""

from __future__ import annotations

import json
from pathlib import Path

# (utt, intent): the annotated baseline data, and the held-out utterances it is scored on
ANNOTATED = [
    ("wake me up at seven", "alarm_set"), ("set an alarm for six", "alarm_set"), ("alarm at noon please", "alarm_set"),
    ("wake me at eight tomorrow", "alarm_set"), ("i need an alarm at five", "alarm_set"),
    ("play some jazz", "play_music"), ("put on my workout playlist", "play_music"),
    ("play music by queen", "play_music"), ("play the new album", "play_music"), ("i want to hear rock", "play_music"),
    ("what is the weather today", "weather_query"), ("will it rain tomorrow", "weather_query"),
    ("how hot is it outside", "weather_query"), ("is it sunny in paris", "weather_query"),
    ("do i need an umbrella", "weather_query"),
]
HELD_OUT = [
    ("set an alarm for seven thirty", "alarm_set"), ("wake me up at nine", "alarm_set"),
    ("play a song by queen", "play_music"), ("put on some jazz music", "play_music"),
    ("is it going to rain today", "weather_query"), ("what is the weather in berlin", "weather_query"),
]
# What a run publishes: phrasings that failed, labelled by their rephrases.
PUBLISHED = {
    "en-US": [("rouse me at seven", "alarm_set", 0.9, 4), ("blast some tunes", "play_music", 0.8, 3)],
}


def massive_record(record_id: str, locale: str, partition: str, utt: str, intent: str) -> dict:
    return {"id": record_id, "locale": locale, "partition": partition, "scenario": intent.split("_")[0],
            "intent": intent, "utt": utt, "annot_utt": utt}


def training_record(locale: str, utt: str, intent: str, weight: float, users: int) -> dict:
    """A published training record (schemas.outputs.TRAINING)."""
    return {**massive_record(f"{locale}:{utt}", locale, "train", utt, intent), "kind": "rephrase",
            "weight": weight, "support_users": users, "run_id": "hand-written"}


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def write_massive(folder: Path, locale: str, partition: str, rows: list[tuple[str, str]], first_id: int = 0) -> Path:
    """`folder/<locale>.<partition>.jsonl`, as MASSIVE's release splits a locale."""
    records = [
        massive_record(str(first_id + n), locale, partition, utt, intent) for n, (utt, intent) in enumerate(rows)
    ]
    return write_jsonl(folder / f"{locale}.{partition}.jsonl", records)


def write_annotated(folder: Path) -> Path:
    """en-US annotated data (train) and its held-out test set (test, other ids), in one folder."""
    write_massive(folder, "en-US", "train", ANNOTATED)
    write_massive(folder, "en-US", "test", HELD_OUT, first_id=1000)
    return folder


def write_training(run_dir: Path, published: dict[str, list[tuple]]) -> None:
    """`run_dir/training/<locale>.jsonl` of (utt, intent, weight, support_users) rows."""
    for locale, rows in published.items():
        write_jsonl(run_dir / "training" / f"{locale}.jsonl", [training_record(locale, *row) for row in rows])


def write_published_run(root: Path, ds: str, version: str, published: dict[str, list[tuple]]) -> str:
    """`ROOT/published/<ds>/<version>/` with training records only: all that retraining reads."""
    run_dir = root / "published" / ds / version
    write_training(run_dir, published)
    return str(run_dir)


def write_staged_run(root: Path, ds: str, published: dict[str, list[tuple]]) -> str:
    """`ROOT/staging/<ds>/` as `validate` leaves it, passed: what the `publish` task moves into place."""
    staged = root / "staging" / ds
    write_training(staged, published)
    (staged / "_stats").mkdir(parents=True)
    (staged / "_stats" / "validate.json").write_text(json.dumps({"passed": True, "failed_critical": []}))
    return str(staged)
