"""Position bounds: the constraints the search and the final result respect.

Bounds are per instrument, in contracts, with -inf/+inf for "unbounded". Reduce-only
and no-trade are just bounds, built by the helpers below.
"""

from __future__ import annotations

import numpy as np


def reduce_only_bounds(previous):
    """(min, max) letting each position only shrink towards zero: [min(0, x0), max(0, x0)]."""
    x0 = np.asarray(previous, dtype=np.float64)
    return np.minimum(x0, 0.0), np.maximum(x0, 0.0)


def no_trade_bounds(previous):
    """(min, max) pinning each position at x0."""
    x0 = np.asarray(previous, dtype=np.float64)
    return x0.copy(), x0.copy()


def search_start(lo, hi, bounded: bool = True) -> np.ndarray:
    """The greedy search starts at zero, clipped into the bounds."""
    if not bounded:
        return np.zeros(lo.shape[0], dtype=np.int64)
    return np.minimum(np.maximum(lo, 0.0), hi).astype(np.int64)


def search_direction(x_star, lo, hi, bounded: bool = True) -> np.ndarray:
    """s_i: +1 where x*_i >= 0, else -1; forced to +1 where the position cannot be
    negative (lo >= 0) and to -1 where it cannot be positive (hi <= 0)."""
    s = np.where(x_star >= 0.0, 1, -1)
    if bounded:
        s[lo >= 0.0] = 1
        s[hi <= 0.0] = -1
    return s
