"""The baseline intent classifier, its sample weights, the paired bootstrap, the regression verdict and the
failing phrasings a day of simulated traffic hands the loop."""

import pyarrow as pa
import pytest

from miner.embeddings import load_static_encoder
from miner.models import resolve_model_path
from nlu.classifier import (
    MAX_USERS_PER_RECORD,
    PatchedIntentModel,
    RerankedReader,
    fix_rate,
    is_regression,
    mined_record_weight,
    paired_bootstrap,
    patched_model,
    regressed_intents,
    rephrased_failures,
    sign_test_p,
    train_intent_model,
)
from schemas.truth import TRUTH

TRAIN = [
    ("wake me up at seven", "alarm_set"), ("set an alarm for six", "alarm_set"), ("alarm at noon please", "alarm_set"),
    ("weck mich um sieben", "alarm_set"),
    ("play some jazz", "play_music"), ("put on my workout playlist", "play_music"),
    ("play music by queen", "play_music"), ("spiel etwas jazz", "play_music"),
    ("what is the weather today", "weather_query"), ("will it rain tomorrow", "weather_query"),
    ("how hot is it outside", "weather_query"), ("wie wird das wetter", "weather_query"),
]


@pytest.fixture(scope="module")
def encode():
    return load_static_encoder(resolve_model_path("")).encode


def test_the_baseline_reads_unseen_wordings_and_honours_weights(encode):
    texts, intents = zip(*TRAIN)
    model = train_intent_model(texts, intents, encode)
    assert model.predict(["wake me at eight", "play a song by queen", "is it going to rain"]) == [
        "alarm_set", "play_music", "weather_query",
    ]
    assert model.predict([]) == []
    # one mislabelled record: at a tiny weight it changes nothing, at a large one it is learned
    poisoned = [*texts, "play some jazz"], [*intents, "weather_query"]
    ignored = train_intent_model(*poisoned, encode, weights=[1.0] * len(texts) + [0.01])
    learned = train_intent_model(*poisoned, encode, weights=[1.0] * len(texts) + [50.0])
    assert ignored.predict(["play some jazz"]) == ["play_music"]
    assert learned.predict(["play some jazz"]) == ["weather_query"]


def test_retraining_on_the_same_data_gives_the_same_model(encode):
    texts, intents = zip(*TRAIN)
    probes = ["wake me", "jazz", "rain", "wetter", "", "🙂"]
    assert train_intent_model(texts, intents, encode).predict(probes) == train_intent_model(
        texts, intents, encode).predict(probes)


def test_training_refuses_mismatched_single_intent_or_non_positive_weights(encode):
    with pytest.raises(ValueError, match="same length"):
        train_intent_model(["a", "b"], ["x"], encode)
    with pytest.raises(ValueError, match="two intents"):
        train_intent_model(["a", "b"], ["x", "x"], encode)
    with pytest.raises(ValueError, match="positive"):
        train_intent_model(["a", "b"], ["x", "y"], encode, weights=[1.0, float("nan")])


def test_mined_record_weight_is_confidence_times_users_capped():
    assert mined_record_weight(0.5, 3) == 1.5
    assert mined_record_weight(0.5, 1000) == 0.5 * MAX_USERS_PER_RECORD
    assert mined_record_weight(0.8, 0) == 0.8  # never below the record's own confidence


def test_paired_bootstrap_interval():
    before = [True] * 80 + [False] * 20
    after = [True] * 90 + [False] * 10  # ten utterances fixed, none broken
    result = paired_bootstrap(before, after, resamples=1000, seed=1)
    assert (result["before"], result["after"], result["delta"], result["level"]) == (80.0, 90.0, 10.0, 0.95)
    assert 0.0 < result["low"] < 10.0 < result["high"] < 20.0
    unchanged = paired_bootstrap(before, before)
    assert unchanged["low"] == unchanged["high"] == unchanged["delta"] == 0.0  # paired: no change, no noise
    with pytest.raises(ValueError):
        paired_bootstrap([True], [True, False])
    with pytest.raises(ValueError):
        paired_bootstrap([], [])


def test_sign_test():
    assert sign_test_p(0, 0) == 1.0
    assert sign_test_p(5, 0) == pytest.approx(1 / 32)
    assert sign_test_p(3, 3) == pytest.approx(42 / 64)
    assert sign_test_p(0, 4) == 1.0


def test_regressed_intents_are_significant_net_losses_worst_first():
    intents = ["alarm"] * 6 + ["music"] * 6 + ["news"] * 2 + ["weather"] * 8
    before = [True] * 6 + [True] * 6 + [True, False] + [True] * 8
    after = [False] * 5 + [True] + [False, False, False, True, True, True] + [False, True] + [False] * 4 + [True] * 4
    # alarm lost 5 of 6 (p 1/32); music lost 3 (p 1/8); news lost 1 and gained 1; weather lost 4 (p 1/16)
    assert regressed_intents(intents, before, after) == [
        {"intent": "alarm", "lost": 5, "gained": 0, "test_utterances": 6, "p_value": 0.03125},
    ]
    assert [r["intent"] for r in regressed_intents(intents, before, after, significance=0.2)] == [
        "alarm", "weather", "music",
    ]
    assert regressed_intents([], [], []) == []
    with pytest.raises(ValueError):
        regressed_intents(["a"], [True], [])


def test_the_verdict():
    steady = {"low": -0.4}
    assert not is_regression(steady, [], intent_count=60)
    assert is_regression({"low": -0.6}, [], intent_count=60)
    # one intent losing at p 0.03 is worth naming, but not a regression among 60 intents (Bonferroni) ...
    assert not is_regression(steady, [{"intent": "alarm", "p_value": 0.03}], intent_count=60)
    # ... one losing at p 0.0001 is
    assert is_regression(steady, [{"intent": "alarm", "p_value": 0.0001}], intent_count=60)


def _truth(rows):
    columns = {name: [] for name in TRUTH.arrow_schema.names}
    for row in rows:
        for name in TRUTH.arrow_schema.names:
            columns[name].append(row.get(name))
    return pa.table(columns, schema=TRUTH.arrow_schema)


def _turn(event, user, utterance, intent, role="first", outcome="correct", rephrase_of=None, surface="clean"):
    return {"event_id": event, "locale": "en-US", "user_id": user, "utterance": utterance, "gold_intent": intent,
            "role": role, "nlu_outcome": outcome, "rephrase_of": rephrase_of, "surface": surface, "deliveries": 1}


def test_rephrased_failures_pool_spellings_and_count_distinct_users():
    rows = []
    spellings = ["Wake me at seven", "wake me at seven!", "WAKE ME AT SEVEN", "wake me at seven"]
    for n, (user, spelling) in enumerate(zip(["u1", "u2", "u3", "u3"], spellings)):
        rows += [_turn(f"f{n}", user, spelling, "alarm_set", outcome="silent"),
                 _turn(f"r{n}", user, "set an alarm for seven", "alarm_set", "rephrase", rephrase_of=f"f{n}")]
    # two users only; a failure followed by a repeat or a switch is not rephrased; hostile markup is left out
    rows += [_turn(f"j{n}", f"u{n}", "jazz now", "play_music", outcome="friction") for n in (1, 2)]
    rows += [_turn("q1", "u1", "play some jazz", "play_music", "rephrase", rephrase_of="j1"),
             _turn("q2", "u2", "jazz music", "play_music", "rephrase", outcome="silent", rephrase_of="j2")]
    # "rephrased" in the same words, by three users: that is a repeat
    rows += [_turn(f"a{n}", f"u{n}", "the two towers", "play_audiobook", outcome="bargein") for n in range(3)]
    rows += [_turn(f"b{n}", f"u{n}", "The two towers!", "play_audiobook", "rephrase", rephrase_of=f"a{n}")
             for n in range(3)]
    for user in ("u1", "u2"):
        rows += [_turn(f"s{user}", user, "news please", "news_query", outcome="cancel"),
                 _turn(f"t{user}", user, "news please", "news_query", "repeat", rephrase_of=f"s{user}")]
    rows += [_turn(f"h{n}", f"u{n}", "<b>rain</b>", "weather_query", outcome="friction", surface="hostile")
             for n in range(3)]
    rows += [_turn(f"k{n}", f"u{n}", "rain", "weather_query", "rephrase", rephrase_of=f"h{n}") for n in range(3)]
    rows.append(_turn("x", "u9", None, None, role="malformed", outcome=None, surface=None))  # a null row
    assert rephrased_failures(_truth(rows), min_users=3) == [
        {"text": "wake me at seven", "intent": "alarm_set", "users": 3, "users_helped": 3},
    ]
    assert [(f["text"], f["users_helped"]) for f in rephrased_failures(_truth(rows), min_users=2)] == [
        ("wake me at seven", 3), ("jazz now", 1),  # the second user's rephrase was misread too
    ]
    assert rephrased_failures(_truth([]), min_users=1) == []


def test_fix_rate_counts_what_the_model_now_reads_right(encode):
    texts, intents = zip(*TRAIN)
    model = train_intent_model(texts, intents, encode)
    failures = [{"text": "wake me up at seven", "intent": "alarm_set", "users": 5, "users_helped": 4},
                {"text": "play some jazz", "intent": "weather_query", "users": 3, "users_helped": 3},
                {"text": "will it rain tomorrow", "intent": "play_music", "users": 9, "users_helped": 2}]
    assert fix_rate(model, failures, min_users=3) == {
        "fix_rate": 0.3333, "fixed": 1, "failing_phrasings": 3,
        "learnable_fix_rate": 0.5, "learnable_fixed": 1, "learnable_phrasings": 2,  # the third left no label
        "unfixed_examples": [
            {"text": "play some jazz", "intent": "weather_query", "read_as": "play_music", "users": 3,
             "users_helped": 3},
            {"text": "will it rain tomorrow", "intent": "play_music", "read_as": "weather_query", "users": 9,
             "users_helped": 2},
        ],
    }
    assert fix_rate(model, [], 3)["fix_rate"] is fix_rate(model, [], 3)["learnable_fix_rate"] is None


def test_a_patched_model_reads_anew_only_near_the_mined_phrasings(encode):
    texts, intents = zip(*TRAIN)
    baseline = train_intent_model(texts, intents, encode)
    assert patched_model(baseline, texts, intents, [], [], []) is baseline  # nothing mined: nothing changes
    patched = patched_model(baseline, texts, intents, ["play some jazz"], ["weather_query"], [50.0])
    assert isinstance(patched, PatchedIntentModel)
    far = ["wake me up at seven", "will it rain tomorrow", "set an alarm for six"]
    assert patched.predict(["play some jazz", *far]) == ["weather_query", *baseline.predict(far)]
    assert patched.predict([]) == []
    probes = ["play some jazz", *far]
    assert [ranked[0] for ranked in patched.ranked(probes)] == patched.predict(probes)


def test_the_n_best_list_starts_with_the_prediction_and_holds_every_intent(encode):
    texts, intents = zip(*TRAIN)
    model = train_intent_model(texts, intents, encode)
    probes = ["wake me at eight", "play a song by queen", "🙂"]
    ranked = model.ranked(probes)
    assert [r[0] for r in ranked] == model.predict(probes)
    assert all(sorted(r) == ["alarm_set", "play_music", "weather_query"] for r in ranked)
    assert model.ranked([]) == []
    two = train_intent_model(texts[:8], intents[:8], encode)  # two intents: sklearn gives one score per text
    assert two.ranked(["wake me at eight", "play jazz"]) == [["alarm_set", "play_music"], ["play_music", "alarm_set"]]


def test_a_reranked_reader_serves_the_best_reading_users_did_not_reject(encode):
    texts, intents = zip(*TRAIN)
    model = train_intent_model(texts, intents, encode)
    probe, other = "wake me at eight", "play a song by queen"
    first, second, third = model.ranked([probe])[0]
    assert RerankedReader(model, {}, {}, str.lower).predict([probe, other]) == model.predict([probe, other])
    rejected_once = RerankedReader(model, {probe.upper(): frozenset({first})}, {}, str.upper)
    assert rejected_once.predict([probe, other]) == [second, model.predict([other])[0]]
    rejected_twice = RerankedReader(model, {probe: frozenset({first, second})}, {}, str.lower)
    assert rejected_twice.predict([probe]) == [third]
    # a rejection of another reading than the model's best changes nothing; rejecting them all keeps the best
    assert RerankedReader(model, {probe: frozenset({third})}, {}, str.lower).predict([probe]) == [first]
    everything = RerankedReader(model, {probe: frozenset({first, second, third})}, {}, str.lower)
    assert everything.predict([probe]) == [first]
    # a reading its users accepted is served whatever the model reads now
    pinned = RerankedReader(model, {probe: frozenset({first})}, {probe: third}, str.lower)
    assert pinned.predict([probe, other]) == [third, model.predict([other])[0]]
