"""Measuring one command: wall time, peak memory of its whole process tree, and Spark's shuffle bytes.

Peak memory is the largest sum of resident set sizes over the command and all its descendants (the Spark
JVM, its Python workers), sampled from /proc; a child sharing its parent's address space counts once.
Shuffle bytes come from Spark's event log, which the harness switches on through PYSPARK_SUBMIT_ARGS; jobs
are attributed to the pipeline stage named by their job group (pipeline.runner.run_stage sets it).
"""

from __future__ import annotations

import ctypes
import functools
import json
import os
import platform
import subprocess
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

SAMPLE_EVERY_S = 0.25
_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
# kcmp(2) has a number per architecture; elsewhere the counters decide (see _shares_parents_memory).
_SYS_KCMP = {"x86_64": 312, "aarch64": 272}.get(platform.machine())
_KCMP_VM = 1


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = defaultdict(list)
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
            children[int(fields[1])].append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    return children


def _read_statm(pid: int) -> bytes | None:
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            return statm.read()
    except OSError:
        return None


def same_address_space(pid: int, other_pid: int) -> bool | None:
    """Whether two processes share one address space, by Linux's kcmp(KCMP_VM); None where it cannot say."""
    if _SYS_KCMP is None:
        return None
    answer = _libc().syscall(_SYS_KCMP, pid, other_pid, _KCMP_VM, 0, 0)
    return answer == 0 if answer >= 0 else None


def _shares_parents_memory(pid: int, parent_pid: int, statm: bytes, parent_statm: bytes | None) -> bool:
    shared = same_address_space(pid, parent_pid)
    # Without kcmp, equal counters read a moment apart are the best evidence of one address space.
    return statm == parent_statm if shared is None else shared


def sum_tree_rss(root_pid: int, children: dict[int, list[int]], read_statm, shares_parents_memory) -> int:
    """Resident bytes of root_pid and its descendants; a child sharing its parent's address space counts once.

    The JVM starts a program (Hadoop's `chmod` for each directory and file it writes on a local disk) by a
    clone that shares its memory until the exec, and a sample that catches that instant would otherwise count
    the whole JVM twice (11.49 GiB at 10M turns on 3871294, where the samples around it read about 6.6).
    """
    total, stack = 0, [(root_pid, None, None)]
    while stack:
        pid, parent_pid, parent_statm = stack.pop()
        statm = read_statm(pid)
        if statm is not None and not (
            parent_pid is not None and shares_parents_memory(pid, parent_pid, statm, parent_statm)
        ):
            try:
                total += int(statm.split()[1]) * _PAGE_BYTES
            except (IndexError, ValueError):
                pass
        stack.extend((child, pid, statm) for child in children.get(pid, ()))
    return total


def tree_rss_bytes(root_pid: int) -> int:
    return sum_tree_rss(root_pid, _children(), _read_statm, _shares_parents_memory)


@dataclass
class Measured:
    returncode: int
    wall_s: float
    peak_rss_bytes: int
    lines: list[tuple[float, str]] = field(default_factory=list)  # (seconds since start, stdout line)
    samples: list[tuple[float, int]] = field(default_factory=list)  # (seconds since start, tree RSS)

    def peak_between(self, start_s: float, end_s: float) -> int:
        inside = [rss for at, rss in self.samples if start_s <= at <= end_s]
        return max(inside, default=0)


def run_measured(argv: list[str], env: dict[str, str], log_file: Path, echo=print) -> Measured:
    """Run argv, stream its output to log_file (and its progress lines to `echo`), sample its memory."""
    clock = time.monotonic()
    samples: list[tuple[float, int]] = []
    lines: list[tuple[float, str]] = []
    with open(log_file, "w", encoding="utf-8") as log:
        process = subprocess.Popen(
            argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
        )
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                samples.append((time.monotonic() - clock, tree_rss_bytes(process.pid)))
                done.wait(SAMPLE_EVERY_S)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        for line in process.stdout:
            log.write(line)
            lines.append((time.monotonic() - clock, line.rstrip("\n")))
            if line.startswith("["):
                echo(f"    {line.rstrip()}")
        returncode = process.wait()
        done.set()
        sampler.join()
    wall = time.monotonic() - clock
    return Measured(returncode, wall, max((rss for _, rss in samples), default=0), lines, samples)


def spark_env(event_log_dir: Path, master: str = "local[2]", extra_conf: dict[str, str] | None = None) -> dict:
    """The environment for a child that starts Spark from Python: event log on, the given master."""
    event_log_dir.mkdir(parents=True, exist_ok=True)
    conf = {
        "spark.eventLog.enabled": "true",
        "spark.eventLog.dir": event_log_dir.resolve().as_uri(),
        "spark.eventLog.compress": "false",
        **(extra_conf or {}),
    }
    args = " ".join(f"--conf {key}={value}" for key, value in conf.items())
    return {**os.environ, "PYTHONUNBUFFERED": "1", "PYSPARK_SUBMIT_ARGS": f"--master {master} {args} pyspark-shell"}


def shuffle_bytes_by_group(event_log_dir: Path) -> dict[str, int]:
    """Shuffle bytes written, per job group ('' for jobs outside any group), from the newest event log."""
    logs = sorted(event_log_dir.iterdir(), key=lambda p: p.stat().st_mtime)
    if not logs:
        return {}
    # Spark 4 writes a rolling log by default: a folder of events_<n>_... files (and an appstatus file).
    newest = logs[-1]
    files = sorted(newest.glob("events_*"), key=lambda p: int(p.name.split("_")[1])) if newest.is_dir() else [newest]
    stage_group: dict[int, str] = {}
    written: dict[str, int] = defaultdict(int)
    for file in files:
        with open(file, encoding="utf-8") as events:
            for line in events:
                if '"SparkListenerJobStart"' in line:
                    event = json.loads(line)
                    group = (event.get("Properties") or {}).get("spark.jobGroup.id") or ""
                    for stage_id in event.get("Stage IDs", []):
                        stage_group.setdefault(stage_id, group)
                elif '"SparkListenerTaskEnd"' in line and "Shuffle Bytes Written" in line:
                    event = json.loads(line)
                    metrics = (event.get("Task Metrics") or {}).get("Shuffle Write Metrics") or {}
                    stage = stage_group.get(event["Stage ID"], "")
                    written[stage] += int(metrics.get("Shuffle Bytes Written", 0))
    return dict(written)
