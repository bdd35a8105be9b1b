"""A Spark standalone cluster on loopback, from the pyspark install: one master, N workers.

Started and stopped by PID, so a test never leaves JVMs behind or touches anyone else's. Every process
binds port 0 and the master's ports are read from its log: a port picked here and bound later by the JVM
can be taken in between (a CI run once found a driver's web UI on the master's "free" UI port).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

SPARK_CLASS = Path(sys.executable).with_name("spark-class")


STARTED_SERVICE = re.compile(rb"Successfully started service '(sparkMaster|MasterUI)' on port (\d+)")


def _wait_for(condition, what: str, timeout_s: float = 90.0):
    """The condition's first truthy value, polled every half second."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.5)
    raise TimeoutError(f"standalone cluster: {what} not ready after {timeout_s:.0f}s")


def master_state(ui_port: int) -> dict:
    """The master's /json/ view (workers, active and completed apps); {} while it does not answer."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{ui_port}/json/", timeout=2) as response:
            return json.load(response)
    except (OSError, ValueError):
        return {}


def _master_ports(log_path: Path) -> dict[str, int]:
    """The ports the master reports it bound, by service name; empty until it has bound both."""
    found = {name.decode(): int(port) for name, port in STARTED_SERVICE.findall(log_path.read_bytes())}
    return found if len(found) == 2 else {}


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
    processes: list[subprocess.Popen] = []
    logs = []

    def start(name: str, *args: str) -> None:
        log = open(work_dir / f"{name}.log", "wb")
        logs.append(log)
        processes.append(subprocess.Popen([str(SPARK_CLASS), *args], env=env, stdout=log, stderr=subprocess.STDOUT))

    work_dir.mkdir(parents=True, exist_ok=True)
    try:
        start("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", "0",
              "--webui-port", "0")
        ports = _wait_for(lambda: _master_ports(work_dir / "master.log"), "the master's ports")
        master_url, ui_port = f"spark://127.0.0.1:{ports['sparkMaster']}", ports["MasterUI"]
        for index in range(workers):
            start(f"worker-{index}", "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
                  "--cores", str(cores_per_worker), "--memory", memory, "--webui-port", "0",
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
