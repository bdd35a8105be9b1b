import datetime as dt
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from bench.bare_job import sessionized
from bench.baseline_a import pooled_labels, votes
from tests.conftest import utc

T0 = dt.datetime(2026, 11, 30, 8, 0, 0)
BARE_JOB = Path(__file__).resolve().parents[2] / "bench" / "bare_job.py"


def test_the_bare_job_starts_as_a_script_as_make_bench_and_spark_submit_run_it():
    # Run by path, its folder comes first on sys.path: a module there named like a standard one (profile.py)
    # once replaced the one pyspark imports, and `make bench` failed at its first reference.
    started = subprocess.run([sys.executable, str(BARE_JOB), "--help"], capture_output=True, text=True, timeout=120)
    assert started.returncode == 0, started.stderr
    assert "--logs LOGS --out OUT" in started.stdout


@pytest.mark.slow
def test_the_bare_job_sessionizes_per_user_and_device_at_long_gaps(spark):
    turns = spark.createDataFrame(
        [
            ("e1", "u1", "d1", utc(2026, 11, 30, 8, 0, 0), "wake me up"),
            ("e2", "u1", "d1", utc(2026, 11, 30, 8, 0, 30), "set an alarm"),
            ("e3", "u1", "d1", utc(2026, 11, 30, 9, 0, 0), "play jazz"),  # an hour later: a new session
            ("e4", "u1", None, utc(2026, 11, 30, 8, 0, 10), "stop"),  # no device: a stream of its own
        ],
        "event_id string, user_id string, device_id string, ts timestamp, utterance string",
    )
    rows = sorted((r["session_id"], r["turn_index"], r["utterance"]) for r in sessionized(turns).collect())
    assert rows == [("u1|d1|1", 0, "wake me up"), ("u1|d1|1", 1, "set an alarm"), ("u1|d1|2", 0, "play jazz"),
                    ("u1||1", 0, "stop")]


def _turn(event, user, seconds, utterance, status, intent):
    return {"event_id": event, "user_id": user, "device_id": "d", "ts": T0 + dt.timedelta(seconds=seconds),
            "locale": "en-US", "utterance": utterance, "intent": intent, "status": status}


def test_baseline_a_labels_a_failing_phrasing_by_the_next_success_of_enough_users():
    rows = []
    for user in ("u1", "u2", "u3"):
        rows += [_turn(f"{user}a", user, 0, "Wake me!", "error", None),
                 _turn(f"{user}b", user, 5, "set an alarm", "success", "alarm_set")]
    rows += [_turn("u4a", "u4", 0, "wake me", "error", None),
             _turn("u4b", "u4", 90, "set an alarm", "success", "alarm_set"),  # too late to vote
             _turn("u5a", "u5", 0, "play it", "error", None),
             _turn("u5b", "u5", 5, "play jazz", "success", "play_music"),
             _turn("u5a", "u5", 0, "play it", "error", None)]  # a repeated delivery
    labels = pooled_labels(votes(pd.DataFrame(rows)), min_users=3)
    assert labels.to_dict("records") == [{"locale": "en-US", "text": "wake me", "intent": "alarm_set"}]
    assert len(pooled_labels(votes(pd.DataFrame(rows)), min_users=1)) == 2
