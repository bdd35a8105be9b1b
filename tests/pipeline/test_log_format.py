"""The `[log_format]` mapping: its defaults, what it accepts and how it says what is wrong."""

import pytest

from pipeline.log_format import LogFormat, LogFormatError

CONTRACT = {"event_id": False, "user_id": False, "device_id": True, "ts": False, "locale": False,
            "utterance": False, "slots": True, "status": False, "intent": True, "nlu_confidence": True}
STATUSES = ("success", "error")


def test_the_default_is_the_contract_itself():
    assert LogFormat().is_native and LogFormat.from_json("").is_native
    assert LogFormat().source_column("ts") == "ts"
    assert not LogFormat(columns={"ts": "received"}).is_native


def test_from_dict_reads_a_configuration_table_and_round_trips_through_json():
    values = {
        "format": "jsonl", "timestamp": "epoch_millis", "columns": {"ts": "received_ms"},
        "status_values": {0: "success", "1": "error"}, "constants": {"locale": "de-DE"}, "absent": ["device_id"],
        "path_columns": ["market"], "normalize_locale": True,
    }
    log_format = LogFormat.from_dict(values)
    assert log_format.status_values == {"0": "success", "1": "error"}  # TOML keys are text; JSON codes too
    assert log_format.absent == ("device_id",) and log_format.path_columns == ("market",)
    assert LogFormat.from_json(log_format.to_json()) == log_format
    assert log_format.source_column("ts") == "received_ms"
    assert log_format.source_column("locale") is None and log_format.source_column("device_id") is None
    assert log_format.source_names(["ts", "locale", "device_id", "utterance"]) == {
        "ts": "received_ms", "locale": "(constant 'de-DE')", "device_id": "(absent)", "utterance": "utterance",
    }


@pytest.mark.parametrize(
    "values, message",
    [
        ({"formats": "csv"}, r"unknown key\(s\) formats"),
        ({"format": "xml"}, "format: 'xml' is not one of parquet, jsonl, csv"),
        ({"timestamp": "epoch_micros"}, "timestamp: 'epoch_micros' is not one of"),
        ({"slots": "json"}, "slots: 'json' is not one of structs, annot_utt"),
        ({"columns": ["ts"]}, "columns: expected a table"),
        ({"absent": "device_id"}, "absent: expected a list"),
        ({"normalize_locale": "yes"}, "normalize_locale: expected true or false"),
        ({"csv_delimiter": ";;"}, "csv_delimiter: expected one character"),
    ],
)
def test_from_dict_rejects_what_it_cannot_apply(values, message):
    with pytest.raises(LogFormatError, match=message):
        LogFormat.from_dict(values)


def test_problems_name_every_wrong_entry_against_the_contract():
    log_format = LogFormat(
        format="csv", columns={"timestamp": "t"}, status_values={"0": "ok", "1": "error"},
        constants={"status": "success", "device_id": "d"}, absent=["ts", "device_id"],
    )
    assert log_format.problems(CONTRACT, STATUSES) == [
        "'timestamp' is not a contract column (known: event_id, user_id, device_id, ts, locale, utterance, slots, "
        "status, intent, nlu_confidence)",
        "constants: 'status' cannot be a constant (only device_id, locale, intent, nlu_confidence)",
        "absent: 'ts' is required by the contract; map it to a source column",
        "device_id: both a constant and absent",
        "status_values: {'0': 'ok'} map to no contract status (known: success, error)",
        "csv holds no lists: read slots as 'annot_utt', or declare slots absent",
    ]
    assert LogFormat(format="csv", slots="annot_utt").problems(CONTRACT, STATUSES) == []
