import math

import numpy as np
import pytest

from miner.embeddings import vectors_to_binary
from miner.prior import MAX_NEIGHBOUR_USERS, PRIOR_SHARPNESS, intent_priors, knn_prior, reliable_phrasings
from schemas.phrasings import GOAL_PHRASINGS, PHRASINGS


def unit(*values):
    vector = np.array(values, dtype=np.float64)
    return vector / np.linalg.norm(vector)


REFERENCES = {  # text: (vector, intent, users)
    "set an alarm for six": (unit(1.0, 0.0), "alarm_set", 5),
    "alarm at nine please": (unit(0.9, 0.3), "alarm_set", 40),  # users are capped at MAX_NEIGHBOUR_USERS
    "cancel my alarm": (unit(0.0, 1.0), "alarm_remove", 3),
}


def closeness(a, b, users):
    return min(users, MAX_NEIGHBOUR_USERS) * math.exp(PRIOR_SHARPNESS * float(a @ b))


def test_knn_prior_weighs_neighbours_by_users_and_closeness_and_leaves_the_phrasing_itself_out():
    texts = list(REFERENCES)
    vectors = np.stack([REFERENCES[t][0] for t in texts])
    query = unit(0.8, 0.6)
    rows = knn_prior(
        vectors, texts, [REFERENCES[t][1] for t in texts], np.array([REFERENCES[t][2] for t in texts]),
        np.stack([query, REFERENCES["cancel my alarm"][0]]), ["wake me at seven", "cancel my alarm"],
    )
    set_mass = sum(closeness(query, REFERENCES[t][0], REFERENCES[t][2]) for t in texts[:2])
    remove_mass = closeness(query, REFERENCES["cancel my alarm"][0], 3)
    expected_set = set_mass / (set_mass + remove_mass)
    assert [(text, intent) for text, intent, _ in rows] == [
        ("wake me at seven", "alarm_set"), ("wake me at seven", "alarm_remove"),
        ("cancel my alarm", "alarm_set"),  # its own row is left out: only alarm_set phrasings remain
    ]
    assert rows[0][2] == pytest.approx(expected_set, rel=1e-9)
    assert rows[1][2] == pytest.approx(1 - expected_set, rel=1e-9)
    assert rows[2][2] == pytest.approx(1.0)


def test_knn_prior_of_nothing_is_nothing():
    empty = np.zeros((0, 2))
    assert knn_prior(empty, [], [], np.zeros(0), np.stack([unit(1.0, 0.0)]), ["x"]) == []


def test_intent_priors_from_the_days_reliable_phrasings(spark):
    reliability = spark.createDataFrame(
        [
            ("en-US", "set an alarm for six", 5, 0, 1.0, None),
            ("en-US", "alarm at nine please", 40, 2, 0.95, "alarm at nine please"),
            ("en-US", "cancel my alarm", 3, 0, 1.0, None),
            ("en-US", "wake me at seven", 9, 9, 0.0, "Wake me at seven"),  # failing: a query, not a reference
            ("en-US", "turn it up", 10, 3, 0.7, "turn it up"),  # unreliable: no reference
            ("de-DE", "wecker stellen", 4, 0, 1.0, None),  # another locale's phrasing is never a neighbour
        ],
        PHRASINGS.spark_schema,
    )
    goal_phrasings = spark.createDataFrame(
        [
            ("en-US", "alarm_set", ["time=six"], "set an alarm for six", 5),
            ("en-US", "alarm_set", ["time=nine"], "alarm at nine please", 30),
            ("en-US", "alarm_query", ["time=nine"], "alarm at nine please", 8),  # fewer users read it so
            ("en-US", "alarm_remove", [], "cancel my alarm", 3),
            ("en-US", "audio_volume_up", [], "turn it up", 7),
            ("de-DE", "alarm_set", [], "wecker stellen", 4),
        ],
        GOAL_PHRASINGS.spark_schema,
    )
    reliable = reliable_phrasings(reliability, goal_phrasings)
    assert sorted(tuple(r) for r in reliable.collect()) == [
        ("de-DE", "wecker stellen", "alarm_set", 4),
        ("en-US", "alarm at nine please", "alarm_set", 40),
        ("en-US", "cancel my alarm", "alarm_remove", 3),
        ("en-US", "set an alarm for six", "alarm_set", 5),
    ]
    vectors = {**{t: v for t, (v, _, _) in REFERENCES.items()}, "wake me at seven": unit(0.8, 0.6),
               "wecker stellen": unit(0.8, 0.6)}
    embeddings = spark.createDataFrame(
        [(t, vectors_to_binary(np.array([v]))[0].as_py()) for t, v in vectors.items()], "text string, embedding binary"
    )
    queries = spark.createDataFrame(
        [("en-US", "wake me at seven"), ("en-US", "no embedding for me")], "locale string, text string"
    )
    rows = sorted(tuple(r) for r in intent_priors(reliable, queries, embeddings).collect())
    assert [(locale, text, intent) for locale, text, intent, _ in rows] == [
        ("en-US", "wake me at seven", "alarm_remove"), ("en-US", "wake me at seven", "alarm_set"),
    ]
    # float16 embeddings: the probabilities of the float64 computation to three places
    query = unit(0.8, 0.6)
    set_mass = sum(closeness(query, REFERENCES[t][0], REFERENCES[t][2]) for t in list(REFERENCES)[:2])
    remove_mass = closeness(query, REFERENCES["cancel my alarm"][0], 3)
    assert rows[1][3] == pytest.approx(set_mass / (set_mass + remove_mass), abs=2e-3)
    assert rows[0][3] + rows[1][3] == pytest.approx(1.0)
