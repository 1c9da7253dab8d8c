"""Historical replay: the engine's step over the data's trading days, ledger written day by day."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Engine as DbEngine

from db import ledger
from db.session import open_engine
from strategies.base import Strategy
from tradesim import run_warnings
from tradesim.allocator import release_free_memory, release_library_pages
from tradesim.data.source import PriceSource
from tradesim.engine import Day, Engine
from tradesim.errors import interrupts_deferred
from tradesim.market import Market, build_market, missing_data_warnings
from tradesim.metrics import Summary, summarise
from tradesim.resolve import source_for
from tradesim.risk_free import risk_free_rates
from tradesim.schema import PortfolioConfig

log = logging.getLogger(__name__)

# Estimates need history before the first trading day: volatility a few weeks,
# correlations several months. Replays load this much before ``start``.
WARMUP = timedelta(days=730)

# Days per commit in a replay, written together (one statement per table) and committed
# whole. Every commit rewrites the index pages the days touched; committing each day makes
# the default replay about 5 s slower. `tradesim replay --commit-every 1` asks for it.
COMMIT_EVERY = 64


class GroupWriter:
    """Writes and commits a replay's groups of days on a thread of its own, one group at a time.

    The database does most of a group's work without Python's GIL (the sqlite3 module and
    psycopg release it while SQLite steps a statement or commits, or the server answers), and
    the loop spends much of each day in the optimiser's kernels, which release it too: the
    next days are simulated while a group is written. A group is one transaction, as before:
    all or none of its days. Signals only ever interrupt the main thread, so a commit is never
    cut in half; whoever stops the loop calls ``settle`` to let the group on its way end first.
    """

    def __init__(self, writer: ledger.DayWriter, conn) -> None:  # noqa: ANN001
        from sqlalchemy.pool import SingletonThreadPool

        self.writer, self.conn = writer, conn
        # An in-memory SQLite ledger (the Python API's default) is one connection per thread,
        # usable only there: its groups are written in the loop's thread, as they are handed over.
        self.threaded = not isinstance(conn.engine.pool, SingletonThreadPool)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self.failed = False  # a group was not written: nothing after it may be
        self.seconds = 0.0  # spent writing, on the writer's thread (overlapping the loop)

    def submit(self, days: list[Day]) -> None:
        """Write ``days`` once the group before them is committed."""
        self.wait()
        if not self.threaded:
            self._write(days)
            self.wait()  # its error, if any, now
            return
        self._thread = threading.Thread(target=self._write, args=(days,), name="ledger-writer")
        self._thread.start()

    def _write(self, days: list[Day]) -> None:
        started = time.perf_counter()
        try:
            for day in days:  # the rows are built here too, off the loop's thread
                self.writer.stage(day)
            with self.conn.begin():  # rolled back if anything fails
                self.writer.flush(self.conn)
            self.writer.committed(days[-1])
        except BaseException as exc:  # raised in the loop's thread by wait()
            self._error = exc
        self.seconds += time.perf_counter() - started

    def wait(self) -> None:
        """Wait for the group on its way; raise its error, if writing it failed."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._error is not None:
            error, self._error = self._error, None
            self.failed = True
            raise error

    def settle(self) -> bool:
        """Wait for the group on its way whatever comes meanwhile (a second Ctrl-C included: the
        wait is one group's write); whether every group so far is in the ledger."""
        while self._thread is not None and self._thread.is_alive():
            try:
                self._thread.join()
            except BaseException:  # noqa: S112 (the run is stopping already; its group still ends whole)
                continue
        self._thread = None
        if self._error is not None:
            log.debug("writing a group of days failed", exc_info=self._error)
            self._error, self.failed = None, True
        return not self.failed


@dataclass
class StageTimes:
    """Seconds per stage, for the benchmark's split."""

    data: float = 0.0
    estimates: float = 0.0
    strategy: float = 0.0
    sizing: float = 0.0
    broker: float = 0.0
    ledger: float = 0.0  # the loop's own: keeping the days, waiting for the writer thread
    writer: float = 0.0  # the writer thread's, overlapping the stages above: not one of them

    def as_dict(self) -> dict[str, float]:
        """The stages, which add up to no more than the replay took (``writer`` aside)."""
        return {k: v for k, v in self.__dict__.items() if k != "writer"}


@dataclass
class ReplayResult:
    run_id: int | None
    summary: Summary
    dates: pd.DatetimeIndex
    nav: np.ndarray
    tracking_error: np.ndarray
    adjustment_factor: np.ndarray
    daily_costs: np.ndarray
    paths_traded: np.ndarray | None = None  # days on which the sizing step traded (not held or buffered)
    times: StageTimes = field(default_factory=StageTimes)
    warnings: list[str] = field(default_factory=list)  # one per instrument-day without a price
    logged: list[str] = field(default_factory=list)  # every other warning the run raised (run_warnings.py)
    warning_lines: list[str] = field(default_factory=list)  # what the ledger keeps: ``logged`` and one line for prices
    units_traded: float = 0.0  # contracts or shares, bought plus sold: the guide's total_turnover
    external_flows: np.ndarray | None = None  # the owner's money in (+) or out (-) at each close

    @property
    def warning_count(self) -> int:
        """Every warning the run raised: one per instrument-day without a price, one per other line."""
        return len(self.warnings) + len(self.logged)


def check_cash_flow_dates(config: PortfolioConfig, first: date) -> None:
    """A dated flow before the account's first day would never be paid: say so, not drop it."""
    for k, flow in enumerate(config.cash_flows):
        if flow.date < first:
            from tradesim.errors import ConfigError

            raise ConfigError(f"field 'cash_flows.{k}.date': {flow.date} is before the account's first day {first}")


def load_market(config: PortfolioConfig, source: PriceSource | None = None, database_url: str | None = None) -> Market:
    """The replay's prices; ``database_url`` is where a "database" source reads (and yfinance caches).
    The warnings loading them raised go with the market to every run that uses it."""
    source = source or source_for(config, database_url)
    first = config.start - WARMUP if config.start else None
    with run_warnings.collected() as lines:
        market = build_market(config, source.load(config.symbols, first, config.end))
    release_free_memory()  # the source's frames too, freed only once build_market returned (Jumbo: 9 MB)
    return dataclasses.replace(market, load_warnings=tuple(lines)) if lines else market


def start_optimiser(config: PortfolioConfig) -> None:
    """Load the optimiser's compiled search loops now, before the prices, and give back the
    pages of LLVM they were loaded through.

    numba loads its cache through LLVM, whose start-up touches about 70 MB of its library that
    no day of the run needs again. Done here, while the process is at its smallest (before the
    prices, the estimates and the strategy's tables), those pages are resident for a moment that
    is not the run's peak, and are then dropped (``release_library_pages``). A run whose sizing
    searches nothing, or whose search runs numpy's loops, loads nothing.
    """
    optimiser = config.optimiser
    if optimiser.method not in ("dynamic", "greedy") or optimiser.backend == "numpy":
        return
    from tradesim.optimiser import warm_up
    from tradesim.optimiser.search import kernels

    try:
        kernels("numba")
    except ImportError:
        return  # without numba the run's first search says so, in the run's warnings
    warm_up("numba", optimiser.search)
    # The engine's compiled day (tradesim.engine.compiled_loops: clearing, decision inputs) is
    # loaded from numba's cache as its modules are imported: here, so that the pages of LLVM the
    # loading touches go with the others, not stay from the engine's start to the run's end
    # (Jumbo: about 5 MB at the end of its run, then its peak).
    import tradesim.clearing  # noqa: F401
    import tradesim.decision_inputs  # noqa: F401
    release_library_pages("libllvmlite")


def first_trading_index(market: Market, start: date | None) -> int:
    if start is None:
        return 0
    idx = int(market.dates.searchsorted(pd.Timestamp(start)))
    return idx


def replay(
    config: PortfolioConfig,
    db_url: str | None,
    *,
    market: Market | None = None,
    mode: str = "replay",
    label: str | None = None,
    on_day: Callable[[int, int], None] | None = None,
    fail_on: Callable[[Day], None] | None = None,
    db_engine: DbEngine | None = None,
    commit_every: int = COMMIT_EVERY,
    strategy: Strategy | None = None,
    on_step: Callable[[Day], None] | None = None,
) -> ReplayResult:
    """Run ``config`` over its date range; ``db_url`` None keeps the ledger in memory only.

    ``on_day(done, total)`` reports progress; ``fail_on`` is a test hook called on
    each day before its rows are kept (raising there stops the run with that day
    unwritten). ``commit_every``: days per commit, written together (each day is all or
    nothing either way); 1 commits every day, as paper trading does.
    ``strategy``: an instance to run instead of the one the config names (the Python API's).
    ``on_step(day)`` sees each day's record (a sweep collects its ledger rows there).
    """
    times = StageTimes()
    t0 = time.perf_counter()
    if market is None:
        start_optimiser(config)
        market = load_market(config)
    times.data = time.perf_counter() - t0
    t0 = time.perf_counter()
    engine = Engine(config, market, strategy=strategy)
    # The engine prepares the strategy as it is built: that time is the strategy's, not the estimates'.
    times.estimates = time.perf_counter() - t0 - getattr(engine, "strategy_seconds", 0.0)
    start = first_trading_index(market, config.start)
    if start >= market.n_days:
        from tradesim.errors import DataError

        raise DataError(f"no trading days between {config.start} and {config.end or 'the end of the data'}")
    days = [d.date() for d in market.dates]
    check_cash_flow_dates(config, days[start])
    risk_free = risk_free_rates(config.risk_free, market.dates[start:])
    book = engine.opening_book(start)
    early = [*market.load_warnings, *missing_data_warnings(market, start)]
    for w in early[len(market.load_warnings):]:
        log.warning(w)

    db = db_engine or (open_engine(db_url) if db_url else None)
    run_id = None
    writer = None
    if db is not None:
        with db.begin() as conn:
            pid = ledger.ensure_portfolio(conn, config)
            ids = ledger.ensure_instruments(conn, config)
            run_id = ledger.start_run(conn, pid, config, mode, label, days[start], days[-1])
        writer = ledger.DayWriter(run_id, ids, days, market.currency)

    n = market.n_days - start
    nav, te, alpha, costs, traded, external = (np.zeros(n) for _ in range(6))
    rebalanced = np.zeros(n, dtype=bool)
    trades = 0
    units_traded = 0.0
    warnings: list[str] = []
    conn = db.connect() if db is not None else None
    if conn is not None:
        writer.prepare(conn)
        group_writer = GroupWriter(writer, conn)
    unwritten: list[Day] = []  # the days since the last group handed to the writer

    def write_group() -> None:
        """Hand the days kept so far to the writer thread, to be written and committed together
        (all or none of them) while the next days are simulated."""
        nonlocal unwritten
        group_writer.wait()
        # Handed over and forgotten at once: a signal between the two would lose the days.
        with interrupts_deferred():
            group_writer.submit(unwritten)
            unwritten = []

    collector = run_warnings.start()
    try:
        for k, t in enumerate(range(start, market.n_days)):
            t1 = time.perf_counter()
            new_book, day = engine.step(book, t)
            t2 = time.perf_counter()
            times.sizing += day.optimiser_seconds
            times.broker += (t2 - t1) - day.optimiser_seconds
            if fail_on is not None:
                fail_on(day)
            if conn is not None:
                # Days are kept in memory and written in groups (one statement per table),
                # each group committed whole: every commit rewrites the scattered index pages
                # the days touched (paper trading, which must survive a kill, commits every day).
                unwritten.append(day)
                if len(unwritten) >= commit_every:
                    write_group()
            times.ledger += time.perf_counter() - t2
            book = new_book
            nav[k], te[k], alpha[k], costs[k] = day.nav, day.tracking_error, day.adjustment_factor, day.costs
            traded[k] = float(day.fills.notional_base.sum())
            external[k] = day.external_flow
            rebalanced[k] = len(day.orders.instrument) > 0
            trades += len(day.fills.instrument)
            units_traded += float(np.abs(day.fills.quantity).sum())
            for w in day.warnings:
                log.debug(w)
            warnings.extend(day.warnings)
            if on_step is not None:
                on_step(day)
            if on_day is not None:
                on_day(k + 1, n)
        if conn is not None:
            t2 = time.perf_counter()
            if unwritten:
                write_group()
            group_writer.wait()
            times.ledger += time.perf_counter() - t2
    except BaseException as exc:
        if conn is not None:
            # The group on its way ends whole either way (signals never reach the writer thread);
            # then the days staged before the failure, whole too (the failed one never was),
            # unless writing had failed: the days after a group that is not in the ledger stay out.
            try:
                if group_writer.settle() and unwritten:
                    write_group()
                    group_writer.settle()
            except BaseException:
                log.debug("the days staged before the failure were not written", exc_info=True)
        if db is not None:
            ledger.finish_run_after(db, run_id, exc)
        raise
    finally:
        run_warnings.stop(collector)
        if conn is not None:
            conn.close()
    logged = [*early, *collector.lines]
    lines = list(logged)
    if warnings:
        # Named by portfolio and variant: a comparison logs one such line per variant.
        days = "1 instrument-day" if len(warnings) == 1 else f"{len(warnings)} instrument-days"
        lines.append(f"{config.name} {label or mode}: {days} had no price: valued at "
                     f"the last price and not traded (first: {warnings[0]})")
        log.warning(lines[-1])
    if db is not None:
        ledger.finish_run(db, run_id, "finished", warnings=len(warnings) + len(logged),
                          warning_text="\n".join(lines) or None)
        if db_engine is None:
            db.dispose()
    if conn is not None:
        times.writer = group_writer.seconds
    times.strategy = getattr(engine, "strategy_seconds", 0.0)
    summary = summarise(nav, config.capital, costs, traded, trades, external, risk_free)
    return ReplayResult(run_id, summary, market.dates[start:], nav, te, alpha, costs, rebalanced, times, warnings,
                        logged, lines, units_traded, external)
