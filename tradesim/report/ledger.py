"""What a report needs from the ledger, read once per run through the read-only views.

The views (``db.views``) are the ledger's public face, shared with ``db.queries``
and the CLI; the selects use ``db.queries``' typed view tables. The report reads
only the columns it draws, straight from the DBAPI cursor (``_columns``): reading
is most of a report's time budget for a 30-year replay (165,000 position rows).
Daily P&L per instrument is ``db.pnl``'s own formula (what ``tradesim pnl``
reports), fed with these frames rather than read a second time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import pandas as pd
from sqlalchemy import Connection, select

from db.models import CashFlow, Instrument, Portfolio, Run
from db.queries import EQUITY, ORDERS, POSITIONS, TRADES
from tradesim.errors import TradesimError
from tradesim.variants import variant_name

COMPARE_IDEAL = "fractional"  # the first run of every ``tradesim compare`` call
LAST_FILLS = 20  # the report's table of last trades


class ReportError(TradesimError):
    """A report that cannot be made: a run that is not there, or has nothing to show."""


def run_name(run: "RunData", with_portfolio: bool) -> str:
    parts = [run.portfolio] if with_portfolio else []
    if run.label:
        parts.append(variant_name(run.label))
    return " ".join(parts) + f" (run {run.run_id})" if parts else f"run {run.run_id}"


def named(runs: list["RunData"]) -> list["RunData"]:
    """Runs shown together, named apart: by variant (and id) when they share a portfolio, else
    by portfolio and variant too."""
    one_portfolio = len({r.portfolio for r in runs}) == 1 and len(runs) > 1
    return [replace(r, shown_as=run_name(r, with_portfolio=not one_portfolio)) for r in runs]


@dataclass(frozen=True)
class RunData:
    run_id: int
    portfolio: str
    base_currency: str
    mode: str
    label: str | None
    status: str
    config: dict
    config_hash: str
    code_version: str
    started_at: datetime | None
    finished_at: datetime | None
    equity: pd.DataFrame  # indexed by day: nav, costs, roll_costs, gross_pnl, ..., tracking_error, reason
    positions: pd.DataFrame  # long: day, symbol, quantity, price, fx, notional_base
    fills: pd.DataFrame  # every fill, what P&L needs: day, symbol, quantity, price, fx, cost_base
    last_fills: pd.DataFrame  # the newest LAST_FILLS fills in full, newest first
    instruments: pd.DataFrame  # indexed by symbol: asset_class, kind, currency, multiplier
    cash_flows: pd.DataFrame = None  # day, kind, external, amount, currency, amount_base, note, symbol

    @property
    def external_flows(self) -> pd.Series:
        """The owner's money in (+) or out (-) at each day's close, base currency (0 on most days)."""
        f = self.cash_flows
        if f is None or f.empty:
            return pd.Series(0.0, index=self.days)
        ext = f[f["external"].astype(bool)]
        return ext.groupby("day")["amount_base"].sum().reindex(self.days, fill_value=0.0)

    shown_as: str = ""  # set by ``named`` for runs shown together

    @property
    def name(self) -> str:
        """How legends and tables call the run: portfolio, variant (compare runs) and id."""
        return self.shown_as or run_name(self, with_portfolio=True)

    @property
    def capital(self) -> float:
        return float(self.config["capital"])

    @property
    def risk_target(self) -> float:
        return float(self.config["risk_target"])

    @property
    def buffer(self) -> float:
        """The optimiser's no-trade buffer on tracking error: buffer_fraction x risk target."""
        return float(self.config["optimiser"]["buffer_fraction"]) * self.risk_target

    @property
    def days(self) -> pd.DatetimeIndex:
        return self.equity.index


def _columns(conn: Connection, sel) -> pd.DataFrame:  # noqa: ANN001
    """The rows of ``sel`` as a frame, fetched through the DBAPI cursor.

    A 30-year replay has 165,000 position rows: SQLAlchemy's per-row Row objects and
    date processing would take most of the report's time budget (as they would for
    the ledger's writes, which go through the cursor for the same reason). The
    select is compiled with its few literal parameters (run ids, symbols) for the
    connection's dialect; dates come back as the driver gives them and are parsed
    in one vectorised call (``_days``).
    """
    sql = str(sel.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql)
        keys = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    finally:
        cursor.close()
    return pd.DataFrame.from_records(rows, columns=keys)


def _days(values: pd.Series) -> pd.Series:
    """SQLite returns ISO date strings, PostgreSQL date objects."""
    if len(values) and isinstance(values.iloc[0], str):
        return pd.to_datetime(values, format="ISO8601")
    return pd.to_datetime(values)


def run_meta(conn: Connection, run_id: int) -> dict:
    row = conn.execute(select(Run.id, Run.mode, Run.label, Run.status, Run.config, Run.config_hash, Run.code_version,
                              Run.started_at, Run.finished_at, Run.start_date, Run.end_date, Run.portfolio_id,
                              Portfolio.name, Portfolio.base_currency)
                       .join(Portfolio, Portfolio.id == Run.portfolio_id).where(Run.id == run_id)).first()
    if row is None:
        raise ReportError(f"no run {run_id} in the ledger")
    return row._asdict()


def load_run(conn: Connection, run_id: int) -> RunData:
    meta = run_meta(conn, run_id)
    e = EQUITY.c
    equity = _columns(conn, select(e.day, e.nav, e.cash, e.costs, e.roll_costs, e.gross_pnl, e.net_pnl,
                                   e.gross_exposure, e.traded_notional, e.tracking_error, e.adjustment_factor,
                                   e.path, e.reason, e.rebalanced).where(e.run_id == run_id).order_by(e.day))
    if equity.empty:
        raise ReportError(f"run {run_id} ({meta['status']}) has no processed days: nothing to report yet")
    equity["day"] = _days(equity["day"])
    equity = equity.set_index("day")
    for col in ("tracking_error", "adjustment_factor"):
        equity[col] = equity[col].astype(float)
    equity["rebalanced"] = equity["rebalanced"].fillna(False).astype(bool)

    p = POSITIONS.c
    positions = _columns(conn, select(p.day, p.symbol, p.quantity, p.price, p.fx, p.notional_base)
                         .where(p.run_id == run_id))
    positions["day"] = _days(positions["day"])
    t = TRADES.c
    fills = _columns(conn, select(t.day, t.symbol, t.quantity, t.price, t.fx, t.cost_base).where(t.run_id == run_id))
    fills["day"] = _days(fills["day"])
    last_fills = _columns(conn, select(t.fill_id, t.day, t.decided_on, t.symbol, t.side, t.quantity, t.price, t.currency,
                                       t.cost_base, t.notional_base, t.reason)
                          .where(t.run_id == run_id).order_by(t.fill_id.desc()).limit(LAST_FILLS))
    last_fills["day"] = _days(last_fills["day"])
    last_fills["decided_on"] = _days(last_fills["decided_on"])

    symbols = sorted(set(positions["symbol"].unique()) | set(fills["symbol"].unique()))
    # Symbols as one categorical shared by positions and fills: the P&L merges on them
    # run ~5x faster than on strings, and 165,000 rows hold codes instead of strings.
    symbol = pd.CategoricalDtype(symbols)
    positions["symbol"] = positions["symbol"].astype(symbol)
    fills["symbol"] = fills["symbol"].astype(symbol)
    i = Instrument
    instruments = _columns(conn, select(i.symbol, i.asset_class, i.kind, i.currency, i.multiplier)
                           .where(i.symbol.in_(symbols))) if symbols else \
        pd.DataFrame(columns=["symbol", "asset_class", "kind", "currency", "multiplier"])
    instruments["asset_class"] = instruments["asset_class"].fillna("(none)")
    instruments = instruments.set_index("symbol").sort_index()
    return RunData(run_id, meta["name"], meta["base_currency"], meta["mode"], meta["label"], meta["status"],
                   json.loads(meta["config"]), meta["config_hash"], meta["code_version"], meta["started_at"],
                   meta["finished_at"], equity, positions, fills, last_fills, instruments, load_cash_flows(conn, run_id))


def load_cash_flows(conn: Connection, run_id: int) -> pd.DataFrame:
    """Every cash flow of the run, oldest first; ``symbol`` is empty for account-level flows."""
    c = CashFlow
    flows = _columns(conn, select(c.day, c.kind, c.external, c.amount, c.currency, c.amount_base, c.note,
                                  Instrument.symbol).outerjoin(Instrument, Instrument.id == c.instrument_id)
                     .where(c.run_id == run_id).order_by(c.day, c.id))
    flows["day"] = _days(flows["day"])
    return flows


def load_orders(conn: Connection, run_id: int, symbols: Sequence[str]) -> pd.DataFrame:
    """Orders of ``symbols``: decision day, quantity, target and the unrounded optimum."""
    o = ORDERS.c
    orders = _columns(conn, select(o.day, o.symbol, o.quantity, o.target, o.optimal, o.reason)
                      .where(o.run_id == run_id, o.symbol.in_(list(symbols))).order_by(o.day))
    orders["day"] = _days(orders["day"])
    return orders


def order_counts(conn: Connection, run_id: int) -> pd.Series:
    """Orders per symbol, most first (ties by symbol): what the run traded most."""
    from sqlalchemy import func

    o = ORDERS.c
    counts = _columns(conn, select(o.symbol, func.count().label("n")).where(o.run_id == run_id).group_by(o.symbol))
    if counts.empty:
        return pd.Series(dtype=int)
    counts = counts.sort_values(["n", "symbol"], ascending=[False, True])
    return pd.Series(counts["n"].to_numpy(), index=counts["symbol"].to_numpy())


def compare_group(conn: Connection, run_id: int) -> list[int]:
    """The runs of the ``tradesim compare`` call that made compare run ``run_id``.

    A compare call records the ideal (labelled fractional) and then its other
    variants, each a replay of one portfolio over one date range, one after another:
    the group is the run labelled fractional at or before ``run_id`` and the compare
    runs that follow it up to the next one, when they cover the same dates.
    """
    meta = run_meta(conn, run_id)
    r = Run
    runs = conn.execute(select(r.id, r.label, r.start_date, r.end_date)
                        .where(r.portfolio_id == meta["portfolio_id"], r.mode == "compare").order_by(r.id)).all()
    groups: list[list] = []
    for row in runs:
        if row.label == COMPARE_IDEAL or not groups:
            groups.append([])
        groups[-1].append(row)
    for group in groups:
        if any(row.id == run_id for row in group):
            labels = tuple(row.label for row in group)
            spans = {(row.start_date, row.end_date) for row in group}
            if labels[0] == COMPARE_IDEAL and len(labels) > 1 and len(set(labels)) == len(labels) and len(spans) == 1:
                return [row.id for row in group]
            raise ReportError(f"run {run_id} is a compare run, but its group ({', '.join(str(row.id) for row in group)}) "
                              f"is not one fractional run and its variants over the same dates: name the runs")
    raise AssertionError("unreachable: run_id is among the portfolio's compare runs")


def instrument_pnl(run: RunData) -> pd.DataFrame:
    """Gross P&L and costs per instrument and day (base currency), by ``db.pnl``'s formula.

    Roll costs are the run's, per day (not per instrument): they come back as
    their own rows under ``db.pnl.ROLLS``, as ``tradesim pnl`` shows them.
    """
    from db.pnl import ROLLS, _per_instrument_day

    ident = run.instruments[["asset_class", "kind", "currency", "multiplier"]]
    ident = ident.astype({c: pd.CategoricalDtype(sorted(ident[c].unique())) for c in ("asset_class", "kind", "currency")})
    pos = run.positions.join(ident, on="symbol")[["symbol", "asset_class", "currency", "kind", "multiplier", "day",
                                                   "quantity", "price", "fx"]]
    fills = run.fills.join(ident, on="symbol")[
        ["symbol", "asset_class", "currency", "kind", "multiplier", "day", "quantity", "price", "fx", "cost_base"]]
    days = pd.DataFrame({"day": run.days, "prev": run.days.to_series().shift(1).to_numpy()})
    per_day = _per_instrument_day(pos, fills, days)
    per_day = per_day.astype({"symbol": str, "asset_class": str, "currency": str})  # rolls join below as text
    rolls = run.equity.loc[run.equity["roll_costs"] != 0, "roll_costs"]
    if len(rolls):
        per_day = pd.concat([per_day, pd.DataFrame({
            "symbol": ROLLS, "asset_class": ROLLS, "currency": run.base_currency, "day": rolls.index,
            "gross_pnl": 0.0, "costs": rolls.to_numpy()})], ignore_index=True)
    per_day["net_pnl"] = per_day["gross_pnl"] - per_day["costs"]
    return per_day
