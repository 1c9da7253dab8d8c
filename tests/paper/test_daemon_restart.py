"""``paper schedule`` as a daemon: catches up at start, retries late prices, one per portfolio."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import date
from pathlib import Path

from tests.edges.console import TRADESIM, read_until
from tests.paper.test_late_prices import processed, write
from tradesim.config import load_config
from tradesim.paper import paper_run


def start(config: Path, db: Path) -> subprocess.Popen:
    return subprocess.Popen([TRADESIM, "paper", "schedule", str(config), "--db", str(db)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "COLUMNS": "250"})


def test_a_restarted_daemon_runs_the_missed_sessions_at_once_and_retries_late_prices(tmp_path: Path) -> None:
    config = write(tmp_path)  # prices up to 2024-01-10
    db = tmp_path / "l.db"
    paper_run(load_config(config), f"sqlite:///{db}", date(2024, 1, 8))  # then the daemon was down
    proc = start(config, db)
    try:
        lines = read_until(proc, "trying again at")
    finally:
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, lines + [rest]
    text = " ".join("".join(lines).split())  # log lines may wrap
    assert "paper late-prices: processed 2024-01-09, 2024-01-10" in text
    assert "the prices for 2024-01-11 have not arrived (waiting for AAA, BBB)" in text
    assert processed(db)[-2:] == ["2024-01-09", "2024-01-10"]


def test_two_daemons_started_together_one_runs_the_other_refuses_in_one_line(tmp_path: Path) -> None:
    config = write(tmp_path)
    db = tmp_path / "new.db"
    procs = [start(config, db), start(config, db)]
    try:
        refused: list[subprocess.Popen] = []
        deadline = time.monotonic() + 180
        while not refused and time.monotonic() < deadline:
            refused = [p for p in procs if p.poll() is not None]
            time.sleep(0.2)
        assert len(refused) == 1
        out = refused[0].stdout.read()
        assert refused[0].returncode == 2, out
        assert " ".join(out.split()).endswith(
            f"error: paper schedule for 'late-prices' is already running on sqlite:///{db}; "
            "this one stops (one daemon per portfolio and ledger)")
        running = next(p for p in procs if p is not refused[0])
        read_until(running, "paper schedule for")
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                p.communicate(timeout=60)
    assert running.returncode == 0


def test_late_prices_are_retried_every_retry_minutes_until_retry_hours_after_the_first_try() -> None:
    from datetime import datetime, timedelta

    from tradesim.schedule import retry_at
    from tradesim.schema import PaperSettings

    settings = PaperSettings(retry_minutes=30, retry_hours=1)
    t0 = datetime(2024, 1, 9, 16, 30)
    deadline = t0 + timedelta(hours=1)
    assert retry_at(t0, None, settings) == (t0 + timedelta(minutes=30), deadline)
    assert retry_at(t0 + timedelta(minutes=30), deadline, settings) == (deadline, deadline)
    assert retry_at(deadline, deadline, settings) == (None, None)  # the next scheduled run catches up
