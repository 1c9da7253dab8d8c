"""A real Dask cluster for the sweep tests: ``dask scheduler`` and two ``dask worker`` processes.

Everything listens on 127.0.0.1. The processes stop themselves if the test run dies (the
scheduler after five idle minutes, workers when their scheduler is gone) and are killed in
teardown anyway.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed")

SMALL = Path(__file__).with_name("small.toml")
BIN = Path(sys.executable).parent


def tradesim(*args: str, db: Path, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "tradesim"), *args, "--db", str(db)], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "COLUMNS": "120", **(env or {})})


class DaskCluster:
    def __init__(self, folder: Path, worker_env: dict | None = None) -> None:
        self.folder = folder
        self.logs = folder / "dask.log"
        self._log = open(self.logs, "w")  # noqa: SIM115
        scheduler_file = folder / "scheduler.json"
        self.scheduler = subprocess.Popen(
            [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
             "--scheduler-file", str(scheduler_file), "--idle-timeout", "300s"],
            stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() or not scheduler_file.read_text().strip():
            if time.monotonic() > deadline or self.scheduler.poll() is not None:
                self.stop()
                raise RuntimeError(f"dask scheduler did not start: {self.logs.read_text()[-2000:]}")
            time.sleep(0.1)
        self.address = json.loads(scheduler_file.read_text())["address"]
        env = {**os.environ, **(worker_env or {})}
        self.workers = [subprocess.Popen(
            [str(BIN / "dask"), "worker", self.address, "--host", "127.0.0.1", "--nthreads", "1", "--no-nanny",
             "--no-dashboard", "--death-timeout", "30", "--name", f"w{i}"],
            stdout=self._log, stderr=subprocess.STDOUT, env=env) for i in range(2)]
        # No client here: a sweep's client waits for workers itself (and a Dask client in the
        # test process would leave its event-loop thread behind).

    def kill_worker(self, pid: int) -> None:
        os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        for proc in [*getattr(self, "workers", []), self.scheduler]:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=30)
        self._log.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):  # noqa: ANN001, ANN201
    c = DaskCluster(tmp_path_factory.mktemp("dask"))
    yield c
    c.stop()


@pytest.fixture
def slow_cluster(tmp_path):  # noqa: ANN001, ANN201
    """Workers whose every task announces itself in ``cluster.marks`` and then takes 1 s more."""
    from tradesim.sweep.task import HOOK_ENV

    marks = tmp_path / "marks"
    marks.mkdir()
    c = DaskCluster(tmp_path, {HOOK_ENV: f"{marks}:1"})
    c.marks = marks
    yield c
    c.stop()
