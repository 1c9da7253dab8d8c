"""Trade history as pandas DataFrames: the queries behind ``tradesim trades`` and friends.

For notebooks::

    from db import queries
    queries.trades("tradesim.db", symbol="AAPL", since="2020-06-01", until="2020-06-30")
    queries.pnl("tradesim.db", by=("asset_class", "month"), since="2023-01-01")

Every function takes a database (a path, a URL, an ``Engine`` or a
``Connection``) and filters; without ``run`` it reads the latest run (of
``portfolio`` when given). The rows are those of the read-only views of
``db.views``, so the same question in plain SQL gets the same answer (trades,
fills and orders are read from the views' own tables, with the run's portfolio as
constants: the same rows, faster). A filter
that names something the ledger does not have (a portfolio, a run, a symbol) or
cannot be read (a date) raises ``QueryError``; a filter that matches nothing
returns an empty frame.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (Boolean, Connection, Date, Engine, Float, Integer, String, and_, column, func, literal,
                        select, table)
from sqlalchemy.sql import Select

from db.models import Fill, Instrument, Order, Portfolio, ProcessedDay, Run
from tradesim.errors import TradesimError

if TYPE_CHECKING:  # pandas only for the frames API: the CLI streams rows without it (half a second of start-up)
    import pandas as pd

SIDES = ("BUY", "SELL")


class QueryError(TradesimError):
    """A history filter that is malformed or names nothing in the ledger."""


# -- the views, as typed selectables (types make SQLite hand back dates, not strings) ---------

def _view(name: str, **cols) -> object:  # noqa: ANN003
    return table(name, *(column(c, t) for c, t in cols.items()))


_RUN_COLS = dict(run_id=Integer, portfolio_id=Integer, portfolio=String, base_currency=String)
_INSTRUMENT_COLS = dict(symbol=String, asset_class=String, kind=String, currency=String)
TRADES = _view("trades_view", fill_id=Integer, **_RUN_COLS, day=Date, decided_on=Date, **_INSTRUMENT_COLS,
               multiplier=Float, side=String, quantity=Float, price=Float, contract_price=Float, notional=Float,
               commission=Float, slippage=Float, cost=Float, fx=Float, notional_base=Float, cost_base=Float,
               reason=String, target=Float, optimal=Float, order_status=String)
ORDERS = _view("orders_view", order_id=Integer, **_RUN_COLS, day=Date, **_INSTRUMENT_COLS, side=String,
               quantity=Float, target=Float, optimal=Float, reason=String, status=String)
POSITIONS = _view("positions_view", **_RUN_COLS, day=Date, **_INSTRUMENT_COLS, multiplier=Float,
                  quantity=Float, price=Float, fx=Float, notional_base=Float)
EQUITY = _view("equity_view", **_RUN_COLS, day=Date, nav=Float, cash=Float, gross_pnl=Float, price_pnl=Float,
               income=Float, costs=Float,
               roll_costs=Float, net_pnl=Float, gross_exposure=Float, traded_notional=Float,
               tracking_error=Float, adjustment_factor=Float, path=String, reason=String, rebalanced=Boolean)

# Output columns, in order: what CSV and JSON carry and what the DataFrames hold.
TRADE_COLUMNS = ("run_id", "portfolio", "day", "decided_on", "symbol", "asset_class", "currency", "side",
                 "quantity", "price", "contract_price", "multiplier", "notional", "commission", "slippage", "cost",
                 "fx", "base_currency", "notional_base", "cost_base", "reason", "target", "fill_id")
FILL_COLUMNS = ("run_id", "portfolio", "fill_id", "day", "decided_on", "symbol", "currency", "quantity", "price",
                "contract_price", "commission", "slippage", "fx", "base_currency", "cost_base", "notional_base")
ORDER_COLUMNS = ("run_id", "portfolio", "order_id", "day", "symbol", "asset_class", "currency", "side",
                 "quantity", "target", "optimal", "reason", "status")
POSITION_COLUMNS = ("run_id", "portfolio", "day", "symbol", "asset_class", "currency", "quantity", "price",
                    "multiplier", "notional", "fx", "base_currency", "notional_base")
EQUITY_COLUMNS = ("run_id", "portfolio", "day", "base_currency", "nav", "cash", "gross_pnl", "price_pnl", "income", "costs",
                  "roll_costs", "net_pnl", "gross_exposure", "traded_notional", "tracking_error",
                  "adjustment_factor", "path", "reason", "rebalanced")
RUN_COLUMNS = ("run_id", "portfolio", "base_currency", "mode", "label", "status", "start_date", "end_date",
               "days", "config_hash", "code_version", "started_at", "finished_at", "warnings", "warning_text")


@dataclass(frozen=True)
class Filters:
    """What the user asked for; dates and names still unchecked."""

    portfolio: str | None = None
    run: int | None = None
    symbol: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None
    side: str | None = None
    reason: str | None = None
    path: str | None = None
    limit: int | None = None


def filters(portfolio: str | None = None, run: int | None = None, symbol: str | Iterable[str] | None = None,
            since: date | str | None = None, until: date | str | None = None, side: str | None = None,
            reason: str | None = None, path: str | None = None, limit: int | None = None) -> Filters:
    """Validate the user's filters (dates, side, limit) into a ``Filters``."""
    symbols = (symbol,) if isinstance(symbol, str) else tuple(symbol or ())
    symbols = tuple(s.strip() for part in symbols for s in part.split(",") if s.strip())
    if side is not None and side.upper() not in SIDES:
        raise QueryError(f"--side: {side!r} is not BUY or SELL")
    if limit is not None and limit < 1:
        raise QueryError(f"--limit: {limit} is not a positive number of rows")
    f = Filters(portfolio, run, symbols, _day(since, "--since"), _day(until, "--until"),
                side.upper() if side else None, reason, path, limit)
    if f.since and f.until and f.since > f.until:
        raise QueryError(f"--since {f.since} is after --until {f.until}")
    return f


def _day(value: date | str | None, option: str) -> date | None:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, datetime):
        return value.date()
    try:
        return datetime.strptime(str(value), "%Y-%m-%d").date()
    except ValueError:
        raise QueryError(f"{option}: {value!r} is not a date (YYYY-MM-DD)") from None


# -- connections -------------------------------------------------------------------------------

@contextmanager
def connect(source: str | Engine | Connection) -> Iterator[Connection]:
    """A connection on ``source``; a path or URL is opened (and migrated) for the call only."""
    if isinstance(source, Connection):
        yield source
        return
    if isinstance(source, Engine):
        with source.connect() as conn:
            yield _reader(conn)
        return
    from db.session import database_url, open_engine

    url = database_url(source)
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        from pathlib import Path

        if not Path(url.removeprefix("sqlite:///")).exists():
            raise QueryError(f"{url}: no such ledger")
    engine = open_engine(url, write=False)  # queries read: a read-only ledger will do
    try:
        with engine.connect() as conn:
            yield _reader(conn)
    finally:
        engine.dispose()


def _reader(conn: Connection) -> Connection:
    """Queries only read: on SQLite they need no write lock and never wait for a writer (WAL)."""
    return conn.execution_options(sqlite_begin="DEFERRED")


# -- resolving names ---------------------------------------------------------------------------

def resolve_run(conn: Connection, f: Filters) -> int | None:
    """The run the filters mean: ``run``, else the latest of ``portfolio``, else the latest of all.

    None only when the ledger has no runs at all (every query is then empty).
    """
    portfolio_id = None
    if f.portfolio is not None:
        portfolio_id = conn.execute(select(Portfolio.id).where(Portfolio.name == f.portfolio)).scalar()
        if portfolio_id is None:
            raise QueryError(f"--portfolio: no portfolio {f.portfolio!r} in the ledger")
    if f.run is not None:
        owner = conn.execute(select(Run.portfolio_id).where(Run.id == f.run)).first()
        if owner is None:
            raise QueryError(f"--run: no run {f.run} in the ledger")
        if portfolio_id is not None and owner[0] != portfolio_id:
            raise QueryError(f"--run: run {f.run} is not a run of portfolio {f.portfolio!r}")
        return f.run
    latest = select(func.max(Run.id))
    if portfolio_id is not None:
        latest = latest.where(Run.portfolio_id == portfolio_id)
    found = conn.execute(latest).scalar()
    if found is None and portfolio_id is not None:
        raise QueryError(f"--portfolio: portfolio {f.portfolio!r} has no runs")
    return found


def _check_symbols(conn: Connection, symbols: tuple[str, ...]) -> None:
    if not symbols:
        return
    known = set(conn.execute(select(Instrument.symbol).where(Instrument.symbol.in_(symbols))).scalars())
    unknown = [s for s in symbols if s not in known]
    if unknown:
        raise QueryError(f"--symbol: no instrument {unknown[0]!r} in the ledger")


# -- the selects (the CLI streams them; the functions below frame them) ------------------------

@dataclass(frozen=True)
class Query:
    sql: Select | None  # None: nothing can match (an empty ledger)
    columns: tuple[str, ...]
    run_id: int | None
    convert: Callable[[tuple], tuple] | None = None  # applied to each row
    count: Select | None = None  # how many rows ``sql`` has without its limit (else counted from it)


def _where(view, sel: Select, run_id: int, f: Filters) -> Select:  # noqa: ANN001
    c = view.c
    sel = sel.where(c.run_id == run_id)
    if f.symbol:
        sel = sel.where(c.symbol.in_(f.symbol))
    if f.since is not None:
        sel = sel.where(c.day >= f.since)
    if f.until is not None:
        sel = sel.where(c.day <= f.until)
    if f.side is not None:
        sel = sel.where(c.side == f.side)
    if f.reason is not None:
        sel = sel.where(c.reason == f.reason)
    if f.path is not None:
        sel = sel.where(c.path.contains(f.path, autoescape=True))
    return sel.limit(f.limit) if f.limit else sel


def _view_query(conn: Connection, f: Filters, view, columns: tuple[str, ...], order: tuple[str, ...],  # noqa: ANN001
                extra: dict | None = None) -> Query:
    _check_symbols(conn, f.symbol)
    run_id = resolve_run(conn, f)
    if run_id is None:
        return Query(None, columns, None)
    extra = extra or {}
    cols = [extra[name].label(name) if name in extra else view.c[name] for name in columns]
    sel = select(*cols).order_by(*(view.c[o] for o in order))
    return Query(_where(view, sel, run_id, f), columns, run_id)


def _run_query(conn: Connection, f: Filters, source, columns: tuple[str, ...],  # noqa: ANN001
               order: tuple[str, ...]) -> Query:
    """A view's rows for one run, read from the view's own tables (``source(run)`` builds them).

    The views join the run and its portfolio to every row; for one run those are constants, and
    without their join SQLite walks the rows in day order and sorts only within a day, so the
    first screenful of a million fills comes back at once instead of after sorting them all.
    ``count`` counts them on the table alone (the order is joined only when a filter needs it).
    """
    _check_symbols(conn, f.symbol)
    run_id = resolve_run(conn, f)
    if run_id is None:
        return Query(None, columns, None)
    pid, name, ccy = conn.execute(select(Run.portfolio_id, Portfolio.name, Portfolio.base_currency)
                                  .join(Portfolio, Portfolio.id == Run.portfolio_id).where(Run.id == run_id)).one()
    rows = source((literal(pid, Integer), literal(name, String), literal(ccy, String)),
                  with_order=True, with_instrument=True).subquery()
    sel = select(*(rows.c[name] for name in columns)).order_by(*(rows.c[o] for o in order))
    lean = source(None, with_order=f.side is not None or f.reason is not None, with_instrument=bool(f.symbol))
    lean = lean.subquery()
    count = select(func.count()).select_from(_where(lean, select(lean.c.run_id), run_id, replace(f, limit=None)).subquery())
    return Query(_where(rows, sel, run_id, f), columns, run_id, count=count)


def _fills_of(run, with_order: bool, with_instrument: bool) -> Select:  # noqa: ANN001
    """``trades_view``'s columns (all of them given ``run``'s constants) from fills, orders and instruments."""
    fl, o, i = Fill.__table__.c, Order.__table__.c, Instrument.__table__.c
    source = Fill.__table__
    # Every fill has its order (the engine writes both in the day's transaction): the rows join
    # it for side and reason, as the view does; a count needs it only to filter on them.
    if with_order:
        source = source.join(Order.__table__, and_(o.run_id == fl.run_id, o.day == fl.decided_on,
                                                   o.instrument_id == fl.instrument_id))
    if with_instrument:
        source = source.join(Instrument.__table__, i.id == fl.instrument_id)
    if run is None:
        cols = [fl.run_id, fl.day] + ([i.symbol] if with_instrument else []) + \
            ([o.side, o.reason] if with_order else [])
        return select(*cols).select_from(source)
    pid, name, ccy = run
    return select(fl.id.label("fill_id"), fl.run_id, pid.label("portfolio_id"), name.label("portfolio"),
                  ccy.label("base_currency"), fl.day, fl.decided_on, i.symbol, i.asset_class, i.kind, i.currency,
                  i.multiplier, o.side, fl.quantity, fl.price, fl.contract_price,
                  (func.abs(fl.quantity) * func.abs(fl.contract_price) * i.multiplier).label("notional"),
                  fl.commission, fl.slippage, (fl.commission + fl.slippage).label("cost"), fl.fx,
                  fl.notional_base, fl.cost_base, o.reason, o.target, o.optimal,
                  o.status.label("order_status")).select_from(source)


def _orders_of(run, with_order: bool, with_instrument: bool) -> Select:  # noqa: ANN001
    """``orders_view``'s columns (all of them given ``run``'s constants) from orders and instruments."""
    o, i = Order.__table__.c, Instrument.__table__.c
    source = Order.__table__.join(Instrument.__table__, i.id == o.instrument_id) if with_instrument else Order.__table__
    if run is None:
        return select(o.run_id, o.day, o.side, o.reason, *([i.symbol] if with_instrument else [])).select_from(source)
    pid, name, ccy = run
    return select(o.id.label("order_id"), o.run_id, pid.label("portfolio_id"), name.label("portfolio"),
                  ccy.label("base_currency"), o.day, i.symbol, i.asset_class, i.kind, i.currency, o.side,
                  o.quantity, o.target, o.optimal, o.reason, o.status).select_from(source)


def trades_query(conn: Connection, f: Filters) -> Query:
    return _run_query(conn, f, _fills_of, TRADE_COLUMNS, ("day", "symbol", "fill_id"))


def fills_query(conn: Connection, f: Filters) -> Query:
    return _run_query(conn, f, _fills_of, FILL_COLUMNS, ("day", "symbol", "fill_id"))


def orders_query(conn: Connection, f: Filters) -> Query:
    return _run_query(conn, f, _orders_of, ORDER_COLUMNS, ("day", "symbol"))


def positions_query(conn: Connection, f: Filters, latest: bool | None = None) -> Query:
    """``latest`` (the default when neither ``since`` nor ``until`` is given): the run's last day only."""
    if latest is None:
        latest = f.since is None and f.until is None
    if latest:
        run_id = resolve_run(conn, f)
        last = conn.execute(select(func.max(ProcessedDay.day)).where(ProcessedDay.run_id == run_id)).scalar()
        f = replace(f, since=last, until=last)
    notional = POSITIONS.c.notional_base / POSITIONS.c.fx
    return _view_query(conn, f, POSITIONS, POSITION_COLUMNS, ("day", "symbol"), {"notional": notional})


def equity_query(conn: Connection, f: Filters) -> Query:
    return _view_query(conn, f, EQUITY, EQUITY_COLUMNS, ("day",))


def runs_query(conn: Connection, f: Filters) -> Query:
    """Runs, oldest first; ``since``/``until`` keep the runs whose dates overlap them."""
    days = select(func.count()).where(ProcessedDay.run_id == Run.id).scalar_subquery()
    sel = (select(Run.id.label("run_id"), Portfolio.name.label("portfolio"), Portfolio.base_currency, Run.mode,
                  Run.label, Run.status, Run.start_date, Run.end_date, days.label("days"), Run.config_hash,
                  Run.code_version, Run.started_at, Run.finished_at, Run.warnings, Run.warning_text)
           .join(Portfolio, Portfolio.id == Run.portfolio_id).order_by(Run.id))
    if f.portfolio is not None:
        if conn.execute(select(Portfolio.id).where(Portfolio.name == f.portfolio)).scalar() is None:
            raise QueryError(f"--portfolio: no portfolio {f.portfolio!r} in the ledger")
        sel = sel.where(Portfolio.name == f.portfolio)
    if f.run is not None:
        sel = sel.where(Run.id == f.run)
    if f.since is not None:
        sel = sel.where(Run.end_date >= f.since)
    if f.until is not None:
        sel = sel.where(Run.start_date <= f.until)
    if f.limit:
        sel = sel.limit(f.limit)
    return Query(sel, RUN_COLUMNS, None, _utc_times)


def _utc_times(row: tuple) -> tuple:
    """Wall-clock times are stored in UTC; SQLite hands them back naive, PostgreSQL aware: say UTC either way."""
    return tuple(v.replace(tzinfo=UTC) if isinstance(v, datetime) and v.tzinfo is None
                 else v.astimezone(UTC) if isinstance(v, datetime) else v for v in row)


def rows(conn: Connection, query: Query, chunk: int = 5000) -> Iterator[tuple]:
    """The query's rows, fetched in chunks (the CLI streams CSV and JSON from here)."""
    if query.sql is None:
        return
    result = conn.execution_options(yield_per=chunk).execute(query.sql)
    for row in result:
        yield query.convert(tuple(row)) if query.convert else tuple(row)


def driver_rows(conn: Connection, query: Query, chunk: int = 5000) -> Iterator[list[tuple]] | None:
    """The query's rows in chunks of the driver's own tuples, when those print (as CSV or JSON)
    exactly as ``rows`` gives them, else None: on SQLite, with no conversion, and every column a
    type SQLAlchemy hands on as the driver gives it (numbers, text) or a day (stored as ISO text,
    which is what a day prints as). A million fills stream without a row object or a cell's
    conversion each (no NaN either: SQLite stores it as NULL)."""
    if query.sql is None or query.convert is not None or conn.dialect.name != "sqlite":
        return None
    dialect = conn.dialect
    for col in query.sql.selected_columns:
        kind = col.type.dialect_impl(dialect)
        if not isinstance(col.type, Date) and kind.result_processor(dialect, None) is not None:
            return None

    def chunks() -> Iterator[list[tuple]]:
        result = conn.execute(query.sql)
        cursor = result.cursor
        try:
            while batch := cursor.fetchmany(chunk):
                yield batch
        finally:
            result.close()

    return chunks()


def frame(conn: Connection, query: Query) -> pd.DataFrame:
    """The whole result at once: a frame holds it all anyway, and a plain fetch beats a
    server-side cursor on PostgreSQL."""
    data = [] if query.sql is None else conn.execute(query.sql).all()
    if query.convert:
        data = [query.convert(tuple(r)) for r in data]
    import pandas as pd

    return pd.DataFrame.from_records(data, columns=list(query.columns))


# -- the notebook API --------------------------------------------------------------------------

def _frame_of(builder, source, **kwargs) -> pd.DataFrame:  # noqa: ANN001, ANN003
    extra = {k: kwargs.pop(k) for k in ("latest",) if k in kwargs}
    f = filters(**kwargs)
    with connect(source) as conn:
        return frame(conn, builder(conn, f, **extra))


def trades(source, portfolio=None, run=None, symbol=None, since=None, until=None, side=None, reason=None,  # noqa: ANN001
           limit=None) -> pd.DataFrame:
    """Fills joined to their orders (side, reason) and instruments, by fill date."""
    return _frame_of(trades_query, source, portfolio=portfolio, run=run, symbol=symbol, since=since,
                     until=until, side=side, reason=reason, limit=limit)


def fills(source, portfolio=None, run=None, symbol=None, since=None, until=None, side=None, reason=None,  # noqa: ANN001
          limit=None) -> pd.DataFrame:
    """The fills themselves: prices, costs and FX as the broker recorded them."""
    return _frame_of(fills_query, source, portfolio=portfolio, run=run, symbol=symbol, since=since,
                     until=until, side=side, reason=reason, limit=limit)


def orders(source, portfolio=None, run=None, symbol=None, since=None, until=None, side=None, reason=None,  # noqa: ANN001
           limit=None) -> pd.DataFrame:
    """Orders by decision date, with the target and the unrounded optimum behind them."""
    return _frame_of(orders_query, source, portfolio=portfolio, run=run, symbol=symbol, since=since,
                     until=until, side=side, reason=reason, limit=limit)


def positions(source, portfolio=None, run=None, symbol=None, since=None, until=None, limit=None,  # noqa: ANN001
              latest=None) -> pd.DataFrame:
    """Holdings at each close; without ``since``/``until`` (or with ``latest=True``) the last day's."""
    return _frame_of(positions_query, source, portfolio=portfolio, run=run, symbol=symbol, since=since,
                     until=until, limit=limit, latest=latest)


def equity(source, portfolio=None, run=None, since=None, until=None, reason=None, path=None,  # noqa: ANN001
           limit=None) -> pd.DataFrame:
    """NAV, P&L, costs and exposure per day, with what the sizing step did (``path`` is a substring)."""
    return _frame_of(equity_query, source, portfolio=portfolio, run=run, since=since, until=until,
                     reason=reason, path=path, limit=limit)


def runs(source, portfolio=None, run=None, since=None, until=None, limit=None) -> pd.DataFrame:  # noqa: ANN001
    """The runs in the ledger with their portfolio, dates, status and number of processed days."""
    return _frame_of(runs_query, source, portfolio=portfolio, run=run, since=since, until=until, limit=limit)


def pnl(source, portfolio=None, run=None, symbol=None, since=None, until=None,  # noqa: ANN001
        by: str | Iterable[str] = ("instrument",), reference: bool = False) -> pd.DataFrame:
    """Gross P&L, costs and net P&L (base currency), grouped ``by`` instrument, asset_class, month and/or day.

    The database sums them; ``reference=True`` sums every holding and fill in Python, term for
    term as ``db.pnl`` defines them (slower; the same figures up to the order of the additions)."""
    from db.pnl import attribute

    f = filters(portfolio=portfolio, run=run, symbol=symbol, since=since, until=until)
    with connect(source) as conn:
        return attribute(conn, f, by, reference=reference)
