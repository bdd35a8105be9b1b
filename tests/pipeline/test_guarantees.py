"""README "Guarantees": a simulated day with its hostile rows, plus users who say their phone numbers.

The run is `rephrase-miner run` in its own process, with a socket guard on PYTHONPATH
(tests/no_network/sitecustomize.py) that the driver and every Spark Python worker import. Then:
- every input row is used, quarantined with a reason, or counted as a duplicate;
- no user or device id, and no scrubbed phone number or address, is in any file of the output;
- scrubbed phrasings are mined but never become training records;
- nothing tried to reach the network;
- a second run of the same input and config gives the same outputs.
"""

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cli.main import main
from schemas.quarantine import REASONS
from simulation import simulate
from tests.airflow_env import PROJECT
from tests.conftest import utc
from tests.logs_factory import rephrase_day_rows, row, write_logs

pytestmark = pytest.mark.integration

DAY = dt.datetime(2026, 11, 30, 10, tzinfo=dt.timezone.utc)
PHONE_USERS = [f"caller-{n}" for n in range(4)]
PHONES = [f"555 123 45{n}{n}" for n in range(len(PHONE_USERS))]
EMAILS = [f"caller.{n}@example.org" for n in range(len(PHONE_USERS))]
OFFLINE_VARIABLES = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE")


def pii_rows() -> list[dict]:
    """Each caller fails with "text <their number> to mom", then succeeds in other words; and mails."""
    rows = []
    for n, (user, phone, email) in enumerate(zip(PHONE_USERS, PHONES, EMAILS)):
        start = DAY + dt.timedelta(minutes=20 * n)
        rows += [
            row(f"pii-{n}-1", user, start, f"text {phone} to mom", status="error", intent=None, slots=None,
                nlu_confidence=0.2, device_id=f"phone-of-{user}"),
            row(f"pii-{n}-2", user, start + dt.timedelta(seconds=8), "send a message to mom",
                intent="messaging_query", slots=[{"name": "person", "value": "mom"}], device_id=f"phone-of-{user}"),
            row(f"pii-{n}-3", user, start + dt.timedelta(minutes=10), f"email the list to {email}",
                intent="email_sendemail", slots=[{"name": "email_address", "value": email}],
                device_id=f"phone-of-{user}"),
        ]
    return rows


def run_guarded(logs: Path, out: Path, config: Path, work: Path) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in OFFLINE_VARIABLES}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(PROJECT / "tests" / "no_network"), str(PROJECT), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    env["NO_NETWORK_LOG"], env["NO_NETWORK_ARMED"] = str(work / "refused.log"), str(work / "armed.log")
    return subprocess.run(
        [sys.executable, "-m", "cli.main", "run", "--logs", str(logs), "--out", str(out), "--config", str(config),
         "--master", "local[2]"],
        env=env, cwd=PROJECT, capture_output=True, text=True, timeout=900,
    )


@pytest.fixture(scope="module")
def guarded_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("guarantees")
    assert simulate.main(["--out", str(work / "sim"), "--users", "40", "--seed", "5", "--date", "2026-11-30",
                          "--files", "3"]) == 0
    logs = work / "sim" / "logs"
    # and, to compare with, four users whose rephrase carries no PII (one training record)
    control = rephrase_day_rows(utc(2026, 11, 30, 14), [f"wake-{n}" for n in range(4)], prefix="control-")
    control = [{**r, "device_id": f"device-of-{r['user_id']}"} for r in control]  # ids too long to occur by chance
    write_logs(logs / "date=2026-11-30" / "part-pii.parquet", pii_rows() + control)
    config = work / "config.json"
    config.write_text(json.dumps({"shuffle_partitions": 2}))
    result = run_guarded(logs, work / "out", config, work)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    return {"work": work, "logs": logs, "out": work / "out", "config": config}


def input_table(logs: Path) -> pa.Table:
    return pa.concat_tables(pq.read_table(path) for path in sorted(logs.rglob("*.parquet")))


def test_every_input_row_is_used_quarantined_or_a_duplicate(guarded_run):
    out = guarded_run["out"]
    ingest = json.loads((out / "manifest.json").read_text())["stages"]["ingest"]
    turns, quarantine = pq.read_table(out / "turns"), pq.read_table(out / "quarantine")
    assert ingest["rows_in"] == input_table(guarded_run["logs"]).num_rows
    assert ingest["rows_in"] == ingest["turns"] + ingest["quarantined"] + ingest["duplicates"]
    assert (ingest["turns"], ingest["quarantined"]) == (turns.num_rows, quarantine.num_rows)
    assert ingest["duplicates"] == sum(d - 1 for d in turns.column("deliveries").to_pylist())
    # the simulator's hostile mix reached every rule it breaks, and each row has its reason
    assert ingest["quarantined"] > 0 and ingest["duplicates"] > 0
    assert set(quarantine.column("reason").to_pylist()) <= set(REASONS)
    assert len(set(turns.column("event_id").to_pylist())) == turns.num_rows


def strings_in(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings_in(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in strings_in(v)]
    return []


def output_texts(out: Path) -> dict[str, str]:
    """Every text file under the run's output: Parquet files as their string values, others decoded.

    Binary files (checksums, the Data Docs' fonts and images) hold no log text; random bytes can spell an id.
    """
    texts = {}
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        if path.suffix == ".parquet":
            texts[str(path)] = "\n".join(strings_in(pq.read_table(path).to_pylist()))
        elif path.suffix not in {".crc", ".otf", ".ttf", ".woff", ".woff2", ".eot", ".png", ".ico", ".jpg", ".gif"}:
            texts[str(path)] = path.read_text(encoding="utf-8")
    return texts


def test_no_user_or_device_id_and_no_scrubbed_pii_in_any_output_file(guarded_run):
    raw = input_table(guarded_run["logs"])
    ids = {v for column in ("user_id", "device_id") for v in raw.column(column).to_pylist() if v}
    texts = output_texts(guarded_run["out"])
    assert len(texts) > 20 and any(name.endswith(".jsonl") for name in texts)
    for name, text in texts.items():
        tokens = set(re.findall(r"[\w.@+-]+", text))
        assert not ids & tokens, f"{name} holds raw ids {sorted(ids & tokens)[:5]}"
        leaked = [pii for pii in [*PHONES, *EMAILS, *(p.replace(" ", "") for p in PHONES)] if pii in text]
        assert not leaked, f"{name} holds PII {leaked}"


def test_scrubbed_phrasings_are_mined_but_never_become_training_records(guarded_run):
    out = guarded_run["out"]
    ingest = json.loads((out / "manifest.json").read_text())["stages"]["ingest"]
    assert ingest["scrubbed_pii"] == ["email", "phone", "digits"] and ingest["scrubbed_turns"] >= 8
    surfaces = {r["surface"] for r in pq.read_table(out / "labels").to_pylist()}
    assert "text <phone> to mom" in surfaces  # enough users failed with it to label it...
    records = [json.loads(line) for path in (out / "training").glob("*.jsonl") for line in open(path)]
    assert "wake me at seven" in {r["utt"].lower() for r in records}  # the control group's record
    assert not [r for r in records if "<" in r["utt"] or "@" in r["annot_utt"]]  # ...but not emit it


def test_nothing_reaches_for_the_network(guarded_run):
    work = guarded_run["work"]
    armed = set((work / "armed.log").read_text().split())
    assert len(armed) >= 2  # the driver and at least one Spark Python worker ran guarded
    refused = work / "refused.log"
    assert not refused.exists(), refused.read_text()


def test_the_same_input_and_config_give_the_same_outputs(guarded_run, spark):
    first, second = guarded_run["out"], guarded_run["work"] / "again"
    assert main(["run", "--logs", str(guarded_run["logs"]), "--out", str(second),
                 "--config", str(guarded_run["config"])]) == 0
    run_ids = [json.loads((folder / "manifest.json").read_text())["run_id"] for folder in (first, second)]
    for name in ("turns", "quarantine", "sessions", "candidates", "variants", "pairs", "labels", "rewrites"):
        rows = [pq.read_table(folder / name).to_pylist() for folder in (first, second)]
        key = lambda r: json.dumps(r, sort_keys=True, default=str)  # noqa: E731
        assert sorted(rows[0], key=key) == sorted(rows[1], key=key), name
    for path in sorted((first / "training").glob("*.jsonl")):
        # byte for byte, once each run's own id (recorded in the records' provenance) is set aside
        assert path.read_text().replace(run_ids[0], "RUN") == (second / "training" / path.name).read_text().replace(
            run_ids[1], "RUN"
        )
