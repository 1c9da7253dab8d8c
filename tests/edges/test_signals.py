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


def test_a_signal_during_a_commit_is_raised_when_the_commit_is_done() -> None:
    """``interrupts_deferred``: what a replay wraps its commits in (a SIGINT inside SQLAlchemy's commit
    left the transaction half-closed, and the run was never marked interrupted)."""
    import os

    from tradesim.errors import Interrupted, interrupt, interrupts_deferred

    def handler(signum, _frame) -> None:  # noqa: ANN001 (the CLI's)
        interrupt(signal.Signals(signum).name, 128 + signum)

    done = []
    previous = signal.signal(signal.SIGINT, handler)
    try:
        with pytest.raises(Interrupted, match="SIGINT"):
            with interrupts_deferred():
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.05)  # the signal is pending, not raised
                done.append("the commit")
            done.append("after the block")  # never: raised as the block ends
        assert done == ["the commit"]
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.mark.parametrize("nth_day", [1, 40])
def test_a_signal_during_a_paper_days_commit_marks_the_run_and_the_next_run_resumes(
        tmp_path: Path, nth_day: int) -> None:
    """A paper run commits each session on its own. A SIGINT landing inside that commit used to
    leave the transaction half-closed with SQLite's write lock held: the run stayed "running" and
    the command died on "database is locked". Now the commit completes, the run is marked
    interrupted at that day, and the next run carries on from the day after, each day once."""
    import os
    from datetime import date

    from sqlalchemy import Engine, event

    from tests.edges.conftest import write_portfolio
    from tradesim.calendar import sessions
    from tradesim.config import load_config
    from tradesim.errors import Interrupted, interrupt
    from tradesim.paper import paper_run

    write_portfolio(tmp_path)
    config = load_config(tmp_path / "kill.toml")
    url = f"sqlite:///{tmp_path / 'paper.db'}"
    claims, days_committed = [], []

    def claimed(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001, ANN002
        if statement.startswith("INSERT INTO processed_days"):
            claims.append(1)

    def signal_inside_the_commit(_conn) -> None:  # noqa: ANN001 (SQLAlchemy's commit event, before the DBAPI commit)
        if claims:  # a session's transaction
            claims.clear()
            days_committed.append(1)
            if len(days_committed) == nth_day:
                os.kill(os.getpid(), signal.SIGINT)

    previous = signal.signal(signal.SIGINT, lambda signum, _frame: interrupt("SIGINT", 130))  # the CLI's
    event.listen(Engine, "after_cursor_execute", claimed)
    event.listen(Engine, "commit", signal_inside_the_commit)
    try:
        with pytest.raises(Interrupted, match="SIGINT") as raised:
            paper_run(config, url, as_of=date.fromisoformat(AS_OF))
    finally:
        event.remove(Engine, "commit", signal_inside_the_commit)
        event.remove(Engine, "after_cursor_execute", claimed)
        signal.signal(signal.SIGINT, previous)
    run_id, status, error, last = run_row(tmp_path / "paper.db")
    assert last == sessions("XNYS", "2022-01-03", AS_OF)[nth_day - 1].date().isoformat()  # that commit went through
    assert (status, error) == ("interrupted", f"SIGINT; last committed day {last}")
    assert raised.value.note == f"run {run_id} marked interrupted, last committed day {last}"

    result = paper_run(config, url, as_of=date.fromisoformat(AS_OF))
    assert result.dates[0] > date.fromisoformat(last)
    conn = sqlite3.connect(tmp_path / "paper.db")
    try:
        days = [d for (d,) in conn.execute("SELECT day FROM processed_days ORDER BY day")]
        runs = conn.execute("SELECT count(*) FROM runs").fetchone()[0]
    finally:
        conn.close()
    expected = [d.date().isoformat() for d in sessions("XNYS", days[0], AS_OF)]
    assert days == expected and runs == 1  # every session once, in the one paper run
