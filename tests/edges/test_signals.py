"""SIGINT and SIGTERM: exit 130 and 143, one line, and the run marked interrupted at its last committed day."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.edges.conftest import AS_OF
from tests.edges.console import TRADESIM
from tests.edges.test_kill_suite import started_writing


def run_row(db: Path) -> tuple:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT r.id, r.status, r.error, (SELECT max(day) FROM processed_days d "
                            "WHERE d.run_id = r.id) FROM runs r ORDER BY r.id").fetchone()
    finally:
        conn.close()


@pytest.mark.parametrize("command", ["replay", "paper"])
@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_stops_the_run_with_its_exit_code_and_marks_it_interrupted(
        folder: Path, command: str, sig: signal.Signals, code: int) -> None:
    db = folder / f"signal-{command}-{sig.name}.db"
    args = (["replay", "kill.toml", "--end", AS_OF, "--commit-every", "1"] if command == "replay"
            else ["paper", "run", "kill.toml", "--as-of", AS_OF])
    proc = subprocess.Popen([TRADESIM, *args, "--db", db.name], cwd=folder, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not started_writing(db) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    run_id, status, error, last = run_row(db)
    if proc.returncode == 0:
        pytest.skip("the run finished before the signal came (a very fast machine)")
    assert proc.returncode == code, err
    assert status == "interrupted" and error == f"{sig.name}; last committed day {last}"
    assert err.strip() == (f"stopped: interrupted by {sig.name}: run {run_id} marked interrupted, "
                           f"last committed day {last}")
