"""Threshold triggers: trade when the held portfolio has drifted too far from the optimum.

Two measures of "too far", both on weights (w = x v, fraction of capital):

- drift: the largest |w - w*| over instruments (or |w - w*| / |w*|, relative);
- tracking_error: sqrt(e' Sigma e) with e = (x - x*) v, the optimiser's own
  yardstick, against a multiple of its buffer (buffer_fraction x risk_target).

An account that holds nothing while the optimum holds something has drifted
by the whole target, so a threshold trigger makes the first trades by itself.
"""

from __future__ import annotations

import numpy as np

from tradesim.optimiser.objective import tracking_error
from tradesim.triggers.spec import DriftBand, TrackingErrorBand


class Drift:
    name = "drift"

    def __init__(self, band: float, relative: bool = False) -> None:
        self.band, self.relative = band, relative

    def measure(self, positions: np.ndarray, x_star: np.ndarray, v: np.ndarray, sigma: np.ndarray) -> float:
        gap = np.abs((positions - x_star) * v)
        if self.relative:
            target = np.abs(x_star * v)
            # A position against a zero target is infinitely far off; nothing against nothing is on target.
            # A tiny target makes the ratio overflow to inf: as far off as a zero target, as meant.
            with np.errstate(over="ignore"):
                gap = np.divide(gap, target, out=np.where(gap > 0, np.inf, 0.0), where=target > 0)
        return float(gap.max()) if len(gap) else 0.0

    def crossed(self, positions: np.ndarray, x_star: np.ndarray, v: np.ndarray, sigma: np.ndarray) -> bool:
        return self.measure(positions, x_star, v, sigma) > self.band


class TrackingError:
    name = "tracking_error"

    def __init__(self, limit: float) -> None:
        self.limit = limit

    def measure(self, positions: np.ndarray, x_star: np.ndarray, v: np.ndarray, sigma: np.ndarray) -> float:
        return tracking_error(positions, x_star, v, sigma)

    def crossed(self, positions: np.ndarray, x_star: np.ndarray, v: np.ndarray, sigma: np.ndarray) -> bool:
        return self.measure(positions, x_star, v, sigma) > self.limit


Threshold = Drift | TrackingError


def make_band(spec: DriftBand | TrackingErrorBand, buffer: float) -> Threshold:
    """The threshold a config describes; ``buffer`` = buffer_fraction x risk_target."""
    if spec.measure == "drift":
        return Drift(spec.band, spec.relative)
    return TrackingError(spec.multiple * buffer)


class ThresholdTrigger:
    def __init__(self, threshold: Threshold) -> None:
        self.threshold = threshold
        self.reason = f"threshold:{threshold.name}"

    def due(self, t: int, positions: np.ndarray, x_star: np.ndarray, v: np.ndarray, sigma: np.ndarray) -> str | None:
        return self.reason if self.threshold.crossed(positions, x_star, v, sigma) else None
