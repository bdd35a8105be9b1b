"""The emit application: its arguments, and hand-written pairs and labels through `run` into the rewrite table,
the training files and stats."""

import json
import shutil

import pytest
from pyspark.sql import Row

from jobs import emit
from miner.records import record_id
from pipeline.io import read_dataset, write_dataset
from pipeline.stages import EMIT, stats_path
from schemas.feedback import FEEDBACK, READING_FEEDBACK
from schemas.labels import LABELS
from schemas.outputs import REJECTED_READINGS, REWRITES, TRAINING, WITHDRAWN_REWRITES
from schemas.pairs import PAIRS
from tests.conftest import argument_error

WAKE, ALARM, SHORT_ALARM = "wake me at seven", "set an alarm for seven", "alarm for seven"
WECK, WECKER = "weck mich um sieben", "stell einen wecker auf sieben"


def pair(source, target, weight, score, locale="en-US", kind="rephrase", success=0.9, users=4):
    return (locale, source, target, kind, weight, users, users, "alarm_set", success, 0.8, score, 3.0, 1.0, 0.9, 0.7,
            0.6)


def label(source, intent, weight, users, surface, slots, goal_head=None, locale="en-US"):
    return (locale, source, intent, weight, users, users, surface, slots, goal_head)


PAIR_ROWS = [
    pair(WAKE, ALARM, 0.6, 0.5, users=4),
    pair(WAKE, "wake me at seven please", 0.7, 0.3),  # more weight, lower score: not the best rewrite
    pair(WAKE, "alarm at seven", 0.8, 0.9, success=0.4),  # best score, but its target fails too often
    pair(SHORT_ALARM, ALARM, 0.9, 0.9, kind="variant"),  # variants are no rewrites
]
LABEL_ROWS = [
    label(WAKE, "alarm_set", 0.6, 5, "Wake me at seven!", [Row(name="time", value="seven")]),
    # no rephrase of its own: its goal's head stands in
    label(WECK, "alarm_set", 0.5, 3, "Weck mich um sieben", [Row(name="time", value="sieben")], goal_head=WECKER,
          locale="de-DE"),
    label("jazz now", "play_music", 0.2, 3, "Jazz now", None, goal_head="play jazz"),  # too weak for a rewrite
    label("call <phone>", "calling_call", 0.9, 4, "call <phone>", None),  # scrubbed: never a training record
]
FEEDBACK_ROWS = [
    ("en-US", WAKE, ALARM, 10.0, 1.0),  # served and working: gains weight
    ("de-DE", WECK, WECKER, 4.0, 4.0),  # served and failing for every user: withdrawn
    ("en-US", "jazz now", "play jazz", 2.0, 2.0),  # not (or no longer) a rewrite: its feedback is kept, unused
]
READING_FEEDBACK_ROWS = [
    ("en-US", "jazz now", "play_music", 5.0, 4.0),  # users reject the very reading its label says: held back
    ("en-US", "jazz now", "play_radio", 6.0, 1.0),  # ... and accept this one
    ("en-US", WAKE, "alarm_query", 10.0, 2.0),  # most users accept it: not rejected
]


@pytest.fixture
def out(spark, tmp_path):
    out = tmp_path / "out"
    write_dataset(spark.createDataFrame(PAIR_ROWS, PAIRS.spark_schema), str(out / "pairs"), PAIRS,
                  partition_by=("locale",))
    write_dataset(spark.createDataFrame(LABEL_ROWS, LABELS.spark_schema), str(out / "labels"), LABELS,
                  partition_by=("locale",))
    write_dataset(spark.createDataFrame(FEEDBACK_ROWS, FEEDBACK.spark_schema), str(out / "feedback"), FEEDBACK,
                  partition_by=("locale",))
    write_dataset(spark.createDataFrame(READING_FEEDBACK_ROWS, READING_FEEDBACK.spark_schema),
                  str(out / "reading_feedback"), READING_FEEDBACK, partition_by=("locale",))
    return out


def record(locale, utt, annot_utt, intent, weight, users, run_id):
    return {
        "id": record_id(locale, utt), "locale": locale, "partition": "train", "scenario": intent.split("_")[0],
        "intent": intent, "utt": utt, "annot_utt": annot_utt, "kind": "rephrase", "weight": pytest.approx(weight),
        "support_users": users, "run_id": run_id,
    }


def training_files(out):
    return {
        path.name: [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        for path in sorted((out / "training").iterdir())
    }


def test_parse_args():
    assert vars(emit.parse_args(["--out", "OUT", "--run-id", "20261130T090000Z-abcd1234"])) == {
        "out": "OUT", "run_id": "20261130T090000Z-abcd1234", "min_users": 3,
    }
    assert vars(emit.parse_args(EMIT.argv({"out": "OUT", "run_id": "r1", "min_users": 5}))) == {
        "out": "OUT", "run_id": "r1", "min_users": 5,
    }


def test_parse_args_requires_a_run_id(capsys):
    error = argument_error(emit.parse_args, ["--out", "OUT"], capsys)
    assert "emit: error: the following arguments are required: --run-id" in error


def test_parse_args_rejects_an_unknown_argument(capsys):
    with pytest.raises(SystemExit):
        emit.parse_args(["--out", "OUT", "--run-id", "r1", "--decay", "0.5"])
    assert "emit: error: unrecognized arguments: --decay 0.5" in capsys.readouterr().err


def test_run_writes_one_live_rewrite_per_failing_phrasing_and_a_training_file_per_locale(spark, out):
    (out / "training").mkdir()
    (out / "training" / "fr-FR.jsonl").write_text("{}\n")  # left by an earlier run: replaced, not kept
    stats = emit.run(spark, emit.parse_args(["--out", str(out), "--run-id", "run-1"]))

    assert stats == {
        "training_records": 1, "training_records_by_locale": {"en-US": 1},
        "rewrites": 1, "rewrites_by_locale": {"en-US": 1}, "withdrawn_rewrites": 1,
        "withdrawn_rewrites_by_locale": {"de-DE": 1}, "rejected_readings": 1,
        "rejected_readings_by_locale": {"en-US": 1}, "rows_out": 2,
    }
    assert json.loads(open(stats_path(str(out), "emit")).read()) == stats

    rewrites = sorted(read_dataset(spark, str(out / "rewrites"), REWRITES).collect())
    assert [tuple(r) for r in rewrites] == [
        # mined weight 0.6 counted as 5 users, plus 9 of 10 served users it worked for: (3 + 9) / 15
        ("en-US", WAKE, ALARM, pytest.approx(0.8), "alarm_set", 4, 10.0, pytest.approx(0.9)),
    ]
    withdrawn = read_dataset(spark, str(out / "withdrawn_rewrites"), WITHDRAWN_REWRITES).collect()
    # the goal head standing in for WECK failed for all 4 users it was served to; no other target is mined
    assert [tuple(r) for r in withdrawn] == [("de-DE", WECK, WECKER, None, 4.0, 4.0, 0.0, "failed")]
    rejected = read_dataset(spark, str(out / "rejected_readings"), REJECTED_READINGS).collect()
    assert [tuple(r) for r in rejected] == [
        ("en-US", "jazz now", "play_music", 5.0, 4.0, pytest.approx(0.8), "play_radio"),
    ]

    files = training_files(out)
    # WECK's label served as its goal head and failed for every user: the label is held back from training too
    assert list(files) == ["en-US.jsonl"]
    en_us = [
        record("en-US", "wake me at seven", "wake me at [time : seven]", "alarm_set", 0.6, 5, "run-1"),
    ]
    assert files["en-US.jsonl"] == sorted(en_us, key=lambda r: r["id"])  # sorted by id, so reruns are identical
    assert all(list(r) == TRAINING.column_names for lines in files.values() for r in lines)


def test_a_run_mined_before_negative_feedback_rejects_no_reading_and_holds_back_no_label_for_it(spark, out):
    shutil.rmtree(out / "reading_feedback")
    stats = emit.run(spark, emit.parse_args(["--out", str(out), "--run-id", "run-1"]))
    assert stats["rejected_readings"] == 0 and stats["training_records"] == 2
    assert read_dataset(spark, str(out / "rejected_readings"), REJECTED_READINGS).count() == 0
    # no slots: nothing to mark
    assert record("en-US", "jazz now", "jazz now", "play_music", 0.2, 3, "run-1") in training_files(out)["en-US.jsonl"]


def test_a_rerun_writes_identical_files_but_for_the_run_id(spark, out):
    emit.run(spark, emit.parse_args(["--out", str(out), "--run-id", "run-1"]))
    first = {path.name: path.read_text() for path in (out / "training").iterdir()}
    emit.run(spark, emit.parse_args(["--out", str(out), "--run-id", "run-2"]))
    second = {path.name: path.read_text() for path in (out / "training").iterdir()}

    assert second == {name: text.replace('"run_id": "run-1"', '"run_id": "run-2"') for name, text in first.items()}
    assert all('"run-1"' in text for text in first.values())
