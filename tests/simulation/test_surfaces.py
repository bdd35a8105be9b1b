"""Surface forms: noise changes the words, never the read, and follows the script."""

from __future__ import annotations

import collections

import regex

from simulation.batches import BatchSpec, simulate_batch
from simulation.world import STOP_WORDS, LocaleWorld, normalize_phrasing
from tests.simulation_factory import DAY, SMALL, shipped


def test_noise_changes_the_surface_but_not_the_read(rows):
    log_rows, truth = rows
    reads_by_goal_outcome = collections.defaultdict(set)
    noisy = [r for r in truth.values() if r["surface"] == "noisy"]
    by_id = {r["event_id"]: r for r in log_rows}

    assert 0.10 < len(noisy) / len(truth) < 0.20
    assert any(u != u.lower() for u in (r["utterance"] for r in noisy))
    for row in truth.values():
        if row["nlu_outcome"] and row["surface"] in ("clean", "noisy") and row["utterance"] != "":
            key = normalize_phrasing(row["utterance"])
            reads_by_goal_outcome[(row["goal_id"], key)].add(by_id[row["event_id"]]["intent"])
    # a normalized phrasing of a goal always gets the same interpretation, whatever the noise
    assert all(len(intents) == 1 for intents in reads_by_goal_outcome.values())


def test_a_japanese_batch_keeps_words_unspaced_and_its_noise_and_stop_words_japanese():
    world = LocaleWorld("ja-JP", shipped("ja-JP.valid.jsonl.gz", "xsid"), seed=7, config=SMALL)
    truth = simulate_batch(world, BatchSpec("ja-JP", 0, 300), DAY).truth.to_pylist()
    utterances = [r["utterance"] for r in truth if r["utterance"]]
    cjk = r"[\p{Han}\p{Hiragana}\p{Katakana}\u30fc]"
    spaced = regex.compile(cjk + r"\s+" + cjk)

    assert len(utterances) > 1000
    assert not [u for u in utterances if spaced.search(u)]  # no space between CJK characters, noise included
    noisy = [r["utterance"] for r in truth if r["surface"] == "noisy"]
    # full-width sentence ends, never the ASCII "." or "..." of Latin-script locales
    assert any(u.rstrip().endswith(("。", "？", "！")) for u in noisy) and not any(u.endswith(".") for u in noisy)
    stops = {r["utterance"].strip(" \t。？！?!…") for r in truth if r["role"] == "stop"}
    assert stops and stops <= set(STOP_WORDS["ja-JP"])
