"""Retraining on a published run (nlu/retrain.py), on hand-written MASSIVE records: which records train and
which score, the scores and the verdict, the locales skipped, and malformed published records."""

import json
from pathlib import Path

import pytest

from nlu.classifier import TOLERANCE_POINTS
from nlu.retrain import (
    PACKAGED_MASSIVE,
    has_annotated,
    held_out,
    locale_data,
    published_locales,
    read_published_records,
    retrain_published,
    write_scores,
)
from pipeline.config import RetrainConfig
from pipeline.errors import InputContractError
from tests.retrain_factory import (
    ANNOTATED,
    HELD_OUT,
    PUBLISHED,
    training_record,
    write_annotated,
    write_jsonl,
    write_massive,
    write_published_run,
)

DS, VERSION = "2026-11-30", "20261201T000000Z-0001"


@pytest.fixture(scope="module")
def encode():
    from nlu.retrain import packaged_encoder

    return packaged_encoder()


@pytest.fixture
def annotated(tmp_path) -> Path:
    return write_annotated(tmp_path / "massive")


def test_the_retrained_model_is_scored_against_the_baseline_on_the_evaluation_set(tmp_path, annotated, encode):
    # de-DE is published but has no annotated data; sw-KE is asked for but has no published records
    run = write_published_run(tmp_path / "runs", DS, VERSION, {**PUBLISHED, "de-DE": [("licht an", "iot_on", 1.0, 3)]})
    report = retrain_published(run, annotated, annotated, [], RetrainConfig(), encode, log=lambda _: None)

    assert sorted(report["locales"]) == ["en-US"]
    assert report["skipped"] == {"de-DE": f"no annotated records in {annotated}"}
    scores = report["locales"]["en-US"]
    assert (scores["records_added"], scores["train_records"], scores["test_utterances"]) == (2, 15, 6)
    assert scores["evaluation"] == str(annotated)
    # the hand-written held-out utterances are easy: both models read them all
    assert scores["accuracy"] == {"before": 100.0, "after": 100.0, "delta": 0.0, "low": 0.0, "high": 0.0,
                                  "level": 0.95}
    assert (scores["regressed_intents"], scores["regression"], report["regressed_locales"]) == ([], False, [])
    assert (report["published"], report["evaluation"], report["seed"]) == (run, str(annotated), 0)

    asked = retrain_published(
        run, annotated, annotated, ["sw-KE", "en-US"], RetrainConfig(), encode, log=lambda _: None,
    )
    assert asked["skipped"] == {"sw-KE": "no published training records"}
    assert list(asked["locales"]) == ["en-US"]


def test_records_that_contradict_the_held_out_labels_are_a_regression(tmp_path, annotated, encode):
    # every held-out weather question published as music, by many users: the retrained model learns them
    wrong = [(utt, "play_music", 1.0, 10) for utt, intent in HELD_OUT if intent == "weather_query"]
    run = write_published_run(tmp_path / "runs", DS, VERSION, {"en-US": wrong})
    report = retrain_published(run, annotated, annotated, [], RetrainConfig(), encode, log=lambda _: None)

    scores = report["locales"]["en-US"]
    assert (scores["accuracy"]["before"], scores["accuracy"]["after"]) == (100.0, pytest.approx(66.67))
    assert scores["accuracy"]["low"] < -TOLERANCE_POINTS
    assert scores["regression"] is True and report["regressed_locales"] == ["en-US"]

    path = write_scores(str(tmp_path / "models" / "nlu" / DS / VERSION), report)
    assert json.loads(Path(path).read_text())["regressed_locales"] == ["en-US"]


def test_without_an_evaluation_set_a_share_of_the_annotated_records_is_held_out_by_id(annotated):
    config = RetrainConfig(holdout_share=0.3, seed=0)
    data, source = locale_data("en-US", annotated, None, config)
    trained, scored = {r["id"] for r in data.train}, {r["id"] for r in data.test}

    assert trained.isdisjoint(scored) and len(trained | scored) == len(ANNOTATED)  # the test partition never trains
    assert scored == {str(n) for n in range(len(ANNOTATED)) if held_out(str(n), 0.3, 0)}
    assert source == f"30% of {annotated} held out by record id"
    again, _ = locale_data("en-US", annotated, None, config)
    assert [r["id"] for r in again.test] == [r["id"] for r in data.test]  # the same records on every run
    assert [held_out(str(n), 0.3, 1) for n in range(200)] != [held_out(str(n), 0.3, 0) for n in range(200)]
    assert 40 <= sum(held_out(str(n), 0.3, 0) for n in range(200)) <= 80


def test_annotated_records_with_an_evaluation_id_are_not_trained_on(tmp_path, annotated):
    evaluation = tmp_path / "evaluation"
    write_massive(evaluation, "en-US", "dev", [("wake me up at seven", "alarm_set")], first_id=0)  # id 0 is annotated
    data, source = locale_data("en-US", annotated, evaluation, RetrainConfig())
    assert [r["id"] for r in data.test] == ["0"] and "0" not in {r["id"] for r in data.train}
    assert len(data.train) == len(ANNOTATED) - 1 and source == str(evaluation)
    # a locale that the evaluation folder lacks is held out of the annotated records instead, and says so
    assert not has_annotated(evaluation, "de-DE") and has_annotated(PACKAGED_MASSIVE, "de-DE")


def test_too_little_annotated_data_is_an_error_that_names_the_locale(tmp_path):
    folder = tmp_path / "massive"
    write_massive(folder, "en-US", "train", [("play jazz", "play_music"), ("play rock", "play_music")])
    with pytest.raises(InputContractError, match="en-US: fewer than two intents"):
        locale_data("en-US", folder, None, RetrainConfig())


def test_published_locales_and_records(tmp_path):
    run = Path(write_published_run(tmp_path / "runs", DS, VERSION, {**PUBLISHED, "de-DE": []}))
    assert published_locales(str(run / "training")) == ["de-DE", "en-US"]
    assert read_published_records(str(run / "training"), "de-DE") == []
    assert read_published_records(str(run / "training"), "fr-FR") == []  # no file: nothing published
    assert [r["utt"] for r in read_published_records(str(run / "training"), "en-US")] == [
        "rouse me at seven", "blast some tunes",
    ]
    with pytest.raises(InputContractError, match="no training folder"):
        published_locales(str(tmp_path / "nowhere" / "training"))


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"intent": None}, "'intent' must be a non-empty string"),
        ({"utt": "  "}, "'utt' must be a non-empty string"),
        ({"locale": "de-DE"}, "its locale 'de-DE' is not the file's (en-US)"),
        ({"weight": 0.0}, "'weight' must be a number in (0, 1], not 0.0"),
        ({"weight": "high"}, "'weight' must be a number in (0, 1], not 'high'"),
        ({"support_users": 0}, "'support_users' must be a positive integer, not 0"),
    ],
)
def test_a_malformed_published_record_is_an_error_that_names_its_file_and_line(tmp_path, change, problem):
    good = training_record("en-US", "rouse me at seven", "alarm_set", 0.9, 4)
    path = write_jsonl(tmp_path / "training" / "en-US.jsonl", [good, {**good, **change}])
    with pytest.raises(InputContractError) as error:
        read_published_records(str(tmp_path / "training"), "en-US")
    assert str(error.value) == f"{path}:2: not a training record: {problem}"


def test_a_line_that_is_not_json_is_an_error_too(tmp_path):
    path = tmp_path / "training" / "en-US.jsonl"
    path.parent.mkdir()
    path.write_text('\n{"utt": "rouse me"\n', encoding="utf-8")
    with pytest.raises(InputContractError, match=r"en-US.jsonl:2: not a training record: not JSON"):
        read_published_records(str(tmp_path / "training"), "en-US")
