"""Which days a scheduled run mines: always ds, and earlier days only when late logs changed them."""

import json

import pytest

from pipeline.config import RunConfig
from pipeline.errors import InputContractError
from pipeline.plan import day_values, days_to_mine
from pipeline.stages import ACCUMULATE, MINING_STAGES
from pipeline.storage import data_files, input_fingerprint
from tests.conftest import utc
from tests.logs_factory import row, write_logs


def write_day(logs, day, name="part-0.parquet", n=1):
    write_logs(logs / f"date={day}" / name, [row(f"{day}-{name}-{i}", "u1", utc(2026, 11, 28, 9), "hi") for i in range(n)])


def mark_mined(root, logs, day, complete=True):
    stats = root / "days" / day / "_stats"
    stats.mkdir(parents=True)
    fingerprint = input_fingerprint(data_files(str(logs / f"date={day}")))
    (stats / "ingest.json").write_text(json.dumps({"input_fingerprint": fingerprint}))
    if complete:
        (stats / "aggregate.json").write_text("{}")


def test_late_logs_make_a_day_mined_again(tmp_path):
    logs, root = tmp_path / "logs", tmp_path / "root"
    for day in ("2026-11-26", "2026-11-27", "2026-11-28", "2026-11-29", "2026-11-30"):
        write_day(logs, day)
    for day in ("2026-11-26", "2026-11-27", "2026-11-28"):
        mark_mined(root, logs, day)
    mark_mined(root, logs, "2026-11-29", complete=False)  # its run failed half-way
    assert days_to_mine(str(logs), str(root), "2026-11-30", late_days=2) == ["2026-11-29", "2026-11-30"]

    write_day(logs, "2026-11-28", name="part-late.parquet")  # a late delivery, inside the window
    write_day(logs, "2026-11-26", name="part-late.parquet")  # outside it: never re-mined
    assert days_to_mine(str(logs), str(root), "2026-11-30", late_days=2) == ["2026-11-28", "2026-11-29", "2026-11-30"]
    assert days_to_mine(str(logs), str(root), "2026-11-30", late_days=0) == ["2026-11-30"]


def test_a_missing_day_of_logs_is_an_error_naming_it(tmp_path):
    write_day(tmp_path / "logs", "2026-11-29")
    with pytest.raises(InputContractError, match=r"date=2026-11-30: no logs for 2026-11-30"):
        days_to_mine(str(tmp_path / "logs"), str(tmp_path / "root"), "2026-11-30", late_days=2)


def test_each_day_gets_its_own_partition_and_working_folder():
    config = RunConfig(min_users=5, log_format={"format": "jsonl", "timestamp": "epoch_millis"})
    values = day_values(["2026-11-29", "2026-11-30"], "s3a://logs", "s3a://runs", config, "run-1")
    assert [v["day"] for v in values] == ["2026-11-29", "2026-11-30"]
    log_format = config.log_format.to_json()  # a table of settings travels as one JSON argument
    assert '"timestamp":"epoch_millis"' in log_format
    assert [MINING_STAGES[0].argv(v) for v in values] == [
        ["--logs", f"s3a://logs/date={day}", "--out", f"s3a://runs/days/{day}", "--log-format", log_format,
         "--max-utterance-chars", "512", "--scrub-pii", "email,phone,digits", "--stop-quarantine-share", "0.5"]
        for day in ("2026-11-29", "2026-11-30")
    ]
    assert MINING_STAGES[4].argv(values[1]) == [
        "--out", "s3a://runs/days/2026-11-30", "--min-users", "5", "--intent-prior", "True",
    ]
    scheduled = {
        "root": "r", "ds": "2026-11-30", "out": "r/staging/2026-11-30", "decay": 0.8, "late_days": 1, "min_users": 5,
    }
    assert ACCUMULATE.argv(scheduled) == [
        "--root", "r", "--ds", "2026-11-30", "--out", "r/staging/2026-11-30", "--decay", "0.8", "--late-days", "1",
        "--min-users", "5",
    ]
