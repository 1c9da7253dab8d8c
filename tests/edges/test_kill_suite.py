"""The kill suite: SIGKILL a replay and a paper run at random moments, then check the ledger.

What must hold after any kill: the ledger holds exactly a prefix of an uninterrupted run
(whole days, none half-written, none twice), and running again completes it to the
uninterrupted run's rows. Kill moments come from a seeded generator (the seed is in the
test id), each after the run has started writing, so most kills land mid-run.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.edges.console import TRADESIM, tradesim
from tests.edges.conftest import AS_OF
from tests.paper.test_paper_run import TABLES

KILLS = 3


def rows(db: Path, run_id: int) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(db)
    try:
        return {t: sorted(conn.execute(f"SELECT {cols} FROM {t} WHERE run_id = ?", (run_id,)).fetchall())
                for t, cols in TABLES.items()}
    finally:
        conn.close()


def prefix(full: dict[str, list[tuple]], last: str | None) -> dict[str, list[tuple]]:
    """The rows an uninterrupted run had written when ``last`` was its last committed day.
    Orders of that day are still pending then (the next day fills them): status left out."""
    out = {t: [r for r in rs if last is not None and r[0] <= last] for t, rs in full.items()}
    out["orders"] = [r[:-1] if r[0] == last else r for r in out["orders"]]
    return out


def without_last_status(got: dict[str, list[tuple]], last: str | None) -> dict[str, list[tuple]]:
    return {**got, "orders": [r[:-1] if r[0] == last else r for r in got["orders"]]}


def last_day(db: Path, run_id: int) -> str | None:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT max(day) FROM processed_days WHERE run_id = ?", (run_id,)).fetchone()[0]
    finally:
        conn.close()


def started_writing(db: Path) -> bool:
    if not db.exists():
        return False
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return bool(conn.execute("SELECT count(*) FROM processed_days").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return False


def kill_during(args: list[str], db: Path, rng: random.Random, cwd: Path) -> int:
    """Start ``tradesim args``, SIGKILL it a random moment after its first day; returns its exit code."""
    proc = subprocess.Popen([TRADESIM, *args], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not started_writing(db) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(rng.uniform(0, 0.6))
    proc.send_signal(signal.SIGKILL)
    return proc.wait(timeout=60)


@pytest.fixture(scope="module")
def clean(folder: Path) -> dict[str, dict[str, list[tuple]]]:
    """The uninterrupted replay's and paper run's rows."""
    for mode, args in (("replay", ["replay", "kill.toml", "--end", AS_OF, "--commit-every", "1"]),
                       ("paper", ["paper", "run", "kill.toml", "--as-of", AS_OF])):
        result = tradesim(*args, "--db", f"clean-{mode}.db", cwd=folder)
        assert result.returncode == 0, result.stderr
    return {"replay": rows(folder / "clean-replay.db", 1), "paper": rows(folder / "clean-paper.db", 1)}


@pytest.mark.parametrize("seed", range(KILLS))
def test_killed_replay_leaves_a_prefix_and_a_rerun_gives_the_same_rows(folder: Path, clean: dict, seed: int) -> None:
    db = folder / f"replay-{seed}.db"
    args = ["replay", "kill.toml", "--end", AS_OF, "--commit-every", str(1 + seed * 20), "--db", db.name]
    code = kill_during(args, db, random.Random(seed), folder)
    last = last_day(db, 1)
    assert without_last_status(rows(db, 1), last) == prefix(clean["replay"], last), f"killed ({code}) after {last}"
    rerun = tradesim(*args, cwd=folder)
    assert rerun.returncode == 0, rerun.stderr
    assert rows(db, 2) == clean["replay"]
    check = tradesim("db", "check", "--db", db.name, cwd=folder)
    assert check.returncode == 0 and "integrity: ok" in check.stdout
    if code == -signal.SIGKILL and last is not None and last < AS_OF:
        assert "run 1 (replay kill) is marked running" in check.stdout


@pytest.mark.parametrize("seed", range(KILLS))
def test_killed_paper_run_leaves_a_prefix_and_the_next_run_completes_it(folder: Path, clean: dict, seed: int) -> None:
    db = folder / f"paper-{seed}.db"
    args = ["paper", "run", "kill.toml", "--as-of", AS_OF, "--db", db.name]
    code = kill_during(args, db, random.Random(100 + seed), folder)
    last = last_day(db, 1)
    assert without_last_status(rows(db, 1), last) == prefix(clean["paper"], last), f"killed ({code}) after {last}"
    rerun = tradesim(*args, cwd=folder)
    assert rerun.returncode == 0, rerun.stderr
    assert rows(db, 1) == clean["paper"]
