"""Benchmark the trade-history queries on a ledger with a million fills.

    python scripts/bench_ledger.py [--db PATH|URL] [--fills 1000000] [--instruments 100] [--repeat 7]

Fills a fresh ledger (a temporary SQLite file unless --db names one; an existing
ledger there is refused) with one synthetic run: every instrument trades and is
held every day, so a million fills means a million orders and a million
position rows too. Rows go in by bulk insert (executemany on SQLite, COPY on
PostgreSQL), then the typical questions are timed through ``db.queries`` (the
Python API the CLI uses), each the median of --repeat runs on a warm cache. On SQLite it
also times the integrity quick check that every write session makes before it starts.

Then every query command is run as users run it (the ``tradesim`` console script in a fresh
process, output to /dev/null): wall time and CPU (medians of --command-repeat runs) and peak
RSS; P&L in every grouping. Targets: each under 1 s, ``tradesim pnl`` under 300 MB, and no peak
growing with the rows streamed (the whole run as CSV peaks like a screenful).

    python scripts/bench_ledger.py --db LEDGER --commands-only [--only pnl]

times the commands alone on a ledger an earlier run filled, or on any other (a futures
replay's, e.g. Jumbo's: ``tradesim replay /path/jumbo.toml --db /tmp/jumbo.db -q``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine, insert, text

from db import queries
from db.models import Instrument, Portfolio, Run
from db.guard import quick_check, sqlite_path
from db.session import database_url, open_engine
from peak import run as peak_of  # beside this script

REASONS = ("rebalance", "drift", "calendar")


def business_days(n: int) -> list[date]:
    return [d.date() for d in pd.bdate_range("1985-01-01", periods=n)]


def bulk(engine: Engine, table: str, columns: list[str], rows: Iterable[tuple], chunk: int = 100_000) -> None:
    """Bulk insert in one transaction: COPY on PostgreSQL, executemany in large chunks on SQLite."""
    raw = engine.raw_connection()  # the driver's own connection: no per-row SQLAlchemy work
    try:
        cur = raw.cursor()
        if engine.dialect.name == "postgresql":
            with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            # A throwaway ledger: 500 MB of cache keeps the indexes in memory, and no fsync.
            cur.execute("PRAGMA cache_size = -500000")
            cur.execute("PRAGMA synchronous = OFF")
            cur.execute("BEGIN")  # explicit, whichever way the engine drives pysqlite's transactions
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
            batch: list[tuple] = []
            for row in rows:
                batch.append(row)
                if len(batch) == chunk:
                    cur.executemany(sql, batch)
                    batch.clear()
            if batch:
                cur.executemany(sql, batch)
        cur.close()
        raw.commit()
    finally:
        raw.close()


def fill_ledger(engine: Engine, n_fills: int, n_instruments: int) -> tuple[int, list[date], list[str]]:
    n_days = n_fills // n_instruments
    days = business_days(n_days + 1)  # orders decided on day t fill on day t+1
    sqlite = engine.dialect.name == "sqlite"
    day_value = (lambda d: d.isoformat()) if sqlite else (lambda d: d)  # SQLite stores dates as ISO text
    symbols = [f"S{k:03d}" for k in range(n_instruments)]
    with engine.begin() as conn:
        pid = conn.execute(insert(Portfolio).values(name="bench", base_currency="USD")).inserted_primary_key[0]
        conn.execute(insert(Instrument), [dict(symbol=s, currency="USD", multiplier=1.0, kind="stock",
                                               asset_class=("Equity", "Bond", "Commodity")[k % 3])
                                          for k, s in enumerate(symbols)])
        ids = dict(conn.execute(text("SELECT symbol, id FROM instruments")).all())
        now = datetime.now(UTC)
        run_id = conn.execute(insert(Run).values(
            portfolio_id=pid, mode="replay", config="{}", config_hash="bench", code_version="bench", started_at=now,
            finished_at=now, status="finished", start_date=days[0], end_date=days[-1])).inserted_primary_key[0]
    inst = np.array([ids[s] for s in symbols])
    rng = np.random.default_rng(1)
    price = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, (n_days + 1, n_instruments)), axis=0))
    qty = np.where(rng.random((n_days, n_instruments)) < 0.5, -1.0, 1.0) * rng.integers(1, 50, (n_days, n_instruments))
    held = np.cumsum(qty, axis=0) + 1000.0  # never flat: a position row every day

    def orders() -> Iterable[tuple]:
        for t in range(n_days):
            d, why = day_value(days[t]), REASONS[t % 3]
            for j in range(n_instruments):
                q = float(qty[t, j])
                yield (run_id, d, int(inst[j]), q, "BUY" if q > 0 else "SELL", float(held[t, j]), float(held[t, j]),
                       why, "filled")

    def fills() -> Iterable[tuple]:
        for t in range(n_days):
            d, dd = day_value(days[t + 1]), day_value(days[t])
            for j in range(n_instruments):
                q, p = float(qty[t, j]), float(price[t + 1, j])
                cost = abs(q) * p * 0.0005
                yield (run_id, d, dd, int(inst[j]), q, p, p, cost / 2, cost / 2, 1.0, cost, abs(q) * p)

    def positions() -> Iterable[tuple]:
        for t in range(n_days):
            d = day_value(days[t + 1])
            for j in range(n_instruments):
                h, p = float(held[t, j]), float(price[t + 1, j])
                yield (run_id, d, int(inst[j]), h, p, 1.0, h * p)

    def per_day(make: Callable[[date], tuple]) -> Iterable[tuple]:
        return (make(d) for d in days[1:])

    bulk(engine, "orders", ["run_id", "day", "instrument_id", "quantity", "side", "target", "optimal", "reason",
                            "status"], orders())
    bulk(engine, "fills", ["run_id", "day", "decided_on", "instrument_id", "quantity", "price", "contract_price",
                           "commission", "slippage", "fx", "cost_base", "notional_base"], fills())
    bulk(engine, "positions", ["run_id", "day", "instrument_id", "quantity", "price", "fx", "notional_base"],
         positions())
    bulk(engine, "equity", ["run_id", "day", "nav", "cash", "costs", "roll_costs", "gross_pnl", "net_pnl",
                            "gross_exposure", "traded_notional"],
         per_day(lambda d: (run_id, day_value(d), 1e6, 1e5, 10.0, 0.0, 100.0, 90.0, 9e5, 1e4)))
    bulk(engine, "diagnostics", ["run_id", "day", "tracking_error", "adjustment_factor", "path", "passes",
                                 "optimiser_seconds", "reason", "rebalanced"],
         per_day(lambda d: (run_id, day_value(d), 0.01, 1.0, "greedy_no_prior", 3, 0.0, "drift", True)))
    bulk(engine, "processed_days", ["run_id", "day", "processed_at"],
         per_day(lambda d: (run_id, day_value(d), now.isoformat() if sqlite else now)))
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))  # fresh statistics, as a long-lived ledger would have
    return run_id, days, symbols


def timed(fn: Callable[[], pd.DataFrame], repeat: int) -> tuple[float, float, int]:
    fn()  # warm the cache
    times, rows = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        rows = len(fn())
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000, min(times) * 1000, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="ledger path or URL (default: a temporary SQLite file)")
    parser.add_argument("--fills", type=int, default=1_000_000)
    parser.add_argument("--instruments", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--command-repeat", type=int, default=3)
    parser.add_argument("--commands-only", action="store_true",
                        help="only time the commands, on the ledger --db names (one this script filled, or "
                             "any ledger: a replay's, e.g. Jumbo's futures)")
    parser.add_argument("--only", metavar="COMMAND", action="append",
                        help="time only these commands (e.g. --only pnl: every grouping of P&L); repeatable")
    args = parser.parse_args()
    if args.commands_only:
        if args.db is None:
            parser.error("--commands-only needs --db: the ledger an earlier run of this script filled")
        commands(database_url(args.db), args.command_repeat, args.only)
        return
    tmp = None
    if args.db is None:
        tmp = tempfile.TemporaryDirectory()
        args.db = str(Path(tmp.name) / "bench.db")
    url = database_url(args.db)
    engine = open_engine(url)
    with engine.connect() as conn:
        if conn.execute(text("SELECT COUNT(*) FROM runs")).scalar():
            raise SystemExit(f"{url} already has runs: the benchmark needs an empty ledger")

    t0 = time.perf_counter()
    run_id, days, symbols = fill_ledger(engine, args.fills, args.instruments)
    load = time.perf_counter() - t0
    with engine.connect() as conn:
        n = {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar() for t in ("fills", "orders", "positions")}
    print(f"ledger: {engine.url.render_as_string(hide_password=True)} ({engine.dialect.name})")
    print(f"filled: {n['fills']:,} fills, {n['orders']:,} orders, {n['positions']:,} positions, "
          f"{len(days) - 1:,} days, {len(symbols)} instruments in {load:.1f} s")

    sym, mid, last = symbols[len(symbols) // 2], len(days) // 2, len(days) - 1
    year = (days[mid], days[min(mid + 251, last)])
    month = (days[mid], days[min(mid + 20, last)])
    cases = [
        ("trades: one symbol, one year", lambda: queries.trades(engine, symbol=sym, since=year[0], until=year[1])),
        ("trades: one symbol, whole run", lambda: queries.trades(engine, symbol=sym)),
        ("trades: all symbols, one month", lambda: queries.trades(engine, since=month[0], until=month[1])),
        ("trades: one reason, one symbol, one year",
         lambda: queries.trades(engine, symbol=sym, reason="drift", since=year[0], until=year[1])),
        ("orders: one symbol, one year", lambda: queries.orders(engine, symbol=sym, since=year[0], until=year[1])),
        ("positions: last day", lambda: queries.positions(engine)),
        ("positions: one symbol, one year",
         lambda: queries.positions(engine, symbol=sym, since=year[0], until=year[1])),
        ("equity: whole run", lambda: queries.equity(engine)),
        ("pnl: one symbol, one year, by month",
         lambda: queries.pnl(engine, symbol=sym, since=year[0], until=year[1], by="month")),
        ("pnl: whole run, by instrument", lambda: queries.pnl(engine)),
    ]
    print(f"\n{'query':<42} {'rows':>7} {'median ms':>10} {'best ms':>8}")
    for name, fn in cases:
        median, best, rows = timed(fn, args.repeat)
        print(f"{name:<42} {rows:>7,} {median:>10.1f} {best:>8.1f}")
    path = sqlite_path(url) if engine.dialect.name == "sqlite" else None
    engine.dispose()
    commands(url, args.command_repeat, args.only)
    if path is not None:
        # The integrity check every write session (replay, paper run, import) makes before it starts.
        t0 = time.perf_counter()
        quick_check(path)
        cold = time.perf_counter() - t0
        warm = min(timed_once(lambda: quick_check(path)) for _ in range(3))
        size = path.stat().st_size / 2**20
        print(f"\nquick_check before a write session ({size:,.0f} MiB file): {cold * 1000:,.0f} ms first, "
              f"{warm * 1000:,.0f} ms warm")
    if tmp is not None:
        tmp.cleanup()


COMMANDS = [["runs"], ["trades"], ["fills"], ["orders"], ["positions"], ["equity"], ["pnl"],
            ["pnl", "--by", "asset_class"], ["pnl", "--by", "month"], ["pnl", "--by", "asset_class,month"],
            ["pnl", "--by", "instrument,month"], ["trades", "-n", "10000"], ["orders", "-n", "10000"],
            ["equity", "-n", "10000"], ["pnl", "--by", "day", "-n", "10000"],
            ["pnl", "--by", "instrument,month", "-f", "csv"], ["pnl", "--by", "day", "-f", "csv"],
            ["pnl", "--by", "instrument,day", "-n", "10000"],
            ["trades", "-f", "csv"], ["fills", "-f", "json"]]


def commands(url: str, repeat: int, only: list[str] | None = None) -> None:
    """Each query command in a fresh process, as users run it: median wall, CPU (user + system,
    of the same runs) and peak RSS."""
    tradesim = shutil.which("tradesim") or str(Path(sys.executable).parent / "tradesim")
    print(f"\n{'command (fresh process, output to /dev/null)':<52} {'median s':>9} {'CPU s':>6} {'peak MB':>8}"
          f"  (load average {os.getloadavg()[0]:.1f})")
    for argv in COMMANDS:
        if only and argv[0] not in only:
            continue
        whole = "-f" in argv or "instrument,day" in argv  # a million rows streamed or grouped: once is enough
        walls, cpus, peak = [], [], 0.0
        for _ in range(1 if whole else repeat):
            # Its own process, started apart from this one (hundreds of MB after filling the ledger,
            # which a child started from here would count in its peak: see peak.py).
            done = peak_of([tradesim, *argv, "--db", url])
            walls.append(done.wall)  # includes the launcher's ~20 ms
            cpus.append(done.cpu)
            peak = max(peak, done.peak_mb)
        print(f"{'tradesim ' + ' '.join(argv):<52} {statistics.median(walls):>9.2f} {statistics.median(cpus):>6.2f} "
              f"{peak:>8.0f}")


def timed_once(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
