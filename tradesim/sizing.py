"""From unrounded optimal positions to the positions actually held.

The seam between the strategy and the optimiser: ``method`` "round" rounds to
whole units, "none" keeps fractions (the ideal, for comparisons), "dynamic"
runs Carver's dynamic optimisation (``tradesim.optimiser``). Instruments that
cannot trade today (no price) are held where they are.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from tradesim.optimiser.objective import tracking_error
from tradesim.schema import OptimiserConfig


@dataclass(frozen=True)
class SizingResult:
    positions: np.ndarray  # (N,) float64 (whole numbers unless method "none")
    tracking_error: float  # of the held positions against the unrounded optimum
    adjustment_factor: float
    path: str
    passes: int
    seconds: float


class Sizer:
    def __init__(self, config: OptimiserConfig, risk_target: float) -> None:
        self.config = config
        self.buffer = config.buffer_fraction * risk_target

    def hold(self, previous: np.ndarray, x_star: np.ndarray, tradable: np.ndarray, v: np.ndarray,
             sigma: np.ndarray) -> SizingResult:
        """No rebalance due today: keep what is held, but still measure how far it has drifted."""
        te = tracking_error(*_subset(tradable, previous, x_star, v, sigma))
        return SizingResult(previous.copy(), te, 1.0, "hold", 0, 0.0)

    def size(self, x_star: np.ndarray, previous: np.ndarray, tradable: np.ndarray, v: np.ndarray,
             sigma: np.ndarray, cost_per_contract: np.ndarray, first_day: bool) -> SizingResult:
        """Positions for instruments in ``tradable``; the rest keep ``previous``."""
        started = time.perf_counter()
        method = self.config.method
        out = previous.copy()
        idx = np.flatnonzero(tradable)
        everything = len(idx) == len(tradable)  # the usual day: no need to copy sub-arrays
        alpha, path, passes = 1.0, method, 0
        if method == "none":
            out[idx] = x_star[idx]
        elif method == "round":
            out[idx] = np.rint(x_star[idx])
        else:
            from tradesim.optimiser import optimise_positions

            if self.config.start == "rounded":
                method_name = "rounded+polish"
            else:
                method_name = "greedy+polish" if self.config.polish else "greedy"
            result = optimise_positions(
                x_star[idx], None if first_day else previous[idx].astype(np.int64), v[idx],
                sigma if everything else sigma[np.ix_(idx, idx)], cost_per_contract[idx],
                cost_multiplier=self.config.cost_multiplier, tracking_error_buffer=self.buffer,
                method=method_name, validate=False,  # the engine checks each new correlation once
                backend=self.config.backend,
            )
            out[idx] = result.positions
            alpha, path, passes = result.adjustment_factor, result.path, result.passes + result.polish_moves
        if method == "dynamic" and everything:
            te = result.tracking_error  # the optimiser measured it on the same arrays
        else:
            te = tracking_error(*_subset(tradable, out, x_star, v, sigma))
        return SizingResult(out, te, alpha, path, passes, time.perf_counter() - started)


def _subset(mask: np.ndarray, x: np.ndarray, x_star: np.ndarray, v: np.ndarray, sigma: np.ndarray):
    """The arguments of ``tracking_error`` restricted to the instruments in ``mask``."""
    if mask.all():
        return x, x_star, v, sigma
    idx = np.flatnonzero(mask)
    return x[idx], x_star[idx], v[idx], sigma[np.ix_(idx, idx)]
