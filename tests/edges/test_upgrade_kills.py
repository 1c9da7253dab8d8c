"""SIGKILL during `tradesim db upgrade` of a ledger at an old schema revision.

The upgrade is one transaction (SQLite's DDL is transactional; db.migrations takes the
write lock first), so whenever the kill lands the ledger must be either exactly the old
ledger (same revision, same schema, every row) or exactly the upgraded one, never half;
after a rerun of `db upgrade` it must equal an uninterrupted upgrade, table by table.
Kill moments are seeded (the seed is in the test id) and spread over the upgrade's
transaction, which the ledger's copied runs make last most of a second.
"""

from __future__ import annotations

import random
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from db import migrations
from tests.edges.console import TRADESIM, tradesim
from tests.edges.old_ledger import contents, downgrade, grow, revision

KILLS = 3
OLD = "0001"  # the first revision: every migration runs
COPIES = 60  # copies of the replay's run: an upgrade that takes long enough to be killed inside


def build_old_ledger(folder: Path, name: str = "old.db", copies: int = COPIES) -> Path:
    """A replay's ledger taken back to revision ``OLD`` and grown to ``copies`` + 1 runs."""
    db = folder / name
    result = tradesim("replay", "kill.toml", "--end", "2022-06-30", "--db", db.name, cwd=folder)
    assert result.returncode == 0, result.stderr
    downgrade(db, OLD)
    grow(db, copies)
    assert revision(db) == OLD
    return db


def write_locked(db: Path) -> bool:
    """Does some process hold the ledger's write lock (is the upgrade's transaction open)?"""
    try:
        conn = sqlite3.connect(db, timeout=0, isolation_level=None)
    except sqlite3.Error:
        return False
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        conn.close()


def start_upgrade(db: Path, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([TRADESIM, "db", "upgrade", "--db", db.name], cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def wait_for_the_transaction(proc: subprocess.Popen, db: Path) -> None:
    deadline = time.monotonic() + 120
    while not write_locked(db) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)


def transaction_time(db: Path, cwd: Path) -> float:
    """Seconds from an uninterrupted upgrade taking the write lock to its process's exit."""
    proc = start_upgrade(db, cwd)
    wait_for_the_transaction(proc, db)
    t0 = time.monotonic()
    assert proc.wait(timeout=120) == 0
    return time.monotonic() - t0


def kill_upgrade(db: Path, rng: random.Random, cwd: Path, window: float) -> int:
    """Start `tradesim db upgrade` and SIGKILL it a random moment within ``window`` s of its taking the
    ledger's write lock (one time in five, of its start: before it has opened the ledger); returns its
    exit code."""
    proc = start_upgrade(db, cwd)
    if rng.random() >= 0.2:
        wait_for_the_transaction(proc, db)
    time.sleep(rng.uniform(0, window))
    proc.send_signal(signal.SIGKILL)
    return proc.wait(timeout=60)


@pytest.fixture(scope="module")
def old(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The old ledger, its contents, and an uninterrupted upgrade's contents and duration."""
    here = tmp_path_factory.mktemp("upgrade")
    for name in ("kill.toml", "closes.csv"):
        shutil.copy(folder / name, here / name)
    db = build_old_ledger(here)
    reference = here / "reference.db"
    shutil.copy(db, reference)
    took = transaction_time(reference, here)
    assert revision(reference) == migrations.head()
    return {"folder": here, "db": db, "before": contents(db), "after": contents(reference), "took": took}


@pytest.mark.parametrize("seed", range(KILLS))
def test_a_killed_upgrade_leaves_the_old_ledger_or_the_upgraded_one_never_half(old: dict, seed: int) -> None:
    folder = old["folder"]
    db = folder / f"killed-{seed}.db"
    shutil.copy(old["db"], db)
    code = kill_upgrade(db, random.Random(seed), folder, window=old["took"])
    found = revision(db)
    assert found in (OLD, migrations.head()), f"killed ({code}): revision {found}"
    assert contents(db) == (old["before"] if found == OLD else old["after"]), f"killed ({code}) at {found}"
    rerun = tradesim("db", "upgrade", "--db", db.name, cwd=folder)
    assert rerun.returncode == 0, rerun.stderr
    assert contents(db) == old["after"]
    check = tradesim("db", "check", "--db", db.name, cwd=folder)
    assert check.returncode == 0 and "integrity: ok" in check.stdout and "at head" in check.stdout, check.stdout
