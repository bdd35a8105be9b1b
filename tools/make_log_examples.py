"""Write the worked examples of README "Bring your own logs" (dev-only script): one simulated day, three layouts.

    python tools/make_log_examples.py [--dest examples]

* `native/`: the day in the `interactions` contract's own Parquet, what the miner reads without a mapping;
* `jsonl-epoch-millis/`: the same turns as a team's JSON Lines event stream: its own field names, epoch
  milliseconds, numeric outcome codes, slots as a JSON array;
* `csv-local-time/`: the same turns as a CSV export: `en_US`-style locales, ISO local times with their UTC
  offset, outcome words, and the slots inside the text as MASSIVE-style `[slot : value]` annotations;

each with the `config.toml` whose `[log_format]` maps it. tests/examples mines all three and finds the same
outputs. Only what every layout can say is kept, so that the three hold the same turns: rows the contract
accepts (the simulator's broken rows are left out) on one line each (the CSV reader is line-based), timestamps
cut to milliseconds, slots whose value appears in the utterance (in order of appearance), and no bot (a device
with more turns than a session may hold). Each
mapped layout then gets two broken lines of its own, which its quarantine must catch. Deterministic: a rerun
writes the same files.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import shutil
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

REPO_ROOT = Path(__file__).resolve().parent.parent
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
DAY = "2026-11-30"
SEED, USERS_PER_LOCALE, LOCALES = 7, 150, ("en-US", "de-DE")
LOG_FILE = "logs/date=" + DAY + "/part-0"
# The offsets of the CSV's local times (November: no daylight saving time).
UTC_OFFSETS = {"en-US": dt.timedelta(hours=-5), "de-DE": dt.timedelta(hours=1)}
OUTCOME_CODES = {"success": 0, "error": 1, "unhandled": 2, "interrupted": 3, "cancelled": 4}
OUTCOME_WORDS = {"success": "OK", "error": "ERROR", "unhandled": "NO_MATCH", "interrupted": "BARGE_IN",
                 "cancelled": "CANCELLED"}

JSONL_CONFIG = """# A team's JSON Lines event stream (tools/make_log_examples.py wrote this example).
[log_format]
format = "jsonl"
timestamp = "epoch_millis"
absent = ["rewritten_utterance"]

[log_format.columns]
event_id = "request_id"
user_id = "customer"
device_id = "device"
ts = "received_ms"
locale = "lang"
utterance = "transcript"
intent = "intent"
slots = "slots"
nlu_confidence = "confidence"
status = "outcome"

[log_format.status_values]
{codes}
"""

CSV_CONFIG = """# A team's CSV export (tools/make_log_examples.py wrote this example).
[log_format]
format = "csv"
timestamp = "iso"
normalize_locale = true
slots = "annot_utt"
absent = ["rewritten_utterance"]

[log_format.columns]
event_id = "turn_id"
user_id = "account"
device_id = "device_serial"
ts = "local_time"
locale = "market"
utterance = "annotated_text"
slots = "annotated_text"
intent = "nlu_intent"
nlu_confidence = "nlu_score"
status = "result"

[log_format.status_values]
{words}
"""


def simulated_turns(work: Path) -> list[dict]:
    """The simulated day's rows that the contract accepts, in the contract's own columns."""
    from miner.defaults import MAX_SESSION_TURNS, MAX_UTTERANCE_CHARS
    from miner.ingest import with_quarantine_reason
    from pipeline.log_format import LogFormat
    from pipeline.log_input import check_logs, read_logs
    from pipeline.spark import build_spark
    from schemas.interactions import INTERACTIONS
    from simulation import simulate

    simulate.main(["--out", str(work), "--users", str(USERS_PER_LOCALE), "--locales", *LOCALES, "--seed",
                   str(SEED), "--date", DAY, "--files", "1", "--workers", "1"])
    spark = build_spark("make-log-examples", "local[2]", 4)
    from pyspark.sql import functions as F

    checked_df = read_logs(spark, check_logs(str(work / "logs" / f"date={DAY}"), LogFormat())).transform(
        with_quarantine_reason, MAX_UTTERANCE_CHARS
    )
    rows = [
        row.asDict(recursive=True)
        for row in checked_df.where(F.col("reason").isNull())
        .withColumn("ts", F.unix_millis("ts"))  # whole milliseconds, free of the driver's time zone
        .select(*INTERACTIONS.column_names)
        .orderBy("ts", "event_id")
        .collect()
    ]
    spark.stop()
    turns_per_device: dict[object, int] = {}
    for row in rows:
        turns_per_device[row["device_id"]] = turns_per_device.get(row["device_id"], 0) + 1
    bots = {device for device, turns in turns_per_device.items() if device and turns > MAX_SESSION_TURNS}
    return [
        located({**row, "ts": EPOCH + dt.timedelta(milliseconds=row["ts"])})
        for row in rows
        if row["device_id"] not in bots and not set("[]\r\n") & set(row["utterance"])
    ]


def located(row: dict) -> dict:
    """The row with only the slots an annotation can mark: values found in the utterance, in their order there."""
    taken: list[tuple[int, int, dict]] = []
    for slot in row["slots"] or []:
        value = slot["value"]
        name = slot["name"]
        if not value or value != value.strip() or set("[]") & set(value) or set("[]: ") & set(name):
            continue
        start = row["utterance"].find(value)
        while start >= 0 and any(start < end and start + len(value) > begin for begin, end, _ in taken):
            start = row["utterance"].find(value, start + 1)
        if start >= 0:
            taken.append((start, start + len(value), {"name": name, "value": value}))
    return {**row, "slots": [slot for _, _, slot in sorted(taken, key=lambda item: item[0])]}


def annotated(row: dict) -> str:
    """MASSIVE's annot_utt: each slot's value in the utterance replaced by "[name : value]"."""
    text, cursor, parts = row["utterance"], 0, []
    for slot in row["slots"]:
        start = text.find(slot["value"], cursor)
        parts += [text[cursor:start], f"[{slot['name']} : {slot['value']}]"]
        cursor = start + len(slot["value"])
    return "".join(parts) + text[cursor:]


def epoch_millis(moment: dt.datetime) -> int:
    return (moment - EPOCH) // dt.timedelta(milliseconds=1)


def local_time(moment: dt.datetime, locale: str) -> str:
    local = moment.astimezone(dt.timezone(UTC_OFFSETS[locale]))
    return local.isoformat(timespec="milliseconds")


def jsonl_lines(turns: list[dict]) -> list[str]:
    lines = [
        json.dumps({
            "request_id": t["event_id"], "customer": t["user_id"], "device": t["device_id"],
            "received_ms": epoch_millis(t["ts"]), "lang": t["locale"], "transcript": t["utterance"],
            "intent": t["intent"], "slots": t["slots"], "confidence": t["nlu_confidence"],
            "outcome": OUTCOME_CODES[t["status"]],
        }, ensure_ascii=False)
        for t in turns
    ]
    broken = [  # caught by the quarantine: a line cut short, and an outcome code the mapping does not list
        '{"request_id": "cut-short", "customer": "u-example", "received_ms": 17',
        json.dumps({"request_id": "unmapped-code", "customer": "u-example", "device": "d-example",
                    "received_ms": epoch_millis(turns[0]["ts"]), "lang": "en-US", "transcript": "hello",
                    "intent": None, "slots": [], "confidence": 0.5, "outcome": 9}),
    ]
    return lines[:10] + broken + lines[10:]


def csv_text(turns: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["turn_id", "account", "device_serial", "local_time", "market", "annotated_text",
                     "nlu_intent", "nlu_score", "result"])
    rows = [
        [t["event_id"], t["user_id"], t["device_id"] or "", local_time(t["ts"], t["locale"]),
         t["locale"].replace("-", "_"), annotated(t), t["intent"] or "",
         "" if t["nlu_confidence"] is None else repr(t["nlu_confidence"]), OUTCOME_WORDS[t["status"]]]
        for t in turns
    ]
    broken = [  # caught by the quarantine: a time that does not parse, and a result word the mapping lacks
        ["bad-time", "u-example", "d-example", "yesterday evening", "en_US", "hello", "", "0.5", "OK"],
        ["unmapped-word", "u-example", "d-example", local_time(turns[0]["ts"], "en-US"), "en_US", "hello", "",
         "0.5", "TIMEOUT"],
    ]
    writer.writerows(rows[:10] + broken + rows[10:])
    return out.getvalue()


def write_native(turns: list[dict], path: Path) -> None:
    from schemas.interactions import INTERACTIONS

    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(turns, schema=INTERACTIONS.arrow_schema), path)


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dest", default=str(REPO_ROOT / "examples"))
    dest = Path(parser.parse_args(argv).dest)
    with tempfile.TemporaryDirectory() as work:
        turns = simulated_turns(Path(work))
    for name in ("native", "jsonl-epoch-millis", "csv-local-time"):
        shutil.rmtree(dest / name, ignore_errors=True)
    write_native(turns, dest / "native" / f"{LOG_FILE}.parquet")
    codes = "\n".join(f'"{code}" = "{status}"' for status, code in OUTCOME_CODES.items())
    write_text(dest / "jsonl-epoch-millis" / "config.toml", JSONL_CONFIG.format(codes=codes))
    write_text(dest / "jsonl-epoch-millis" / f"{LOG_FILE}.jsonl", "".join(f"{line}\n" for line in jsonl_lines(turns)))
    words = "\n".join(f'{word} = "{status}"' for status, word in OUTCOME_WORDS.items())
    write_text(dest / "csv-local-time" / "config.toml", CSV_CONFIG.format(words=words))
    write_text(dest / "csv-local-time" / f"{LOG_FILE}.csv", csv_text(turns))
    print(f"{len(turns):,} turns in {dest}/native, jsonl-epoch-millis and csv-local-time")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
