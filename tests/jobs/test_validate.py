"""The validation gate: a corrupted run fails its critical expectations and is never published."""

import json

import pytest
from pyspark.sql import Row

from jobs import validate
from jobs.errors import PublishError, ValidationFailed
from jobs.io import write_dataset
from jobs.warehouse import published_path, publish
from schemas.labels import LABELS
from schemas.outputs import REWRITES
from schemas.pairs import PAIRS

WAKE, ALARM = "wake me at seven", "set an alarm for seven"


def pair(source, target, weight):
    return ("en-US", source, target, "rephrase", weight, 4, 4, "alarm_set", 0.9, 0.5, 0.5, 3.0, 1.0, 0.7, 0.8, 0.6)


def record(utt, annot_utt, weight=0.6):
    return {
        "id": f"id-{utt}", "locale": "en-US", "partition": "train", "scenario": "alarm", "intent": "alarm_set",
        "utt": utt, "annot_utt": annot_utt, "kind": "rephrase", "weight": weight, "support_users": 4, "run_id": "r",
    }


def stage(spark, out, pairs, records):
    write_dataset(spark.createDataFrame(pairs, PAIRS.spark_schema), str(out / "pairs"), PAIRS)
    labels = [("en-US", WAKE, "alarm_set", 0.6, 4, 3, WAKE, [Row(name="time", value="seven")], None)]
    write_dataset(spark.createDataFrame(labels, LABELS.spark_schema), str(out / "labels"), LABELS)
    rewrites = [("en-US", WAKE, ALARM, 0.6, "alarm_set", 4)]
    write_dataset(spark.createDataFrame(rewrites, REWRITES.spark_schema), str(out / "rewrites"), REWRITES)
    (out / "training").mkdir(parents=True)
    (out / "training" / "en-US.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))


def test_a_clean_run_passes_and_a_corrupted_one_is_blocked_from_publishing(spark, tmp_path):
    root = tmp_path / "root"
    good = root / "staging" / "2026-11-29"
    stage(spark, good, [pair(WAKE, ALARM, 0.6)], [record(WAKE, "wake me at [time : seven]")])
    assert validate.run(spark, validate.parse_args(["--out", str(good)]))["passed"]
    published = publish(str(root), "2026-11-29", log=lambda _: None)

    bad = root / "staging" / "2026-11-30"
    stage(
        spark, bad,
        [pair(WAKE, ALARM, 1.5), pair(ALARM, ALARM, 0.5)],  # a weight of 1.5 and a self-pair
        [record(WAKE, "wake me at [time : eight]"), record("play jazz", "play [genre : jazz")],  # broken annot_utt
    )
    with pytest.raises(ValidationFailed, match="critical expectation"):
        validate.run(spark, validate.parse_args(["--out", str(bad)]))
    report = json.loads((bad / "_stats" / "validate.json").read_text())
    assert report["passed"] is False
    assert report["failed_critical"] == [
        "pairs: weight in [0, 1]", "pairs: no self-pairs", "training: annot_utt strips back to utt",
    ]
    with pytest.raises(PublishError):
        publish(str(root), "2026-11-30", log=lambda _: None)
    assert published_path(str(root)) == published["path"]  # readers still get the last good run
