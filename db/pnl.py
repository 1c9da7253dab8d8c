"""P&L attribution from the ledger alone: per instrument and day, then grouped.

For instrument i on day t (previous processed day s), in the base currency:

    futures: (Q_t P_t - Q_s P_s - sum_fills q f) x m x fx_t
           = Q_s (P_t - P_s) m fx_t  +  sum_fills q (P_t - f) m fx_t
    stocks:  Q_t P_t m fx_t - Q_s P_s m fx_s - sum_fills q f m fx_t

that is, the position carried from yesterday times the price move, plus each
fill's fill-to-close P&L; for stocks (bought with cash) the holding's value also
moves with FX, which the engine's accounting counts and so must this. Q and P
are the ledger's positions at each close (P the close, back-adjusted for
futures), f the fill price. Summed over instruments this is each day's
``equity.gross_pnl``: the tests reconcile the two.

Costs stay apart: each fill's commission and slippage belong to its instrument;
roll costs are recorded per day, not per instrument, so they get their own row
``(rolls)`` (and are left out when the query names symbols).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from sqlalchemy import Connection, func, select

from db.queries import EQUITY, POSITIONS, TRADES, Filters, QueryError, _check_symbols, resolve_run

KEYS = {"instrument": ["symbol", "asset_class", "currency"], "asset_class": ["asset_class"],
        "month": ["month"], "day": ["day"]}
ROLLS = "(rolls)"
PNL_COLUMNS = ("gross_pnl", "costs", "net_pnl")


def _by(by: str | Iterable[str]) -> list[str]:
    names = [b.strip().replace("-", "_") for part in ([by] if isinstance(by, str) else by) for b in part.split(",")]
    names = [n for n in names if n]
    unknown = [n for n in names if n not in KEYS]
    if unknown or not names:
        raise QueryError(f"--by: {unknown[0] if unknown else ''!r} is not one of {', '.join(KEYS)}")
    return names


def _frame(conn: Connection, sel) -> pd.DataFrame:  # noqa: ANN001
    result = conn.execute(sel)
    return pd.DataFrame(result.all(), columns=list(result.keys()))


def attribute(conn: Connection, f: Filters, by: str | Iterable[str] = ("instrument",)) -> pd.DataFrame:
    keys = _by(by)
    _check_symbols(conn, f.symbol)
    run_id = resolve_run(conn, f)
    cols = [c for k in keys for c in KEYS[k]] + ["base_currency", *PNL_COLUMNS]
    if run_id is None:
        return pd.DataFrame(columns=cols)
    e = EQUITY.c
    in_run = select(e.day, e.roll_costs, e.base_currency).where(e.run_id == run_id).order_by(e.day)
    if f.since is not None:
        in_run = in_run.where(e.day >= f.since)
    if f.until is not None:
        in_run = in_run.where(e.day <= f.until)
    inside = _frame(conn, in_run)
    if inside.empty:
        return pd.DataFrame(columns=cols)
    # The first day's P&L starts from the holdings of the processed day before it.
    before = conn.execute(select(func.max(e.day)).where(e.run_id == run_id, e.day < inside["day"].iat[0])).scalar()
    inside["prev"] = [before, *inside["day"].iloc[:-1]]
    base = inside["base_currency"].iat[0]
    first, last = inside["day"].iat[0], inside["day"].iat[-1]
    start = before if before is not None else first

    p = POSITIONS.c
    pos = _frame(conn, _symbols(select(p.symbol, p.asset_class, p.currency, p.kind, p.multiplier, p.day,
                                       p.quantity, p.price, p.fx)
                                .where(p.run_id == run_id, p.day >= start, p.day <= last), p, f))
    if pos["fx"].isna().any():
        row = pos[pos["fx"].isna()].iloc[0]
        raise QueryError(f"run {run_id}: the holding of {row.symbol} on {row.day} has no FX rate (recorded before "
                         "positions.fx existed, a foreign-currency future): replay the run for P&L by instrument")
    t = TRADES.c
    fills = _frame(conn, _symbols(select(t.symbol, t.asset_class, t.currency, t.kind, t.multiplier, t.day,
                                         t.quantity, t.price, t.fx, t.cost_base)
                                  .where(t.run_id == run_id, t.day >= first, t.day <= last), t, f))

    per_day = _per_instrument_day(pos, fills, inside[["day", "prev"]])
    if not f.symbol:
        rolls = inside.loc[inside["roll_costs"] != 0, ["day", "roll_costs"]]
        per_day = pd.concat([per_day, pd.DataFrame({
            "symbol": ROLLS, "asset_class": ROLLS, "currency": base, "day": rolls["day"], "gross_pnl": 0.0,
            "costs": rolls["roll_costs"]})], ignore_index=True)
    per_day["month"] = [d.strftime("%Y-%m") for d in per_day["day"]]
    per_day["net_pnl"] = per_day["gross_pnl"] - per_day["costs"]
    group = [c for k in keys for c in KEYS[k]]
    out = per_day.groupby(group, sort=True, dropna=False)[list(PNL_COLUMNS)].sum().reset_index()
    out.insert(len(group), "base_currency", base)
    return out[cols]


def _symbols(sel, view_cols, f: Filters):  # noqa: ANN001, ANN202
    return sel.where(view_cols.symbol.in_(f.symbol)) if f.symbol else sel


def _per_instrument_day(pos: pd.DataFrame, fills: pd.DataFrame, days: pd.DataFrame) -> pd.DataFrame:
    """Gross P&L and costs per (instrument, day) for ``days`` (each with its previous day)."""
    ident = ["symbol", "asset_class", "currency", "kind", "multiplier"]
    today = days.merge(pos, on="day")
    yesterday = days.merge(pos.rename(columns={"day": "prev"}), on="prev")
    today["value"] = today["quantity"] * today["price"] * today["multiplier"]
    yesterday["carried"] = yesterday["quantity"] * yesterday["price"] * yesterday["multiplier"]
    if len(fills):
        fills = fills.assign(paid=fills["quantity"] * fills["price"] * fills["multiplier"] * fills["fx"])
        traded = fills.groupby([*ident, "day"], as_index=False).agg(paid=("paid", "sum"), costs=("cost_base", "sum"),
                                                                   fill_fx=("fx", "first"))
    else:
        traded = pd.DataFrame(columns=[*ident, "day", "paid", "costs", "fill_fx"])
    keys = [*ident, "day"]
    both = (today[[*keys, "value", "fx"]]
            .merge(yesterday[[*keys, "carried", "fx"]].rename(columns={"fx": "fx_prev"}), on=keys, how="outer")
            .merge(traded, on=keys, how="outer"))
    # Today's rate: the holding's if still held, else the fill's (a position only goes flat by a fill).
    fx_t = both["fx"].fillna(both["fill_fx"])
    future = both["kind"].to_numpy() == "future"
    held_before = both["carried"].notna().to_numpy()
    rate = np.where(future, fx_t, both["fx_prev"])
    carried = np.where(held_before, both["carried"].to_numpy(dtype=float) * rate, 0.0)
    if np.isnan(carried).any():  # held yesterday, gone today without a fill: the ledger contradicts itself
        row = both[np.isnan(carried)].iloc[0]
        raise QueryError(f"{row.symbol} on {row.day}: a holding vanished without a fill, P&L cannot be attributed")
    value = both["value"].fillna(0.0) * both["fx"].fillna(0.0)
    gross = value - carried - both["paid"].fillna(0.0)
    return pd.DataFrame({"symbol": both["symbol"], "asset_class": both["asset_class"], "currency": both["currency"],
                         "day": both["day"], "gross_pnl": gross.astype(float), "costs": both["costs"].fillna(0.0)})
