#!/usr/bin/env python
"""Sweep speed: 32 variants of the default replay, serial and on a local Dask cluster.

    python scripts/bench_sweep.py                 # 32 variants, a 2-worker local cluster
    python scripts/bench_sweep.py --variants 8 --workers 2
    python scripts/bench_sweep.py --jumbo         # also time one Jumbo variant for the scaling estimate

Prints the serial time, the cluster time and the speedup (same variants, same process,
so the ratio holds under a shared machine's noise better than either time), the per-task
overhead, the one writer's time per variant, and each worker's peak memory. With --jumbo
(needs the futures data) it times one Jumbo variant here and estimates a 1,000-variant
Jumbo sweep over 8, 32 and 128 workers from that time, the overhead and the writer's rate.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FUTURES_DATA = ROOT.parent / "shared" / "data" / "futures"
# 8 x 4 = 32 variants of the guide's two tuning knobs.
COST_MULTIPLIERS = "10,25,50,75,100,150,200,300"
BUFFERS = "0.02,0.05,0.08,0.1"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", type=int, default=32, help="run the first N of the 32 variants")
    parser.add_argument("--workers", type=int, default=2, help="local cluster's worker processes")
    parser.add_argument("--jumbo", action="store_true", help="time one Jumbo variant for the 1,000-variant estimate")
    parser.add_argument("--futures-data", type=Path, default=FUTURES_DATA, help=f"the futures data (default {FUTURES_DATA})")
    parser.add_argument("--overhead", type=float, help="with --variants 0 --jumbo: a per-task overhead measured before")
    parser.add_argument("--write-seconds", type=float, help="with --variants 0 --jumbo: the writer's seconds a default variant")
    args = parser.parse_args()
    if args.variants == 0:  # the Jumbo estimate alone, from figures an earlier run printed
        if not (args.jumbo and args.overhead is not None and args.write_seconds is not None):
            parser.error("--variants 0 needs --jumbo, --overhead and --write-seconds")
        jumbo(args.futures_data, args.overhead, args.write_seconds * 6312 / 8313)
        return 0

    from tradesim.config import load_config
    from tradesim.optimiser import warm_up
    from tradesim.replay import load_market
    from tradesim.sweep import record, run as sweep
    from tradesim.sweep.cluster import dask_client

    plan = sweep.plan(lambda sets: load_config(None, sets=sets), [f"optimiser.cost_multiplier={COST_MULTIPLIERS}", f"optimiser.buffer_fraction={BUFFERS}"])
    plan = sweep.Plan(plan.sweep_id, plan.config, plan.axes, plan.variants[:args.variants], plan.configs,
                      plan.ledger, plan.compare)
    n = len(plan.variants)
    writing = Stopwatch(record, "record")
    print(f"{plan.config.name}: {n} variants (cost_multiplier x buffer_fraction), --ledger summary, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the start")

    warm_up()  # numba's cache, once for this process: the workers pay theirs inside the cluster time
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        serial = sweep.run(plan, f"sqlite:///{tmp}/serial.db", None, load_market=load_market)
        serial_seconds = time.perf_counter() - started
        serial_writes = writing.take()
        compute = [r.seconds for r in serial.results]
        print(f"serial: {serial_seconds:.1f} s ({serial_seconds / n:.2f} s a variant: replay "
              f"{sum(compute) / n:.2f} s, ledger write {serial_writes / n:.2f} s)")

        started = time.perf_counter()
        with dask_client(None, args.workers) as client:
            up = time.perf_counter() - started
            started = time.perf_counter()
            parallel = sweep.run(plan, f"sqlite:///{tmp}/cluster.db", client, load_market=load_market)
            cluster_seconds = time.perf_counter() - started
        cluster_writes = writing.take()
    task_seconds = sum(r.seconds for r in parallel.results)
    start = sum(parallel.worker_start.values())
    overhead = (cluster_seconds * args.workers - task_seconds - start) / n
    print(f"local cluster, {args.workers} workers: {cluster_seconds:.1f} s (plus {up:.1f} s starting the cluster); "
          f"speedup {serial_seconds / cluster_seconds:.2f}x; replay {task_seconds / n:.2f} s a variant on the workers")
    print(f"per-task overhead: {overhead:.3f} s (worker time neither replaying nor starting: scheduling, moving "
          f"results, waiting at the tail); each worker's start (imports, numba cache) "
          f"{start / max(1, len(parallel.worker_start)):.1f} s once; the writer spent {cluster_writes / n:.2f} s "
          "a variant, beside the workers")
    peaks: dict[str, float] = {}
    for r in parallel.results:
        peaks[r.worker] = max(peaks.get(r.worker, 0.0), r.peak_rss_mb)
    print("peak memory per worker: " + ", ".join(f"{w} {mb:.0f} MB" for w, mb in sorted(peaks.items()))
          + f"; client {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    if args.jumbo:
        jumbo(args.futures_data, overhead, cluster_writes / n * 6312 / 8313)
    return 0


def jumbo(data: Path, overhead: float, write_estimate: float) -> None:
    """One Jumbo variant here; a 1,000-variant sweep's time over W workers, from it."""
    if not data.is_dir():
        print(f"Jumbo estimate skipped: the futures data is not at {data} (--futures-data)")
        return
    from tradesim.config import load_config
    from tradesim.replay import load_market
    from tradesim.sweep.task import run_variant

    config = load_config(ROOT / "strategies" / "configs" / "jumbo.toml", sets=[f"data.path={json.dumps(str(data))}"])
    t0 = time.perf_counter()
    market = load_market(config)
    load = time.perf_counter() - t0
    result = run_variant("{}", config, market)
    t = result.seconds
    print(f"Jumbo variant: {t:.1f} s replay ({market.n_instruments} instruments, {result.summary.days:,} days), "
          f"{load:.1f} s loading the market once; peak memory {result.peak_rss_mb:.0f} MB; ledger write "
          f"about {write_estimate:.2f} s (the default's on the cluster, scaled by days); load average "
          f"{os.getloadavg()[0]:.1f}")
    print("1,000 Jumbo variants (waves of W tasks of replay + overhead; the one writer needs 1,000 x write):")
    for workers in (8, 32, 128):
        waves = math.ceil(1000 / workers)
        compute = waves * (t + overhead)
        writer = 1000 * write_estimate
        total = load + max(compute, writer)
        bound = "the writer" if writer > compute else "the workers"
        print(f"  {workers:>4} workers: {total / 60:6.1f} min ({waves} waves; bound by {bound})")


class Stopwatch:
    """Wraps ``module.name`` to add up the seconds spent in it."""

    def __init__(self, module, name: str) -> None:  # noqa: ANN001
        self.seconds = 0.0
        inner = getattr(module, name)

        def timed(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            started = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started

        setattr(module, name, timed)

    def take(self) -> float:
        seconds, self.seconds = self.seconds, 0.0
        return seconds


if __name__ == "__main__":
    sys.exit(main())
