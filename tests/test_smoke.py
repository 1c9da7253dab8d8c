"""The default config loads and a short replay writes a consistent ledger."""

from __future__ import annotations

import socket

import pytest
from sqlalchemy import func, select

from db.models import Equity, Fill, Order, ProcessedDay
from db.session import open_engine
from tradesim.config import load_config
from tradesim.replay import replay


def test_network_is_blocked() -> None:
    with pytest.raises(RuntimeError, match="network"):
        socket.create_connection(("example.com", 80), timeout=1)


def test_default_config_is_the_bundled_stocks() -> None:
    cfg = load_config()
    assert len(cfg.symbols) == 20
    assert cfg.strategy.name == "buy_and_hold_risk_parity"


def test_short_replay_writes_one_row_per_day(tmp_path) -> None:
    cfg = load_config(end="1990-12-31")
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    result = replay(cfg, url)
    engine = open_engine(url)
    with engine.connect() as conn:
        days = conn.execute(select(func.count()).select_from(ProcessedDay)).scalar()
        equity = conn.execute(select(func.count()).select_from(Equity)).scalar()
        fills = conn.execute(select(func.count()).select_from(Fill)).scalar()
        pending = conn.execute(select(func.count()).select_from(Order).where(Order.status == "pending")).scalar()
    assert days == equity == len(result.nav) == 253
    assert fills == result.summary.trades > 0
    # Only the last day's orders are still waiting for a next bar.
    assert pending <= 20
