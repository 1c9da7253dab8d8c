"""Paper trading: each session exactly once, whatever happens, and the same as a replay."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from db.models import Order, Run
from db.session import open_engine
from tradesim.cli import main
from tradesim.config import load_config
from tradesim.paper import PAUSE_ENV, paper_run
from tradesim.replay import replay

CONFIG = """
name = "paper-fixture"
capital = 100000
start = "2022-09-01"
[data]
source = "bundled"
[strategy]
name = "buy_and_hold_risk_parity"
[optimiser]
method = "dynamic"
start = "rounded"
[[instruments]]
symbol = "AAPL"
[[instruments]]
symbol = "KO"
[[instruments]]
symbol = "XOM"
[[instruments]]
symbol = "JPM"
"""
END = date(2022, 10, 31)
TABLES = {
    "orders": "day, instrument_id, quantity, side, target, optimal, reason, status",
    "fills": "day, decided_on, instrument_id, quantity, price, contract_price, commission, slippage, fx, cost_base",
    "positions": "day, instrument_id, quantity, price, notional_base",
    "equity": "day, nav, cash, costs, gross_pnl, net_pnl, gross_exposure, traded_notional",
    "diagnostics": "day, tracking_error, adjustment_factor, path, passes, reason, rebalanced",
    "processed_days": "day",
}


@pytest.fixture()
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "paper.toml"
    path.write_text(CONFIG)
    return path


def ledger(url: str, run_id: int | None = None) -> dict[str, list[tuple]]:
    """Every ledger row of one run (the only run if None), without ids and wall-clock times."""
    with open_engine(url).connect() as conn:
        if run_id is None:
            run_id = conn.execute(select(func.max(Run.id))).scalar()
        return {t: sorted(tuple(r) for r in conn.execute(text(f"SELECT {cols} FROM {t} WHERE run_id = :r"), {"r": run_id}))
                for t, cols in TABLES.items()}


def row_counts(url: str) -> dict[str, int]:
    with open_engine(url).connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in [*TABLES, "runs"]}


def test_second_run_for_the_same_date_writes_nothing(config_path: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "ledger.db")
    assert main(["paper", "run", str(config_path), "--as-of", "2022-09-15", "--db", db]) == 0
    before = row_counts(f"sqlite:///{db}")
    assert before["processed_days"] == 10 and before["orders"] > 0
    capsys.readouterr()
    assert main(["paper", "run", str(config_path), "--as-of", "2022-09-15", "--db", db]) == 0
    assert "nothing to do" in capsys.readouterr().out
    assert row_counts(f"sqlite:///{db}") == before


def test_paper_run_in_pieces_equals_one_replay(config_path: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'paper.db'}"
    config = load_config(config_path)
    for as_of in (date(2022, 9, 1), date(2022, 9, 9), date(2022, 9, 30), END):
        paper_run(config, url, as_of)
    replay_url = f"sqlite:///{tmp_path / 'replay.db'}"
    replay(load_config(config_path, end=END), replay_url)
    paper, replayed = ledger(url), ledger(replay_url)
    assert len(paper["processed_days"]) == 42
    assert sum(1 for o in paper["orders"]) > 10
    assert paper == replayed


def clean_ledger(config_path: Path, tmp_path: Path) -> dict[str, list[tuple]]:
    url = f"sqlite:///{tmp_path / 'clean.db'}"
    paper_run(load_config(config_path), url, END)
    return ledger(url)


def paper_process(config_path: Path, db: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", "import sys; from tradesim.cli import main; sys.exit(main(sys.argv[1:]))",
         "paper", "run", str(config_path), "--as-of", str(END), "--db", db],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200", **env})


def test_two_runs_started_together_process_each_day_once(config_path: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "ledger.db")
    procs = [paper_process(config_path, db) for _ in range(2)]
    outputs = [p.communicate(timeout=240) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes[0] == 0, outputs
    loser = [o for p, o in zip(procs, outputs) if p.returncode != 0 or "nothing to do" in o[0]]
    # The other one either found everything done or stopped on the day it lost, saying so.
    if codes[1] != 0:
        assert codes[1] == 2 and "was processed by another run" in loser[0][1]
    assert row_counts(f"sqlite:///{db}")["runs"] == 1
    assert ledger(f"sqlite:///{db}") == clean_ledger(config_path, tmp_path)


def test_a_process_killed_mid_day_leaves_no_trace_and_the_next_run_completes(config_path: Path,
                                                                              tmp_path: Path) -> None:
    db = str(tmp_path / "ledger.db")
    url = f"sqlite:///{db}"
    killed_day = date(2022, 9, 20)
    proc = paper_process(config_path, db, **{PAUSE_ENV: str(killed_day)})
    deadline = time.monotonic() + 120
    seen = []
    for line in proc.stdout:  # days print only after they commit
        seen.append(line)
        if line.startswith("2022-09-19"):
            break
        assert time.monotonic() < deadline, seen
    time.sleep(1.0)  # now inside 2022-09-20's transaction, paused with rows written
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    with open_engine(url).connect() as conn:
        last = conn.execute(text("SELECT max(day) FROM processed_days")).scalar()
        traces = {t: conn.execute(text(f"SELECT count(*) FROM {t} WHERE day >= :d"), {"d": killed_day}).scalar()
                  for t in TABLES}
    assert str(last) == "2022-09-19"
    assert traces == dict.fromkeys(TABLES, 0)
    paper_run(load_config(config_path), url, END)
    assert ledger(url) == clean_ledger(config_path, tmp_path)


def test_pending_orders_survive_between_runs(config_path: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    config = load_config(config_path)
    paper_run(config, url, date(2022, 9, 1))
    with open_engine(url).connect() as conn:
        pending = conn.execute(select(func.count()).select_from(Order).where(Order.status == "pending")).scalar()
    assert pending == 4  # the first day's orders wait for the next session's price
    paper_run(config, url, date(2022, 9, 2))
    with open_engine(url).connect() as conn:
        statuses = dict(conn.execute(text("SELECT day, group_concat(DISTINCT status) FROM orders GROUP BY day")).all())
        decided = conn.execute(text("SELECT DISTINCT decided_on FROM fills")).scalars().all()
    assert statuses["2022-09-01"] == "filled"
    assert decided == ["2022-09-01"]
