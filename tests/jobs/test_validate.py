"""The validation gate: a corrupted run fails its critical expectations and is never published."""

import json

import pytest
from pyspark.sql import Row

from jobs import validate
from pipeline.errors import PublishError, ValidationFailed
from pipeline.io import write_dataset
from pipeline.warehouse import publish, published_path
from schemas.labels import LABELS
from schemas.outputs import REWRITES
from schemas.pairs import PAIRS
from schemas.quarantine import QUARANTINE
from schemas.turns import TURNS
from tests.conftest import utc

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
    rewrites = [("en-US", WAKE, ALARM, 0.6, "alarm_set", 4, 0.0, None)]
    write_dataset(spark.createDataFrame(rewrites, REWRITES.spark_schema), str(out / "rewrites"), REWRITES)
    (out / "training").mkdir(parents=True)
    (out / "training" / "en-US.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))


@pytest.mark.slow
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
        [record(WAKE, "wake me at [time : eight]"), record("play jazz", "play [genre : jazz"),  # broken annot_utt
         record("call <phone>", "call [phone_number : <phone>]")],  # a scrubbed phrasing that slipped through
    )
    with pytest.raises(ValidationFailed, match="critical expectation"):
        validate.run(spark, validate.parse_args(["--out", str(bad)]))
    report = json.loads((bad / "_stats" / "validate.json").read_text())
    assert report["passed"] is False
    assert report["failed_critical"] == [
        "pairs: weight in [0, 1]", "pairs: no self-pairs", "training: annot_utt strips back to utt",
        "training: no scrubbed PII",
    ]
    with pytest.raises(PublishError):
        publish(str(root), "2026-11-30", log=lambda _: None)
    assert published_path(str(root)) == published["path"]  # readers still get the last good run


def turn(event_id, intent, locale="en-US"):
    return (event_id, "user-key", "device-key", utc(2026, 11, 30, 9), locale, "wake me at seven", intent, [], 0.9,
            "success", None, 1)


def quarantined(event_id):
    return ("unknown_status", "part-0.parquet", "status", "succes", "user-key", "device-key", event_id, utc(2026, 11, 30, 9), "en-US",
            "hi", None, None, 0.9, "succes", None)


@pytest.mark.slow
def test_input_side_checks_warnings_and_data_docs(spark, tmp_path):
    out = tmp_path / "run"
    stage(spark, out, [pair(WAKE, ALARM, 0.6)], [record(WAKE, "wake me at [time : seven]")])
    turns = [turn("e1", "alarm_set"), turn("e2", None), turn("e3", "alarm_set", locale="xx-XX")]
    write_dataset(spark.createDataFrame(turns, TURNS.spark_schema), str(out / "turns"), TURNS)
    quarantine_df = spark.createDataFrame([quarantined("q1")], QUARANTINE.spark_schema)
    write_dataset(quarantine_df, str(out / "quarantine"), QUARANTINE)
    (out / "_stats").mkdir()
    (out / "_stats" / "ingest.json").write_text(json.dumps({"rows_in": 4}))  # 1 of 4 quarantined: 25%
    (out / "_stats" / "baseline.json").write_text(json.dumps({"pairs": 10, "training": 1}))

    with pytest.raises(ValidationFailed):
        validate.run(spark, validate.parse_args(["--out", str(out), "--locales", "en-US,de-DE"]))
    report = json.loads((out / "_stats" / "validate.json").read_text())
    assert report["failed_critical"] == ["quarantine: quarantined rows at most 5% of the 4 in"]
    # an unconfigured locale in the input and a tenth of yesterday's pairs are reported, not blocking
    assert report["warnings"] == [
        "turns: locales in the configured set", "pairs: pairs count within 0.5x-2x of the previous run's 10",
    ]
    assert (out / "quality" / "index.html").exists()
    assert report["data_docs"] == str(out / "quality" / "index.html")
    # the site is built once, at the end, and still has a page for every dataset validated; a run emitted before
    # negative feedback has no rejected readings, and their suite checks an empty table
    assert sorted(p.name for p in (out / "quality" / "validations").iterdir()) == [
        "labels", "pairs", "quarantine", "rejected_readings", "rewrites", "training", "turns",
    ]

    args = ["--out", str(out), "--max-quarantine-share", "0.25"]
    stats = validate.run(spark, validate.parse_args([*args, "--locales", "en-US,de-DE"]))
    assert stats["passed"] and len(stats["warnings"]) == 2
    # by default any well-formed locale is welcome: xx-XX is no warning
    stats = validate.run(spark, validate.parse_args(args))
    assert stats["passed"] and stats["warnings"] == ["pairs: pairs count within 0.5x-2x of the previous run's 10"]

    # a record labelled with an intent the NLU never produced is blocked
    (out / "training" / "en-US.jsonl").write_text(json.dumps(record(WAKE, "wake me at [time : seven]") | {
        "intent": "alarm_snooze", "scenario": "alarm"}) + "\n")
    with pytest.raises(ValidationFailed, match="intents the NLU knows"):
        validate.run(spark, validate.parse_args(["--out", str(out), "--max-quarantine-share", "0.25"]))
