"""Read-only SQL views over the ledger: what happened, in plain SQL.

The same views back the Python API (``db.queries``) and the CLI (``tradesim
trades`` etc.), so all three answer alike. Each view carries the run, the
portfolio and the instrument by name, so a query needs no joins:

    SELECT day, symbol, side, quantity, price, cost_base, reason
    FROM trades_view WHERE portfolio = 'us-stocks-risk-parity' AND symbol = 'AAPL'
      AND day BETWEEN '2020-06-01' AND '2020-06-30' ORDER BY day;

``trades_view``     one row per fill, joined to its order (side, reason, target),
                    its instrument and its run: fill_id, run_id, portfolio_id,
                    portfolio, base_currency, day (fill date), decided_on, symbol,
                    asset_class, kind, currency, multiplier, side, quantity, price,
                    contract_price, notional (instrument currency), commission,
                    slippage, cost (= commission + slippage, instrument currency), fx,
                    notional_base, cost_base, reason, target, optimal, order_status
``orders_view``     one row per order: order_id, run_id, portfolio_id, portfolio,
                    base_currency, day (decision date), symbol, asset_class, kind,
                    currency, side, quantity, target, optimal, reason, status
``positions_view``  one row per non-zero holding at a day's close: run_id,
                    portfolio_id, portfolio, base_currency, day, symbol, asset_class,
                    kind, currency, multiplier, quantity, price, fx, notional_base
``equity_view``     one row per processed day: run_id, portfolio_id, portfolio,
                    base_currency, day, nav, cash, gross_pnl, price_pnl, income
                    (dividends net of withholding), costs, roll_costs, net_pnl
                    (= price_pnl + income - costs), gross_exposure, traded_notional, and what the sizing step
                    saw: tracking_error, adjustment_factor, path (e.g. buffer_no_trade:
                    the buffer held trading back), reason (the trigger's), rebalanced

Money is in the instrument's currency unless the name ends in ``_base``.

Each definition below (and the ``_RUN`` join they share) is frozen once a
migration has used it: a change is a new constant (``..._V2``) and a new
migration that drops and recreates the view, so an old migration always builds
the view it built the first time.
"""

from __future__ import annotations

_RUN = """JOIN runs r ON r.id = {alias}.run_id
JOIN portfolios pf ON pf.id = r.portfolio_id"""

TRADES_V1 = f"""
SELECT f.id AS fill_id, f.run_id, r.portfolio_id, pf.name AS portfolio, pf.base_currency,
       f.day, f.decided_on, i.symbol, i.asset_class, i.kind, i.currency, i.multiplier,
       o.side, f.quantity, f.price, f.contract_price,
       ABS(f.quantity) * ABS(f.contract_price) * i.multiplier AS notional,
       f.commission, f.slippage, f.commission + f.slippage AS cost, f.fx,
       f.notional_base, f.cost_base, o.reason, o.target, o.optimal, o.status AS order_status
FROM fills f
JOIN orders o ON o.run_id = f.run_id AND o.day = f.decided_on AND o.instrument_id = f.instrument_id
JOIN instruments i ON i.id = f.instrument_id
{_RUN.format(alias="f")}
"""

ORDERS_V1 = f"""
SELECT o.id AS order_id, o.run_id, r.portfolio_id, pf.name AS portfolio, pf.base_currency,
       o.day, i.symbol, i.asset_class, i.kind, i.currency, o.side, o.quantity, o.target, o.optimal,
       o.reason, o.status
FROM orders o
JOIN instruments i ON i.id = o.instrument_id
{_RUN.format(alias="o")}
"""

# V1 predates positions.fx (migration 0003 adds the column and V2).
POSITIONS_V1 = f"""
SELECT p.run_id, r.portfolio_id, pf.name AS portfolio, pf.base_currency, p.day, i.symbol,
       i.asset_class, i.kind, i.currency, i.multiplier, p.quantity, p.price, p.notional_base
FROM positions p
JOIN instruments i ON i.id = p.instrument_id
{_RUN.format(alias="p")}
"""

POSITIONS_V2 = f"""
SELECT p.run_id, r.portfolio_id, pf.name AS portfolio, pf.base_currency, p.day, i.symbol,
       i.asset_class, i.kind, i.currency, i.multiplier, p.quantity, p.price, p.fx, p.notional_base
FROM positions p
JOIN instruments i ON i.id = p.instrument_id
{_RUN.format(alias="p")}
"""

EQUITY_V1 = f"""
SELECT e.run_id, r.portfolio_id, pf.name AS portfolio, pf.base_currency, e.day, e.nav, e.cash,
       e.gross_pnl, e.costs, e.roll_costs, e.net_pnl, e.gross_exposure, e.traded_notional,
       d.tracking_error, d.adjustment_factor, d.path, d.reason, d.rebalanced
FROM equity e
LEFT JOIN diagnostics d ON d.run_id = e.run_id AND d.day = e.day
{_RUN.format(alias="e")}
"""

# V2: the NAV change split (migration 0007): net_pnl = price_pnl + income - costs.
EQUITY_V2 = f"""
SELECT e.run_id, r.portfolio_id, pf.name AS portfolio, pf.base_currency, e.day, e.nav, e.cash,
       e.gross_pnl, e.price_pnl, e.income, e.costs, e.roll_costs, e.net_pnl, e.gross_exposure,
       e.traded_notional, d.tracking_error, d.adjustment_factor, d.path, d.reason, d.rebalanced
FROM equity e
LEFT JOIN diagnostics d ON d.run_id = e.run_id AND d.day = e.day
{_RUN.format(alias="e")}
"""

# What the head revision builds; the docs above describe these.
CURRENT = {"trades_view": TRADES_V1, "orders_view": ORDERS_V1, "positions_view": POSITIONS_V2,
           "equity_view": EQUITY_V2}


def create(op, name: str, select_sql: str) -> None:  # noqa: ANN001
    op.execute(f"CREATE VIEW {name} AS {select_sql.strip()}")


def drop(op, name: str) -> None:  # noqa: ANN001
    op.execute(f"DROP VIEW IF EXISTS {name}")
