"""Accounting to the cent on a hand-computed fixture (tests/fixtures/accounting).

Capital 10,000 USD; AAA (USD) at a fixed 50% weight, BBB (EUR) at 30%; orders
fill at the next close; commission 0.1% of notional with a minimum of 1 (in the
instrument's currency) plus half a 20 bp spread (10 bp of price).

Day 0 (01-02): NAV 10,000. Targets AAA 0.5*10000/100 = 50, BBB 0.3*10000/(50*1.10) = 54.55 -> 55.
Day 1 (01-03): buy 50 AAA @102: notional 5,100, commission 5.10, slippage 5.10.
               buy 55 BBB @51 EUR: notional 2,805 EUR, commission 2.805, slippage 2.805 EUR
               = 5.61 EUR x 1.12 = 6.2832 USD; cash out 2,805 x 1.12 = 3,141.60.
               cash = 10,000 - 5,100 - 3,141.60 - 10.20 - 6.2832 = 1,741.9168
               NAV  = 1,741.9168 + 50 x 102 + 55 x 51 x 1.12 = 9,983.5168
               targets: AAA 0.5 x 9,983.5168 / 102 = 48.94 -> 49 (sell 1);
                        BBB 0.3 x 9,983.5168 / 57.12 = 52.43 -> 52 (sell 3).
Day 2 (01-04): sell 1 AAA @101: commission max(0.101, 1) = 1, slippage 0.101; cash in 101.
               sell 3 BBB @49 EUR: commission 1 EUR, slippage 0.147 EUR -> 1.147 x 1.08 = 1.23876 USD;
               cash in 147 x 1.08 = 158.76.
               cash = 1,741.9168 + 101 + 158.76 - 1.101 - 1.23876 = 1,999.33704
               NAV  = 1,999.33704 + 49 x 101 + 52 x 49 x 1.08 = 9,700.17704
               gross P&L = AAA 50 x (101 - 102) + BBB 55 x (49 x 1.08 - 51 x 1.12) = -50 - 231 = -281
               targets: AAA 0.5 x 9,700.17704 / 101 = 48.02 -> 48 (sell 1);
                        BBB 0.3 x 9,700.17704 / 52.92 = 54.99 -> 55 (buy 3).
Day 3 (01-05): sell 1 AAA @105: commission 1, slippage 0.105; cash in 105.
               buy 3 BBB @50 EUR: commission 1 EUR, slippage 0.15 EUR -> 1.15 x 1.10 = 1.265 USD;
               cash out 150 x 1.10 = 165.
               cash = 1,999.33704 + 105 - 165 - 1.105 - 1.265 = 1,936.96704
               NAV  = 1,936.96704 + 48 x 105 + 55 x 50 x 1.10 = 10,001.96704
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from db.models import Equity, Fill, Instrument, Order, PositionRow
from db.session import open_engine
from tradesim.config import load_config
from tradesim.replay import replay

FIXTURE = Path(__file__).parent.parent / "fixtures" / "accounting" / "two_currencies.toml"
CENT = 0.005


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('acct') / 'ledger.db'}"
    result = replay(load_config(FIXTURE), url)
    engine = open_engine(url)
    with engine.connect() as conn:
        yield result, conn


def test_fills_and_costs_to_the_cent(ledger) -> None:
    _, conn = ledger
    rows = conn.execute(
        select(Fill.day, Fill.decided_on, Instrument.symbol, Fill.quantity, Fill.price, Fill.commission,
               Fill.slippage, Fill.fx, Fill.cost_base)
        .join(Instrument, Instrument.id == Fill.instrument_id).order_by(Fill.day, Instrument.symbol)).all()
    expected = [
        (date(2024, 1, 3), date(2024, 1, 2), "AAA", 50, 102, 5.10, 5.10, 1.0, 10.20),
        (date(2024, 1, 3), date(2024, 1, 2), "BBB", 55, 51, 2.805, 2.805, 1.12, 6.2832),
        (date(2024, 1, 4), date(2024, 1, 3), "AAA", -1, 101, 1.00, 0.101, 1.0, 1.101),
        (date(2024, 1, 4), date(2024, 1, 3), "BBB", -3, 49, 1.00, 0.147, 1.08, 1.23876),
        (date(2024, 1, 5), date(2024, 1, 4), "AAA", -1, 105, 1.00, 0.105, 1.0, 1.105),
        (date(2024, 1, 5), date(2024, 1, 4), "BBB", 3, 50, 1.00, 0.15, 1.10, 1.265),
    ]
    assert len(rows) == len(expected)
    for got, want in zip(rows, expected):
        assert got[:3] == want[:3]
        assert got[3] == want[3]
        for g, w in zip(got[4:], want[4:]):
            assert g == pytest.approx(w, abs=1e-9)


def test_cash_and_nav_to_the_cent(ledger) -> None:
    _, conn = ledger
    rows = conn.execute(select(Equity.day, Equity.cash, Equity.nav, Equity.costs, Equity.gross_pnl, Equity.net_pnl)
                        .order_by(Equity.day)).all()
    expected = [
        (date(2024, 1, 2), 10_000.00, 10_000.00, 0.0, 0.0),
        (date(2024, 1, 3), 1_741.9168, 9_983.5168, 16.4832, 0.0),
        (date(2024, 1, 4), 1_999.33704, 9_700.17704, 2.33976, -281.0),
        (date(2024, 1, 5), 1_936.96704, 10_001.96704, 2.37, 304.16),
    ]
    assert [r.day for r in rows] == [e[0] for e in expected]
    for row, (_, cash, nav, costs, gross) in zip(rows, expected):
        assert row.cash == pytest.approx(cash, abs=CENT)
        assert row.nav == pytest.approx(nav, abs=CENT)
        assert row.costs == pytest.approx(costs, abs=CENT)
        assert row.gross_pnl == pytest.approx(gross, abs=CENT)
        assert row.net_pnl == pytest.approx(gross - costs, abs=CENT)


def test_orders_carry_targets_and_status(ledger) -> None:
    _, conn = ledger
    rows = conn.execute(select(Order.day, Instrument.symbol, Order.quantity, Order.side, Order.target, Order.status,
                               Order.reason).join(Instrument, Instrument.id == Order.instrument_id)
                        .order_by(Order.day, Instrument.symbol)).all()
    got = [(r.day.day, r.symbol, r.quantity, r.side, r.target, r.status, r.reason) for r in rows]
    assert got[:6] == [
        (2, "AAA", 50, "BUY", 50, "filled", "daily"),
        (2, "BBB", 55, "BUY", 55, "filled", "daily"),
        (3, "AAA", -1, "SELL", 49, "filled", "daily"),
        (3, "BBB", -3, "SELL", 52, "filled", "daily"),
        (4, "AAA", -1, "SELL", 48, "filled", "daily"),
        (4, "BBB", 3, "BUY", 55, "filled", "daily"),
    ]
    # Day 3's orders wait for a bar the data does not have yet.
    assert all(g[5] == "pending" for g in got[6:])


def test_positions_each_day(ledger) -> None:
    _, conn = ledger
    rows = conn.execute(select(PositionRow.day, Instrument.symbol, PositionRow.quantity, PositionRow.notional_base)
                        .join(Instrument, Instrument.id == PositionRow.instrument_id)
                        .order_by(PositionRow.day, Instrument.symbol)).all()
    got = [(r.day.day, r.symbol, r.quantity, round(r.notional_base, 2)) for r in rows]
    assert got == [
        (3, "AAA", 50, 5100.00), (3, "BBB", 55, 3141.60),
        (4, "AAA", 49, 4949.00), (4, "BBB", 52, 2751.84),
        (5, "AAA", 48, 5040.00), (5, "BBB", 55, 3025.00),
    ]


def test_summary_matches_the_ledger(ledger) -> None:
    result, _ = ledger
    assert result.nav[-1] == pytest.approx(10_001.96704, abs=CENT)
    assert result.summary.total_costs == pytest.approx(16.4832 + 2.33976 + 2.37, abs=CENT)
    assert result.summary.trades == 6
