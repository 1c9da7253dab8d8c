#!/usr/bin/env python
"""Replay speed: days per second and where the time goes.

    python scripts/bench_replay.py            # the default replay: 20 stocks, 8,313 days, ledger in SQLite
    python scripts/bench_replay.py --futures  # strategies/configs/jumbo.toml from 2000, dynamic optimiser
    python scripts/bench_replay.py --no-ledger

Prints wall time, days per second and the stage split (data, estimates,
strategy, sizing, broker, ledger). The first call of the optimiser compiles or
loads numba's cache; a short warm-up replay takes that out of the figures.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FUTURES_DATA = ROOT.parent / "shared" / "data" / "futures"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--futures", action="store_true", help="the 100+ instrument Jumbo futures replay")
    parser.add_argument("--no-ledger", action="store_true", help="keep the ledger in memory only")
    parser.add_argument("--end", help="last day (YYYY-MM-DD), for a shorter run")
    args = parser.parse_args()

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
        config = load_config(ROOT / "strategies" / "configs" / "jumbo.toml", **overrides)
    else:
        config = load_config(None, **overrides)
    t_warm = time.perf_counter()
    warm_up()
    warm_seconds = time.perf_counter() - t_warm

    t0 = time.perf_counter()
    market = load_market(config)
    load_seconds = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        url = None if args.no_ledger else f"sqlite:///{tmp}/bench.db"
        started = time.perf_counter()
        result = replay(config, url, market=market)
        wall = time.perf_counter() - started
        size = sum(f.stat().st_size for f in Path(tmp).glob("bench.db*")) if url else 0
    times = result.times.as_dict()
    times["data"] = load_seconds
    days = result.summary.days
    print(f"{config.name}: {market.n_instruments} instruments, {days:,} days "
          f"({result.dates[0].date()} to {result.dates[-1].date()}), optimiser {config.optimiser.method}"
          + (f" (start {config.optimiser.start})" if config.optimiser.method == "dynamic" else ""))
    print(f"replay: {wall:.2f} s wall for {days:,} days = {days / wall:,.0f} days/s; "
          f"plus {load_seconds:.2f} s loading data; {result.summary.trades:,} fills"
          + (f"; ledger file {size / 1e6:.1f} MB" if url else "; ledger not written"))
    print(f"start-up, outside the replay: imports {import_seconds:.2f} s, numba's first use {warm_seconds:.2f} s "
          f"(loading its cache; numba imports scipy's BLAS on first use); a whole command is about "
          f"{import_seconds + warm_seconds + load_seconds + wall:.1f} s")
    print("stage split (seconds):")
    total = sum(times.values())
    for stage in ("data", "estimates", "strategy", "sizing", "broker", "ledger"):
        print(f"  {stage:<10}{times[stage]:8.2f}  {times[stage] / total:6.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
