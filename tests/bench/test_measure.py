import json
import os
import subprocess
import sys

import pytest

from bench import measure
from bench.measure import (
    _PAGE_BYTES,
    run_measured,
    same_address_space,
    shuffle_bytes_by_group,
    sum_tree_rss,
    tree_rss_bytes,
)


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


def test_a_child_sharing_its_parents_address_space_is_counted_once():
    jvm, spawn_before_exec, chmod, daemon, worker, gone, orphan = 1, 2, 3, 4, 5, 6, 7
    statm = {
        jvm: b"900 100 5 1 0 80 0\n",
        spawn_before_exec: b"900 100 5 1 0 80 0\n",
        chmod: b"2 1 1 1 0 1 0\n",
        daemon: b"30 10 2 1 0 8 0\n",
        worker: b"60 40 2 1 0 30 0\n",
        gone: None,
        orphan: b"8 3 1 1 0 2 0\n",
    }
    children = {jvm: [spawn_before_exec, chmod, daemon, gone], daemon: [worker], gone: [orphan]}
    one_address_space = {(spawn_before_exec, jvm)}
    shares = lambda pid, parent, *_: (pid, parent) in one_address_space  # noqa: E731

    assert sum_tree_rss(jvm, children, statm.get, shares) == (100 + 1 + 10 + 40 + 3) * _PAGE_BYTES


def test_kcmp_tells_one_address_space_from_a_child_process():
    if same_address_space(os.getpid(), os.getpid()) is None:
        pytest.skip("kcmp is not available here")
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
    try:
        assert same_address_space(os.getpid(), os.getpid()) is True
        assert same_address_space(os.getpid(), child.pid) is False
    finally:
        child.kill()
        child.wait()


def test_without_kcmp_a_child_with_its_parents_counters_shares_its_memory(monkeypatch):
    monkeypatch.setattr(measure, "same_address_space", lambda pid, other_pid: None)
    jvm_counters = b"900 100 5 1 0 80 0\n"

    assert measure._shares_parents_memory(2, 1, jvm_counters, jvm_counters) is True
    assert measure._shares_parents_memory(3, 1, b"2 1 1 1 0 1 0\n", jvm_counters) is False
    assert measure._shares_parents_memory(1, 0, jvm_counters, None) is False
