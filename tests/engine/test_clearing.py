"""The compiled clearing (tradesim.clearing) against the engine's numpy path, bit for bit.

Random markets mix futures and stocks in several currencies, with NaN closes before an
instrument's first price, missing opens, days without a price (orders cancelled, held
positions valued at the last close), rolls of the held contract and deflated costs; random
books hold and order whole, fractional, negative and NaN quantities. Every array and every
sum must be the same bits as numpy's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import tradesim.engine as engine_module
from tradesim.accounting import holdings_value, notional_exposure, variation_margin
from tradesim.clearing import _maximum, _numpy_sum, clear_day, takes
from tradesim.config import parse_config
from tradesim.costs import CostTable
from tradesim.engine import Engine
from tradesim.estimates import WeeklyCorrelation
from tradesim.market import Market


def bits(x) -> bytes:  # noqa: ANN001
    """The exact bits, signed zeros included; every NaN as one NaN: where two NaNs of opposite sign
    meet (NaN quantities, which no run orders but these books do), which one a sum keeps is the
    compiler's choice of operand order, and a NaN is NaN either way."""
    a = np.asarray(x, dtype=float)
    return np.where(np.isnan(a), np.nan, a).tobytes()


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 15, 16, 17, 123, 127, 128, 129, 130, 255, 256, 257, 1000, 4099])
def test_sums_are_numpys_pairwise_sums(n: int) -> None:
    rng = np.random.default_rng(n)
    for trial in range(40):
        a = rng.standard_normal(n) * 10.0 ** rng.integers(-8, 12, n)
        if trial % 4 == 1:
            a[rng.random(n) < 0.6] = 0.0
        if trial % 4 == 2:
            a[:] = -0.0  # numpy's reduction starts from +0.0: the sum of signed zeros is +0.0
        if trial % 4 == 3 and n:
            a[rng.integers(0, n)] = [np.inf, -np.inf, np.nan][trial % 3]
        assert bits(_numpy_sum(a)) == bits(a.sum())
        assert bits(_numpy_sum(a[::2].copy())) == bits(a[::2].sum())


def test_maximum_is_numpys() -> None:
    values = [np.nan, -np.inf, -1.5, 0.0, 2.0, np.inf]
    for a in values:
        for b in values:
            assert bits(_maximum(a, b)) == bits(np.maximum(a, b))


def random_market(rng: np.random.Generator, n_days: int, n: int) -> Market:
    dates = pd.bdate_range("2020-01-01", periods=n_days)
    is_future = rng.random(n) < 0.6
    close = 100.0 * np.exp(np.cumsum(rng.standard_normal((n_days, n)) * 0.02, axis=0))
    close[:, is_future] -= 120.0  # back-adjusted futures go negative
    for j in range(n):  # some instruments start late: NaN before their first price
        close[: rng.integers(0, n_days // 3) if rng.random() < 0.3 else 0, j] = np.nan
    has_price = ~np.isnan(close) & (rng.random((n_days, n)) > 0.1)
    opens = np.where(rng.random((n_days, n)) < 0.5, close * (1 + rng.standard_normal((n_days, n)) * 0.01), np.nan)
    contract_price = np.where(is_future, close + 130.0 + rng.random((n_days, n)), close)
    fx = np.where(rng.random(n) < 0.5, 1.0, 1.0 + 0.2 * rng.random((n_days, n)))
    contract = np.where(is_future, 202001.0 + np.cumsum(rng.random((n_days, n)) < 0.05, axis=0), np.nan)
    multiplier = np.where(is_future, rng.choice([10.0, 50.0, 100.0, 0.1], n), 1.0)
    symbols = tuple(f"I{j}" for j in range(n))
    return Market(dates, symbols, close, has_price, opens, contract_price, fx, multiplier, is_future,
                  ("Equity",) * n, ("USD",) * n, contract=contract)


def bare_engine(market: Market, rng: np.random.Generator, deflate: bool) -> Engine:
    """The engine's day-by-day tables for ``market`` (no strategy: only the clearing is compared)."""
    n = market.n_instruments
    config = parse_config({"name": "clearing", "capital": 1e6, "strategy": {"name": "risk_parity"},
                           "instruments": [{"symbol": s} for s in market.symbols],
                           "costs": {"deflate_by_volatility": deflate}})
    engine = Engine.__new__(Engine)
    engine.config, engine.market = config, market
    engine.vol = np.zeros(market.close.shape)
    engine.correlation = WeeklyCorrelation(market.dates, engine.vol, 25)
    engine.costs = CostTable(rng.choice([0.0, 2.5], n), rng.choice([0.0, 1e-4], n), rng.choice([0.0, 5.0], n),
                             rng.random(n) * 0.05, rng.choice([0.0, 3.0], n), rng.choice([0.0, 1.0], n))
    engine._precompute()
    return engine


def numpy_clearing(engine: Engine, t: int, pending: np.ndarray, held: np.ndarray, at_close: bool):  # noqa: ANN201
    m = engine.market
    fills = engine._fill(pending, t, at_close=at_close)
    positions = held.copy()
    positions[fills.instrument] += fills.quantity
    margin = variation_margin(held, m.close[t - 1], m.close[t], m.multiplier, m.fx[t], m.is_future) if t else 0.0
    flow_after_costs = engine._settle(fills, t)
    return (fills, positions, notional_exposure(positions, m.contract_price[t], m.multiplier, m.fx[t]), margin,
            flow_after_costs, engine._roll_costs(held, t), holdings_value(positions, m.close[t], m.multiplier,
                                                                         m.fx[t], m.is_future),
            int(np.count_nonzero(~m.has_price[t] & (held != 0))))


def random_book(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    def quantities() -> np.ndarray:
        q = np.where(rng.random(n) < 0.5, rng.integers(-20, 21, n).astype(float), 0.0)
        q[rng.random(n) < 0.05] = rng.standard_normal() * 3.7  # fractional (method "none")
        q[rng.random(n) < 0.02] = np.nan
        return q

    return quantities(), quantities()


@pytest.mark.parametrize("seed", range(6))
def test_clearing_is_the_numpy_paths_bit_for_bit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    market = random_market(rng, 60, [3, 17, 123, 140][seed % 4])
    engine = bare_engine(market, rng, deflate=seed % 2 == 0)
    tables = engine.clearing_tables()
    assert takes(tables)
    for t in range(market.n_days):
        pending, held = random_book(rng, market.n_instruments)
        at_close = bool(rng.random() < 0.3)
        pending_before, held_before = pending.copy(), held.copy()
        (idx, cancelled, table, positions, exposure, margin, flow, fill_costs, roll_costs, value,
         stale) = clear_day(t, pending, held, at_close, *tables)
        assert bits(pending) == bits(pending_before) and bits(held) == bits(held_before)  # inputs untouched
        fills, positions_np, exposure_np, margin_np, settled_np, roll_np, value_np, stale_np = \
            numpy_clearing(engine, t, pending, held, at_close)
        assert idx.tolist() == fills.instrument.tolist() and cancelled.tolist() == fills.cancelled.tolist()
        for row, column in enumerate((fills.quantity, fills.price, fills.notional_price, fills.commission,
                                      fills.slippage, fills.fx, fills.notional_base, fills.cost_base)):
            assert bits(table[row]) == bits(column), (t, row)
        assert bits(positions) == bits(positions_np) and bits(exposure) == bits(exposure_np)
        assert bits(flow - fill_costs) == bits(settled_np) and bits(fill_costs) == bits(fills.cost_base.sum())
        if t and engine.has_futures:
            assert bits(margin) == bits(margin_np)
        assert bits(roll_costs) == bits(roll_np) and bits(value) == bits(value_np) and stale == stale_np


def test_a_tradeless_day_clears_nothing() -> None:
    rng = np.random.default_rng(7)
    market = random_market(rng, 5, 4)
    engine = bare_engine(market, rng, deflate=False)
    idx, cancelled, table, positions, *_ = clear_day(2, np.zeros(4), np.zeros(4), False, *engine.clearing_tables())
    assert len(idx) == len(cancelled) == 0 and table.shape == (8, 0) and not positions.any()


def test_other_dtypes_keep_the_numpy_path() -> None:
    rng = np.random.default_rng(8)
    market = random_market(rng, 5, 4)
    engine = bare_engine(market, rng, deflate=False)
    tables = list(engine.clearing_tables())
    tables[5] = tables[5].astype(np.float32)  # the multiplier
    assert not takes(tuple(tables))


def test_the_hand_computed_futures_days_are_the_same_either_way(monkeypatch: pytest.MonkeyPatch) -> None:
    """tests/futures/test_futures_accounting.py's days, stepped with the compiled clearing and without."""
    from tests.futures import test_futures_accounting as hand
    from tradesim.market import build_market

    monkeypatch.setattr(engine_module, "make_strategy", lambda name, params: hand.Scripted())
    cfg = hand.config()
    runs = []
    for compiled in (False, True):
        engine = Engine(cfg, build_market(cfg, hand.bars()))
        assert engine._clear_day is None  # method "round" loads no numba: numpy's path by default
        if compiled:
            engine._clear_day, engine._clearing_tables = clear_day, engine.clearing_tables()
        book, days = engine.opening_book(), []
        for t in range(len(hand.DATES)):
            book, day = engine.step(book, t)
            days.append(day)
        runs.append(days)
    for plain, compiled in zip(*runs, strict=True):
        for name in ("nav", "cash", "costs", "roll_costs", "gross_pnl", "net_pnl", "price_pnl"):
            assert bits(getattr(plain, name)) == bits(getattr(compiled, name)), name
        for name in ("positions", "exposure"):
            assert bits(getattr(plain, name)) == bits(getattr(compiled, name)), name
        for name in ("instrument", "quantity", "price", "notional_price", "commission", "slippage", "fx",
                     "notional_base", "cost_base", "cancelled"):
            assert bits(getattr(plain.fills, name)) == bits(getattr(compiled.fills, name)), name
    assert [d.nav for d in runs[1]] == pytest.approx([100_000, 100_000, 100_000, 99_855.28, 100_022.68,
                                                      100_148.12, 100_091.42], abs=0.005)


def test_jumbo_like_runs_clear_compiled_and_split_markets_do_not() -> None:
    rng = np.random.default_rng(9)
    market = random_market(rng, 5, 4)
    assert bare_engine(market, rng, deflate=False)._clear_day is clear_day  # dynamic, numba: compiled
    import dataclasses

    split = dataclasses.replace(market, split=np.ones(market.close.shape), dividend=np.zeros(market.close.shape))
    assert bare_engine(split, rng, deflate=False)._clear_day is None
