import math

import pytest

from evaluation.scoring import (
    ALL,
    label_figures,
    pair_figures,
    replay_figures,
    truth_from_reference,
    truth_key,
    win_loss,
)

REFERENCE = {
    "gold": {"en-US": {"wake me at seven": "alarm_set", "set an alarm for seven": "alarm_set",
                       "cancel my alarm": "alarm_remove", "play jazz": "play_music"}},
    "fails": {"en-US": ["wake me at seven", "play jazz"]},
    "learnable": {"en-US": {"wake me at seven": 3, "play jazz": 2}},
}
LOGS = [
    {"locale": "en-US", "utterance": "Wake me at seven!", "user_id": "a"},
    {"locale": "en-US", "utterance": "wake me at  SEVEN", "user_id": "b"},
    {"locale": "en-US", "utterance": "wake me at seven", "user_id": None},  # no user: not a turn of anyone
    {"locale": "en-US", "utterance": "play jazz", "user_id": "c"},
    {"locale": "en-US", "utterance": "set an alarm for seven", "user_id": "d"},
    {"locale": "en-US", "utterance": None, "user_id": "e"},
]


@pytest.fixture
def truth():
    return truth_from_reference(REFERENCE, LOGS)


def test_truth_key_folds_case_punctuation_and_spacing():
    assert truth_key("  Wake me at SEVEN!  ") == "wake me at seven"
    assert truth_key("ｗａｋｅ, me") == "wake me"  # NFKC: full-width letters


def test_failing_turns_count_each_user_turn_of_a_failing_phrasing(truth):
    assert dict(truth["en-US"].failing_turns) == {"wake me at seven": 2, "play jazz": 1}


def test_label_figures_count_learnable_phrasings_at_the_floor(truth):
    labels = [("en-US", "Wake me at seven", "alarm_set"), ("en-US", "play jazz", "play_podcasts")]
    figures = label_figures(truth, labels, min_users=3)
    # play jazz is learnable from 2 users only: under the floor, so not in recall's denominator
    assert figures["en-US"] == {"records": 2, "label_precision": 0.5, "learnable": 1, "recalled": 1, "recall": 1.0}
    assert figures[ALL]["records"] == 2


def test_pair_figures_need_both_sides_of_one_gold_intent(truth):
    pairs = [("en-US", "wake me at seven", "set an alarm for seven"), ("en-US", "wake me at seven", "cancel my alarm"),
             ("en-US", "wake me at seven", "never said")]
    assert pair_figures(truth, pairs)["en-US"] == {"pairs": 3, "pair_precision": 0.3333}


def test_replay_wins_only_to_a_working_phrasing_of_the_same_intent(truth):
    # wake me at seven -> a working alarm_set phrasing: 2 turns won; play jazz -> itself: unchanged
    won = replay_figures(truth, [("en-US", "wake me at seven", "set an alarm for seven"),
                                 ("en-US", "play jazz", "play jazz")], min_users=3)["en-US"]
    assert (won["wins"], won["losses"], won["failing_turns"]) == (2, 0, 3)
    assert won["win_loss"] == math.inf and won["defect_reduction"] == pytest.approx(0.6667)
    # the reachable share: wake me at seven is learnable from 3 users (2 of the 3 failing turns), play jazz not
    assert won["reachable_share"] == pytest.approx(0.6667)
    # a rewrite to another intent, or to a phrasing that fails itself, is a loss
    lost = replay_figures(truth, [("en-US", "wake me at seven", "cancel my alarm"),
                                  ("en-US", "play jazz", "wake me at seven")], min_users=3)["en-US"]
    assert (lost["wins"], lost["losses"], lost["win_loss"]) == (0, 3, 0.0)


def test_win_loss_edges():
    assert win_loss(0, 0) is None
    assert win_loss(5, 0) == math.inf
    assert win_loss(7, 2) == 3.5
