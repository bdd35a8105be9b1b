"""Scheduled days through `rephrase-miner daily`: late logs re-mined, evidence accumulated with decay."""

import json
import pathlib
import shutil

import pyarrow.parquet as pq
import pytest

from pipeline.config import RunConfig
from pipeline.runner import run_daily
from pipeline.warehouse import published_path
from tests.conftest import FIRST_DAY, utc
from tests.logs_factory import rephrase_day_rows, write_logs

pytestmark = pytest.mark.integration

WAKE, ALARM = "wake me at seven", "set an alarm for seven"


def wake_pair(folder):
    rows = [r for r in pq.read_table(f"{folder}/pairs").to_pylist() if (r["source"], r["target"]) == (WAKE, ALARM)]
    assert len(rows) == 1
    return rows[0]


def test_first_day_is_published_with_one_record(first_day_published):
    root, published = first_day_published
    assert published_path(str(root)) == published
    records = [json.loads(line) for line in open(f"{published}/training/en-US.jsonl")]
    assert [(r["utt"], r["intent"], r["annot_utt"], r["support_users"]) for r in records] == [
        (WAKE, "alarm_set", "wake me at [time : seven]", 5),
    ]
    assert wake_pair(published)["support_users"] == 4


def test_late_logs_are_re_mined_and_days_accumulate_with_decay(first_day_logs, first_day_published, tmp_path):
    logs, root = tmp_path / "logs", tmp_path / "runs"
    shutil.copytree(first_day_logs, logs)
    shutil.copytree(first_day_published[0], root)
    day_one_alpha = wake_pair(f"{root}/days/{FIRST_DAY}")["alpha"]
    # the next day, and two more users of the first day whose logs arrive late
    write_logs(logs / "date=2026-12-01" / "part-0.parquet",
               rephrase_day_rows(utc(2026, 12, 1, 9), [f"next-{n}" for n in range(3)], ("s2", "l2"), prefix="d2-"))
    write_logs(logs / f"date={FIRST_DAY}" / "part-late.parquet",
               rephrase_day_rows(utc(2026, 11, 30, 15), ["late-0", "late-1"], ("s3", "l3"), prefix="late-"))
    messages = []
    config = RunConfig(shuffle_partitions=2, decay=0.5, late_days=2)
    pointer = run_daily(str(logs), str(root), "2026-12-01", config, master=None, log=messages.append)

    assert "[daily 2026-12-01] mining 2026-11-30, 2026-12-01" in messages
    remined, second = wake_pair(f"{root}/days/{FIRST_DAY}"), wake_pair(f"{root}/days/2026-12-01")
    assert remined["support_users"] == 6 and remined["alpha"] > day_one_alpha  # the late users count
    accumulated = wake_pair(pointer["path"])
    assert accumulated["alpha"] == pytest.approx(0.5 * remined["alpha"] + second["alpha"], rel=1e-6)
    assert accumulated["beta"] == pytest.approx(0.5 * remined["beta"] + second["beta"], rel=1e-6)
    # 6 users on the first day and 3 others on the next, each counted once (the largest day alone says 6)
    assert accumulated["support_users"] == 9
    assert accumulated["support_sessions"] == remined["support_sessions"] + second["support_sessions"]
    # the new day is the latest; the first day's published version is untouched
    assert published_path(str(root)) == pointer["path"]
    assert wake_pair(published_path(str(root), FIRST_DAY))["support_users"] == 4
    # the published manifest holds the stats, and wall time, of the day's mining and of the run
    stages = json.loads((pathlib.Path(pointer["path"]) / "manifest.json").read_text())["stages"]
    mining, run = ["ingest", "sessionize", "rephrases", "variants", "aggregate"], ["accumulate", "emit", "validate"]
    assert sorted(stages) == sorted(mining + run)
    assert all(stats["elapsed_s"] > 0 for stats in stages.values())
    # the index of published days links both days' dashboards
    index = (root / "published" / "index.html").read_text()
    assert all(f"{day}/" in index for day in (FIRST_DAY, "2026-12-01"))
    assert (root / "published" / "2026-12-01" / pointer["version"] / "quality" / "dashboard.html").exists()


def test_a_rerun_killed_mid_way_leaves_the_published_run_intact_and_a_new_rerun_completes(
    first_day_logs, first_day_published, tmp_path
):
    import os
    import signal
    import subprocess
    import sys

    from tests.conftest import published_content

    root = tmp_path / "runs"
    shutil.copytree(first_day_published[0], root)
    published = published_path(str(root))
    before = published_content(published)
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"shuffle_partitions": 2}))
    command = [sys.executable, "-m", "cli.main", "daily", "--logs", str(first_day_logs), "--root", str(root),
               "--ds", FIRST_DAY, "--config", str(config), "--master", "local[2]"]
    # The driver and its JVM, killed without warning once the rerun is mining (its staging half written).
    rerun = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             start_new_session=True, cwd=pathlib.Path(__file__).resolve().parents[2],
                             env={**os.environ, "PYTHONUNBUFFERED": "1"})
    seen = []
    for line in rerun.stdout:
        seen.append(line)
        if "rephrases] running" in line:
            os.killpg(rerun.pid, signal.SIGKILL)
            break
    rerun.wait(timeout=60)
    assert rerun.returncode == -signal.SIGKILL, "".join(seen[-20:])

    assert published_path(str(root)) == published  # readers still see the last published run, whole
    assert published_content(published) == before
    pointer = run_daily(str(first_day_logs), str(root), FIRST_DAY, RunConfig(shuffle_partitions=2), master=None)
    assert pointer["ds"] == FIRST_DAY and published_path(str(root)) == pointer["path"]
    assert published_content(pointer["path"]) == before  # the same logs and config: the same outputs
