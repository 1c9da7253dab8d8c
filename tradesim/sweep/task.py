"""One variant on a worker: a replay kept in memory, sent back as a compact result.

The worker never opens the ledger: the client is the one writer. With ``--ledger
summary`` the result is the run's figures and two columns per ledger field of equity
and diagnostics (numpy arrays: a 33-year daily run is about 1 MB); with ``--ledger full``
it also carries every ``Day``, for the writer to put through the same ``DayWriter`` a
replay uses, so both give the same rows.
"""

from __future__ import annotations

import os
import resource
import socket
import time
from dataclasses import dataclass

import numpy as np

from db.ledger import diagnostics_values, equity_values
from tradesim.engine import Day
from tradesim.market import Market
from tradesim.metrics import Summary
from tradesim.schema import PortfolioConfig

# Fault injection for the tests: "DIR:SECONDS" makes each task write DIR/<pid>-<n> when it
# starts and then sleep, so a test can kill a worker that is surely mid-task.
HOOK_ENV = "TRADESIM_TEST_SWEEP_HOOK"


@dataclass(frozen=True)
class VariantResult:
    key: str  # the variant's identity (runs.overrides)
    config: PortfolioConfig
    summary: Summary
    first: int  # index in the market's dates of the run's first day
    equity: dict[str, np.ndarray]  # ledger column -> one value per day
    diagnostics: dict[str, np.ndarray]
    tracking_error: float  # average daily TE against the unrounded optimum
    adjustment_factor: float | None  # average alpha on days the optimiser traded
    nav: np.ndarray  # for the comparison against the ideal
    days: list[Day] | None  # --ledger full only
    seconds: float  # compute time on the worker
    worker: str  # host:pid
    peak_rss_mb: float  # the worker process's peak resident memory so far
    warnings: int = 0  # every warning the replay raised (tradesim/run_warnings.py)
    warning_lines: tuple[str, ...] = ()


def run_variant(key: str, config: PortfolioConfig, market: Market, full: bool = False) -> VariantResult:
    """Replay ``config`` over ``market`` (already loaded and shared) without touching the ledger."""
    from tradesim.replay import first_trading_index, replay  # late: workers import on first task

    _test_hook(key)
    started = time.perf_counter()
    equity: dict[str, list] = {}
    diagnostics: dict[str, list] = {}
    days: list[Day] | None = [] if full else None

    def collect(day: Day) -> None:
        for columns, values in ((equity, equity_values(day)), (diagnostics, diagnostics_values(day))):
            for name, value in values.items():
                columns.setdefault(name, []).append(value)
        if days is not None:
            days.append(day)

    result = replay(config, None, market=market, on_step=collect)
    traded = result.adjustment_factor[result.paths_traded] if result.paths_traded is not None else result.adjustment_factor
    return VariantResult(
        key=key, config=config, summary=result.summary, first=first_trading_index(market, config.start),
        equity={k: np.asarray(v) for k, v in equity.items()},
        diagnostics={k: np.asarray(v, dtype=object if k in ("path", "reason") else None) for k, v in diagnostics.items()},
        tracking_error=float(np.mean(result.tracking_error)) if len(result.tracking_error) else 0.0,
        adjustment_factor=float(np.mean(traded)) if len(traded) else None,
        nav=result.nav, days=days, seconds=time.perf_counter() - started,
        worker=f"{socket.gethostname()}:{os.getpid()}",
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        warnings=result.warning_count, warning_lines=tuple(result.warning_lines))


def start_worker(backends: tuple[str, ...]) -> float:
    """Once per worker, before its first variant: the imports and the optimiser's compiled
    loops (numba's cache), so that no variant's time includes them. Seconds taken."""
    started = time.perf_counter()
    import tradesim.replay  # noqa: F401
    from tradesim.optimiser import warm_up

    for backend in backends:
        warm_up(backend)
    return time.perf_counter() - started


def _test_hook(key: str) -> None:
    hook = os.environ.get(HOOK_ENV)
    if not hook:
        return
    folder, _, seconds = hook.rpartition(":")
    from hashlib import sha256
    from pathlib import Path

    (Path(folder) / f"{os.getpid()}-{sha256(key.encode()).hexdigest()[:8]}").write_text(key)
    time.sleep(float(seconds))
