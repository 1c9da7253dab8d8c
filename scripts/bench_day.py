#!/usr/bin/env python
"""The day's Python outside the optimiser: numpy's path against the compiled one, on Jumbo.

    python scripts/bench_day.py            # Jumbo's 6,312 days from the shared futures files
    python scripts/bench_day.py --rounds 5

For each part the engine now runs compiled (tradesim/clearing.py, tradesim/decision_inputs.py)
it times both paths over every day of Jumbo in this one process, alternating, best of
``--rounds``, in CPU seconds of this thread (what the replay's loop thread would spend), and
checks they give the same bits. Then the new ledger: a SQLite file created from the recorded
schema against one migrated step by step by Alembic (wall seconds, each in a fresh process,
CPU, since Alembic's import is part of its cost).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from bench_replay import FUTURES_DATA, JUMBO  # noqa: E402
from peak import this_process_mb  # noqa: E402

NEW_LEDGER = """
import sys, time
from sqlalchemy import create_engine
from db import migrations
engine = create_engine(sys.argv[1])
started = time.process_time()
migrations.upgrade(engine, use_record=sys.argv[2] == "record")
print(time.process_time() - started)
"""


def best(rounds: int, parts: dict) -> dict[str, float]:  # noqa: ANN001
    """Each part's best CPU time of ``rounds``, the parts alternating."""
    times = {name: float("inf") for name in parts}
    for _ in range(rounds):
        for name, run in parts.items():
            started = time.thread_time()
            run()
            times[name] = min(times[name], time.thread_time() - started)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not FUTURES_DATA.is_dir():
        print(f"skipped: the futures data is not at {FUTURES_DATA}")
        return 0

    from tradesim.accounting import holdings_value, notional_exposure, variation_margin
    from tradesim.config import load_config
    from tradesim.decision_inputs import advance_correlation, correlation_of
    from tradesim.engine import Engine
    from tradesim.estimates import WeeklyCorrelation
    from tradesim.replay import first_trading_index, load_market, start_optimiser

    config = load_config(JUMBO, sets=[f'data.path="{FUTURES_DATA}"'])
    start_optimiser(config)
    market = load_market(config)
    engine = Engine(config, market)
    if engine._clear_day is None or engine._sizing_inputs is None:
        print("the engine runs numpy's path here (no numba?): nothing to compare")
        return 1
    m, n = market, market.n_instruments
    days = range(first_trading_index(market, config.start), market.n_days)  # the replay's days
    rng = np.random.default_rng(17)
    # Books like Jumbo's: a few contracts held and ordered where there is a price.
    held = {t: np.where(m.has_price[t] & (rng.random(n) < 0.5), rng.integers(-3, 4, n), 0).astype(float) for t in days}
    pending = {t: np.where(rng.random(n) < 0.1, rng.integers(-2, 3, n), 0).astype(float) for t in days}
    weights = rng.standard_normal(n) * 0.05
    tables = engine.clearing_tables()

    def clearing_numpy() -> None:
        for t in days:
            fills = engine._fill(pending[t], t, at_close=False)
            positions = held[t].copy()
            positions[fills.instrument] += fills.quantity
            if t:
                variation_margin(held[t], m.close[t - 1], m.close[t], m.multiplier, m.fx[t], m.is_future)
            engine._settle(fills, t)
            engine._roll_costs(held[t], t)
            holdings_value(positions, m.close[t], m.multiplier, m.fx[t], m.is_future)
            notional_exposure(positions, m.contract_price[t], m.multiplier, m.fx[t])

    def clearing_compiled() -> None:
        for t in days:
            engine._clear_day(t, pending[t], held[t], False, *tables)

    def inputs_numpy() -> None:
        for t in days:
            with np.errstate(invalid="ignore", divide="ignore"):
                v = engine.unit_notional[t] / 1e6
                sizable = np.isfinite(v)
                v = np.where(sizable, v, 0.0)
                np.where(sizable & np.isfinite(weights), weights / np.where(sizable, v, 1.0), 0.0)
                np.where(sizable, engine.unit_cost[t] / 1e6, 0.0)
                m.has_price[t] & sizable

    def inputs_compiled() -> None:
        for t in days:
            engine._sizing_inputs(t, engine.unit_notional, engine.unit_cost, m.has_price, weights, 1e6)

    shrunk = engine.correlation.at(m.n_days - 1) * 0.5 + np.eye(n) * 0.5

    def sigma_numpy() -> None:
        for t in days:
            vol = engine.vol[t]
            vol = np.where(vol == vol, vol, 0.0)
            shrunk * (vol[:, None] * vol)

    def sigma_compiled() -> None:
        for t in days:
            engine._covariance(t, shrunk, engine.vol)

    returns = market.percentage_returns()

    def weekly(compiled: bool):  # noqa: ANN202
        def run() -> None:
            correlation = WeeklyCorrelation(m.dates, returns, config.estimates.corr_span_weeks)
            if compiled:
                correlation.compiled(advance_correlation, correlation_of)
            for t in days:
                correlation.at(t)
        return run

    # The same bits, checked on a sample of days before anything is timed.
    for t in days[1::97]:
        out = engine._clear_day(t, pending[t], held[t], False, *tables)
        positions = held[t].copy()
        fills = engine._fill(pending[t], t, at_close=False)
        positions[fills.instrument] += fills.quantity
        assert out[3].tobytes() == positions.tobytes() and out[2][7].tobytes() == fills.cost_base.tobytes()
        vol = np.where(engine.vol[t] == engine.vol[t], engine.vol[t], 0.0)
        assert engine._covariance(t, shrunk, engine.vol).tobytes() == (shrunk * (vol[:, None] * vol)).tobytes()

    times = best(args.rounds, {
        "clearing numpy": clearing_numpy, "clearing compiled": clearing_compiled,
        "inputs numpy": inputs_numpy, "inputs compiled": inputs_compiled,
        "Sigma numpy": sigma_numpy, "Sigma compiled": sigma_compiled,
        "weekly correlation numpy": weekly(False), "weekly correlation compiled": weekly(True)})
    print(f"Jumbo: {n} instruments, {len(days):,} days; CPU seconds of this thread, best of {args.rounds}, "
          "the same bits checked")
    saved = 0.0
    for part in ("clearing", "inputs", "Sigma", "weekly correlation"):
        before, after = times[f"{part} numpy"], times[f"{part} compiled"]
        saved += before - after
        print(f"  {part:<20} numpy {before:6.3f} s   compiled {after:6.3f} s   ({before / after:4.1f}x)")

    ledger = {}
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.rounds):
            for how in ("migrations", "record"):
                url = f"sqlite:///{tmp}/{how}{k}.db"
                took = float(subprocess.run([sys.executable, "-c", NEW_LEDGER, url, how], cwd=ROOT, check=True,
                                            capture_output=True, text=True).stdout)
                ledger[how] = min(ledger.get(how, took), took)
    saved += ledger["migrations"] - ledger["record"]
    print(f"  {'new SQLite ledger':<20} Alembic {ledger['migrations']:.3f} s   recorded schema {ledger['record']:.3f} s"
          " (CPU, Alembic's import included)")
    print(f"about {saved:.2f} s less on the loop's thread per Jumbo run")
    print(f"peak RSS of this process: {this_process_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
