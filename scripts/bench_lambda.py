#!/usr/bin/env python
"""Time per default stock replay against the cost multiplier lambda: is the optimiser's work flat?

The default replay (20 stocks, share positions in the thousands) is run with each lambda
of a grid over 0..200, ledger in memory, market loaded once and numba warmed up, and
the CPU time of each replay is printed beside its ratio to lambda = 50's. Issue 17's
target: every ratio under 1.5. (The engine's own split of the time is wall time, which
on a shared machine follows the load more than the work, so it is not shown.)

    python scripts/bench_lambda.py                       # the default search ("dynamic")
    python scripts/bench_lambda.py --search rounded+polish --lambdas 0,50,66,90,108
    python scripts/bench_lambda.py --end 2000-12-31      # shorter replays

Timings on a shared machine are noisy: the ratios, measured in the same run, are the figure.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # peak.py, beside this script
from peak import say_this_process  # noqa: E402

GRID = [0, 10, 20, 30, 40, 46, 50, 60, 66, 75, 90, 100, 108, 125, 150, 175, 200]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--search", default=None, help="greedy, greedy+polish, rounded+polish (default: dynamic)")
    parser.add_argument("--lambdas", default=None, help="comma-separated lambdas (default: a grid over 0..200)")
    parser.add_argument("--end", default=None, help="last day, YYYY-MM-DD")
    args = parser.parse_args()

    from tradesim.config import load_config
    from tradesim.optimiser import warm_up
    from tradesim.replay import load_market, replay

    lambdas = [float(x) for x in args.lambdas.split(",")] if args.lambdas else [float(x) for x in GRID]
    if 50.0 not in lambdas:
        lambdas.append(50.0)
    config = load_config(None, **({"end": args.end} if args.end else {}))
    search = {"dynamic": {}, "greedy": {"method": "greedy"}, "greedy+polish": {"method": "greedy", "polish": True},
              "rounded+polish": {"method": "greedy", "start": "rounded"}}[args.search or "dynamic"]
    warm_up()
    market = load_market(config)
    rows = []
    for lam in lambdas:
        optimiser = config.optimiser.model_copy(update={"cost_multiplier": lam, **search})
        variant = config.model_copy(update={"optimiser": optimiser})
        started = time.process_time()  # CPU: the machine is shared, wall time follows its load
        result = replay(variant, None, market=market)
        wall = time.process_time() - started
        rows.append((lam, wall, result.times.sizing, result.summary))
        print(f"  lambda {lam:6.1f}: {wall:6.2f} s", file=sys.stderr, flush=True)

    base = next(wall for lam, wall, _, _ in rows if lam == 50.0)
    print(f"default stock replay ({len(market.dates)} days, {len(config.symbols)} stocks), "
          f"search {optimiser.search}, ledger in memory")
    print(f"{'lambda':>7}{'CPU s':>10}{'/ lam 50':>10}{'CAGR':>8}{'SR':>7}{'costs $':>12}")
    for lam, wall, _, summary in sorted(rows, key=lambda r: r[0]):
        print(f"{lam:>7.0f}{wall:>10.2f}{wall / base:>10.2f}"
              f"{summary.annual_return:>8.2%}{summary.sharpe:>7.2f}{summary.total_costs:>12,.0f}")
    worst = max(wall / base for _, wall, _, _ in rows)
    print(f"largest replay CPU time / lambda 50's: {worst:.2f} (target: under 1.5 for every lambda)")
    say_this_process()  # the market, numba and every replay's in-memory ledger in turn
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
