"""The rules that keep a replay right: no look-ahead, determinism, all-or-nothing days."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select, text

from db.models import Diagnostic, Equity, Fill, Order, PositionRow, ProcessedDay
from db.session import open_engine
from tradesim.config import load_config
from tradesim.engine import Engine
from tradesim.market import Market
from tradesim.replay import load_market, replay

CONFIG = dict(start="1991-01-01", end="1991-12-31")


def decisions(engine: Engine, days: int) -> list[tuple[np.ndarray, np.ndarray]]:
    book = engine.opening_book()
    out = []
    for t in range(days):
        book, day = engine.step(book, t)
        out.append((day.orders.instrument.copy(), day.orders.quantity.copy()))
    return out


def perturbed_after(market: Market, t: int, seed: int) -> Market:
    """The same market with every price after day t replaced by noise."""
    rng = np.random.default_rng(seed)
    close = market.close.copy()
    close[t + 1:] *= np.exp(rng.normal(0, 0.2, size=close[t + 1:].shape))
    return Market(market.dates, market.symbols, close, market.has_price, market.open, close, market.fx,
                  market.multiplier, market.is_future, market.asset_class, market.currency)


@pytest.mark.parametrize("cutoff", [40, 120, 300])
def test_orders_decided_at_t_ignore_prices_after_t(cutoff: int) -> None:
    cfg = load_config(end="1991-12-31")
    market = load_market(cfg)
    base = decisions(Engine(cfg, market), cutoff + 1)
    other = decisions(Engine(cfg, perturbed_after(market, cutoff, seed=cutoff)), cutoff + 1)
    assert any(len(idx) for idx, _ in base), "the window must contain trades for the test to mean anything"
    for (i1, q1), (i2, q2) in zip(base, other):
        np.testing.assert_array_equal(i1, i2)
        np.testing.assert_array_equal(q1, q2)


def test_a_later_price_does_change_later_orders() -> None:
    """Guards the test above: perturbing prices up to t must change decisions."""
    cfg = load_config(end="1991-12-31")
    market = load_market(cfg)
    base = decisions(Engine(cfg, market), 200)
    other = decisions(Engine(cfg, perturbed_after(market, 100, seed=1)), 200)
    assert any(not np.array_equal(a[1], b[1]) for a, b in zip(base[101:], other[101:]))


LEDGER_TABLES = {
    "orders": (Order, ["day", "instrument_id", "quantity", "side", "target", "optimal", "reason", "status"]),
    "fills": (Fill, ["day", "decided_on", "instrument_id", "quantity", "price", "contract_price", "commission",
                     "slippage", "fx", "cost_base", "notional_base"]),
    "positions": (PositionRow, ["day", "instrument_id", "quantity", "price", "notional_base"]),
    "equity": (Equity, ["day", "nav", "cash", "costs", "roll_costs", "gross_pnl", "net_pnl", "gross_exposure",
                        "traded_notional"]),
    "diagnostics": (Diagnostic, ["day", "tracking_error", "adjustment_factor", "path", "passes", "reason",
                                 "rebalanced"]),
    "processed_days": (ProcessedDay, ["day"]),
}


def ledger_rows(conn, run_id: int) -> dict[str, list[tuple]]:
    out = {}
    for name, (model, cols) in LEDGER_TABLES.items():
        query = select(*[getattr(model, c) for c in cols]).where(model.run_id == run_id)
        out[name] = sorted(tuple(r) for r in conn.execute(query).all())
    return out


def test_same_replay_twice_gives_identical_ledger_rows(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    cfg = load_config(**CONFIG)
    first, second = replay(cfg, url), replay(cfg, url)
    with open_engine(url).connect() as conn:
        a, b = ledger_rows(conn, first.run_id), ledger_rows(conn, second.run_id)
    assert first.run_id != second.run_id
    assert sum(len(v) for v in a.values()) > 1000
    assert a == b


def dump(url: str) -> dict[str, list[tuple]]:
    """Every row of every ledger table, all columns but wall-clock times and timings."""
    with open_engine(url).connect() as conn:
        return ledger_rows(conn, run_id=1) | {
            "order_ids": sorted(conn.execute(text("SELECT id, day, instrument_id FROM orders")).all()),
            "fill_ids": sorted(conn.execute(text("SELECT id, day, instrument_id FROM fills")).all()),
        }


class Boom(RuntimeError):
    pass


@pytest.mark.parametrize("commit_every", [1, 64])
def test_a_failed_day_leaves_the_database_as_it_was_before_that_day(tmp_path, commit_every: int) -> None:
    cfg = load_config(**CONFIG)
    failing_day = 150

    def fail_on(day) -> None:  # noqa: ANN001
        if day.t == failing_day_index:
            raise Boom("injected failure inside the day's transaction")

    market = load_market(cfg)
    first = int(market.dates.searchsorted(np.datetime64("1991-01-01")))
    failing_day_index = first + failing_day

    failed_url = f"sqlite:///{tmp_path / 'failed.db'}"
    with pytest.raises(Boom):
        replay(cfg, failed_url, market=market, fail_on=fail_on, commit_every=commit_every)

    # The same replay stopped cleanly the day before.
    last_good = market.dates[failing_day_index - 1].date()
    clean_url = f"sqlite:///{tmp_path / 'clean.db'}"
    replay(load_config(start="1991-01-01", end=str(last_good)), clean_url)

    failed, clean = dump(failed_url), dump(clean_url)
    assert len(failed["processed_days"]) == failing_day
    assert failed == clean
    with open_engine(failed_url).connect() as conn:
        status, error = conn.execute(text("SELECT status, error FROM runs")).one()
    assert status == "failed" and "injected failure" in error
