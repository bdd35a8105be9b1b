"""A Spark standalone cluster on loopback, from the pyspark install: one master, N workers.

Started and stopped by PID, so a test never leaves JVMs behind or touches anyone else's.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

SPARK_CLASS = Path(sys.executable).with_name("spark-class")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(condition, what: str, timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise TimeoutError(f"standalone cluster: {what} not ready after {timeout_s:.0f}s")


def master_state(ui_port: int) -> dict:
    """The master's /json/ view (workers, active and completed apps); {} while it does not answer."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{ui_port}/json/", timeout=2) as response:
            import json

            return json.load(response)
    except OSError:
        return {}


def _alive_workers(ui_port: int) -> int:
    return int(master_state(ui_port).get("aliveworkers", 0))


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


@dataclass
class Cluster:
    url: str  # spark://127.0.0.1:PORT
    ui_port: int
    workers: list[subprocess.Popen]

    def state(self) -> dict:
        return master_state(self.ui_port)

    def kill_worker(self, index: int) -> None:
        """SIGKILL a worker and the executors it launched, as when its machine dies."""
        worker = self.workers[index]
        for pid in [*_descendants(worker.pid), worker.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        worker.wait()


@contextlib.contextmanager
def standalone_cluster(work_dir: Path, workers: int = 2, cores_per_worker: int = 1, memory: str = "1g"):
    """Yield the running Cluster; stop every process this started on exit."""
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_LOG_DIR": str(work_dir / "logs")}
    port, ui_port = free_port(), free_port()
    processes: list[subprocess.Popen] = []
    logs = []

    def start(name: str, *args: str) -> None:
        log = open(work_dir / f"{name}.log", "wb")
        logs.append(log)
        processes.append(subprocess.Popen([str(SPARK_CLASS), *args], env=env, stdout=log, stderr=subprocess.STDOUT))

    work_dir.mkdir(parents=True, exist_ok=True)
    try:
        start("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
              "--webui-port", str(ui_port))
        master_url = f"spark://127.0.0.1:{port}"
        for index in range(workers):
            start(f"worker-{index}", "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
                  "--cores", str(cores_per_worker), "--memory", memory, "--webui-port", str(free_port()),
                  "--work-dir", str(work_dir / f"worker-{index}"), master_url)
        _wait_for(lambda: _alive_workers(ui_port) == workers, f"{workers} workers")
        yield Cluster(master_url, ui_port, processes[1:])
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in logs:
            log.close()
