"""Writing the ledger: whole trading days inside the caller's transaction.

``DayWriter`` records a day's fills, orders, positions, equity and diagnostics and
marks the day processed, all inside the caller's transaction: paper trading writes
and commits each day (``write``), a replay stages days and writes a group of them in
one statement per table (``stage``, ``flush``). A failure anywhere rolls the whole
transaction back, and the processed-day key (run, day) makes a second attempt at the
same day fail instead of doubling it.
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, date, datetime
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path

import numpy as np
from sqlalchemy import Connection, Engine, bindparam, func, insert, select, update

import tradesim
from db.inserts import insert_if_absent
from db.models import CashFlow, Diagnostic, Equity, Fill, Instrument, Order, Portfolio, PositionRow, ProcessedDay, Run
from tradesim.engine import Day
from tradesim.schema import PortfolioConfig


def code_version() -> str:
    """The package version, plus the git commit when running from a checkout."""
    root = Path(tradesim.__file__).resolve().parent.parent
    try:
        sha = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=5, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return tradesim.__version__
    return f"{tradesim.__version__}+g{sha}" if sha else tradesim.__version__


def utc_now() -> datetime:
    return datetime.now(UTC)


def ensure_portfolio(conn: Connection, config: PortfolioConfig) -> int:
    query = select(Portfolio.id).where(Portfolio.name == config.name)
    found = conn.execute(query).scalar()
    if found is not None:
        return found
    insert_if_absent(conn, Portfolio, [{"name": config.name, "base_currency": config.base_currency}], "name")
    return conn.execute(query).scalar_one()


def ensure_instruments(conn: Connection, config: PortfolioConfig) -> np.ndarray:
    """Instrument ids in the config's order, creating the rows that are missing."""
    existing = dict(conn.execute(select(Instrument.symbol, Instrument.id)).all())
    missing = [i for i in config.instruments if i.symbol not in existing]
    if missing:
        insert_if_absent(conn, Instrument, [
            {"symbol": i.symbol, "currency": i.currency, "multiplier": i.multiplier,
             "asset_class": i.asset_class, "kind": i.kind} for i in missing], "symbol")
        existing = dict(conn.execute(select(Instrument.symbol, Instrument.id)).all())
    return np.array([existing[s] for s in config.symbols], dtype=np.int64)


def start_run(conn: Connection, portfolio_id: int, config: PortfolioConfig, mode: str, label: str | None,
              start: date | None, end: date | None, *, sweep_id: str | None = None,
              overrides: str | None = None, version: str | None = None) -> int:
    return conn.execute(insert(Run).values(
        portfolio_id=portfolio_id, mode=mode, label=label, config=config.canonical_json(),
        config_hash=config.config_hash(), code_version=version or code_version(), started_at=utc_now(),
        status="running", start_date=start, end_date=end, sweep_id=sweep_id,
        overrides=overrides)).inserted_primary_key[0]


def finish_run(engine: Engine, run_id: int, status: str, error: str | None = None,
               end: date | None = None, warnings: int | None = None, warning_text: str | None = None) -> None:
    """``warnings``: how many instrument-days the run warned about; ``warning_text``: the lines it logged."""
    values = {"finished_at": utc_now(), "status": status, "error": error}
    if warnings is not None:
        values.update(warnings=warnings, warning_text=warning_text)
    if end is not None:
        values["end_date"] = end
    with engine.begin() as conn:
        conn.execute(update(Run).where(Run.id == run_id).values(**values))


def finish_run_after(engine: Engine, run_id: int, exc: BaseException) -> None:
    """Record why a run stopped early: ``interrupted`` (a signal) or ``failed``, with its last
    committed day (read back, so it is exact whenever the signal came); an ``Interrupted``
    gets a note for the command's one line."""
    from tradesim.errors import Interrupted

    with engine.connect() as conn:
        last = conn.execute(select(func.max(ProcessedDay.day)).where(ProcessedDay.run_id == run_id)).scalar()
    kept = f"last committed day {last}" if last else "no day committed"
    if isinstance(exc, Interrupted):
        finish_run(engine, run_id, "interrupted", error=f"{exc.signal_name}; {kept}")
        exc.note = f"run {run_id} marked interrupted, {kept}"
    else:
        finish_run(engine, run_id, "failed", error=f"{type(exc).__name__}: {exc}")


def set_run_end(conn: Connection, run_id: int, end: date) -> None:
    conn.execute(update(Run).where(Run.id == run_id).values(end_date=end, finished_at=utc_now(), status="active"))


def run_config(conn: Connection, run_id: int) -> dict:
    return json.loads(conn.execute(select(Run.config).where(Run.id == run_id)).scalar_one())


def equity_values(day: Day) -> dict:
    """The day's ``equity`` row but for its keys (run, day): one definition for every writer."""
    return {"nav": day.nav, "cash": day.cash, "costs": day.costs, "roll_costs": day.roll_costs,
            "gross_pnl": day.gross_pnl, "net_pnl": day.net_pnl, "gross_exposure": float(np.abs(day.exposure).sum()),
            "traded_notional": float(day.fills.notional_base.sum()), "price_pnl": day.price_pnl, "income": day.income}


def diagnostics_values(day: Day) -> dict:
    """The day's ``diagnostics`` row but for its keys (run, day)."""
    return {"tracking_error": day.tracking_error, "adjustment_factor": day.adjustment_factor, "path": day.path,
            "passes": day.passes, "optimiser_seconds": day.optimiser_seconds, "reason": day.reason,
            "rebalanced": len(day.orders.instrument) > 0}


# Rows per multi-row INSERT at most. Each statement size stays prepared in the connection's
# statement cache: 256 rows take as little CPU as 4,096 (measured on Jumbo's ledger) and keep
# Jumbo's peak about 9 MB lower.
MAX_ROWS = 256


def _power_of_two_below(n: int) -> int:
    return 1 << (max(n, 1).bit_length() - 1)


def _pieces(n: int, most: int):  # noqa: ANN202
    """``n`` rows as statements of ``most`` rows, then the rest in powers of two (4,260 with
    most 256: 16 x 256 + 128 + 32 + 4): a handful of statement sizes, each prepared once."""
    while n >= most:
        yield most
        n -= most
    while n:
        size = _power_of_two_below(n)
        yield size
        n -= size


_PENDING = object()  # a fill's decision date: the day whose pending orders it fills


@dataclass(frozen=True, slots=True)
class _StagedDay:
    day: object  # the trading day (ISO text on SQLite)
    tables: dict[str, tuple[int, dict]]  # table -> (rows, {column: list of values, or one for every row})
    cancelled: list[int]  # instrument ids of the pending orders that could not fill this day
    pending: bool  # its orders wait for the next day to fill


class DayWriter:
    """Turns ``Day`` records into rows, through statements compiled once.

    The loop writes a handful of small batches per day for thousands of days,
    so SQLAlchemy's per-statement compile and ORM overhead would dominate a
    replay; the statements are compiled once for the connection's dialect and
    sent through the connection's DBAPI cursor. Rows are built column-wise from
    the day's arrays; SQLite gets positional tuples (the cheapest to bind),
    other drivers dicts.
    """

    TABLES = {"orders": Order, "fills": Fill, "positions": PositionRow, "equity": Equity,
              "diagnostics": Diagnostic, "processed_days": ProcessedDay, "cash_flows": CashFlow}

    def __init__(self, run_id: int, instrument_ids: np.ndarray, days: list[date],
                 currencies: tuple[str, ...] = ()) -> None:
        self.run_id, self.instrument_ids, self.days = run_id, instrument_ids, days
        self.currencies = currencies  # by instrument: the currency of its cash-flow rows
        self.pending_day: date | None = None  # decision date of the orders still to fill
        self._sql: dict[str, str] = {}
        self._cols: dict[str, list[str]] = {}
        self._positional = False
        self._staged: list[_StagedDay] = []
        self._multi: dict[tuple[str, int], str] = {}  # (table, rows) -> multi-row INSERT (SQLite)
        self._most_rows: dict[str, int] = {}  # table -> rows per multi-row INSERT at most

    def _compile(self, conn: Connection) -> None:
        dialect = conn.dialect
        if dialect.name == "sqlite":
            from sqlalchemy.dialects import sqlite

            dialect = sqlite.dialect(paramstyle="qmark")
            self._positional = True
            import sqlite3

            # Parameters one statement may bind: 32,766 since SQLite 3.32, fewer in older builds.
            variables = conn.connection.dbapi_connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
            # SQLite stores dates as ISO text anyway; converting each day once here saves
            # the driver's adapter a call per row (hundreds of thousands in a replay).
            self.days = [d.isoformat() for d in self.days]
            if self.pending_day is not None:
                self.pending_day = self.pending_day.isoformat()
        for name, model in self.TABLES.items():
            table = model.__table__
            cols = [c.name for c in table.columns if not (c.primary_key and c.name == "id")]  # ids from the database
            compiled = insert(table).values({c: bindparam(c) for c in cols}).compile(dialect=dialect)
            self._sql[name] = str(compiled)
            self._cols[name] = list(compiled.positiontup) if self._positional else cols
            if self._positional:
                self._most_rows[name] = _power_of_two_below(min(variables, MAX_ROWS * len(cols)) // len(cols))
        order = Order.__table__
        for name, where_instrument in (("mark_filled", False), ("mark_cancelled", True)):
            clauses = [order.c.run_id == bindparam("r"), order.c.day == bindparam("d"),
                       order.c.status == bindparam("was")]
            if where_instrument:
                clauses.append(order.c.instrument_id == bindparam("i"))
            compiled = update(order).where(*clauses).values(status=bindparam("now")).compile(dialect=dialect)
            self._sql[name] = str(compiled)
            self._cols[name] = list(compiled.positiontup) if self._positional else ["now", "r", "d", "was", "i"]

    def _rows(self, name: str, n: int, columns: dict) -> list:
        """Rows for ``name`` from columns: a list of n values, or one value for every row."""
        cols = self._cols[name]
        values = [columns[c] if isinstance(columns[c], list) else repeat(columns[c], n) for c in cols]
        rows = list(zip(*values))
        return rows if self._positional else [dict(zip(cols, r)) for r in rows]

    def _row(self, name: str, **values) -> tuple | dict:  # noqa: ANN003
        return tuple(values[c] for c in self._cols[name]) if self._positional else values

    def prepare(self, conn: Connection) -> None:
        """Compile the statements for ``conn``'s dialect (``stage`` needs it done)."""
        if not self._sql:
            self._compile(conn)

    def write(self, conn: Connection, day: Day, mark_processed: bool = True) -> None:
        """Write one day now, inside the caller's transaction (paper trading, sweeps)."""
        self.prepare(conn)
        self.stage(day, mark_processed)
        self.flush(conn)

    def stage(self, day: Day, mark_processed: bool = True) -> None:
        """Keep the day's rows in memory for the next ``flush``.

        A replay writes its days in batches: one statement per table for a whole group of
        days, inside the transaction that commits them. The day's rows are built first and
        kept with a single append, so an interruption leaves either the whole day staged or
        none of it.
        """
        run, ids = self.run_id, self.instrument_ids
        today = self.days[day.t]
        fills, orders = day.fills, day.orders
        tables: dict[str, tuple[int, dict]] = {}
        n_orders = len(orders.instrument)
        if n_orders:
            q = orders.quantity
            tables["orders"] = (n_orders, {
                "run_id": run, "day": today, "instrument_id": ids[orders.instrument].tolist(), "quantity": q.tolist(),
                "side": np.where(q > 0, "BUY", "SELL").tolist(), "target": orders.target.tolist(),
                "optimal": orders.optimal.tolist(), "reason": orders.reason or "",
                "status": "filled" if orders.filled_same_day else "pending"})
        n_fills = len(fills.instrument)
        if n_fills:
            # Same-close fills (when configured) come last and belong to today's orders.
            from_today = n_fills - (n_orders if orders.filled_same_day else 0)
            decided_on = [today if k >= from_today else _PENDING for k in range(n_fills)]
            tables["fills"] = (n_fills, {
                "run_id": run, "day": today, "decided_on": decided_on,
                "instrument_id": ids[fills.instrument].tolist(), "quantity": fills.quantity.tolist(),
                "price": fills.price.tolist(), "contract_price": fills.notional_price.tolist(),
                "commission": fills.commission.tolist(), "slippage": fills.slippage.tolist(),
                "fx": fills.fx.tolist(), "cost_base": fills.cost_base.tolist(),
                "notional_base": fills.notional_base.tolist()})
        held = np.flatnonzero(day.positions)
        if len(held):
            tables["positions"] = (len(held), {
                "run_id": run, "day": today, "instrument_id": ids[held].tolist(),
                "quantity": day.positions[held].tolist(), "price": day.prices[held].tolist(),
                "fx": day.fx[held].tolist(), "notional_base": day.exposure[held].tolist()})
        tables["equity"] = (1, {"run_id": run, "day": today, **equity_values(day)})
        flows = self._cash_flow_rows(day, today)
        if flows:
            tables["cash_flows"] = (len(flows), {c: [f[c] for f in flows] for c in flows[0]})
        tables["diagnostics"] = (1, {"run_id": run, "day": today, **diagnostics_values(day)})
        if mark_processed:  # paper trading claims the day first, in the same transaction
            tables["processed_days"] = (1, {"run_id": run, "day": today, "processed_at": utc_now()})
        self._staged.append(_StagedDay(today, tables, ids[fills.cancelled].tolist(),
                                       bool(n_orders) and not orders.filled_same_day))

    def flush(self, conn: Connection) -> None:
        """Write the staged days inside the caller's transaction, in the order they were staged.

        Orders wait for the next day to learn whether they filled: the orders of a staged
        day are written already settled by the day staged after it, and the pending orders
        of the last day written before (``pending_day``) are settled by UPDATE.
        """
        staged, self._staged = self._staged, []
        if not staged:
            return
        self.prepare(conn)
        sql = self._sql
        cursor = conn.connection.cursor()
        if self.pending_day is not None:
            for i in staged[0].cancelled:
                cursor.execute(sql["mark_cancelled"], self._row("mark_cancelled", r=self.run_id, d=self.pending_day,
                                                                 i=i, was="pending", now="cancelled"))
            cursor.execute(sql["mark_filled"], self._row("mark_filled", r=self.run_id, d=self.pending_day,
                                                         was="pending", now="filled", i=None))
        settled = [self._settle(staged[k], staged[k + 1]) for k in range(len(staged) - 1)] + [None]
        # The decision date of the orders each staged day fills.
        decided = [self.pending_day] + [day.day if day.pending else None for day in staged[:-1]]
        for name in ("orders", "fills", "positions", "equity", "cash_flows", "diagnostics", "processed_days"):
            columns = {c: [] for c in self._cols[name]}
            n = 0
            for k, day in enumerate(staged):
                if name not in day.tables:
                    continue
                size, values = day.tables[name]
                if name == "orders" and settled[k] is not None:
                    values = {**values, "status": settled[k]}
                elif name == "fills":
                    values = {**values, "decided_on": [decided[k] if d is _PENDING else d for d in values["decided_on"]]}
                for c, column in columns.items():
                    v = values[c]
                    column.extend(v if isinstance(v, list) else repeat(v, size))
                n += size
            if n:
                self._insert(cursor, name, n, columns)
        cursor.close()

    def _insert(self, cursor, name: str, n: int, columns: dict[str, list]) -> None:  # noqa: ANN001
        """Insert ``n`` rows given column-wise, in order.

        SQLite gets multi-row ``VALUES`` statements: one step of the statement inserts
        thousands of rows, where ``executemany`` pays a bind/step/reset round trip (and a
        release of the GIL) per row. Rows go in the order given, so ids are the same.
        """
        if not self._positional:
            rows = list(zip(*columns.values()))
            cursor.executemany(self._sql[name], [dict(zip(columns, r)) for r in rows])
            return
        width = len(columns)
        flat = [None] * (n * width)
        for j, column in enumerate(columns.values()):
            flat[j::width] = column
        done = 0
        for size in _pieces(n, self._most_rows[name]):
            cursor.execute(self._values_sql(name, size),
                           flat if size == n else flat[done * width:(done + size) * width])
            done += size

    def _values_sql(self, name: str, rows: int) -> str:
        """The table's INSERT with ``rows`` rows of parameters (kept: SQLite's statement cache
        is keyed by the text, and ``_pieces`` keeps the sizes few)."""
        key = (name, rows)
        sql = self._multi.get(key)
        if sql is None:
            single = self._sql[name]
            values = single[single.index(" VALUES ") + len(" VALUES "):]
            sql = self._multi[key] = single + (", " + values) * (rows - 1)
        return sql

    @staticmethod
    def _settle(day: "_StagedDay", after: "_StagedDay") -> list[str] | None:
        """The statuses of ``day``'s orders once ``after`` (the next trading day) has filled them."""
        if not day.pending:
            return None
        size, values = day.tables["orders"]
        cancelled = set(after.cancelled)
        return ["cancelled" if i in cancelled else "filled" for i in values["instrument_id"]]

    def _cash_flow_rows(self, day: Day, today) -> list[dict]:  # noqa: ANN001
        """The day's cash-flow rows: income (dividends, withholding, split cash, dated the day the
        cash moves), then the owner's money in or out (account-level rows)."""
        rows = []
        for f in day.cash_flows:
            if f.pay_date is None:
                when = today
            else:
                moved = f.pay_date.astype(object)
                when = moved.isoformat() if self._positional else moved
            rows.append({"run_id": self.run_id, "day": when, "kind": f.kind, "external": False,
                         "instrument_id": int(self.instrument_ids[f.instrument]), "amount": f.amount,
                         "currency": self.currencies[f.instrument], "fx": f.fx, "amount_base": f.amount_base,
                         "note": f.note})
        for f in day.external_flows:
            rows.append({"run_id": self.run_id, "day": today, "kind": f.kind, "external": f.external,
                         "instrument_id": None, "amount": f.amount, "currency": f.currency, "fx": f.fx,
                         "amount_base": f.amount_base, "note": f.note})
        return rows

    def write_daily(self, conn: Connection, first: int, equity: dict[str, list],
                    diagnostics: dict[str, list]) -> None:
        """Equity, diagnostics and processed-day rows for days ``first``, ``first + 1``, ... at once.

        A sweep's summary ledger: the columns were collected from each ``Day`` by
        ``equity_values`` and ``diagnostics_values``, so the rows are the ones ``write`` makes.
        """
        if not self._sql:
            self._compile(conn)
        n = len(next(iter(equity.values())))
        keys = {"run_id": self.run_id, "day": list(self.days[first:first + n])}
        cursor = conn.connection.cursor()
        cursor.executemany(self._sql["equity"], self._rows("equity", n, {**keys, **equity}))
        cursor.executemany(self._sql["diagnostics"], self._rows("diagnostics", n, {**keys, **diagnostics}))
        cursor.executemany(self._sql["processed_days"],
                           self._rows("processed_days", n, {**keys, "processed_at": utc_now()}))
        cursor.close()

    def committed(self, day: Day) -> None:
        """Call after the day's transaction commits: its orders are the ones to fill next."""
        pending = len(day.orders.instrument) and not day.orders.filled_same_day
        self.pending_day = self.days[day.t] if pending else None
