import pytest

from miner.aggregate import (
    best_rewrites,
    confirmed_candidates,
    failing_phrasings,
    intent_labels,
    phrasing_reliability,
    rephrase_evidence,
    rephrase_pairs,
    serving_heads,
)
from miner.chain import transition_probabilities, user_transitions
from miner.posterior import beta_lower_bound
from miner.prior import PRIOR_SCHEMA
from miner.variants import goal_heads, goal_phrasings, with_goal_heads
from schemas.candidates import CANDIDATES
from schemas.outcomes import OUTCOMES

FAILING, REPHRASE, SWITCH = "wake me at seven", "set an alarm for seven", "play jazz"


def outcome(user, event, text, defective, next_text=None, p=None, intent=None, utterance=None):
    return ("en-US", user, f"s-{user}", event, text, utterance or text, intent, None, 0.9,
            "error" if defective else "success", defective, None, next_text, p)


def candidate(user, source_event, target_event, target, target_intent, p, hop=1, target_status="success",
              source=FAILING):
    return (
        "en-US", f"s-{user}", user, source_event, target_event, hop, 5.0 * hop, source, target, "error",
        target_status, None, target_intent, 0.3, 0.9, None, True, False, target_status == "success", 0.5, 0.5,
        None, p,
    )


def world(spark, rephrasing_users, switching_users, rephrase_of=lambda user: REPHRASE, direct_users=(),
          switch=(SWITCH, "play_music", 0.6), rephrase_p=0.9, cancelling_users=(), failing_users=(),
          giving_up_users=(), decisive_others=0):
    """Users who say FAILING, fail, then rephrase it (alarm_set) or switch (`switch`: phrasing, intent, p);
    `cancelling_users` say "stop" between the failure and their rephrase; `giving_up_users` fail with FAILING
    and say nothing more; others (`direct_users`) succeed with REPHRASE straight away, and `failing_users`
    fail with REPHRASE itself. `decisive_others` other phrasings ("other K") fail for 5 users each, who all
    rephrase them to "another K", read as play_music: decisive votes."""
    outcomes, candidates = [], []
    for k in range(decisive_others):
        for j in range(5):
            user = f"o{k}-{j}"
            outcomes += [outcome(user, f"{user}1", f"other {k}", True, f"another {k}", 0.9),
                         outcome(user, f"{user}2", f"another {k}", False, intent="play_music")]
            candidates.append(candidate(user, f"{user}1", f"{user}2", f"another {k}", "play_music", 0.9,
                                        source=f"other {k}"))
    for user in giving_up_users:
        outcomes.append(outcome(user, f"{user}1", FAILING, True))
    for user in rephrasing_users:
        rephrase = rephrase_of(user)
        outcomes += [outcome(user, f"{user}1", FAILING, True, rephrase, rephrase_p, utterance="Wake me at seven!"),
                     outcome(user, f"{user}2", rephrase, False, intent="alarm_set")]
        candidates.append(candidate(user, f"{user}1", f"{user}2", rephrase, "alarm_set", rephrase_p))
    for user in cancelling_users:
        outcomes += [outcome(user, f"{user}1", FAILING, True, "stop", 0.1, utterance="Wake me at seven!"),
                     outcome(user, f"{user}s", "stop", True, REPHRASE, 0.1),
                     outcome(user, f"{user}2", REPHRASE, False, intent="alarm_set")]
        candidates += [candidate(user, f"{user}1", f"{user}s", "stop", None, 0.1, target_status="cancelled"),
                       candidate(user, f"{user}1", f"{user}2", REPHRASE, "alarm_set", rephrase_p, hop=2)]
    for user in failing_users:
        outcomes.append(outcome(user, f"{user}1", REPHRASE, True))
    for user in direct_users:
        outcomes.append(outcome(user, f"{user}1", REPHRASE, False, intent="alarm_set"))
    switch_text, switch_intent, switch_p = switch
    for user in switching_users:
        outcomes += [outcome(user, f"{user}1", FAILING, True, switch_text, switch_p),
                     outcome(user, f"{user}2", switch_text, False, intent=switch_intent)]
        candidates.append(candidate(user, f"{user}1", f"{user}2", switch_text, switch_intent, switch_p))
    return (spark.createDataFrame(outcomes, OUTCOMES.spark_schema),
            spark.createDataFrame(candidates, CANDIDATES.spark_schema))


def mine(spark, rephrasing_users, switching_users, min_users=3, prior=(), others_prior=(), **world_options):
    """Pairs, labels and rewrites of a world; `prior`: (intent, probability) of FAILING's intent prior, and
    `others_prior` of every "other K" phrasing."""
    outcomes_df, candidates_df = world(spark, rephrasing_users, switching_users, **world_options)
    reliability = phrasing_reliability(outcomes_df)
    confirmed = confirmed_candidates(candidates_df, outcomes_df, reliability)
    transitions = transition_probabilities(user_transitions(outcomes_df))
    heads = serving_heads(goal_heads(goal_phrasings(outcomes_df), min_users), reliability)
    others = [f"other {k}" for k in range(world_options.get("decisive_others", 0))]
    prior_df = spark.createDataFrame(
        [("en-US", FAILING, i, p) for i, p in prior] + [("en-US", o, i, p) for o in others for i, p in others_prior],
        PRIOR_SCHEMA,
    )
    labels = intent_labels(confirmed, failing_phrasings(reliability, min_users), prior_df).transform(
        with_goal_heads, heads
    )
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


@pytest.mark.slow
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


@pytest.mark.slow
def test_k_user_floor(spark):
    pairs, labels, rewrites = mine(spark, ["a", "b"], [])
    assert pairs.count() == 0 and labels.count() == 0 and rewrites.count() == 0
    pairs, labels, _ = mine(spark, ["a", "b"], [], min_users=2)
    assert pairs.count() == 1 and labels.count() == 1


def test_beta_lower_bound_known_values():
    # Beta(3, 1) has CDF x^3: its 5th percentile is 0.05 ** (1 / 3)
    assert beta_lower_bound([2.0], [0.0])[0] == pytest.approx(0.05 ** (1 / 3), rel=1e-5)
    assert beta_lower_bound([0.0], [0.0])[0] == pytest.approx(0.05, rel=1e-5)


SIBLING = ("cancel my alarm at seven", "alarm_remove", 0.95)  # another goal, keeping the slot values


@pytest.mark.slow
def test_among_voted_siblings_the_prior_picks_the_one_the_words_mean(spark):
    """Failure class: after a failure, as many users switch to a sibling goal keeping the slot values (remove
    the seven o'clock alarm) as rephrase. The votes alone tie, and no label stands; the day's reliable
    phrasings near FAILING mean alarm_set, and break the tie."""
    args = dict(rephrasing_users=["a", "b", "c", "d"], switching_users=["x", "y", "z", "w"], switch=SIBLING,
                rephrase_p=0.95)
    assert mine(spark, **args)[1].count() == 0
    _, labels, rewrites = mine(spark, **args, prior=[("alarm_set", 0.9), ("alarm_remove", 0.1)])
    assert [(r["source"], r["intent"], r["voters"]) for r in labels.collect()] == [(FAILING, "alarm_set", 4)]
    # a tie is a weak label (weight 0.24): no rewrite acts on it
    assert rewrites.count() == 0
    # but a prior never elects a minority: with a fifth switcher, no label either way
    more = dict(args, switching_users=["x", "y", "z", "w", "v"])
    assert mine(spark, **more, prior=[("alarm_set", 0.9), ("alarm_remove", 0.1)])[1].count() == 0


@pytest.mark.slow
def test_a_prior_that_disagrees_with_the_days_decisive_votes_is_no_witness(spark):
    """Failure class: a prior learnt from an NLU with correlated errors. Where it agrees with 5 of 5 decisive
    votes, it breaks the siblings' tie; where it disagrees with all 5 (its agreement may reach 0.39 at most,
    under 0.85), the votes decide alone, and a tie is no label."""
    args = dict(rephrasing_users=["a", "b", "c", "d"], switching_users=["x", "y", "z", "w"], switch=SIBLING,
                rephrase_p=0.95, prior=[("alarm_set", 0.9), ("alarm_remove", 0.1)], decisive_others=5)
    agreeing = mine(spark, **args, others_prior=[("play_music", 0.9)])[1]
    assert [(r["source"], r["intent"]) for r in agreeing.collect() if r["source"] == FAILING] == [(FAILING, "alarm_set")]
    disagreeing = mine(spark, **args, others_prior=[("alarm_set", 0.9)])[1]
    assert [r["source"] for r in disagreeing.collect() if r["source"] == FAILING] == []
    # the decisive phrasings themselves are labelled by their votes either way
    assert sorted(r["source"] for r in disagreeing.collect()) == [f"other {k}" for k in range(5)]


@pytest.mark.slow
def test_unanimous_sibling_votes_against_a_confident_prior_give_no_label(spark):
    """Failure class: nobody's rephrase worked and three users switched to the sibling (vote weight 0.46); a
    prior that agreed with the day's decisive votes (none here: (0 + 1) / (0 + 2)) and is sure of alarm_set
    holds the sibling label back."""
    args = (spark, [], ["x", "y", "z"])
    assert mine(*args, switch=SIBLING)[1].count() == 1
    assert mine(*args, switch=SIBLING, prior=[("alarm_set", 0.96), ("alarm_remove", 0.01)])[1].count() == 0
    # a prior that is not sure, or that finds the sibling plausible, does not
    assert mine(*args, switch=SIBLING, prior=[("alarm_set", 0.7), ("alarm_remove", 0.01)])[1].count() == 1
    assert mine(*args, switch=SIBLING, prior=[("alarm_set", 0.9), ("alarm_remove", 0.06)])[1].count() == 1


@pytest.mark.slow
def test_a_sibling_that_few_of_the_failing_users_went_on_to_is_held_back_by_a_confident_prior(spark):
    """Failure class: 5 of 25 users who failed went on to the sibling goal (unanimously: weight 0.59) and 20
    gave up. Against a confident prior, those who gave up count: the sibling's support is about 0.06, under
    the prior's trust, and no label stands; without a prior, a fifth of the users is enough."""
    args = dict(rephrasing_users=[], switching_users=[f"s{i}" for i in range(5)], switch=SIBLING,
                giving_up_users=[f"g{i}" for i in range(20)])
    assert [(r["intent"], r["voters"], r["support_users"]) for r in mine(spark, **args)[1].collect()] == [
        ("alarm_remove", 5, 25)
    ]
    confident = [("alarm_set", 0.96), ("alarm_remove", 0.01)]
    assert mine(spark, **args, prior=confident)[1].count() == 0
    # the same five users alone, with nobody giving up, outweigh the prior's trust (0.5 with no decisive votes)
    assert mine(spark, **dict(args, giving_up_users=[]), prior=confident)[1].count() == 1


@pytest.mark.slow
def test_an_agreeing_prior_needs_a_tenth_of_the_failing_users_behind_the_votes(spark):
    """Failure class: a prior that inherits the NLU's errors agrees with whatever the few voters say. Two
    voters among 30 users who failed are too few, agreeing prior or not; among 15, enough."""
    args = dict(rephrasing_users=["a", "b"], switching_users=[], giving_up_users=[f"g{i}" for i in range(28)])
    agreeing = [("alarm_set", 0.9)]
    assert mine(spark, **args, prior=agreeing)[1].count() == 0
    fewer = dict(args, giving_up_users=[f"g{i}" for i in range(13)])
    labels = mine(spark, **fewer, prior=agreeing)[1]
    assert [(r["intent"], r["voters"], r["support_users"]) for r in labels.collect()] == [("alarm_set", 2, 15)]


@pytest.mark.slow
def test_a_phrasing_of_three_users_with_weak_rephrases_is_labelled_where_the_prior_agrees(spark):
    """Failure class: three to five users and no slot values, where most recall is lost. Two of five users
    rephrased with little similarity (p 0.35); three moved on with evidence too weak to vote (p 0.2). Alone,
    two votes of 0.35 are too weak a label (weight 0.17, under 0.25); with an agreeing prior, a label."""
    args = dict(rephrasing_users=["a", "b"], switching_users=["x", "y", "z"], rephrase_p=0.35,
                switch=("what time is it", "datetime_query", 0.2))
    assert mine(spark, **args)[1].count() == 0
    labels = mine(spark, **args, prior=[("alarm_set", 0.6), ("alarm_query", 0.4)])[1]
    assert [(r["source"], r["intent"], r["voters"], r["support_users"]) for r in labels.collect()] == [
        (FAILING, "alarm_set", 2, 5)
    ]
    # the k floor still holds: two users of two are too few
    assert mine(spark, ["a", "b"], [], rephrase_p=0.35, prior=[("alarm_set", 0.9)])[1].count() == 0


@pytest.mark.slow
def test_a_rephrase_after_a_cancel_votes(spark):
    """Failure class: the user says "stop" between the failure and the rephrase (the rephrase is two turns on)."""
    pairs, labels, _ = mine(spark, [], [], cancelling_users=["a", "b", "c"])
    assert [(r["source"], r["intent"], r["voters"]) for r in labels.collect()] == [(FAILING, "alarm_set", 3)]
    assert [(r["source"], r["target"], r["support_users"]) for r in pairs.collect()] == [(FAILING, REPHRASE, 3)]


@pytest.mark.slow
def test_no_rewrite_to_a_target_that_fails_for_most_of_its_users(spark):
    """Failure class: the users' rephrase worked for them but fails for most who say it: no rewrite leads there."""
    args = dict(rephrasing_users=["a", "b", "c", "d"], switching_users=[])
    assert [r["target"] for r in mine(spark, **args)[2].collect()] == [REPHRASE]
    pairs, labels, rewrites = mine(spark, **args, failing_users=[f"f{i}" for i in range(5)])
    assert labels.count() == 1 and pairs.count() == 1  # the label and the synonymy pair stand
    assert pairs.first()["success_probability"] == pytest.approx(4 / 9, rel=1e-5)
    assert labels.first()["goal_head"] is None  # nor does the goal head stand in: it fails for 5 of its 9 users
    assert rewrites.count() == 0


def test_prior_trust_counts_only_decisive_votes_with_a_prior(spark):
    from miner.aggregate import prior_trust

    def row(locale, source, intent, voters, all_voters, prior_intent):
        return (locale, source, intent, float(voters), voters, all_voters, prior_intent)

    rows = [row("en-US", f"s{k}", "alarm_set", 5, 5, "alarm_set") for k in range(6)]
    rows += [
        row("en-US", "few", "alarm_set", 4, 4, "play_music"),  # 4 voters: not decisive
        row("en-US", "split", "alarm_set", 7, 10, "play_music"),  # 70% of the voters: not decisive
        row("en-US", "split", "play_music", 3, 10, "play_music"),
        row("en-US", "no prior", "alarm_set", 9, 9, None),
        row("de-DE", "d0", "alarm_set", 6, 6, "alarm_remove"),
        row("de-DE", "d1", "alarm_set", 6, 6, "alarm_set"),
        row("sw-KE", "none", "alarm_set", 2, 2, "alarm_set"),  # no decisive vote: no row
    ]
    scored = spark.createDataFrame(
        rows, "locale string, source string, intent string, votes double, voters long, all_voters long, "
        "prior_intent string",
    )
    got = {r["source"]: (r["locale"], r["prior_agreement"], r["trust_bound"]) for r in prior_trust(scored).collect()}
    # one row per voted source; its own decisive vote is left out of its trust
    assert sorted(got) == sorted([f"s{k}" for k in range(6)] + ["few", "split", "no prior", "d0", "d1", "none"])
    # en-US: the other 5 of 5 agree for s0: (5 + 1) / (5 + 2), and Beta(6, 1)'s 95th percentile is 0.95 ** (1 / 6)
    assert got["s0"] == ("en-US", pytest.approx(6 / 7), pytest.approx(0.95 ** (1 / 6), rel=1e-5))
    assert got["few"] == got["split"] == ("en-US", pytest.approx(7 / 8), pytest.approx(0.95 ** (1 / 7), rel=1e-5))
    # de-DE: d1 is judged on d0, which disagreed: Beta(1, 2), whose 95th percentile is 1 - 0.05 ** 0.5
    assert got["d1"] == ("de-DE", pytest.approx(1 / 3), pytest.approx(1 - 0.05 ** 0.5, rel=1e-5))
    assert got["d0"] == ("de-DE", pytest.approx(2 / 3), pytest.approx(0.95 ** 0.5, rel=1e-5))
    # no decisive vote at all: agreement 1/2 and a bound of 0.95, a prior given the benefit of the doubt
    assert got["none"] == ("sw-KE", pytest.approx(0.5), pytest.approx(0.95, rel=1e-5))
