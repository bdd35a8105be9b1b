import json
import os
import sys

from bench.measure import run_measured, shuffle_bytes_by_group, tree_rss_bytes


def _event(kind, **fields):
    return json.dumps({"Event": kind, **fields}) + "\n"


def test_shuffle_bytes_are_summed_per_job_group_from_a_rolling_event_log(tmp_path):
    rolling = tmp_path / "events" / "eventlog_v2_local-1"
    rolling.mkdir(parents=True)
    (rolling / "events_1_local-1").write_text(
        _event("SparkListenerJobStart", **{"Job ID": 0, "Stage IDs": [0, 1], "Properties": {"spark.jobGroup.id": "ingest"}})
        + _event("SparkListenerTaskEnd", **{"Stage ID": 0, "Task Metrics": {"Shuffle Write Metrics": {"Shuffle Bytes Written": 100}}})
    )
    (rolling / "events_2_local-1").write_text(
        _event("SparkListenerJobStart", **{"Job ID": 1, "Stage IDs": [2], "Properties": None})
        + _event("SparkListenerTaskEnd", **{"Stage ID": 1, "Task Metrics": {"Shuffle Write Metrics": {"Shuffle Bytes Written": 20}}})
        + _event("SparkListenerTaskEnd", **{"Stage ID": 2, "Task Metrics": {"Shuffle Write Metrics": {"Shuffle Bytes Written": 7}}})
        + _event("SparkListenerTaskEnd", **{"Stage ID": 2, "Task Metrics": None})  # a failed task has no metrics
    )
    (rolling / "appstatus_local-1").write_text("")
    assert shuffle_bytes_by_group(tmp_path / "events") == {"ingest": 120, "": 7}


def test_a_command_is_timed_with_its_output_lines_and_memory(tmp_path):
    script = "import time; print('[stage] running', flush=True); x = bytearray(50_000_000); time.sleep(0.6); print('done')"
    measured = run_measured([sys.executable, "-c", script], dict(os.environ), tmp_path / "log.txt", echo=lambda _: None)
    assert measured.returncode == 0
    assert [line for _, line in measured.lines] == ["[stage] running", "done"]
    assert measured.peak_rss_bytes > 50_000_000
    assert (tmp_path / "log.txt").read_text() == "[stage] running\ndone\n"
    assert tree_rss_bytes(os.getpid()) > 0
