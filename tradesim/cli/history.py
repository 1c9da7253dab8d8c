"""Asking the ledger what happened: ``tradesim trades | orders | fills | positions | equity | runs | pnl``.

Each command reads one run (``--run``, else the latest run of ``--portfolio``,
else the latest run) through ``db.queries``, and prints a table, or streams CSV
or JSON (``--format``). A filter that matches nothing prints an empty table; one
that cannot be read or names nothing in the ledger is a one-line error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Optional

import typer
from sqlalchemy import Connection, func, select

from db import queries as q
from db.models import Portfolio, Run
from db.session import database_url
from tradesim.cli import app
from tradesim.cli.options import DbOption
from tradesim.cli.output import Col, Format, default_limit, emit, num, price, quantity, variant_name

Portfolio_ = Annotated[Optional[str], typer.Option("--portfolio", "-p", metavar="NAME", help="Portfolio name (default: any).")]
RunId = Annotated[Optional[int], typer.Option("--run", "-r", metavar="ID", help="Run id (default: the latest run, of --portfolio if given).")]
Symbol = Annotated[Optional[list[str]], typer.Option("--symbol", "-s", metavar="SYMBOL", help="Instrument symbol; repeat or comma-separate for several.")]
Since = Annotated[Optional[str], typer.Option("--since", metavar="DATE", help="First day, YYYY-MM-DD (inclusive).")]
Until = Annotated[Optional[str], typer.Option("--until", metavar="DATE", help="Last day, YYYY-MM-DD (inclusive).")]
Side = Annotated[Optional[str], typer.Option("--side", metavar="BUY|SELL", help="BUY or SELL.")]
Reason = Annotated[Optional[str], typer.Option("--reason", metavar="REASON", help="The trigger's reason recorded on the order (exact).")]
Limit = Annotated[Optional[int], typer.Option(
    "--limit", "-n", metavar="N",
    help="At most N rows, the earliest first (default: tables show about a screenful and say how many more "
         "there are; csv and json everything).")]
Fmt = Annotated[Format, typer.Option("--format", "-f", help="table, or csv / json streamed to stdout.")]


def _title(conn: Connection, what: str, run_id: int | None) -> tuple[str, str]:
    """The table's title and the run's base currency."""
    if run_id is None:
        return f"{what}: the ledger has no runs", ""
    name, ccy, mode = conn.execute(select(Portfolio.name, Portfolio.base_currency, Run.mode)
                                   .join(Run, Run.portfolio_id == Portfolio.id).where(Run.id == run_id)).one()
    return f"{what}: {name}, run {run_id} ({mode}), base currency {ccy}", ccy


def _limited(fmt: Format, limit: int | None) -> tuple[int | None, bool]:
    """The row limit (tables have a default; CSV and JSON none) and whether rows beyond it are
    counted (for a table's "N more rows" line)."""
    if fmt is not Format.table:
        return limit, False
    return (default_limit() if limit is None else limit), True


def _more(conn: Connection, query: q.Query, limit: int | None) -> Callable[[int], int]:
    """How many rows the query has beyond the ``shown`` ones (counted only when the limit was reached)."""

    def more(shown: int) -> int:
        if query.sql is None or limit is None or shown < limit:
            return 0
        count = query.count
        if count is None:
            count = select(func.count()).select_from(query.sql.limit(None).order_by(None).subquery())
        return conn.execute(count).scalar() - shown

    return more


def _show(what: str, build, spec, fmt: Format, db: str | None, limit: int | None, **filters) -> None:  # noqa: ANN001, ANN003
    limit, counted = _limited(fmt, limit)
    f = q.filters(limit=limit, **filters)
    with q.connect(database_url(db)) as conn:
        query = build(conn, f)
        title, ccy = _title(conn, what, query.run_id)
        cols = [Col(c.name, c.header.replace("{ccy}", ccy), c.fmt, c.right, c.optional) for c in spec]
        emit(fmt, title, query.columns, q.rows(conn, query), cols, more=_more(conn, query, limit) if counted else None,
             as_is=None if fmt is Format.table else q.driver_rows(conn, query))


# Columns marked optional give way, with a note, when the table would not fit the console; the
# rest never do (a narrower console gets each row as a vertical record instead).
TRADES_TABLE = [Col("day", "day"), Col("symbol", "symbol"), num("quantity", "qty", quantity), num("price", "price", price),
                Col("currency", "ccy", optional=True), num("cost", "cost", optional=True),
                num("notional_base", "value {ccy}"), num("cost_base", "cost {ccy}"),
                Col("reason", "reason", optional=True)]
FILLS_TABLE = [Col("day", "day"), Col("decided_on", "decided", optional=True), Col("symbol", "symbol"),
               num("quantity", "qty", quantity), num("price", "price", price), Col("currency", "ccy", optional=True),
               num("commission", "comm.", optional=True), num("slippage", "slip.", optional=True),
               num("cost_base", "cost {ccy}")]
ORDERS_TABLE = [Col("day", "decided"), Col("symbol", "symbol"), Col("side", "side"), num("quantity", "qty", quantity),
                num("target", "target", quantity), num("optimal", "optimal", quantity, optional=True),
                Col("reason", "reason", optional=True), Col("status", "status")]
POSITIONS_TABLE = [Col("day", "day"), Col("symbol", "symbol"), num("quantity", "qty", quantity),
                   num("price", "price", price), Col("currency", "ccy", optional=True),
                   num("notional", "value", optional=True), num("notional_base", "value {ccy}")]
# The sizing path names run to 27 characters: the tracking error goes to CSV/JSON only.
EQUITY_TABLE = [Col("day", "day"), num("nav", "NAV {ccy}"), num("net_pnl", "net P&L"), num("costs", "costs", optional=True),
                num("gross_exposure", "exposure", optional=True), Col("path", "sizing", optional=True)]


RUNS_TABLE = [num("run_id", "id", str), Col("portfolio", "portfolio"), Col("mode", "mode"), Col("label", "variant", variant_name),
              Col("start_date", "from"), Col("end_date", "to"), num("days", "days", str), Col("status", "status"),
              Col("config_hash", "config", lambda h: (h or "")[:8], optional=True),
              num("warnings", "warnings", lambda n: "" if n is None else f"{n:,}", optional=True)]


@app.command()
def trades(portfolio: Portfolio_ = None, run: RunId = None, symbol: Symbol = None, since: Since = None,
           until: Until = None, side: Side = None, reason: Reason = None, limit: Limit = None,
           format: Fmt = Format.table, db: DbOption = None) -> None:  # noqa: A002
    """Trades: fills with their order's side and reason, by fill date."""
    _show("trades", q.trades_query, TRADES_TABLE, format, db, limit, portfolio=portfolio, run=run, symbol=symbol,
          since=since, until=until, side=side, reason=reason)


@app.command()
def fills(portfolio: Portfolio_ = None, run: RunId = None, symbol: Symbol = None, since: Since = None,
          until: Until = None, side: Side = None, reason: Reason = None, limit: Limit = None,
          format: Fmt = Format.table, db: DbOption = None) -> None:  # noqa: A002
    """Fills: price, commission, slippage and FX as the simulated broker recorded them."""
    _show("fills", q.fills_query, FILLS_TABLE, format, db, limit, portfolio=portfolio, run=run, symbol=symbol,
          since=since, until=until, side=side, reason=reason)


@app.command()
def orders(portfolio: Portfolio_ = None, run: RunId = None, symbol: Symbol = None, since: Since = None,
           until: Until = None, side: Side = None, reason: Reason = None, limit: Limit = None,
           format: Fmt = Format.table, db: DbOption = None) -> None:  # noqa: A002
    """Orders by decision date, with the target position and the unrounded optimum."""
    _show("orders", q.orders_query, ORDERS_TABLE, format, db, limit, portfolio=portfolio, run=run, symbol=symbol,
          since=since, until=until, side=side, reason=reason)


@app.command()
def positions(portfolio: Portfolio_ = None, run: RunId = None, symbol: Symbol = None, since: Since = None,
              until: Until = None, limit: Limit = None, format: Fmt = Format.table, db: DbOption = None) -> None:  # noqa: A002
    """Holdings at the close: the run's last day unless --since/--until ask for a range."""
    _show("positions", q.positions_query, POSITIONS_TABLE, format, db, limit, portfolio=portfolio, run=run,
          symbol=symbol, since=since, until=until)


@app.command()
def equity(portfolio: Portfolio_ = None, run: RunId = None, since: Since = None, until: Until = None,
           reason: Reason = None,
           path: Annotated[Optional[str], typer.Option("--path", metavar="STEP", help="Sizing path contains this, e.g. no_trade: days the buffer held trading back.")] = None,
           limit: Limit = None, format: Fmt = Format.table, db: DbOption = None) -> None:  # noqa: A002
    """NAV, P&L, costs and exposure per day, with the tracking error and what the sizing step did."""
    _show("equity", q.equity_query, EQUITY_TABLE, format, db, limit, portfolio=portfolio, run=run, since=since,
          until=until, reason=reason, path=path)


@app.command()
def runs(portfolio: Portfolio_ = None, run: RunId = None,
         since: Annotated[Optional[str], typer.Option("--since", metavar="DATE", help="Runs whose dates overlap this day or later, YYYY-MM-DD (a run from 2020 to 2022 matches --since 2021-06-01).")] = None,
         until: Annotated[Optional[str], typer.Option("--until", metavar="DATE", help="Runs whose dates overlap this day or earlier, YYYY-MM-DD.")] = None,
         limit: Limit = None, format: Fmt = Format.table, db: DbOption = None,  # noqa: A002
         sweep: Annotated[Optional[str], typer.Option("--sweep", metavar="ID", help="A sweep's variants with their figures.")] = None,
         sort: Annotated[Optional[str], typer.Option("--sort", metavar="COLUMN", help="With --sweep: sort by a column; -sharpe sorts descending.")] = None) -> None:
    """The runs in the ledger: id, portfolio, mode, comparison variant, dates, processed days, status, config hash."""
    url = database_url(db)
    if sweep is not None:
        from tradesim.cli.sweep import show_sweep

        show_sweep(url, sweep, sort, format)
        return
    limit, counted = _limited(format, limit)
    f = q.filters(portfolio=portfolio, run=run, since=since, until=until, limit=limit)
    with q.connect(url) as conn:
        query = q.runs_query(conn, f)
        emit(format, f"runs in {conn.engine.url.render_as_string(hide_password=True)}", query.columns,
             q.rows(conn, query), RUNS_TABLE, more=_more(conn, query, limit) if counted else None)


@app.command()
def pnl(portfolio: Portfolio_ = None, run: RunId = None, symbol: Symbol = None, since: Since = None,
        until: Until = None,
        by: Annotated[Optional[list[str]], typer.Option("--by", metavar="GROUP", help="instrument, asset_class, month or day; repeat or comma-separate to nest.")] = None,
        limit: Limit = None, format: Fmt = Format.table, db: DbOption = None) -> None:  # noqa: A002
    """P&L by instrument, asset class and/or month: gross, costs apart, net (base currency)."""
    from db.pnl import PNL_COLUMNS, table

    show, _ = _limited(format, limit)
    q.filters(limit=limit)  # checks it
    f = q.filters(portfolio=portfolio, run=run, symbol=symbol, since=since, until=until)
    with q.connect(database_url(db)) as conn:
        columns, rows = table(conn, f, by or ["instrument"])
        title, ccy = _title(conn, "P&L", q.resolve_run(conn, f))
    keys = [c for c in columns if c not in ("base_currency", *PNL_COLUMNS)]
    spec = [Col(k, k.replace("_", " ")) for k in keys if k != "currency"]
    spec += [num("gross_pnl", f"gross {ccy}"), num("costs", f"costs {ccy}"), num("net_pnl", f"net {ccy}")]
    emit(format, title, columns, rows, spec, total=list(PNL_COLUMNS), show=show)
