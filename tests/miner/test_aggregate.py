import pytest

from miner.aggregate import (
    best_rewrites,
    confirmed_candidates,
    failing_phrasings,
    intent_labels,
    phrasing_reliability,
    rephrase_evidence,
    rephrase_pairs,
)
from miner.chain import transition_probabilities, user_transitions
from miner.posterior import beta_lower_bound
from miner.variants import goal_heads, goal_phrasings, with_goal_heads
from schemas.candidates import CANDIDATES
from schemas.outcomes import OUTCOMES

FAILING, REPHRASE, SWITCH = "wake me at seven", "set an alarm for seven", "play jazz"


def outcome(user, event, text, defective, next_text=None, p=None, intent=None, utterance=None):
    return ("en-US", user, f"s-{user}", event, text, utterance or text, intent, None, 0.9,
            "error" if defective else "success", defective, next_text, p)


def candidate(user, source_event, target_event, target, target_intent, p):
    return (
        "en-US", f"s-{user}", user, source_event, target_event, 1, 5.0, FAILING, target, "error", "success",
        None, target_intent, 0.3, 0.9, None, True, False, True, 0.5, 0.5, None, p,
    )


def world(spark, rephrasing_users, switching_users, rephrase_of=lambda user: REPHRASE, direct_users=()):
    """Users who say FAILING, fail, then rephrase it (alarm_set) or switch (SWITCH, play_music); others
    (`direct_users`) succeed with REPHRASE straight away."""
    outcomes, candidates = [], []
    for user in rephrasing_users:
        rephrase = rephrase_of(user)
        outcomes += [outcome(user, f"{user}1", FAILING, True, rephrase, 0.9, utterance="Wake me at seven!"),
                     outcome(user, f"{user}2", rephrase, False, intent="alarm_set")]
        candidates.append(candidate(user, f"{user}1", f"{user}2", rephrase, "alarm_set", 0.9))
    for user in direct_users:
        outcomes.append(outcome(user, f"{user}1", REPHRASE, False, intent="alarm_set"))
    for user in switching_users:
        outcomes += [outcome(user, f"{user}1", FAILING, True, SWITCH, 0.6),
                     outcome(user, f"{user}2", SWITCH, False, intent="play_music")]
        candidates.append(candidate(user, f"{user}1", f"{user}2", SWITCH, "play_music", 0.6))
    return (spark.createDataFrame(outcomes, OUTCOMES.spark_schema),
            spark.createDataFrame(candidates, CANDIDATES.spark_schema))


def mine(spark, rephrasing_users, switching_users, min_users=3, **world_options):
    outcomes_df, candidates_df = world(spark, rephrasing_users, switching_users, **world_options)
    reliability = phrasing_reliability(outcomes_df)
    confirmed = confirmed_candidates(candidates_df, outcomes_df, reliability)
    transitions = transition_probabilities(user_transitions(outcomes_df))
    heads = goal_heads(goal_phrasings(outcomes_df), min_users)
    labels = intent_labels(confirmed, failing_phrasings(reliability, min_users)).transform(with_goal_heads, heads)
    labels = labels.cache()
    pairs = rephrase_pairs(rephrase_evidence(confirmed), transitions, labels, min_users)
    return pairs, labels, best_rewrites(pairs, labels)


def test_rephrases_pair_and_label_while_a_topic_switch_does_not(spark):
    pairs, labels, rewrites = mine(spark, ["a", "b", "c", "d"], ["x", "y"])
    assert [(r["source"], r["target"], r["kind"], r["support_users"], r["target_intent"]) for r in pairs.collect()] == [
        (FAILING, REPHRASE, "rephrase", 4, "alarm_set"),
    ]
    pair = pairs.first()
    assert pair["alpha"] == pytest.approx(3.6) and pair["beta"] == pytest.approx(0.4, abs=1e-6)
    assert pair["weight"] == pytest.approx(float(beta_lower_bound([3.6], [0.4])[0]), rel=1e-5)
    # 6 users, p(FAILING -> REPHRASE) = 4 x 0.9 / 6 and REPHRASE always succeeds
    assert pair["score"] == pytest.approx(3.6 / 6.0, rel=1e-5)

    label = labels.first().asDict()
    assert {k: label[k] for k in ("source", "intent", "support_users", "voters", "surface")} == {
        "source": FAILING, "intent": "alarm_set", "support_users": 6, "voters": 4, "surface": "Wake me at seven!",
    }
    # the switchers' votes (play_music, 2 x 0.6) count against the label
    assert label["weight"] == pytest.approx(float(beta_lower_bound([3.6], [1.2])[0]), rel=1e-5)
    assert [(r["source"], r["target"], r["target_intent"]) for r in rewrites.collect()] == [
        (FAILING, REPHRASE, "alarm_set"),
    ]


def test_rewrite_falls_back_to_the_goal_head_when_no_single_rephrase_reaches_the_floor(spark):
    other = "alarm at seven please"
    pairs, labels, rewrites = mine(
        spark, ["a", "b", "c", "d"], [], rephrase_of=lambda user: REPHRASE if user in "ab" else other,
        direct_users=["e", "f"],
    )
    assert pairs.count() == 0  # two users per rephrase target: under the floor of 3
    assert [(r["source"], r["intent"], r["goal_head"]) for r in labels.collect()] == [(FAILING, "alarm_set", REPHRASE)]
    assert [(r["source"], r["target"], r["target_intent"], r["support_users"]) for r in rewrites.collect()] == [
        (FAILING, REPHRASE, "alarm_set", 4),
    ]


def test_k_user_floor(spark):
    pairs, labels, rewrites = mine(spark, ["a", "b"], [])
    assert pairs.count() == 0 and labels.count() == 0 and rewrites.count() == 0
    pairs, labels, _ = mine(spark, ["a", "b"], [], min_users=2)
    assert pairs.count() == 1 and labels.count() == 1


def test_beta_lower_bound_known_values():
    # Beta(3, 1) has CDF x^3: its 5th percentile is 0.05 ** (1 / 3)
    assert beta_lower_bound([2.0], [0.0])[0] == pytest.approx(0.05 ** (1 / 3), rel=1e-5)
    assert beta_lower_bound([0.0], [0.0])[0] == pytest.approx(0.05, rel=1e-5)
