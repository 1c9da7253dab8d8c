"""A small ledger written row by row, every number chosen by hand and exact in binary.

Portfolio ``bonds-and-stocks`` (USD) holds SPY (stock), ZN (US bond future) and
FGBL (EUR bond future, multiplier 1000) over five processed days of run 2; run 1
is an older run of the same portfolio, run 3 the latest run, of ``income``.
The equity rows are consistent with the fills and positions (gross P&L by hand:
2300, -1072.5, 1026, 1131), so P&L attribution can be checked to the cent.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Engine, column, insert, table

from db.models import Diagnostic, Equity, Fill, Instrument, Order, Portfolio, PositionRow, ProcessedDay, Run

D = date.fromisoformat
AT = datetime(2024, 7, 3, 18, 0, tzinfo=UTC)

PORTFOLIOS = [(1, "bonds-and-stocks", "USD"), (2, "income", "USD")]
INSTRUMENTS = [(1, "SPY", "USD", 1.0, "Equity", "stock"), (2, "ZN", "USD", 1000.0, "Bond", "future"),
               (3, "FGBL", "EUR", 1000.0, "Bond", "future"), (4, "GC", "USD", 100.0, "Commodity", "future")]
RUNS = [(1, 1, "replay", "2024-05-30", "2024-05-31"), (2, 1, "replay", "2024-06-03", "2024-07-02"),
        (3, 2, "paper", "2024-07-01", "2024-07-02")]
# run, day, instrument, quantity, side, target, optimal, reason, status
ORDERS = [
    (1, "2024-05-30", 1, 1.0, "BUY", 1.0, 1.25, "rebalance", "filled"),
    (2, "2024-06-03", 1, 10.0, "BUY", 10.0, 10.5, "rebalance", "filled"),
    (2, "2024-06-03", 2, 2.0, "BUY", 2.0, 1.75, "rebalance", "filled"),
    (2, "2024-06-03", 3, -1.0, "SELL", -1.0, -1.25, "rebalance", "filled"),
    (2, "2024-06-05", 1, -4.0, "SELL", 6.0, 6.25, "drift", "filled"),
    (2, "2024-07-01", 2, -2.0, "SELL", 0.0, 0.25, "drift", "filled"),
    (2, "2024-07-01", 3, 1.0, "BUY", 0.0, -0.25, "drift", "filled"),
    (2, "2024-07-02", 1, 1.0, "BUY", 7.0, 7.0, "drift", "pending"),
    (3, "2024-07-01", 1, 3.0, "BUY", 3.0, 3.0, "rebalance", "filled"),
]
# run, day, decided_on, instrument, quantity, price, contract_price, commission, slippage, fx, cost_base, notional_base
FILLS = [
    (1, "2024-05-31", "2024-05-30", 1, 1.0, 499.0, 499.0, 1.0, 0.0, 1.0, 1.0, 499.0),
    (2, "2024-06-04", "2024-06-03", 1, 10.0, 500.0, 500.0, 1.0, 0.5, 1.0, 1.5, 5000.0),
    (2, "2024-06-04", "2024-06-03", 2, 2.0, 110.0, 110.0, 2.0, 10.0, 1.0, 12.0, 220000.0),
    (2, "2024-06-04", "2024-06-03", 3, -1.0, 130.0, 130.0, 2.0, 6.0, 1.25, 10.0, 162500.0),
    (2, "2024-07-01", "2024-06-05", 1, -4.0, 506.0, 506.0, 1.0, 0.25, 1.0, 1.25, 2024.0),
    (2, "2024-07-02", "2024-07-01", 2, -2.0, 111.0, 111.0, 2.0, 10.0, 1.0, 12.0, 222000.0),
    (2, "2024-07-02", "2024-07-01", 3, 1.0, 129.0, 129.0, 2.0, 6.0, 1.25, 10.0, 161250.0),
    (3, "2024-07-02", "2024-07-01", 1, 3.0, 507.5, 507.5, 1.0, 0.5, 1.0, 1.5, 1522.5),
]
# run, day, instrument, quantity, price, fx, notional_base
POSITIONS = [
    (1, "2024-05-31", 1, 1.0, 500.0, 1.0, 500.0),
    (2, "2024-06-04", 1, 10.0, 505.0, 1.0, 5050.0),
    (2, "2024-06-04", 2, 2.0, 110.5, 1.0, 221000.0),
    (2, "2024-06-04", 3, -1.0, 129.0, 1.25, -161250.0),
    (2, "2024-06-05", 1, 10.0, 504.0, 1.0, 5040.0),
    (2, "2024-06-05", 2, 2.0, 110.25, 1.0, 220500.0),
    (2, "2024-06-05", 3, -1.0, 129.5, 1.125, -145687.5),
    (2, "2024-07-01", 1, 6.0, 507.0, 1.0, 3042.0),
    (2, "2024-07-01", 2, 2.0, 110.75, 1.0, 221500.0),
    (2, "2024-07-01", 3, -1.0, 129.5, 1.125, -145687.5),
    (2, "2024-07-02", 1, 6.0, 508.0, 1.0, 3048.0),
    (3, "2024-07-02", 1, 3.0, 508.0, 1.0, 1524.0),
]
# run, day, nav, cash, costs, roll_costs, gross_pnl, net_pnl, gross_exposure, traded_notional
EQUITY = [
    (1, "2024-05-30", 1000.0, 1000.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
    (1, "2024-05-31", 1000.0, 500.0, 1.0, 0.0, 1.0, 0.0, 500.0, 499.0),
    (2, "2024-06-03", 100000.0, 100000.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
    (2, "2024-06-04", 102276.5, 97226.5, 23.5, 0.0, 2300.0, 2276.5, 387300.0, 387500.0),
    (2, "2024-06-05", 101204.0, 96164.0, 0.0, 0.0, -1072.5, -1072.5, 371227.5, 0.0),
    (2, "2024-07-01", 102223.75, 99181.75, 6.25, 5.0, 1026.0, 1019.75, 370229.5, 2024.0),
    (2, "2024-07-02", 103332.75, 100284.75, 22.0, 0.0, 1131.0, 1109.0, 3048.0, 383250.0),
    (3, "2024-07-01", 50000.0, 50000.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
    (3, "2024-07-02", 50000.0, 48476.0, 1.5, 0.0, 1.5, 0.0, 1524.0, 1522.5),
]
# run, day, tracking_error, adjustment_factor, path, reason, rebalanced
DIAGNOSTICS = [
    (1, "2024-05-30", 0.0, 1.0, "round", "rebalance", True),
    (1, "2024-05-31", 0.0, 1.0, "round", None, False),
    (2, "2024-06-03", 0.015625, 1.0, "greedy_no_prior", "rebalance", True),
    (2, "2024-06-04", 0.0078125, 0.0, "buffer_no_trade", None, False),
    (2, "2024-06-05", 0.03125, 0.5, "greedy_then_partial_trade", "drift", True),
    (2, "2024-07-01", 0.0625, 0.75, "greedy_then_partial_trade", "drift", True),
    (2, "2024-07-02", 0.0078125, 1.0, "greedy_then_partial_trade", "drift", True),
    (3, "2024-07-01", 0.0, 1.0, "round", "rebalance", True),
    (3, "2024-07-02", 0.0, 1.0, "round", None, False),
]


def build(engine: Engine, with_fx: bool = True) -> None:
    """``with_fx`` False writes positions as revision 0001 knew them (no fx column)."""
    positions = PositionRow.__table__
    if not with_fx:
        positions = table("positions", *(column(c.name, c.type) for c in positions.columns if c.name != "fx"))
    with engine.begin() as conn:
        conn.execute(insert(Portfolio), [dict(id=i, name=n, base_currency=c) for i, n, c in PORTFOLIOS])
        conn.execute(insert(Instrument), [dict(id=i, symbol=s, currency=c, multiplier=m, asset_class=a, kind=k)
                                          for i, s, c, m, a, k in INSTRUMENTS])
        conn.execute(insert(Run), [dict(id=i, portfolio_id=p, mode=m, label=None, config="{}",
                                        config_hash=f"c0ffee{i:02d}" * 2, code_version="test", started_at=AT, finished_at=AT,
                                        status="finished", start_date=D(s), end_date=D(e)) for i, p, m, s, e in RUNS])
        conn.execute(insert(Order), [dict(run_id=r, day=D(d), instrument_id=i, quantity=q, side=s, target=t,
                                          optimal=o, reason=why, status=st) for r, d, i, q, s, t, o, why, st in ORDERS])
        conn.execute(insert(Fill), [dict(run_id=r, day=D(d), decided_on=D(dd), instrument_id=i, quantity=q, price=p,
                                         contract_price=cp, commission=c, slippage=s, fx=fx, cost_base=cb,
                                         notional_base=nb) for r, d, dd, i, q, p, cp, c, s, fx, cb, nb in FILLS])
        conn.execute(insert(positions), [dict(run_id=r, day=D(d), instrument_id=i, quantity=q, price=p,
                                              notional_base=nb, **({"fx": fx} if with_fx else {}))
                                         for r, d, i, q, p, fx, nb in POSITIONS])
        conn.execute(insert(Equity), [dict(run_id=r, day=D(d), nav=n, cash=c, costs=co, roll_costs=rc, gross_pnl=g,
                                           net_pnl=ne, gross_exposure=ge, traded_notional=tn)
                                      for r, d, n, c, co, rc, g, ne, ge, tn in EQUITY])
        conn.execute(insert(Diagnostic), [dict(run_id=r, day=D(d), tracking_error=te, adjustment_factor=a, path=p,
                                               passes=1, optimiser_seconds=0.0, reason=why, rebalanced=rb)
                                          for r, d, te, a, p, why, rb in DIAGNOSTICS])
        conn.execute(insert(ProcessedDay), [dict(run_id=r, day=D(d), processed_at=AT) for r, d, *_ in EQUITY])
