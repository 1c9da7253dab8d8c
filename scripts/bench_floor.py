#!/usr/bin/env python
"""The floor under the default replay: a bare numpy loop doing the same accounting.

    python scripts/bench_floor.py           # run the loop, check it against a real replay, print both
    python scripts/bench_floor.py --loop    # only the loop; one line of JSON (what bench_replay.py times)

The default portfolio (strategies' defaults: 20 bundled stocks, 1990-2022, risk parity,
dynamic optimisation every day, a 5 bp commission with a $1 minimum plus half a 10 bp
spread, fills at the next close) stepped with nothing but arrays: the same prices, the
same volatility and correlation estimates, the same weights, the same costs and the
optimiser's own search and buffering on the same problems, by the same path the product
takes (the search's compiled driver, ``dynamic.optimise_compiled``; where numpy's BLAS
rules it out, ``dynamic_search`` and ``buffer_trade`` around its numba kernels), whole shares. No config validation, no engine
objects, no ledger, no summary.

Run plainly, it also replays the same portfolio with the real ``tradesim replay`` and
checks the two agree to the cent: the same final NAV and the same number of fills. Its
figure is the CPU time of the whole process (interpreter, imports, data, loop), the
same measure ``scripts/bench_replay.py`` takes of the whole command.
"""

from __future__ import annotations

import json
import resource
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "tradesim" / "defaults" / "default.toml"

# The default config's settings that the schema fills in (tradesim/schema.py): the check
# against the real replay fails if they ever drift apart.
VOL_SPAN, LONG_RUN_VOL_WEIGHT, LONG_RUN_VOL_DAYS, VOL_FLOOR = 35, 0.3, 2520, 0.05
CORR_SPAN_WEEKS, CORR_SHRINKAGE, IDM_CAP = 25, 0.5, 2.5
COST_MULTIPLIER, BUFFER_FRACTION = 50.0, 0.05


def floor_loop() -> dict:
    """The default replay as a bare loop: final NAV and fills, and where its time went."""
    started = time.process_time()
    import numpy as np

    from strategies.buy_and_hold_risk_parity import diversification_multiplier
    from tradesim.data.bundled import bundled_prices
    from tradesim.estimates import WeeklyCorrelation, annual_volatility
    from tradesim.estimates.covariance import shrink
    from tradesim.optimiser.buffering import buffer_trade
    from tradesim.optimiser.dynamic import compiled_driver, dynamic_search, optimise_compiled
    from tradesim.optimiser.objective import tracking_error
    from tradesim.optimiser.problem import Problem

    driver = compiled_driver("auto")
    imported = time.process_time()
    config = tomllib.loads(DEFAULT.read_text())
    symbols = [i["symbol"] for i in config["instruments"]]
    capital, risk_target = float(config["capital"]), config["risk_target"]
    pct, minimum, spread_bps = (config["costs"][k] for k in ("commission_pct", "commission_min", "half_spread_bps"))
    frame = bundled_prices(config["data"]["dataset"])[symbols]
    dates, close = frame.index, frame.to_numpy(dtype=np.float64)
    T, N = close.shape

    # Everything that does not depend on the account, for all days at once.
    returns = np.full(close.shape, np.nan)
    returns[1:] = (close[1:] - close[:-1]) / close[:-1]
    vol = annual_volatility(returns, VOL_SPAN, LONG_RUN_VOL_WEIGHT, LONG_RUN_VOL_DAYS, VOL_FLOOR)
    correlation = WeeklyCorrelation(dates, returns, CORR_SPAN_WEEKS)
    live = ~np.isnan(vol)
    n_live = live.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(n_live > 0, live / n_live, 0.0)
        weekly = WeeklyCorrelation(dates, returns, CORR_SPAN_WEEKS)  # it moves forward only: one for the weights
        idm = np.array([diversification_multiplier(share[t], weekly.at(t), IDM_CAP) if n_live[t, 0] else 1.0
                        for t in range(T)])
        weights = np.where(live, idm[:, None] * share * risk_target / vol, np.nan)
    unit_cost = close * spread_bps / 1e4 + np.maximum(0.0, pct * close)  # slippage + commission of one share
    vol_filled = np.nan_to_num(vol, nan=0.0)
    buffer = BUFFER_FRACTION * risk_target
    no_bound = np.full(N, np.inf)

    prepared = time.process_time()
    searching = 0.0
    cash, nav = capital, capital
    positions, pending = np.zeros(N), np.zeros(N)
    fills = 0
    corr_seen = shrunk = None
    for t in range(T):
        price = close[t]
        # Yesterday's orders fill at today's close (the data has no opens), costs charged.
        idx = np.flatnonzero(pending)
        if len(idx):
            q, p = pending[idx], price[idx]
            size = np.abs(q)
            commission = np.maximum(np.maximum(0.0 * size, pct * (size * np.abs(p))), minimum)
            cost = commission + size * (np.abs(p) * spread_bps / 1e4)
            positions[idx] += q
            cash += float((-q * p).sum()) - float(cost.sum())
            fills += len(idx)
        nav = cash + float(np.where(positions != 0, positions * price, 0.0).sum())

        # Decide at the close: x* from the weights, then the optimiser's search and buffer.
        v = price / nav
        with np.errstate(invalid="ignore"):
            x_star = np.where(np.isfinite(weights[t]), weights[t] / v, 0.0)
        corr = correlation.at(t)
        if corr is not corr_seen:
            shrunk, corr_seen = shrink(corr, CORR_SHRINKAGE), corr
        sigma = shrunk * np.outer(vol_filled[t], vol_filled[t])
        x0 = None if t == 0 else positions.astype(np.int64)
        problem = Problem(x_star, x0, v, sigma, unit_cost[t] / nav, COST_MULTIPLIER, buffer, -no_bound, no_bound,
                          False, None)
        search_started = time.process_time()
        # The product's own path where it has one: the search's compiled driver (buffer check,
        # search and buffering in compiled calls), else its Python driver and buffering.
        found = None if driver is None else optimise_compiled(problem, driver)
        if found is not None:
            target = found[0]
        elif x0 is not None and tracking_error(x0, x_star, v, sigma) < buffer:
            target = x0
        else:
            target, _, _ = buffer_trade(problem, dynamic_search(problem).x, zero_means_none=False)
        searching += time.process_time() - search_started
        pending = target - positions
    done = time.process_time()
    return {"nav": nav, "fills": fills, "days": T, "imports": imported - started, "data": prepared - imported,
            "loop": done - prepared, "search": searching}


def run_loop() -> dict:
    """The loop's figures and the CPU and peak memory of this whole process."""
    result = floor_loop()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {**result, "cpu": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024}


def measure(argv: list[str], cwd: Path | None = None) -> dict:
    """A child process's stdout, CPU (user + system), wall time and peak RSS, from wait4."""
    import os
    import subprocess

    started = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, text=True,
                             env={**os.environ, "COLUMNS": "120"})
    out = child.stdout.read()
    err = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({child.returncode}): {err.strip()[-500:]}")
    return {"out": out, "cpu": usage.ru_utime + usage.ru_stime, "wall": wall, "peak_mb": usage.ru_maxrss / 1024}


def floor_process() -> dict:
    """The loop in a fresh interpreter, as the command runs: its figures and its CPU."""
    run = measure([sys.executable, str(Path(__file__).resolve()), "--loop"])
    return {**json.loads(run["out"]), "cpu": run["cpu"], "wall": run["wall"], "peak_mb": run["peak_mb"]}


def replay_process(folder: Path) -> dict:
    """``tradesim replay`` (the default portfolio, ledger in SQLite): its CPU, final NAV and fills."""
    import shutil
    import sqlite3

    db = folder / "floor-check.db"
    db.unlink(missing_ok=True)
    run = measure([shutil.which("tradesim") or "tradesim", "replay", "--db", str(db)], cwd=folder)
    with sqlite3.connect(db) as conn:
        run_id = conn.execute("SELECT max(id) FROM runs").fetchone()[0]
        nav = conn.execute("SELECT nav FROM equity WHERE run_id = ? ORDER BY day DESC LIMIT 1", (run_id,)).fetchone()[0]
        fills = conn.execute("SELECT count(*) FROM fills WHERE run_id = ?", (run_id,)).fetchone()[0]
        days = conn.execute("SELECT count(*) FROM processed_days WHERE run_id = ?", (run_id,)).fetchone()[0]
    return {"nav": nav, "fills": fills, "days": days, "cpu": run["cpu"], "wall": run["wall"], "peak_mb": run["peak_mb"]}


def agree(floor: dict, command: dict) -> str | None:
    """None when the loop and the command agree to the cent; else what differs."""
    if round(floor["nav"], 2) != round(command["nav"], 2) or floor["fills"] != command["fills"] \
            or floor["days"] != command["days"]:
        return (f"the floor does not match the replay: NAV {floor['nav']:,.2f} against {command['nav']:,.2f}, "
                f"{floor['fills']:,} fills against {command['fills']:,}, {floor['days']:,} days against "
                f"{command['days']:,}")
    return None


def main() -> int:
    if "--loop" in sys.argv[1:]:
        print(json.dumps(run_loop()))
        return 0
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        command = replay_process(Path(tmp))
    floor = floor_process()
    print(f"floor (bare numpy loop): {floor['cpu']:.2f} s CPU, {floor['wall']:.2f} s wall, peak {floor['peak_mb']:.0f} MB; "
          f"final NAV {floor['nav']:,.2f}, {floor['fills']:,} fills over {floor['days']:,} days")
    print(f"  the floor's CPU: imports {floor['imports']:.2f} s, prices and estimates {floor['data']:.2f} s, "
          f"loop {floor['loop']:.2f} s of which the optimiser's search {floor['search']:.2f} s (numba's cache "
          f"loads on its first call)")
    print(f"tradesim replay:         {command['cpu']:.2f} s CPU, {command['wall']:.2f} s wall, "
          f"peak {command['peak_mb']:.0f} MB; final NAV {command['nav']:,.2f}, {command['fills']:,} fills")
    problem = agree(floor, command)
    if problem:
        print(problem)
        return 1
    print(f"same NAV to the cent and the same fills; the whole command uses {command['cpu'] / floor['cpu']:.2f}x "
          f"the floor's CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
