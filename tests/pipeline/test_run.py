"""The pipeline as the CLI runs it, on hand-written logs with every kind of row."""

import datetime as dt
import json

import pyarrow.parquet as pq
import pytest

from cli.main import main
from tests.conftest import utc
from tests.logs_factory import row, write_logs

pytestmark = pytest.mark.integration

NIGHT = utc(2026, 11, 29, 23, 58, 0)


def at(seconds):
    return NIGHT + dt.timedelta(seconds=seconds)


@pytest.fixture
def logs(tmp_path):
    root = tmp_path / "logs"
    # One session crosses midnight and the partition folders; the day-two file comes first in listing order.
    write_logs(root / "date=2026-11-30" / "part-0.parquet", [
        row("e3", "u1", at(150), "set an alarm for seven"),
        row("e2", "u1", at(100), "wake me at seven", status="error"),  # duplicate delivery, other file
        row("e4", "u1", at(1000), "play jazz"),
        row("e5", "u2", at(10), "hallo", locale="DE-de", device_id=None),
        row("bad1", "u3", at(5), "hi", status="succes"),
        row("bad2", None, at(5), "hi"),
    ])
    write_logs(root / "date=2026-11-29" / "part-0.parquet", [
        row("e1", "u1", at(0), "wake me up at seven", status="error"),
        row("e2", "u1", at(100), "wake me at seven", status="error"),
        row("e2", "u1", at(100), "wake me at seven", status="error"),
        row("bad3", "u1", at(7), "x" * 600),
    ])
    return root


def test_run_accounts_for_every_row_and_sessionizes_across_midnight(logs, tmp_path, capsys):
    out = tmp_path / "out"
    # 3 of the 10 rows are quarantined: above the 5% a healthy day allows, so the run is not published
    assert main(["run", "--logs", str(logs), "--out", str(out)]) == 3
    manifest = json.loads((out / "manifest.json").read_text())
    assert not (out / "_SUCCESS").exists()
    assert manifest["stages"]["validate"]["failed_critical"] == ["quarantine: quarantined rows at most 5% of the 10 in"]
    assert "quarantined rows at most 5%" in (out / "quality" / "dashboard.html").read_text()
    assert (out / "quality" / "index.html").exists()  # the Data Docs
    ingest, sessionize = manifest["stages"]["ingest"], manifest["stages"]["sessionize"]
    assert {k: ingest[k] for k in ("files", "rows_in", "quarantined", "duplicates", "turns")} == {
        "files": 2, "rows_in": 10, "quarantined": 3, "duplicates": 2, "turns": 5,
    }
    assert ingest["quarantined_by_reason"] == {"null_user_id": 1, "unknown_status": 1, "utterance_too_long": 1}
    assert sessionize == {
        "turns": 5, "sessions": 3, "session_ids": 3, "runaway_sessions": 0, "runaway_turns": 0,
        "longest_session_part_turns": 3, "rows_out": 5, "elapsed_s": sessionize["elapsed_s"],
    }

    sessions = pq.read_table(out / "sessions").to_pylist()
    by_event = {r["event_id"]: r for r in sessions}
    assert [(e, by_event[e]["turn_index"], by_event[e]["gap_s"]) for e in ("e1", "e2", "e3", "e4", "e5")] == [
        ("e1", 0, None), ("e2", 1, 100.0), ("e3", 2, 50.0), ("e4", 0, None), ("e5", 0, None),
    ]
    assert by_event["e1"]["session_id"] == by_event["e3"]["session_id"] != by_event["e4"]["session_id"]
    assert str(by_event["e5"]["locale"]) == "de-DE"
    assert sorted(pq.read_table(out / "quarantine").column("event_id").to_pylist()) == ["bad1", "bad2", "bad3"]

    printed = capsys.readouterr().out
    assert "  rows in                             10  from 2 file(s)\n" in printed
    assert "    unknown_status                     1\n" in printed
    assert "  duplicates                           2\n" in printed
    assert "  sessions                             3  0 runaway (0 turns, cut into parts of at most 200)\n" in printed
    assert "  rejected readings                    0\n" in printed
    assert f"    rejected_readings {out}/rejected_readings\n" in printed


def test_bad_input_fails_with_file_and_column_and_publishes_nothing(tmp_path, capsys):
    import pyarrow as pa

    from schemas.interactions import INTERACTIONS

    logs = tmp_path / "logs"
    schema = pa.schema([f for f in INTERACTIONS.arrow_schema if f.name != "locale"])
    write_logs(logs / "part-0.parquet", [{k: v for k, v in row("e1", "u1", NIGHT, "hi").items() if k != "locale"}], schema)
    out = tmp_path / "out"
    assert main(["run", "--logs", str(logs), "--out", str(out)]) == 2
    assert f"{logs}/part-0.parquet: column 'locale': missing" in capsys.readouterr().err
    assert not (out / "_SUCCESS").exists() and not (out / "turns").exists()


def corrupt_data_page(path):
    """Garble bytes between the header and the footer: the footer still reads, the data does not."""
    data = bytearray(path.read_bytes())
    footer = int.from_bytes(data[-8:-4], "little") + 8
    for offset in range(4, len(data) - footer):
        data[offset] = 0xFF
    path.write_bytes(bytes(data))


def wrong_type(path):
    import pyarrow as pa

    from schemas.interactions import INTERACTIONS

    schema = INTERACTIONS.arrow_schema.set(8, pa.field("nlu_confidence", pa.string()))
    write_logs(path, [{**row("e9", "u1", NIGHT, "hi"), "nlu_confidence": "high"}], schema)


@pytest.mark.parametrize(
    "damage, expected",
    [
        (wrong_type, "part-1.parquet: column 'nlu_confidence': has type string, expected float32"),
        (lambda path: path.write_bytes(b""), "part-1.parquet: not a readable Parquet file"),
        (lambda path: path.write_bytes(b"PAR1 this is not parquet PAR1"), "part-1.parquet: not a readable Parquet file"),
        (corrupt_data_page, "part-1.parquet: unreadable data"),
    ],
    ids=["wrong-type", "empty-file", "corrupt-footer", "corrupt-data"],
)
def test_a_broken_input_file_is_named_exits_2_and_publishes_nothing(tmp_path, capsys, damage, expected):
    logs, out = tmp_path / "logs", tmp_path / "out"
    write_logs(logs / "part-0.parquet", [row("e1", "u1", NIGHT, "hi")])
    bad = write_logs(logs / "part-1.parquet", [row(f"e{n}", "u2", at(n), f"play song {n}") for n in range(50)])
    damage(bad)
    assert main(["run", "--logs", str(logs), "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert expected in error and str(logs) in error, error
    assert not (out / "_SUCCESS").exists() and not (out / "turns" / "_SUCCESS").exists()


def test_extra_columns_and_empty_files_are_accepted_and_every_row_is_counted(spark, tmp_path):
    import pyarrow as pa

    from jobs import ingest
    from schemas.interactions import INTERACTIONS

    logs, out = tmp_path / "logs", tmp_path / "out"
    with_extra = pa.schema([*[f.with_nullable(True) for f in INTERACTIONS.arrow_schema], pa.field("debug", pa.string())])
    rows = [{**row(f"e{n}", f"u{n % 3}", at(10 * n), "wake me at seven"), "debug": "x" * 10} for n in range(6)]
    write_logs(logs / "part-0.parquet", rows, with_extra)
    write_logs(logs / "part-1.parquet", [])  # a producer's empty hour: zero rows, valid schema
    stats = ingest.run(spark, ingest.parse_args(["--logs", str(logs), "--out", str(out)]))
    assert {k: stats[k] for k in ("files", "rows_in", "turns", "quarantined", "duplicates")} == {
        "files": 2, "rows_in": 6, "turns": 6, "quarantined": 0, "duplicates": 0,
    }
    assert "debug" not in pq.read_table(out / "turns").column_names


def test_a_100_mb_utterance_is_quarantined_and_the_rest_goes_on(spark, tmp_path):
    from jobs import ingest

    logs, out = tmp_path / "logs", tmp_path / "out"
    write_logs(logs / "part-0.parquet", [row("huge", "u1", NIGHT, "x" * (100 * 1024 * 1024)), row("e1", "u1", at(5), "hi")])
    stats = ingest.run(spark, ingest.parse_args(["--logs", str(logs), "--out", str(out)]))
    assert {k: stats[k] for k in ("rows_in", "turns", "quarantined", "quarantined_by_reason")} == {
        "rows_in": 2, "turns": 1, "quarantined": 1, "quarantined_by_reason": {"utterance_too_long": 1},
    }
