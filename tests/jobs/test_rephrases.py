"""The rephrases application: its arguments, and the mined day's sessions through `run` into texts, embeddings,
candidates, outcomes and stats, with the embedding cache filled by one run and read by the next."""

import json
import shutil

import pytest

from jobs import rephrases
from miner.models import model_fingerprint
from pipeline.config import RunConfig
from pipeline.io import read_dataset
from pipeline.stages import REPHRASES, stats_path
from schemas.candidates import CANDIDATES
from schemas.outcomes import OUTCOMES
from schemas.texts import EMBEDDINGS, TEXTS
from tests.conftest import argument_error, no_automatic_broadcast
from tests.jobs.mined_day import ALARM, JAZZ, SHORT_ALARM, WAKE, stage_out

REPHRASE = (WAKE, ALARM, 1, 6.0, True, True, 1.0, True)


@pytest.fixture(scope="module")
def sessions_out(spark, tmp_path_factory):
    """OUT holding only the mined day's sessions, to copy for each run."""
    return stage_out(spark, tmp_path_factory, "rephrases")


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("embedding-cache")


@pytest.fixture(scope="module")
def first_run(spark, sessions_out, cache):
    """A run with an empty embedding cache: (OUT, stats)."""
    out = sessions_out.parent / "first"
    shutil.copytree(sessions_out / "sessions", out / "sessions")
    return out, rephrases.run(spark, rephrases.parse_args(["--out", str(out), "--embedding-cache", str(cache)]))


def candidates_of(spark, out):
    """(source, target, hop, gap_s, is_friction, target_succeeded, slot_overlap, likely a rephrase) per candidate."""
    return sorted(
        (r["source"], r["target"], r["hop"], r["gap_s"], r["is_friction"], r["target_succeeded"], r["slot_overlap"],
         r["rephrase_probability"] >= 0.5)
        for r in read_dataset(spark, str(out / "candidates"), CANDIDATES).collect()
    )


def test_parse_args_defaults():
    assert vars(rephrases.parse_args(["--out", "OUT"])) == {
        "out": "OUT", "rephrase_window_seconds": 60.0, "max_following_turns": 3, "embedding_model": "",
        "embedding_cache": "", "min_users": 3,
    }


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--max-following-turns", "three"], "argument --max-following-turns: invalid int value: 'three'"),
        (["--rephrase-window-seconds", "1m"], "argument --rephrase-window-seconds: invalid float value: '1m'"),
        (["--min-users", ""], "argument --min-users: invalid int value: ''"),
    ],
    ids=["turns-in-words", "window-with-unit", "empty-floor"],
)
def test_parse_args_rejects_a_bad_value(argv, message, capsys):
    assert f"rephrases: error: {message}" in argument_error(rephrases.parse_args, ["--out", "O", *argv], capsys)


def test_the_arguments_the_pipeline_passes_parse_back_to_the_run_settings():
    config = RunConfig(rephrase_window_seconds=30.0, max_following_turns=2, embedding_model="minilm",
                       embedding_cache="/cache", min_users=5)
    assert vars(rephrases.parse_args(REPHRASES.argv({**config.as_dict(), "out": "OUT"}))) == {
        "out": "OUT", "rephrase_window_seconds": 30.0, "max_following_turns": 2, "embedding_model": "minilm",
        "embedding_cache": "/cache", "min_users": 5,
    }


def test_run_pairs_each_failure_with_what_followed_and_embeds_each_text_once(spark, first_run, cache):
    out, stats = first_run
    assert stats == {
        "texts": 5, "distinct_texts": 4, "embedded_texts": 4, "cache_hits": 0,
        "embedding_model": "multilingual (packaged)", "silent_phrasings": 0,
        "candidates": 5, "friction_sources": 5, "silent_failure_sources": 0, "likely_rephrases": 4, "rows_out": 5,
    }
    assert json.loads(open(stats_path(str(out), "rephrases")).read()) == stats

    # Four users rephrase "wake me at seven" 6 s later; one switches to "play jazz" (no slots) 20 s later.
    assert candidates_of(spark, out) == [(WAKE, JAZZ, 1, 20.0, True, True, None, False)] + [REPHRASE] * 4
    candidates = read_dataset(spark, str(out / "candidates"), CANDIDATES).collect()
    assert len({r["user_key"] for r in candidates}) == 5  # one candidate per user

    texts = read_dataset(spark, str(out / "texts"), TEXTS).collect()
    assert sorted((r["utterance"], r["text"]) for r in texts) == [
        ("Alarm for seven", SHORT_ALARM), ("Wake me at seven", WAKE), ("play jazz", JAZZ),
        ("set an alarm for seven", ALARM), ("wake me at seven", WAKE),
    ]
    embeddings = read_dataset(spark, str(out / "embeddings"), EMBEDDINGS).collect()
    assert sorted(r["text"] for r in embeddings) == sorted([ALARM, JAZZ, SHORT_ALARM, WAKE])
    assert len({len(r["embedding"]) for r in embeddings}) == 1 and len(embeddings[0]["embedding"]) > 0

    outcomes = read_dataset(spark, str(out / "outcomes"), OUTCOMES).collect()
    assert len(outcomes) == 14  # every turn of the day
    assert sorted((r["text"], r["next_text"]) for r in outcomes if r["is_defective"]) == [
        (WAKE, JAZZ), (WAKE, ALARM), (WAKE, ALARM), (WAKE, ALARM), (WAKE, ALARM),
    ]
    assert {r["next_text"] for r in outcomes if not r["is_defective"]} == {None}

    # the new texts went into the cache as one complete batch folder; nothing is left in staging
    batches = list((cache / model_fingerprint("")).iterdir())
    assert len(batches) == 1 and batches[0].name.startswith("batch-")
    assert list((cache / "_staging").iterdir()) == []


def test_a_second_run_finds_every_text_in_the_cache_and_honours_a_shorter_window(spark, first_run, sessions_out, cache):
    first_out, _ = first_run
    out = sessions_out.parent / "second"
    shutil.copytree(sessions_out / "sessions", out / "sessions")
    stats = rephrases.run(spark, rephrases.parse_args([
        "--out", str(out), "--embedding-cache", str(cache), "--rephrase-window-seconds", "10",
    ]))

    keys = ("distinct_texts", "embedded_texts", "cache_hits", "candidates", "likely_rephrases")
    assert {k: stats[k] for k in keys} == {
        "distinct_texts": 4, "embedded_texts": 0, "cache_hits": 4, "candidates": 4, "likely_rephrases": 4,
    }
    assert candidates_of(spark, out) == [REPHRASE] * 4  # the switch 20 s later is outside a 10 s window
    # cached vectors are the vectors the first run computed
    assert sorted(read_dataset(spark, str(out / "embeddings"), EMBEDDINGS).collect()) == sorted(
        read_dataset(spark, str(first_out / "embeddings"), EMBEDDINGS).collect()
    )
    assert len(list((cache / model_fingerprint("")).iterdir())) == 2  # an empty batch of this run's new texts


def test_run_without_a_cache_embeds_every_text(spark, sessions_out):
    out = sessions_out.parent / "no-cache"
    shutil.copytree(sessions_out / "sessions", out / "sessions")
    stats = rephrases.run(spark, rephrases.parse_args(["--out", str(out)]))
    assert (stats["embedded_texts"], stats["cache_hits"], stats["candidates"]) == (4, None, 5)


def test_a_day_with_too_many_texts_to_broadcast_joins_them_and_mines_the_same(spark, first_run, monkeypatch):
    out = first_run[0].parent / "no-broadcast"
    shutil.copytree(first_run[0] / "sessions", out / "sessions")
    monkeypatch.setattr(rephrases, "MAX_BROADCAST_TEXTS", 0)
    monkeypatch.setattr(rephrases, "MAX_BROADCAST_EMBEDDINGS", 0)
    with no_automatic_broadcast(spark):
        rephrases.run(spark, rephrases.parse_args(["--out", str(out)]))
    assert candidates_of(spark, out) == candidates_of(spark, first_run[0])
    assert sorted(read_dataset(spark, str(out / "outcomes"), OUTCOMES).collect()) == sorted(
        read_dataset(spark, str(first_run[0] / "outcomes"), OUTCOMES).collect()
    )
