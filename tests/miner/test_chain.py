import pytest

from miner.chain import reach_probabilities, success_probabilities, transition_probabilities, user_transitions

OUTCOME_COLUMNS = "locale string, user_key string, text string, is_defective boolean, next_text string, next_probability double"


def outcomes(spark, rows):
    return spark.createDataFrame(rows, OUTCOME_COLUMNS)


def chain_rows(user):
    """fail -> fail -> success: u1 is rephrased as u2 (p 0.8), u2 as s (p 0.8), s succeeds."""
    return [
        ("en-US", user, "u1", True, "u2", 0.8),
        ("en-US", user, "u2", True, "s", 0.8),
        ("en-US", user, "s", False, None, None),
    ]


def test_one_vote_per_user_and_edge(spark):
    rows = chain_rows("a") + [("en-US", "a", "u1", True, "u2", 0.4), ("en-US", "a", "u1", True, None, None)]
    votes = {
        (r["source"], r["target"], r["outcome"]): r["weight"]
        for r in user_transitions(outcomes(spark, rows)).collect()
    }
    assert votes == {
        ("u1", "u2", "move"): 0.8,  # the user's strongest evidence, once
        ("u1", None, "failure"): 1.0,  # the turn nothing followed
        ("u2", "s", "move"): 0.8,
        ("u2", None, "failure"): pytest.approx(0.2),
        ("s", None, "success"): 1.0,
    }


def test_chain_success_and_reach(spark):
    rows = chain_rows("a") + chain_rows("b") + chain_rows("c") + [("en-US", "d", "u1", True, None, None)]
    transitions = transition_probabilities(user_transitions(outcomes(spark, rows))).cache()
    probability = {(r["source"], r["target"], r["outcome"]): round(r["probability"], 4) for r in transitions.collect()}
    # u1: 3 users x 0.8 to u2, 3 x 0.2 + 1 (user d gave up) to FAILURE
    assert probability[("u1", "u2", "move")] == round(2.4 / 4.0, 4)
    assert probability[("u1", None, "failure")] == round(1.6 / 4.0, 4)

    success = {r["state"]: round(r["success_probability"], 4) for r in success_probabilities(transitions).collect()}
    assert success == {"s": 1.0, "u2": 0.8, "u1": round(0.6 * 0.8, 4)}

    reach = {(r["source"], r["target"]): round(r["reach_probability"], 4) for r in reach_probabilities(transitions).collect()}
    # both failures point to the success: u1 reaches s through u2
    assert reach == {("u1", "u2"): 0.6, ("u2", "s"): 0.8, ("u1", "s"): 0.48}
