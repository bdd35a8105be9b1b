"""Log folders in each layout, checked before Spark reads them and read under their mapping."""

import gzip
import json
from dataclasses import replace

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.errors import InputContractError
from pipeline.log_format import LogFormat, LogFormatError
from pipeline.log_input import check_log_format, check_logs, read_logs

COLUMNS = {"event_id": "id", "user_id": "who", "ts": "when", "utterance": "text", "status": "outcome"}
CSV = LogFormat(format="csv", timestamp="iso", columns=COLUMNS, constants={"locale": "en-US"},
                absent=("device_id", "intent", "slots", "nlu_confidence"))
JSONL = LogFormat(format="jsonl", timestamp="epoch_seconds", columns={**COLUMNS, "device_id": "device"},
                  constants={"locale": "en-US"}, absent=("intent", "slots", "nlu_confidence"))


def test_check_log_format_names_a_text_format_without_a_timestamp_unit():
    with pytest.raises(LogFormatError, match="jsonl has no timestamp type: set timestamp to iso"):
        check_log_format(LogFormat(format="jsonl"))


def test_a_csv_column_the_mapping_names_but_the_header_lacks_fails_before_reading(tmp_path):
    (tmp_path / "a.csv").write_text("id,who,when,text,result\ne1,u1,2026-11-02T10:00:00Z,hi,success\n")
    with pytest.raises(InputContractError) as error:
        check_logs(str(tmp_path), CSV)
    expected = "column 'outcome' (mapped to status) is missing; the file has id, who, when, text, result"
    assert expected in str(error.value)


def test_csv_files_must_share_one_header(tmp_path):
    (tmp_path / "a.csv").write_text("id,who,when,text,outcome\n")
    (tmp_path / "b.csv").write_text("who,id,when,text,outcome\n")
    with pytest.raises(InputContractError, match="header who, id, when, text, outcome differs"):
        check_logs(str(tmp_path), CSV)


def test_jsonl_required_field_in_no_sampled_line_is_an_error_and_a_nullable_one_a_warning(tmp_path):
    line = {"id": "e1", "who": "u1", "when": 1793433600, "text": "hi", "outcome": "success", "device": None}
    with gzip.open(tmp_path / "a.jsonl.gz", "wt") as handle:  # compressed files are read as Spark reads them
        handle.write(json.dumps(line) + "\n")
    log_input = check_logs(str(tmp_path), JSONL)
    assert log_input.warnings == (
        "field 'device' (mapped to device_id) has no value in the first 200 lines of any file: a wrong name reads "
        "as nulls (declare it absent if the logs have none)",
    )
    misnamed = replace(JSONL, columns={**JSONL.columns, "status": "result"})
    with pytest.raises(InputContractError, match=r"field 'result' \(mapped to status\) is in none of the first 200 "
                       r"lines; they have id, outcome, text, when, who"):
        check_logs(str(tmp_path), misnamed)


def test_parquet_files_that_disagree_on_a_mapped_columns_type_fail_with_both_named(tmp_path):
    pq.write_table(pa.table({"id": ["e1"], "who": ["u"], "when": pa.array([1], pa.int64()), "text": ["a"],
                             "outcome": ["success"]}), tmp_path / "a.parquet")
    pq.write_table(pa.table({"id": ["e2"], "who": ["u"], "when": ["2026-11-02"], "text": ["a"],
                             "outcome": ["success"]}), tmp_path / "b.parquet")
    log_format = LogFormat(timestamp="epoch_seconds", columns=COLUMNS, constants={"locale": "en-US"},
                           absent=("device_id", "intent", "slots", "nlu_confidence"))
    with pytest.raises(InputContractError, match="column 'when' is string, other files have bigint"):
        check_logs(str(tmp_path), log_format)


def test_read_logs_reads_csv_by_its_header_not_by_position(spark, tmp_path):
    folder = tmp_path / "date=2026-11-02"
    folder.mkdir()
    (folder / "a.csv").write_text(
        'outcome,text,extra,when,who,id\nsuccess,"hi, you",x,2026-11-02T10:00:00Z,u1,e1\nsuccess,bad,row\n'
    )
    rows = read_logs(spark, check_logs(str(tmp_path), CSV)).orderBy("event_id").collect()
    assert [(r["event_id"], r["utterance"], r["status"], r["corrupt_record"]) for r in rows] == [
        # a short row reads as nulls in its missing columns (ingest quarantines it for the first of them)
        (None, "bad", "success", None),
        ("e1", "hi, you", "success", None),
    ]


def test_a_column_from_hive_style_folders_fills_its_contract_column_per_file(spark, tmp_path):
    # Hive escapes characters such as ":" in folder names; "+" and spaces are kept
    for market, text in (("en_US", "hi"), ("de_DE%3Aberlin", "hallo"), ("fr_FR+ch bern", "salut")):
        folder = tmp_path / "date=2026-11-02" / f"market={market}"
        folder.mkdir(parents=True)
        row = f"e-{text},u1,2026-11-02T10:00:00Z,{text},success"
        (folder / "part-0.csv").write_text(f"id,who,when,text,outcome\n{row}\n")
    log_format = replace(CSV, constants={}, columns={**COLUMNS, "locale": "market"}, path_columns=("market",),
                         normalize_locale=True)
    rows = read_logs(spark, check_logs(str(tmp_path), log_format)).orderBy("event_id").collect()
    assert [(r["event_id"], r["locale"], r["utterance"]) for r in rows] == [
        ("e-hallo", "de-DE:berlin", "hallo"), ("e-hi", "en-US", "hi"), ("e-salut", "fr-FR+ch bern", "salut"),
    ]
