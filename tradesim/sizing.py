"""From unrounded optimal positions to the positions actually held.

The seam between the strategy and the optimiser: ``method`` "round" rounds to
whole units, "none" keeps fractions (the ideal, for comparisons), "dynamic"
runs dynamic optimisation (``tradesim.optimiser``) with the search the config
chooses ("greedy": Carver's own). Instruments that
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


# Span (days) of the average absolute position behind method "buffered"'s buffer width.
AVERAGE_POSITION_SPAN = 256


class Sizer:
    def __init__(self, config: OptimiserConfig, risk_target: float) -> None:
        self.config = config
        self.buffer = config.buffer_fraction * risk_target
        self.average_position: np.ndarray | None = None  # EWMA of |x*|, method "buffered" only

    def _track_average_position(self, x_star: np.ndarray) -> None:
        if self.average_position is None:
            self.average_position = np.abs(x_star)
        else:
            self.average_position += (np.abs(x_star) - self.average_position) * (2.0 / (AVERAGE_POSITION_SPAN + 1))

    def hold(self, previous: np.ndarray, x_star: np.ndarray, tradable: np.ndarray, v: np.ndarray,
             sigma: np.ndarray) -> SizingResult:
        """No rebalance due today: keep what is held, but still measure how far it has drifted."""
        if self.config.method == "buffered":
            self._track_average_position(x_star)
        te = tracking_error(*_subset(tradable, previous, x_star, v, sigma))
        return SizingResult(previous.copy(), te, 1.0, "hold", 0, 0.0)

    def scale(self, previous: np.ndarray, factor: float, tradable: np.ndarray, x_star: np.ndarray, v: np.ndarray,
              sigma: np.ndarray) -> SizingResult:
        """Every tradable holding times ``factor`` (whole units unless sizing is fractional): a
        buy-and-hold account investing a contribution, or raising a withdrawal, pro rata."""
        out = previous.copy()
        scaled = previous[tradable] * factor
        out[tradable] = scaled if self.config.method == "none" else np.rint(scaled)
        te = tracking_error(*_subset(tradable, out, x_star, v, sigma))
        return SizingResult(out, te, 1.0, "pro_rata", 0, 0.0)

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
        elif method == "buffered":
            # Carver's static buffer: hold while inside x* +- width, else trade to the nearer
            # (rounded) edge; the first day has nothing to hold and takes rint(x*).
            self._track_average_position(x_star)
            if first_day:
                out[idx] = np.rint(x_star[idx])
            else:
                width = self.config.position_buffer * self.average_position[idx]
                lower, upper = np.rint(x_star[idx] - width), np.rint(x_star[idx] + width)
                out[idx] = np.clip(previous[idx], lower, upper)
        else:
            from tradesim.optimiser import optimise_positions

            result = optimise_positions(
                x_star[idx], None if first_day else previous[idx].astype(np.int64), v[idx],
                sigma if everything else _block(sigma, idx), cost_per_contract[idx],
                cost_multiplier=self.config.cost_multiplier, tracking_error_buffer=self.buffer,
                method=self.config.search, validate=False,  # the engine checks each new correlation once
                backend=self.config.backend,
            )
            out[idx] = result.positions
            alpha, path, passes = result.adjustment_factor, result.path, result.passes + result.polish_moves
        if method in ("dynamic", "greedy"):
            # The optimiser measured it on the same arrays (the tradable ones): measuring it
            # again took a second copy of the covariance's tradable rows on most Jumbo days.
            te = result.tracking_error
        else:
            te = tracking_error(*_subset(tradable, out, x_star, v, sigma))
        return SizingResult(out, te, alpha, path, passes, time.perf_counter() - started)


def _subset(mask: np.ndarray, x: np.ndarray, x_star: np.ndarray, v: np.ndarray, sigma: np.ndarray):
    """The arguments of ``tracking_error`` restricted to the instruments in ``mask``."""
    if mask.all():
        return x, x_star, v, sigma
    idx = np.flatnonzero(mask)
    return x[idx], x_star[idx], v[idx], _block(sigma, idx)


def _block(sigma: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """sigma's rows and columns idx (C-contiguous): two takes cost a third of np.ix_'s index."""
    return sigma[idx][:, idx]
