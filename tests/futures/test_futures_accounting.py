"""Futures accounting to the cent on a hand-computed, SYNTHETIC two-instrument market.

Capital 100,000 USD. Orders fill at the next bar: its open where the data has one, else
its close. Positions are scripted (see ``Scripted``), so every number below is worked by hand.

SYN_BUND: EUR, 100 EUR a point; commission 2 EUR a contract; half spread 0.01 points.
SYN_CRUDE: USD, 10 USD a point, back-adjusted prices NEGATIVE; commission
max(1.5 a contract, 0.01% of notional, 5 a ticket); half spread 0.02 points; its held
contract rolls from 20240200 to 20240300 on day 4 (2024-01-08).

day  date   BUND adj  open    held   EURUSD   CRUDE adj  held   contract
 0   01-02  130.00     -     131.00  1.10     -5.00     70.00  20240200
 1   01-03  130.50     -     131.50  1.10     -4.50     70.50  20240200
 2   01-04  131.00     -     132.00  1.12     -4.00     71.00  20240200
 3   01-05  130.20   130.60  131.20  1.08     -4.80     70.20  20240200
 4   01-08  130.80     -     131.80  1.09     -3.90     72.00  20240300  (roll)
 5   01-09  131.50   131.00  132.50  1.11     -4.40     71.50  20240300
 6   01-10  131.10     -     132.10  1.10     -4.20     71.70  20240300

Targets decided at the close: day 2 BUND +3, CRUDE -2; day 4 BUND +1; day 5 both flat.

Day 3: buy 3 BUND at the open 130.60. Fee notional = held price moved like the open:
       131.20 + (130.60 - 130.20) = 131.60. Commission 3 x 2 = 6 EUR, slippage 3 x 100 x 0.01 = 3 EUR;
       9 EUR x 1.08 = 9.72 USD. Fill-to-close 3 x (130.20 - 130.60) x 100 x 1.08 = -129.60.
       sell 2 CRUDE at the close -4.80 (no open); fee notional 70.20: commission
       max(3, 0.0001 x 2 x 70.20 x 10 = 0.1404, 5) = 5, slippage 2 x 10 x 0.02 = 0.40: 5.40 USD.
       cash = 100,000 - 129.60 - 9.72 - 5.40 = 99,855.28 = NAV (futures hold no value beyond cash).
Day 4: variation BUND 3 x (130.80 - 130.20) x 100 x 1.09 = 196.20, CRUDE -2 x (-3.90 + 4.80) x 10 = -18.00.
       Roll of -2 CRUDE: two legs, each max(3, 0.0001 x 2 x 72.00 x 10, 5) + 0.40 = 5.40: 10.80.
       cash = 99,855.28 + 196.20 - 18.00 - 10.80 = 100,022.68.
Day 5: variation BUND 3 x 0.70 x 100 x 1.11 = 233.10, CRUDE -2 x (-4.40 + 3.90) x 10 = +10.00.
       sell 2 BUND at the open 131.00: fee notional 132.50 + (131.00 - 131.50) = 132.00; commission 4 EUR,
       slippage 2 EUR: 6 x 1.11 = 6.66 USD; fill-to-close -2 x (131.50 - 131.00) x 100 x 1.11 = -111.00.
       cash = 100,022.68 + 233.10 + 10.00 - 111.00 - 6.66 = 100,148.12.
Day 6: variation BUND 1 x (131.10 - 131.50) x 100 x 1.10 = -44.00, CRUDE -2 x (-4.20 + 4.40) x 10 = -4.00.
       sell 1 BUND at the close 131.10: 2 + 1 = 3 EUR x 1.10 = 3.30; buy 2 CRUDE at -4.20: 5.40.
       cash = 100,148.12 - 44.00 - 4.00 - 3.30 - 5.40 = 100,091.42.
P&L 132.70 - costs 41.28 = 91.42 = change in NAV.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

import tradesim.engine as engine_module
from db.models import Equity, Fill, Instrument
from db.session import open_engine
from strategies.base import StrategyContext
from tradesim.config import parse_config
from tradesim.data.source import PriceBars
from tradesim.engine import Engine
from tradesim.market import build_market
from tradesim.replay import replay

CENT = 0.005
DATES = pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-08", "2024-01-09",
                        "2024-01-10"])
SYMBOLS = ["SYN_BUND", "SYN_CRUDE"]
TARGETS = {2: (3, -2), 3: (3, -2), 4: (1, -2), 5: (0, 0), 6: (0, 0)}


def frame(bund, crude) -> pd.DataFrame:
    return pd.DataFrame({"SYN_BUND": bund, "SYN_CRUDE": crude}, index=DATES)


def bars() -> PriceBars:
    nan = np.nan
    return PriceBars(
        close=frame([130.00, 130.50, 131.00, 130.20, 130.80, 131.50, 131.10],
                    [-5.00, -4.50, -4.00, -4.80, -3.90, -4.40, -4.20]),
        open=frame([nan, nan, nan, 130.60, nan, 131.00, nan], [nan] * 7),
        contract_price=frame([131.00, 131.50, 132.00, 131.20, 131.80, 132.50, 132.10],
                             [70.00, 70.50, 71.00, 70.20, 72.00, 71.50, 71.70]),
        contract=frame([20240300] * 7, [20240200] * 4 + [20240300] * 3),
        fx=pd.DataFrame({"EURUSD": [1.10, 1.10, 1.12, 1.08, 1.09, 1.11, 1.10]}, index=DATES),
    )


def config():
    return parse_config({
        "name": "futures-accounting", "capital": 100_000, "base_currency": "USD",
        "strategy": {"name": "fixed_weights", "params": {"weights": {"SYN_BUND": 0.0}}},
        "optimiser": {"method": "round"},
        # Volatility live after two returns, so nothing waits on a long warm-up.
        "estimates": {"vol_span": 2, "long_run_vol_weight": 0.0},
        "instruments": [
            {"symbol": "SYN_BUND", "multiplier": 100, "currency": "EUR", "kind": "future", "asset_class": "Bond",
             "costs": {"commission_per_unit": 2.0, "half_spread": 0.01}},
            {"symbol": "SYN_CRUDE", "multiplier": 10, "currency": "USD", "kind": "future", "asset_class": "OilGas",
             "costs": {"commission_per_unit": 1.5, "commission_pct": 0.0001, "commission_min": 5.0,
                       "half_spread": 0.02}},
        ],
    })


class Scripted:
    """Weights that the engine turns back into exactly TARGETS: w = x x multiplier x price x FX / NAV."""

    def prepare(self, ctx: StrategyContext) -> None:
        self.market = ctx.market

    def target_weights(self, t, account):  # noqa: ANN001, ANN201
        m = self.market
        x = np.array(TARGETS.get(t, (0, 0)), dtype=float)
        return x * m.multiplier * m.contract_price[t] * m.fx[t] / account.nav


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "make_strategy", lambda name, params: Scripted())


@pytest.fixture
def days(scripted):  # noqa: ANN001, ANN201
    cfg = config()
    engine = Engine(cfg, build_market(cfg, bars()))
    book, out = engine.opening_book(), []
    for t in range(len(DATES)):
        book, day = engine.step(book, t)
        out.append(day)
    return out


def test_cash_and_nav_each_day(days) -> None:  # noqa: ANN001
    expected = [100_000, 100_000, 100_000, 99_855.28, 100_022.68, 100_148.12, 100_091.42]
    assert [d.cash for d in days] == pytest.approx(expected, abs=CENT)
    assert [d.nav for d in days] == pytest.approx(expected, abs=CENT)
    assert [list(d.positions) for d in days] == [[0, 0], [0, 0], [0, 0], [3, -2], [3, -2], [1, -2], [0, 0]]


def test_every_fill_and_its_costs(days) -> None:  # noqa: ANN001
    def fills(t):  # noqa: ANN001, ANN202
        f = days[t].fills
        return [(SYMBOLS[i], q, p, n, c, s, cb) for i, q, p, n, c, s, cb in
                zip(f.instrument, f.quantity, f.price, f.notional_price, f.commission, f.slippage, f.cost_base)]

    assert [len(days[t].fills.instrument) for t in (0, 1, 2, 4)] == [0, 0, 0, 0]
    # (instrument, quantity, fill price, fee notional price, commission, slippage [own currency], cost in USD)
    expected = {
        3: [("SYN_BUND", 3, 130.60, 131.60, 6.0, 3.0, 9.72), ("SYN_CRUDE", -2, -4.80, 70.20, 5.0, 0.40, 5.40)],
        5: [("SYN_BUND", -2, 131.00, 132.00, 4.0, 2.0, 6.66)],
        6: [("SYN_BUND", -1, 131.10, 132.10, 2.0, 1.0, 3.30), ("SYN_CRUDE", 2, -4.20, 71.70, 5.0, 0.40, 5.40)],
    }
    for t, rows in expected.items():
        got = fills(t)
        assert [g[:2] for g in got] == [r[:2] for r in rows]
        for g, r in zip(got, rows):
            assert g[2:] == pytest.approx(r[2:], abs=1e-9)


def test_roll_cost_where_the_held_contract_changes(days) -> None:  # noqa: ANN001
    assert [d.roll_costs for d in days] == pytest.approx([0, 0, 0, 0, 10.80, 0, 0], abs=1e-9)
    assert [d.costs for d in days] == pytest.approx([0, 0, 0, 15.12, 10.80, 6.66, 8.70], abs=1e-9)


def test_pnl_minus_costs_reconciles_to_nav(days) -> None:  # noqa: ANN001
    """sum_t [pos_{t-1} x (adj_t - adj_{t-1}) x multiplier x FX_t + fill-to-close] - costs == NAV change."""
    b, mult = bars(), np.array([100.0, 10.0])
    adj, fx = b.close.to_numpy(), np.column_stack([b.fx["EURUSD"].to_numpy(), np.ones(len(DATES))])
    held, pnl, costs = np.zeros(2), 0.0, 0.0
    for t, day in enumerate(days):
        if t:
            pnl += float(np.sum(held * (adj[t] - adj[t - 1]) * mult * fx[t]))
        f = day.fills
        pnl += float(np.sum(f.quantity * (adj[t, f.instrument] - f.price) * mult[f.instrument] * f.fx))
        costs += day.costs
        held = day.positions.copy()
    assert pnl == pytest.approx(132.70, abs=CENT)
    assert costs == pytest.approx(41.28, abs=CENT)
    assert pnl - costs == pytest.approx(days[-1].nav - 100_000, abs=CENT)


def test_sizing_uses_the_held_contract_not_the_back_adjusted_price(days) -> None:  # noqa: ANN001
    """x* = weight x NAV / (multiplier x held price x FX): the unrounded optimum behind each order."""
    orders = days[2].orders
    assert [SYMBOLS[i] for i in orders.instrument] == SYMBOLS
    assert orders.optimal == pytest.approx([3.0, -2.0], abs=1e-9)
    # Exposure is valued at the held contract's price too: 3 x 131.80 x 100 x 1.09 on day 4.
    assert days[4].exposure == pytest.approx([3 * 131.80 * 100 * 1.09, -2 * 72.00 * 10], abs=1e-6)


def test_the_ledger_records_the_same_numbers(scripted, tmp_path) -> None:  # noqa: ANN001
    cfg = config()
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    result = replay(cfg, url, market=build_market(cfg, bars()))
    assert result.nav == pytest.approx([100_000, 100_000, 100_000, 99_855.28, 100_022.68, 100_148.12, 100_091.42],
                                       abs=CENT)
    with open_engine(url).connect() as conn:
        equity = conn.execute(select(Equity.nav, Equity.costs, Equity.roll_costs).order_by(Equity.day)).all()
        fills = conn.execute(select(Instrument.symbol, Fill.quantity, Fill.price, Fill.contract_price, Fill.cost_base)
                             .join(Instrument, Instrument.id == Fill.instrument_id).order_by(Fill.id)).all()
    assert [e.roll_costs for e in equity] == pytest.approx([0, 0, 0, 0, 10.80, 0, 0], abs=CENT)
    assert sum(e.costs for e in equity) == pytest.approx(41.28, abs=CENT)
    assert [(f.symbol, f.quantity) for f in fills] == [("SYN_BUND", 3), ("SYN_CRUDE", -2), ("SYN_BUND", -2),
                                                       ("SYN_BUND", -1), ("SYN_CRUDE", 2)]
    assert [f.contract_price for f in fills] == pytest.approx([131.60, 70.20, 132.00, 132.10, 71.70], abs=1e-9)
    assert [f.cost_base for f in fills] == pytest.approx([9.72, 5.40, 6.66, 3.30, 5.40], abs=1e-9)


def test_a_future_is_not_sized_before_its_held_contract_price_exists() -> None:
    """Back-adjusted prices from day 0, the held contract's price only from day 2."""
    b = bars()
    held = b.contract_price.copy()
    held.iloc[:2, 1] = np.nan
    m = build_market(config(), PriceBars(close=b.close, contract_price=held, contract=b.contract, fx=b.fx))
    assert np.isnan(m.contract_price[:2, 1]).all() and m.contract_price[2, 1] == 71.00
    returns = m.percentage_returns()
    assert np.isnan(returns[:3, 1]).all()  # day 2's return would divide by day 1's missing price
    assert returns[3, 1] == pytest.approx((-4.80 + 4.00) / 71.00)
