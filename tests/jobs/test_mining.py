"""A tiny day mined end to end: the rephrase becomes a record and a rewrite; the topic switch does not."""

import json

import pyarrow.parquet as pq
import pytest

from cli.main import main
from miner.records import record_id
from tests.conftest import utc
from tests.logs_factory import rephrase_day_rows, write_logs

pytestmark = pytest.mark.integration

T0 = utc(2026, 11, 30, 9, 0, 0)


@pytest.fixture
def logs(tmp_path):
    users = ["account-1", "account-2", "account-3", "account-4"]  # fail, rephrase, succeed
    write_logs(tmp_path / "logs" / "part-0.parquet", rephrase_day_rows(T0, users, ("account-5", "account-6")))
    return tmp_path / "logs"


def test_a_rephrase_shared_by_users_becomes_a_record_and_a_rewrite(logs, tmp_path):
    out = tmp_path / "out"
    assert main(["run", "--logs", str(logs), "--out", str(out)]) == 0

    records = [json.loads(line) for line in (out / "training" / "en-US.jsonl").read_text().splitlines()]
    assert len(records) == 1
    record = records[0]
    assert 0.25 <= record.pop("weight") < 1.0
    manifest = json.loads((out / "manifest.json").read_text())
    run_id = manifest["run_id"]
    assert (manifest["stages"]["validate"]["passed"], manifest["stages"]["validate"]["warnings"]) == (True, [])
    assert "wake me at seven" in (out / "quality" / "dashboard.html").read_text()
    assert record == {
        "id": record_id("en-US", "wake me at seven"),
        "locale": "en-US",
        "partition": "train",
        "scenario": "alarm",
        "intent": "alarm_set",
        "utt": "wake me at seven",
        "annot_utt": "wake me at [time : seven]",
        "kind": "rephrase",
        "support_users": 5,
        "run_id": run_id,
    }

    rewrites = pq.read_table(out / "rewrites").to_pylist()
    assert [(str(r["locale"]), r["source"], r["target"], r["target_intent"], r["support_users"]) for r in rewrites] == [
        ("en-US", "wake me at seven", "set an alarm for seven", "alarm_set", 4),
    ]
    pairs = pq.read_table(out / "pairs").to_pylist()
    assert [(r["source"], r["target"], r["kind"]) for r in pairs] == [
        ("wake me at seven", "set an alarm for seven", "rephrase"),
    ]
    # raw ids stop at ingestion: no file of the run, intermediate or published, holds one
    output_bytes = b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())
    assert b"account-" not in output_bytes and b"device-of-" not in output_bytes
