"""Two real processes on one ledger: different portfolios do not interfere; one portfolio's days are written once."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from db import ledger, migrations, queries
from db.session import open_engine
from tradesim.config import load_config
from tradesim.replay import replay

HERE = Path(__file__).parent
CONFIG = HERE / "data" / "mixed.toml"
WORKER = HERE / "ledger_worker.py"


def race(tmp_path: Path, url: str, mode: str, args: list[str]) -> list[dict]:
    """Start one worker per arg, open the gate once all are ready, and collect their summaries."""
    gate = tmp_path / "gate"
    root = HERE.parent.parent
    env = {**__import__("os").environ, "PYTHONPATH": str(root)}
    procs = [subprocess.Popen([sys.executable, str(WORKER), mode, url, str(CONFIG), arg, str(gate)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=root)
             for arg in args]
    deadline = time.monotonic() + 600  # start-up (imports) can take minutes on a heavily loaded machine
    while len(list(tmp_path.glob("gate.ready-*"))) < len(procs):
        if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
            for p in procs:
                p.kill()
            pytest.fail("workers did not get ready: " + " | ".join(p.communicate()[1][-2000:] for p in procs))
        time.sleep(0.01)
    gate.touch()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def equity_rows(url: str, run_id: int) -> list[tuple]:
    return list(queries.equity(url, run=run_id)[["day", "nav", "cash", "costs", "gross_pnl"]]
                .itertuples(index=False, name=None))


@pytest.fixture
def shared_url(pg_databases) -> str:  # noqa: ANN001
    """PostgreSQL: the shared ledger several machines or processes write to."""
    return pg_databases.new()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shared.db'}"
    return request.getfixturevalue("pg_databases").new()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_processes_opening_a_new_ledger_at_once_create_it_once(backend: str, tmp_path: Path,
                                                             request: pytest.FixtureRequest) -> None:
    url = (f"sqlite:///{tmp_path / 'new.db'}" if backend == "sqlite"
           else request.getfixturevalue("pg_databases").new())
    results = race(tmp_path, url, "open", ["a", "b"])
    assert results == [{"revision": migrations.head()}] * 2


def test_two_portfolios_in_two_processes_do_not_interfere(any_url: str, tmp_path: Path) -> None:
    # Both processes find a brand-new database: they create the schema, the shared instruments
    # and their own portfolio and run at the same moment (on SQLite: read, then write, while the
    # other process commits; the transactions take the write lock at BEGIN).
    shared_url = any_url
    results = race(tmp_path, shared_url, "replay", ["alpha", "beta"])
    runs = queries.runs(shared_url)
    assert sorted(runs["portfolio"]) == ["alpha", "beta"] and (runs["days"] == 90).all()
    alone = f"sqlite:///{tmp_path / 'alone.db'}"
    replay(load_config(CONFIG), alone)
    expected = equity_rows(alone, 1)
    for r in results:
        assert equity_rows(shared_url, r["run_id"]) == expected
    assert results[0]["end_nav"] == results[1]["end_nav"]


def test_two_processes_on_one_portfolio_write_each_day_once(shared_url: str, tmp_path: Path) -> None:
    config = load_config(CONFIG)
    engine = open_engine(shared_url)
    with engine.begin() as conn:
        pid = ledger.ensure_portfolio(conn, config)
        ledger.ensure_instruments(conn, config)
        run_id = ledger.start_run(conn, pid, config, "paper", None, None, None)
    engine.dispose()

    results = race(tmp_path, shared_url, "days", [str(run_id), str(run_id)])
    assert sum(r["written"] for r in results) == 90  # every day once...
    assert sum(r["skipped"] for r in results) == 90  # ...and refused to the other process

    alone = f"sqlite:///{tmp_path / 'alone.db'}"
    replay(config, alone)
    assert equity_rows(shared_url, run_id) == equity_rows(alone, 1)
    engine = open_engine(shared_url)
    with engine.connect() as conn:
        counts = [conn.execute(text(f"SELECT COUNT(*) FROM {t} WHERE run_id = :r"), {"r": run_id}).scalar()
                  for t in ("processed_days", "equity", "fills")]
    engine.dispose()
    assert counts == [90, 90, len(queries.fills(alone))]
