"""The ingest application: its arguments, and one tiny log file through `run` into turns, quarantine and stats."""

import datetime as dt
import hashlib
import json
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from pyspark.sql import Row

from jobs import ingest
from pipeline.config import RunConfig
from pipeline.errors import InputContractError
from pipeline.io import read_dataset
from pipeline.log_format import LogFormat
from pipeline.stages import INGEST, stats_path
from schemas.interactions import INTERACTIONS
from schemas.quarantine import QUARANTINE
from schemas.turns import TURNS
from tests.conftest import argument_error, collected, utc
from tests.logs_factory import SEVEN, row, write_logs

T0 = utc(2026, 11, 30, 9, 0, 0)
NINETY_PERCENT = float(np.float32(0.9))  # nlu_confidence is float32 on disk
NO_DEVICE = "\u0000no-device"  # what a null device_id is hashed as


def at(seconds):
    return T0 + dt.timedelta(seconds=seconds)


def key(salt, *values):
    """The keyed hash the turns carry instead of raw ids: 128 bits of SHA-256 over salt and values."""
    return hashlib.sha256("\u0001".join((salt, *values)).encode()).hexdigest()[:32]


LOG_ROWS = [
    # a failure with every optional column null
    row("e1", "account-1", at(0), "Wake me at seven", status="error", intent=None, slots=None, nlu_confidence=None),
    # served a rewrite by the runtime, and delivered twice
    row("e2", "account-1", at(6), "set an alarm for seven", slots=SEVEN, rewritten_utterance="set alarm for seven"),
    row("e2", "account-1", at(6), "set an alarm for seven", slots=SEVEN, rewritten_utterance="set alarm for seven"),
    # a phone number, a locale in odd case and no device
    row("e3", "account-2", at(60), "ruf 0151 2345 6789 an", locale="DE-de", device_id=None, intent="calling_call"),
    row("q1", "account-3", at(70), "hi", status="succes"),
    row("q2", None, at(80), "hi"),
    row("q3", "account-3", at(90), "x" * 41),  # over --max-utterance-chars 40
]


@pytest.fixture
def logs(tmp_path):
    return write_logs(tmp_path / "logs" / "date=2026-11-30" / "part-0.parquet", LOG_ROWS)


def test_parse_args_defaults():
    args = ingest.parse_args(["--logs", "LOGS", "--out", "OUT"])
    assert vars(args) == {
        "logs": "LOGS", "out": "OUT", "max_utterance_chars": 512, "scrub_pii": ("email", "phone", "digits"),
        "id_salt_env": "REPHRASE_MINER_ID_SALT", "log_format": LogFormat(), "stop_quarantine_share": 0.5,
    }


def test_parse_args_scrub_pii_in_pattern_order_and_empty_for_none():
    args = ingest.parse_args(
        ["--logs", "L", "--out", "O", "--scrub-pii", " phone, email,", "--max-utterance-chars", "40"]
    )
    assert (args.scrub_pii, args.max_utterance_chars) == (("email", "phone"), 40)
    assert ingest.parse_args(["--logs", "L", "--out", "O", "--scrub-pii", ""]).scrub_pii == ()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--scrub-pii", "phone,ssn"], "argument --scrub-pii: unknown PII pattern(s) ssn; known: email, phone, digits"),
        (["--max-utterance-chars", "many"], "argument --max-utterance-chars: invalid int value: 'many'"),
        (["--log-format", '{"format": "xml"}'], "argument --log-format: log_format.format: 'xml' is not one of"),
        (["--log-format", '{"format": "csv"}'], "argument --log-format: log_format: csv holds no lists"),
    ],
    ids=["unknown-pii-pattern", "not-a-number", "unknown-format", "unusable-mapping"],
)
def test_parse_args_rejects_a_bad_value(argv, message, capsys):
    error = argument_error(ingest.parse_args, ["--logs", "L", "--out", "O", *argv], capsys)
    assert f"ingest: error: {message}" in error


def test_parse_args_requires_logs(capsys):
    with pytest.raises(SystemExit):
        ingest.parse_args(["--out", "O"])
    assert "the following arguments are required: --logs" in capsys.readouterr().err


def test_the_arguments_the_pipeline_passes_parse_back_to_the_run_settings():
    log_format = LogFormat(format="jsonl", timestamp="epoch_millis", columns={"ts": "received_ms"})
    config = RunConfig(max_utterance_chars=100, scrub_pii=("digits",), log_format=log_format.as_dict())
    args = ingest.parse_args(INGEST.argv({**config.as_dict(), "logs": "LOGS", "out": "OUT"}))
    assert (args.logs, args.out, args.max_utterance_chars, args.scrub_pii) == ("LOGS", "OUT", 100, ("digits",))
    assert (args.log_format, args.stop_quarantine_share) == (log_format, config.stop_quarantine_share)


def test_run_writes_turns_quarantine_and_stats_accounting_for_every_row(spark, logs, tmp_path, monkeypatch):
    monkeypatch.setenv("TEST_ID_SALT", "pepper")
    out = tmp_path / "out"
    stats = ingest.run(spark, ingest.parse_args([
        "--logs", str(logs.parent.parent), "--out", str(out), "--max-utterance-chars", "40",
        "--id-salt-env", "TEST_ID_SALT",
    ]))

    fingerprint = hashlib.sha256(f"{logs}\t{logs.stat().st_size}\n".encode()).hexdigest()
    assert stats == {
        "files": 1, "input_fingerprint": fingerprint, "rows_in": 7,
        "quarantined": 3, "quarantined_by_reason": {"null_user_id": 1, "unknown_status": 1, "utterance_too_long": 1},
        "duplicates": 1, "turns": 3, "scrubbed_turns": 1, "scrubbed_pii": ["email", "phone", "digits"], "rows_out": 3,
    }
    assert json.loads(open(stats_path(str(out), "ingest")).read()) == stats

    turns = sorted(read_dataset(spark, str(out / "turns"), TURNS).collect(), key=lambda r: r["event_id"])
    assert [r.asDict() for r in turns] == [
        {
            "event_id": "e1", "user_key": key("pepper", "account-1"), "device_key": key("pepper", "account-1", "d1"),
            "ts": collected(at(0)), "locale": "en-US", "utterance": "Wake me at seven", "intent": None, "slots": None,
            "nlu_confidence": None, "status": "error", "rewritten_utterance": None, "deliveries": 1,
        },
        {
            "event_id": "e2", "user_key": key("pepper", "account-1"), "device_key": key("pepper", "account-1", "d1"),
            "ts": collected(at(6)), "locale": "en-US", "utterance": "set an alarm for seven", "intent": "alarm_set",
            "slots": [Row(name="time", value="seven")], "nlu_confidence": NINETY_PERCENT, "status": "success",
            "rewritten_utterance": "set alarm for seven", "deliveries": 2,
        },
        {
            "event_id": "e3", "user_key": key("pepper", "account-2"),
            "device_key": key("pepper", "account-2", NO_DEVICE), "ts": collected(at(60)), "locale": "de-DE",
            "utterance": "ruf <phone> an", "intent": "calling_call", "slots": [], "nlu_confidence": NINETY_PERCENT,
            "status": "success", "rewritten_utterance": None, "deliveries": 1,
        },
    ]

    quarantine_df = read_dataset(spark, str(out / "quarantine"), QUARANTINE)
    quarantined = sorted(quarantine_df.collect(), key=lambda r: r["event_id"])
    assert [
        (r["event_id"], r["reason"], r["user_key"], r["device_key"], r["utterance"], r["status"]) for r in quarantined
    ] == [
        ("q1", "unknown_status", key("pepper", "account-3"), key("pepper", "account-3", "d1"), "hi", "succes"),
        ("q2", "null_user_id", None, None, "hi", "success"),  # no user, so no keys
        ("q3", "utterance_too_long", key("pepper", "account-3"), key("pepper", "account-3", "d1"), "x" * 41, "success"),
    ]
    assert {r["source_file"].removeprefix("file:").lstrip("/") for r in quarantined} == {str(logs).lstrip("/")}
    # raw ids stop here: no file the stage wrote holds one
    written = b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())
    assert b"account-" not in written and b"0151" not in written


def test_run_with_scrubbing_off_and_the_default_limit_keeps_the_text_as_said(spark, logs, tmp_path, monkeypatch):
    monkeypatch.delenv("REPHRASE_MINER_ID_SALT", raising=False)
    out = tmp_path / "out"
    stats = ingest.run(spark, ingest.parse_args(["--logs", str(logs.parent), "--out", str(out), "--scrub-pii", ""]))

    assert {k: stats[k] for k in ("quarantined_by_reason", "turns", "scrubbed_turns", "scrubbed_pii")} == {
        "quarantined_by_reason": {"null_user_id": 1, "unknown_status": 1},  # 41 characters are within 512
        "turns": 4, "scrubbed_turns": 0, "scrubbed_pii": [],
    }
    turns = {r["event_id"]: r for r in read_dataset(spark, str(out / "turns"), TURNS).collect()}
    assert sorted(turns) == ["e1", "e2", "e3", "q3"]
    assert turns["e3"]["utterance"] == "ruf 0151 2345 6789 an"
    assert turns["e1"]["user_key"] == key("", "account-1")  # no salt set: the hash of the id alone


def test_logs_without_the_optional_rewrite_column_stay_valid(spark, tmp_path):
    import pyarrow as pa

    schema = pa.schema([f for f in INTERACTIONS.arrow_schema if f.name != "rewritten_utterance"])
    rows = [{k: v for k, v in r.items() if k != "rewritten_utterance"} for r in LOG_ROWS[:2]]
    older = write_logs(tmp_path / "logs" / "part-0.parquet", rows, schema)
    newer = write_logs(tmp_path / "logs" / "part-1.parquet", [row("e9", "account-9", at(9), "play jazz")])
    out = tmp_path / "out"
    stats = ingest.run(spark, ingest.parse_args(["--logs", str(older.parent), "--out", str(out)]))
    assert (stats["rows_in"], stats["quarantined"], stats["turns"]) == (3, 0, 3)
    turns = read_dataset(spark, str(out / "turns"), TURNS).select("event_id", "rewritten_utterance").collect()
    assert sorted(map(tuple, turns)) == [("e1", None), ("e2", None), ("e9", None)]
    assert newer.exists()


def test_a_file_that_breaks_the_contract_is_named_and_nothing_is_written(spark, tmp_path):
    import pyarrow as pa

    schema = pa.schema([f for f in INTERACTIONS.arrow_schema if f.name != "locale"])
    bad = write_logs(tmp_path / "logs" / "part-0.parquet", [{k: v for k, v in LOG_ROWS[1].items() if k != "locale"}],
                     schema)
    out = tmp_path / "out"
    with pytest.raises(InputContractError, match=re.escape(f"{bad}: column 'locale': missing")):
        ingest.run(spark, ingest.parse_args(["--logs", str(bad.parent), "--out", str(out)]))
    assert not out.exists()


JSONL_LOGS = LogFormat(
    format="jsonl", timestamp="epoch_millis",
    columns={"event_id": "id", "user_id": "customer", "ts": "received_ms", "utterance": "text", "status": "outcome"},
    constants={"locale": "en-US"}, absent=("device_id", "intent", "slots", "nlu_confidence"),
    status_values={"0": "success", "1": "error"},
)


def jsonl_day(folder, outcomes, millis=1793433600000):
    folder.mkdir(parents=True)
    lines = [
        {"id": f"e{i}", "customer": f"u{i % 3}", "received_ms": millis + 1000 * i, "text": "wake me at seven",
         "outcome": outcome}
        for i, outcome in enumerate(outcomes)
    ]
    (folder / "part-0.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    return str(folder.parent)


@pytest.mark.parametrize(
    "log_format, outcomes, expected",
    [
        (JSONL_LOGS, [0, 2, 3, 3, 1], "unknown_status in column outcome: 3 rows, e.g. '3', '2'; add the logs' "
         "outcome codes to `status_values`"),
        (replace(JSONL_LOGS, timestamp="epoch_seconds"), [0, 1, 0], "implausible_ts in column received_ms: 3 rows"),
    ],
    ids=["unmapped-status-codes", "milliseconds-read-as-seconds"],
)
def test_a_wrong_mapping_stops_ingest_with_the_rule_column_and_values_named(spark, tmp_path, log_format, outcomes,
                                                                            expected):
    logs = jsonl_day(tmp_path / "logs" / "date=2026-10-31", outcomes)
    with pytest.raises(ingest.QuarantineShareError) as error:
        ingest.run(spark, ingest.parse_args(
            ["--logs", logs, "--out", str(tmp_path / "out"), "--log-format", log_format.to_json()]
        ))
    assert expected in str(error.value)
    # nothing is lost: the quarantine holds every quarantined row, and the stats add up
    quarantine = read_dataset(spark, str(tmp_path / "out" / "quarantine"), QUARANTINE)
    stats = json.loads(Path(stats_path(str(tmp_path / "out"), "ingest")).read_text())
    assert quarantine.count() == stats["quarantined"] and stats["rows_in"] == len(outcomes)


def test_a_mapped_jsonl_day_is_ingested_like_its_parquet_twin(spark, tmp_path):
    logs = jsonl_day(tmp_path / "logs" / "date=2026-10-31", [0, 1, 0, 1])
    stats = ingest.run(spark, ingest.parse_args(
        ["--logs", logs, "--out", str(tmp_path / "out"), "--log-format", JSONL_LOGS.to_json()]
    ))
    assert (stats["rows_in"], stats["turns"], stats["quarantined"]) == (4, 4, 0)
    turns = read_dataset(spark, str(tmp_path / "out" / "turns"), TURNS).orderBy("event_id").collect()
    assert [(t["event_id"], t["ts"], t["locale"], t["status"]) for t in turns] == [
        (f"e{i}", collected(dt.datetime(2026, 10, 31, 8, 0, i, tzinfo=dt.timezone.utc)), "en-US", status)
        for i, status in enumerate(["success", "error", "success", "error"])
    ]
