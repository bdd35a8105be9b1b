"""The live defect rate on hand-written truth rows: served, without rejected readings, without the rewrites,
without any learning."""

import pyarrow as pa
import pytest

from nlu.defects import defect_rates, rejection_table, relative_change, rewrite_table

COLUMNS = ("utterance", "gold_intent", "nlu_outcome", "surface", "rewritten_utterance", "goal_id")


class Lookup:
    """A model that reads each text as a table says, and everything else as `other`."""

    def __init__(self, readings):
        self.readings = readings

    def predict(self, texts):
        return [self.readings.get(text, "other") for text in texts]


def truth(rows):
    return pa.table({name: [row[i] for row in rows] for i, name in enumerate(COLUMNS)})


def test_each_turn_counts_as_served_and_as_each_model_alone_would_have_read_it():
    rows = [
        ("wake me at seven", "alarm_set", "correct", "clean", "set an alarm for seven", "g1"),  # fixed by the rewrite
        ("wake me at seven", "alarm_set", "correct", "clean", "set an alarm for seven", "g1"),
        ("play jazz", "play_music", "correct", "clean", None, "g2"),  # retraining fixed it
        ("lights off", "iot_hue_lightoff", "friction", "clean", None, "g3"),  # still failing, in any words
        ("<b>stop</b>", "alarm_remove", "friction", "hostile", None, "g4"),  # markup: fails whatever the model
        ("stop alarm", "alarm_remove", "correct", "clean", None, "g4"),  # ... but other words worked
        ("stop", None, None, "clean", None, None),  # serves no goal: not counted
        (None, None, None, None, None, None),  # a malformed row: not counted
    ]
    serving = Lookup({"play jazz": "play_music", "stop alarm": "alarm_remove"})  # misreads "wake me at seven"
    baseline = Lookup({"stop alarm": "alarm_remove"})
    rates = defect_rates(truth(rows), baseline, serving)
    assert rates == {
        "goal_turns": 6, "rewritten_turns": 2, "reranked_turns": 0,
        "served": pytest.approx(33.33), "without_rejections": pytest.approx(33.33),
        "without_rewrites": pytest.approx(66.67), "without_learning": pytest.approx(83.33),
        "no_working_phrasing": pytest.approx(16.67),  # "lights off": no turn of its goal worked
        "removed_by_retraining": pytest.approx(16.66), "removed_by_rewrites": pytest.approx(33.34),
        "removed_by_rejections": 0.0,
    }


def test_a_reading_the_runtime_reranked_counts_as_the_serving_model_would_have_read_it_without_the_rejection():
    rows = [
        ("delete the alarm", "alarm_remove", "correct", "clean", None, "g1"),  # rejected alarm_set: next-best is right
        ("delete the alarm", "alarm_remove", "correct", "clean", None, "g1"),
        ("wake me", "alarm_set", "silent", "clean", "set an alarm", "g2"),  # rewritten, then reranked to a wrong one
        ("lights off", "iot_hue_lightoff", "correct", "clean", None, "g3"),  # nothing rejected
        ("<b>delete the alarm</b>", "alarm_remove", "friction", "hostile", None, "g1"),  # markup: never re-read
    ]
    lights = {"lights off": "iot_hue_lightoff"}
    serving = Lookup({"delete the alarm": "alarm_set", "set an alarm": "alarm_set", **lights})
    runtime = Lookup({"delete the alarm": "alarm_remove", "set an alarm": "alarm_query", **lights})
    rates = defect_rates(truth(rows), serving, serving, runtime)
    assert rates == {
        "goal_turns": 5, "rewritten_turns": 1, "reranked_turns": 3,
        "served": 40.0, "without_rejections": 60.0, "without_rewrites": 80.0, "without_learning": 80.0,
        "no_working_phrasing": 20.0, "removed_by_retraining": 0.0, "removed_by_rewrites": 20.0,
        "removed_by_rejections": 20.0,
    }


def test_where_the_models_read_alike_the_logged_outcome_stands():
    # the logged outcome came from the clean phrasing; the models agree on the words: nothing is re-read
    rows = [("play jazz!", "play_music", "silent", "noisy", None, "g1")]
    same = Lookup({"play jazz!": "play_music"})
    assert defect_rates(truth(rows), same, same)["without_learning"] == 100.0
    assert defect_rates(truth([]), same, same) == {
        "goal_turns": 0, "rewritten_turns": 0, "reranked_turns": 0, "served": None, "without_rejections": None,
        "without_rewrites": None, "without_learning": None, "no_working_phrasing": None,
    }


def test_relative_change_and_the_rewrite_lookup():
    assert relative_change(40.0, 26.0) == pytest.approx(-35.0)
    assert relative_change(None, 26.0) is None and relative_change(0.0, 1.0) is None
    rows = [{"locale": "en-US", "source": "a", "target": "b"}, {"locale": "de-DE", "source": "c", "target": "d"}]
    assert rewrite_table(rows) == {"en-US": {"a": "b"}, "de-DE": {"c": "d"}}
    rejected = [{"locale": "de-DE", "text": "a", "intent": "x", "accepted_intent": "z"},
                {"locale": "de-DE", "text": "a", "intent": "y", "accepted_intent": "z"},
                {"locale": "sw-KE", "text": "b", "intent": "x", "accepted_intent": None}]
    assert rejection_table(rejected) == {
        "de-DE": ({"a": frozenset({"x", "y"})}, {"a": "z"}), "sw-KE": ({"b": frozenset({"x"})}, {}),
    }
