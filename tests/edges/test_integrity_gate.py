"""The quick check before a write session, skipped only on a file exactly as tradesim left it.

A ledger passes ``PRAGMA quick_check`` before anything writes to it. That reads the whole
file (seconds on a large ledger), so a file whose fingerprint is the one recorded when it was
last known sound is not read again, for at most ``SOUND_FOR`` after its last full check.
These tests pin down when the check runs: after anything but tradesim changed the file,
after a killed session, after a week; and that a file damaged in place is still refused.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from db import guard
from tests.edges.cases import BASE, damage
from tests.edges.conftest import AS_OF
from tests.edges.console import TRADESIM, tradesim
from tests.edges.test_kill_suite import last_day, started_writing
from tradesim.config import load_config
from tradesim.paper import PAUSE_ENV
from tradesim.replay import replay


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's own records of sound ledgers (children inherit the variable)."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "state"


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files ``PRAGMA quick_check`` reads, in order."""
    seen: list[Path] = []
    real = guard.quick_check

    def counted(path: Path) -> str | None:
        seen.append(path)
        return real(path)

    monkeypatch.setattr(guard, "quick_check", counted)
    return seen


def portfolio(folder: Path) -> Path:
    for name, content in BASE.items():
        (folder / name).write_text(content)
    return folder / "good.toml"


def test_a_file_as_the_last_write_session_left_it_is_not_read_again(tmp_path: Path, state: Path,
                                                                     checks: list[Path]) -> None:
    config, db = load_config(portfolio(tmp_path)), tmp_path / "ledger.db"
    replay(config, f"sqlite:///{db}")  # a new file: nothing to check
    assert checks == [] and guard.known_sound(db)
    replay(config, f"sqlite:///{db}")  # as the first left it
    assert checks == [] and guard.known_sound(db)


def test_a_file_changed_by_anything_else_is_checked_again(tmp_path: Path, state: Path, checks: list[Path]) -> None:
    config, db = load_config(portfolio(tmp_path)), tmp_path / "ledger.db"
    replay(config, f"sqlite:///{db}")
    t = time.time() + 5
    os.utime(db, (t, t))  # what a copy over it, a restore or another tool does to its times
    assert not guard.known_sound(db)
    replay(config, f"sqlite:///{db}")
    assert checks == [db]
    assert guard.known_sound(db)


def test_a_full_check_is_trusted_for_a_week_at_most(tmp_path: Path, state: Path, checks: list[Path]) -> None:
    config, db = load_config(portfolio(tmp_path)), tmp_path / "ledger.db"
    replay(config, f"sqlite:///{db}")
    guard.remember_sound(db, checked=time.time() - guard.SOUND_FOR - 1)
    assert not guard.known_sound(db)
    replay(config, f"sqlite:///{db}")
    assert checks == [db]


def test_a_ledger_damaged_in_place_after_a_clean_session_is_refused(tmp_path: Path, state: Path) -> None:
    portfolio(tmp_path)
    first = tradesim("replay", "good.toml", "--db", "ledger.db", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert guard.known_sound(tmp_path / "ledger.db")  # the record the next session would trust
    damage(tmp_path / "ledger.db")
    again = tradesim("replay", "good.toml", "--db", "ledger.db", cwd=tmp_path)
    assert again.returncode == 2
    assert again.stderr.strip().splitlines() == [again.stderr.strip()]
    assert "ledger.db: the ledger is damaged (" in again.stderr


def test_a_killed_session_leaves_the_file_to_be_checked_again(folder: Path, state: Path) -> None:
    """A paper run held inside a day's transaction (after earlier days committed), then SIGKILLed:
    its connection never closed, so nothing vouches for the file it left."""
    assert tradesim("replay", "kill.toml", "--end", AS_OF, "--db", "gate-clean.db", cwd=folder).returncode == 0
    assert guard.known_sound(folder / "gate-clean.db")
    db = folder / "gate-killed.db"
    proc = subprocess.Popen([TRADESIM, "paper", "run", "kill.toml", "--as-of", AS_OF, "--db", db.name], cwd=folder,
                            env={**os.environ, PAUSE_ENV: "2022-06-01"}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while (not started_writing(db) or (last_day(db, 1) or "") < "2022-05-31") and proc.poll() is None:
            assert time.monotonic() < deadline, "the paper run never reached its pause"
            time.sleep(0.05)
    finally:
        proc.kill()
        proc.wait(timeout=60)
    assert last_day(db, 1) == "2022-05-31"  # killed inside 2022-06-01
    assert not guard.known_sound(db)


def test_a_ledger_in_use_is_remembered_however_old_its_last_full_check(tmp_path: Path, state: Path) -> None:
    """The least recently used records are forgotten, not the least recently checked: a ledger
    used every day keeps its last full check's date for a week, and was the first forgotten."""
    import sqlite3

    def ledger(name: str) -> Path:
        path = tmp_path / name
        sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()
        return path

    others = [ledger(f"other-{k}.db") for k in range(guard._KEPT)]
    for other in others:
        guard.remember_sound(other, checked=time.time())
    cache = ledger("cache.db")
    guard.remember_sound(cache, checked=time.time() - 3 * 24 * 3600)  # a session on it just closed
    assert guard.known_sound(cache)  # one more than is kept: the least recently used went
    assert not guard.known_sound(others[0]) and all(guard.known_sound(other) for other in others[1:])
