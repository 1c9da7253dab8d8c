"""Paper trading: after each close, process every trading session not yet processed.

A paper portfolio is one ledger run (mode "paper") per portfolio name. Each run of
``paper_run`` rebuilds the book from the ledger (cash, positions, the orders still
waiting for their fill), recomputes the estimates over the same history a replay
would see, and steps the same ``Engine.step`` over each unprocessed session up to
the as-of date. Each session is one database transaction that starts by claiming
the day in ``processed_days``: a second process that reaches the same day finds
the claim taken and stops with a clear message instead of doing the day twice, and
a process killed halfway leaves nothing of that day behind.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone

import numpy as np
import pandas as pd
from sqlalchemy import Connection, func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from db import ledger
from db.models import CashFlow, Equity, Order, Portfolio, PositionRow, ProcessedDay, Run
from db.session import open_engine
from tradesim import calendar, daily_summary, run_warnings
from tradesim.engine import Book, Day, Engine
from tradesim.errors import ConfigError, DataError, Interrupted, LedgerError, interrupts_deferred
from tradesim.market import Market, build_market
from tradesim.readiness import readiness
from tradesim.replay import WARMUP, check_cash_flow_dates, first_trading_index
from tradesim.resolve import source_for
from tradesim.schema import PortfolioConfig

log = logging.getLogger(__name__)

# Fault injection for the exactly-once tests: pause inside the named day's
# transaction (after its first rows are written) so a test can kill the process there.
PAUSE_ENV = "TRADESIM_TEST_PAUSE_IN_DAY"


@dataclass(frozen=True)
class PaperResult:
    run_id: int
    processed: list[Day]
    dates: list[date]
    as_of: date
    skipped: str | None = None  # why nothing was done, when nothing was
    waiting: str | None = None  # what the next session waits for (its prices have not arrived)


def default_as_of(config: PortfolioConfig, now: datetime | None = None) -> date:
    """The latest session whose close has passed."""
    now = now or datetime.now(timezone.utc)
    return calendar.latest_completed_session(config.calendar, now).date()


def paper_market(config: PortfolioConfig, first_day: date, as_of: date, database_url: str | None) -> Market:
    """Prices from ``first_day`` minus the warm-up to ``as_of``, one row per exchange session."""
    source = source_for(config, database_url)
    bars = source.load(config.symbols, first_day - WARMUP, as_of)
    if bars.close.empty:
        raise DataError(f"no prices for {', '.join(config.symbols)} up to {as_of}")
    days = calendar.sessions(config.calendar, bars.close.index[0].date(), as_of)
    return build_market(config, bars, sessions=days)


def _paper_run_row(conn: Connection, config: PortfolioConfig) -> tuple[int, date] | None:
    row = conn.execute(
        select(Run.id, Run.start_date, Run.config_hash).join(Portfolio, Portfolio.id == Run.portfolio_id)
        .where(Portfolio.name == config.name, Run.mode == "paper").order_by(Run.id)).first()
    if row is None:
        return None
    if row.config_hash != config.config_hash():
        log.warning("config of paper portfolio %r changed since it started (hash %s, now %s)",
                    config.name, row.config_hash, config.config_hash())
    return row.id, row.start_date


def open_paper_run(db, config: PortfolioConfig, start: date) -> tuple[int, date, np.ndarray]:  # noqa: ANN001
    """The portfolio's paper run (created on its first day) and its instrument ids;
    exactly one run even when two processes start a new portfolio together."""
    for attempt in range(2):
        try:
            with db.begin() as conn:
                pid = ledger.ensure_portfolio(conn, config)
                # A write on the portfolio row serialises creators: SQLite takes its write
                # lock, PostgreSQL a row lock; the second process then sees the first's run.
                conn.execute(update(Portfolio).where(Portfolio.id == pid).values(name=Portfolio.name))
                ids = ledger.ensure_instruments(conn, config)
                found = _paper_run_row(conn, config)
                if found is not None:
                    return found[0], found[1], ids
                return ledger.start_run(conn, pid, config, "paper", None, start, None), start, ids
        except IntegrityError:  # both inserted the portfolio (or an instrument) at once; the loser retries
            if attempt:
                raise
    raise AssertionError("unreachable")


def load_book(conn: Connection, run_id: int, market: Market,
              instrument_ids: np.ndarray) -> tuple[Book, date] | None:
    """The book after the last processed day, rebuilt from the ledger, and that day; None
    before the first day."""
    last = conn.execute(select(func.max(ProcessedDay.day)).where(ProcessedDay.run_id == run_id)).scalar()
    n = market.n_instruments
    if last is None:
        return None
    t = int(market.dates.searchsorted(pd.Timestamp(last)))
    if t >= market.n_days or market.dates[t].date() != last:
        raise LedgerError(f"last processed day {last} is not a session in the price data")
    cash, nav = conn.execute(select(Equity.cash, Equity.nav).where(Equity.run_id == run_id, Equity.day == last)).one()
    column = {int(i): k for k, i in enumerate(instrument_ids)}
    positions = np.zeros(n)
    for iid, qty in conn.execute(select(PositionRow.instrument_id, PositionRow.quantity)
                                 .where(PositionRow.run_id == run_id, PositionRow.day == last)):
        positions[column[iid]] = qty
    pending = np.zeros(n)
    reason = None
    for iid, qty, why in conn.execute(select(Order.instrument_id, Order.quantity, Order.reason)
                                      .where(Order.run_id == run_id, Order.day == last, Order.status == "pending")):
        pending[column[iid]] = qty
        reason = why
    # Dividends owed on a past ex-date and paid later (dividends.credit_on = "pay_date").
    receivable = tuple((np.datetime64(day, "D"), amount) for day, amount in conn.execute(
        select(CashFlow.day, CashFlow.amount_base).where(
            CashFlow.run_id == run_id, CashFlow.day > last, CashFlow.kind.in_(("dividend", "withholding")))
        .order_by(CashFlow.id)))
    invested = conn.execute(select(Order.id).where(Order.run_id == run_id).limit(1)).first() is not None
    return Book(t, cash, nav, positions, pending, reason, receivable, invested=invested,
                spending_navs=spending_navs(conn, run_id)), last


def spending_navs(conn: Connection, run_id: int) -> tuple[float, ...]:
    """The NAV the spending rule saw on each past payment day (the close before that day's
    external flows), oldest first: what its smoothing averages when a paper account resumes.
    (With same-close fills the day's NAV also moved by their costs after the payment.)"""
    flows = (select(CashFlow.day, func.sum(CashFlow.amount_base).label("flows"))
             .where(CashFlow.run_id == run_id, CashFlow.external).group_by(CashFlow.day).subquery())
    paid = select(CashFlow.day).where(CashFlow.run_id == run_id, CashFlow.kind == "spending").subquery()
    rows = conn.execute(select(Equity.nav - flows.c.flows)
                        .join(flows, flows.c.day == Equity.day).join(paid, paid.c.day == Equity.day)
                        .where(Equity.run_id == run_id).order_by(Equity.day)).scalars().all()
    return tuple(float(x) for x in rows)


def paper_run(config: PortfolioConfig, db_url: str, as_of: date | None = None, *,
              on_day: Callable[[Day, date], None] | None = None, now: datetime | None = None) -> PaperResult:
    """Process every unprocessed session up to ``as_of`` (default: the latest completed one).

    Every warning raised meanwhile is kept with the paper run: a session's missing and late
    prices are counted as its day is written; any other (a changed config, a strategy's
    warning, a summary not sent) is counted and its line stored here, once sessions were processed."""
    with run_warnings.collected() as logged:
        result = _paper_run(config, db_url, as_of, on_day=on_day, now=now)
    # A run that processed nothing leaves the ledger as it was (a cron job checking every hour
    # would otherwise add the same warning each time).
    if logged and result.processed:
        counted = {w for day in result.processed for w in day.warnings}
        db = open_engine(db_url)
        try:
            with db.begin() as conn:
                run_warnings.add(conn, result.run_id, logged, count=sum(w not in counted for w in logged))
        finally:
            db.dispose()
    return result


def _paper_run(config: PortfolioConfig, db_url: str, as_of: date | None, *,
               on_day: Callable[[Day, date], None] | None, now: datetime | None) -> PaperResult:
    latest = default_as_of(config, now)
    if as_of is not None and as_of > latest:
        raise ConfigError(f"--as-of {as_of}: the session has not closed yet (the latest closed {config.calendar} "
                          f"session is {latest})")
    as_of = as_of or latest
    db = open_engine(db_url)
    try:
        with db.begin() as conn:
            found = _paper_run_row(conn, config)
        start = found[1] if found else (config.start or as_of)
        if start > as_of:
            return PaperResult(found[0] if found else -1, [], [], as_of,
                               skipped=f"the portfolio starts on {start}, after {as_of}")
        if found is not None:
            with db.connect() as conn:
                last = conn.execute(select(func.max(ProcessedDay.day)).where(ProcessedDay.run_id == found[0])).scalar()
            if last is not None and last >= as_of:
                daily_summary.send_owed(db, config, found[0], as_of, db_url)  # retries what failed before
                return PaperResult(found[0], [], [], as_of, skipped=(
                    f"every session up to {as_of} is already processed (the last processed is {last})"))
        check_cash_flow_dates(config, start)
        market = paper_market(config, start, as_of, db_url)
        engine = Engine(config, market)
        run_id, start, ids = open_paper_run(db, config, start)
        days = [d.date() for d in market.dates]
        writer = ledger.DayWriter(run_id, ids, days, market.currency)
        processed: list[Day] = []
        with db.connect() as conn:
            loaded = load_book(conn, run_id, market, ids)
            conn.rollback()
            if loaded is None:
                book = engine.opening_book(first_trading_index(market, start))
            else:
                book, last = loaded
                if book.pending.any():
                    writer.pending_day = last
            ready = readiness(market, book.t + 1, config.paper.patience)
            todo = range(book.t + 1, ready.last + 1)
            if not len(todo):
                if ready.waiting_on is not None:
                    return PaperResult(run_id, [], [], as_of, waiting=ready.reason())
                daily_summary.send_owed(db, config, run_id, as_of, db_url)  # retries what failed before
                return PaperResult(run_id, [], [], as_of, skipped=f"every session up to {as_of} is already processed")
            pause_on = os.environ.get(PAUSE_ENV)
            try:
                for t in todo:
                    new_book, day = engine.step(book, t)
                    if t in ready.held:
                        day = replace(day, warnings=(*day.warnings, held_warning(ready.held[t], days[t], config)))
                        log.warning(day.warnings[-1])
                    try:
                        with _committed_whole(conn):
                            claim_day(conn, run_id, days[t])
                            writer.write(conn, day, mark_processed=False)
                            if day.warnings:
                                conn.execute(update(Run).where(Run.id == run_id)
                                             .values(warnings=func.coalesce(Run.warnings, 0) + len(day.warnings)))
                            if config.notify is not None:
                                daily_summary.owe(conn, run_id, days[t], len(day.warnings))
                            if pause_on == str(days[t]):
                                time.sleep(3600)
                    except IntegrityError:
                        raise LedgerError(f"paper portfolio {config.name!r}: {days[t]} was processed by another "
                                          "run at the same time; this run stops (run it again to continue)") from None
                    writer.committed(day)
                    book = new_book
                    processed.append(day)
                    if on_day is not None:
                        on_day(day, days[t])
            except Interrupted as exc:
                ledger.finish_run_after(db, run_id, exc)
                raise
        with db.begin() as conn:
            ledger.set_run_end(conn, run_id, days[book.t])
        daily_summary.send_owed(db, config, run_id, as_of, db_url)
        return PaperResult(run_id, processed, [days[d.t] for d in processed], as_of, waiting=ready.reason())
    finally:
        db.dispose()


@contextmanager
def _committed_whole(conn: Connection) -> Iterator[None]:
    """``conn.begin()`` whose commit no signal splits. A Ctrl-C or SIGTERM landing inside
    SQLAlchemy's commit left the transaction half-closed with SQLite's write lock held: marking
    the run interrupted then failed on "database is locked", the run stayed "running" and the
    command died with an internal error. As in a replay's grouped commits, a signal that comes
    during the commit is raised once it is done (see ``interrupts_deferred``)."""
    transaction = conn.begin()
    try:
        yield
    except BaseException:
        transaction.rollback()
        raise
    try:
        with interrupts_deferred():
            transaction.commit()
    except BaseException:
        if transaction.is_active:
            transaction.rollback()
        raise


def held_warning(symbols: tuple[str, ...], day: date, config: PortfolioConfig) -> str:
    return (f"{', '.join(symbols)}: no price for {day} after waiting {config.paper.patience} sessions "
            "(paper.patience): held at the last price, not traded")


def claim_day(conn: Connection, run_id: int, day: date) -> None:
    """Mark the day processed first, so a concurrent run conflicts before writing anything else.

    On SQLite the insert takes the database's write lock; a second process waits
    (busy timeout) until the first commits and then fails on the primary key.
    """
    try:
        conn.execute(ProcessedDay.__table__.insert().values(run_id=run_id, day=day, processed_at=ledger.utc_now()))
    except OperationalError as exc:
        raise LedgerError(f"ledger busy: another process holds the write lock ({exc.orig})") from None
