#!/usr/bin/env python
"""Replay speed: days per second and where the time goes.

    python scripts/bench_replay.py            # the default replay: 20 stocks, 8,313 days, ledger in SQLite
    python scripts/bench_replay.py --futures  # strategies/configs/jumbo.toml from 2000, dynamic optimiser
    python scripts/bench_replay.py --futures --cache [CACHE.db]  # also from the price cache, ledgers compared
    python scripts/bench_replay.py --no-ledger

The default replay is first measured as users run it, against its floor: the whole
``tradesim replay`` command and ``scripts/bench_floor.py``'s bare numpy loop (the same
accounting, checked to the cent), each in its own process, their CPU times (user +
system), the ratio and their peak RSS. Then, in this process, wall time, days per second
and the stage split (data, estimates, strategy, sizing, broker, ledger); numba's cache is
loaded first, so the split leaves that start-up out.

``--futures`` first runs the whole ``tradesim replay`` of Jumbo from pysystemtrade's files
(CPU, wall, peak RSS); with ``--cache`` also from the price cache those files were imported
into (CACHE.db, or a temporary one imported first, which takes a while and is not timed),
and checks that the two ledgers hold the same trades, orders, positions and equity. With
``--cache CACHE.db`` the in-process split also times loading the same market from the cache
(checked equal to the files' market) beside the files' "data".
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Beside the repository (/work/main) or beside the folder of worktrees (/work/wt/iN).
JUMBO = ROOT / "strategies" / "configs" / "jumbo.toml"
FUTURES_DATA = next((p for p in (ROOT.parent / "shared" / "data" / "futures",
                                 ROOT.parent.parent / "shared" / "data" / "futures") if p.is_dir()),
                    ROOT.parent / "shared" / "data" / "futures")


def jumbo_copy(data: Path, folder: Path, source: str = "files") -> Path:
    """jumbo.toml with its [data] pointed at ``data`` (files) or at the price cache imported from it."""
    import re

    body = JUMBO.read_text()
    if source == "files":
        body = re.sub(r'(?m)^path = ".*"$', f'path = "{data}"', body, count=1)
    else:
        body = re.sub(r'(?m)^source = "pysystemtrade"\npath = ".*"$',
                      f'source = "database"\ninstrument_table = "{data}"', body, count=1)
    copy = folder / f"jumbo-{source}.toml"
    copy.write_text(body)
    return copy


def futures_whole_command(cache: str | None) -> bool:
    """Jumbo's whole command from the files (and from the price cache): CPU, wall, peak RSS."""
    import shutil
    import subprocess

    sys.path.insert(0, str(ROOT / "scripts"))
    from bench_floor import measure

    if not FUTURES_DATA.is_dir():
        return True  # main() says so
    tradesim = shutil.which("tradesim") or "tradesim"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        runs = {"files": (jumbo_copy(FUTURES_DATA, folder), folder / "files.db")}
        if cache is not None:
            db = Path(cache) if cache else folder / "cache.db"
            if not cache:
                subprocess.run([tradesim, "data", "import-pysystemtrade", str(FUTURES_DATA), "--db", str(db)],
                               check=True, capture_output=True)
            runs["price cache"] = (jumbo_copy(FUTURES_DATA, folder, "cache"), db)
        for name, (config, db) in runs.items():
            run = measure([tradesim, "replay", str(config), "--db", str(db)], cwd=folder)
            print(f"Jumbo whole command from the {name}: {run['cpu']:.2f} s CPU ({run['wall']:.2f} s wall), "
                  f"peak RSS {run['peak_mb']:.0f} MB")
        if cache is not None:
            return same_ledgers(*(f"sqlite:///{db}" for _, db in runs.values()))
    return True


def same_ledgers(a: str, b: str) -> bool:
    """The latest runs of two ledgers hold the same trades, orders, positions and equity (ids aside)."""
    import pandas as pd

    from db import queries

    everything = dict(since="1900-01-01", until="2100-12-31")
    ids = ["run_id", "fill_id", "order_id"]
    for name, query in (("trades", queries.trades), ("orders", queries.orders), ("equity", queries.equity),
                        ("positions", lambda url: queries.positions(url, **everything))):
        left, right = (query(url).drop(columns=ids, errors="ignore") for url in (a, b))
        try:
            pd.testing.assert_frame_equal(left, right, check_exact=True, obj=name)
        except AssertionError as exc:
            print(f"the ledgers differ: {exc}")
            return False
    print("identical ledgers from the files and from the price cache (trades, orders, positions, equity)")
    return True


def cache_market_load(config, files_market, cache: str) -> float:  # noqa: ANN001
    """Seconds to load ``config``'s market from the price cache at ``cache``, checked equal to the files'."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from bench_price_cache import same_market

    from tradesim.data.cached import CachedSource
    from tradesim.replay import load_market

    t0 = time.perf_counter()
    market = load_market(config, CachedSource(cache if "://" in cache else f"sqlite:///{cache}"))
    seconds = time.perf_counter() - t0
    if not same_market(files_market, market):
        raise SystemExit("the price cache's market differs from the files'")
    return seconds


def whole_command_against_floor() -> bool:
    """The whole default command's CPU against the bare loop's, both checked to the cent."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from bench_floor import agree, floor_process, replay_process

    with tempfile.TemporaryDirectory() as tmp:
        command = replay_process(Path(tmp))
    floor = floor_process()
    print(f"whole command `tradesim replay`: {command['cpu']:.2f} s CPU ({command['wall']:.2f} s wall), "
          f"peak RSS {command['peak_mb']:.0f} MB; final NAV {command['nav']:,.2f}, {command['fills']:,} fills")
    print(f"floor `scripts/bench_floor.py`: {floor['cpu']:.2f} s CPU ({floor['wall']:.2f} s wall), "
          f"peak RSS {floor['peak_mb']:.0f} MB (its optimiser search {floor['search']:.2f} s)")
    problem = agree(floor, command)
    if problem:
        print(problem)
        return False
    print(f"ratio: the whole command uses {command['cpu'] / floor['cpu']:.2f}x the floor's CPU "
          f"(same NAV to the cent, same fills)")
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--futures", action="store_true", help="the 100+ instrument Jumbo futures replay")
    parser.add_argument("--cache", nargs="?", const="", metavar="CACHE.db",
                        help="--futures: also replay from a price cache imported from the files (default: import one)")
    parser.add_argument("--no-ledger", action="store_true", help="keep the ledger in memory only")
    parser.add_argument("--end", help="last day (YYYY-MM-DD), for a shorter run")
    args = parser.parse_args()

    if not (args.futures or args.no_ledger or args.end):
        if not whole_command_against_floor():
            return 1
    if args.futures and not args.no_ledger and not args.end:
        if not futures_whole_command(args.cache):
            return 1
    t_start = time.perf_counter()
    from tradesim.config import load_config
    from tradesim.optimiser import warm_up
    from tradesim.replay import load_market, replay

    import_seconds = time.perf_counter() - t_start

    overrides = {"end": args.end} if args.end else {}
    if args.futures:
        if not FUTURES_DATA.is_dir():
            print(f"skipped: the futures data is not at {FUTURES_DATA}")
            return 0
        config = load_config(ROOT / "strategies" / "configs" / "jumbo.toml", sets=[f'data.path="{FUTURES_DATA}"'],
                             **overrides)
    else:
        config = load_config(None, **overrides)
    t_warm = time.perf_counter()
    warm_up()
    warm_seconds = time.perf_counter() - t_warm

    t0 = time.perf_counter()
    market = load_market(config)
    load_seconds = time.perf_counter() - t0
    cache_load = cache_market_load(config, market, args.cache) if args.futures and args.cache else None
    with tempfile.TemporaryDirectory() as tmp:
        url = None if args.no_ledger else f"sqlite:///{tmp}/bench.db"
        started, loop_cpu, process_cpu = time.perf_counter(), time.thread_time(), time.process_time()
        result = replay(config, url, market=market)
        wall = time.perf_counter() - started
        loop_cpu, process_cpu = time.thread_time() - loop_cpu, time.process_time() - process_cpu
        size = sum(f.stat().st_size for f in Path(tmp).glob("bench.db*")) if url else 0
    times = result.times.as_dict()
    times["data"] = load_seconds
    days = result.summary.days
    print(f"{config.name}: {market.n_instruments} instruments, {days:,} days "
          f"({result.dates[0].date()} to {result.dates[-1].date()}), optimiser {config.optimiser.method}"
          + (f" (start {config.optimiser.start})" if config.optimiser.start else ""))
    print(f"replay: {wall:.2f} s wall for {days:,} days = {days / wall:,.0f} days/s; "
          f"plus {load_seconds:.2f} s loading data; {result.summary.trades:,} fills"
          + (f"; ledger file {size / 1e6:.1f} MB" if url else "; ledger not written"))
    print(f"replay CPU: {loop_cpu:.2f} s on the loop's thread, {process_cpu:.2f} s in all (the ledger's writer "
          f"thread beside it)")
    print(f"start-up, outside the replay: imports {import_seconds:.2f} s, numba's first use {warm_seconds:.2f} s "
          f"(loading its cache); a whole command is about "
          f"{import_seconds + warm_seconds + load_seconds + wall:.1f} s")
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print("stage split (seconds):")
    total = sum(times.values())
    for stage in ("data", "estimates", "strategy", "sizing", "broker", "ledger"):
        print(f"  {stage:<10}{times[stage]:8.2f}  {times[stage] / total:6.1%}")
    if cache_load is not None:
        print(f"  (data: the same market from the price cache in {cache_load:.2f} s, "
              f"{cache_load / load_seconds:.2f}x the files' {load_seconds:.2f} s; the rest of the split is the same)")
    if url:
        print(f"  (ledger: the loop's own time; the writer thread spent {result.times.writer:.2f} s "
              f"writing and committing the groups of days meanwhile)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
