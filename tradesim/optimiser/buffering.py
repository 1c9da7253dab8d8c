"""Carver's buffering: trade only the part of the move that exceeds the buffer B."""

from __future__ import annotations

import numpy as np

from tradesim.optimiser.objective import tracking_error
from tradesim.optimiser.problem import Problem
from tradesim.optimiser.result import (
    GREEDY_NO_PRIOR,
    GREEDY_THEN_BUFFER_NO_TRADE,
    GREEDY_THEN_PARTIAL_TRADE,
)


def buffer_trade(problem: Problem, x_search: np.ndarray, zero_means_none: bool = True) -> tuple[np.ndarray, float, str]:
    """(positions, alpha, path) from the searched positions, SPEC steps 3 to 5.

    ``zero_means_none=False`` skips SPEC step 4 (the "dynamic" search: all zeros is a
    real answer there, closing everything, not a greedy walk that never started).
    The positions are not yet clipped into the bounds (the caller does it for all paths).
    """
    x0 = problem.x0
    if x0 is None:
        return x_search, 1.0, GREEDY_NO_PRIOR
    if zero_means_none and not x_search.any():
        # SPEC step 4, pysystemtrade's rule: an all-zero search result is taken as "no
        # answer" and replaced by x0, so the buffer below keeps x0 rather than closing all.
        x_search = x0
    T = tracking_error(x0, x_search, problem.v, problem.Sigma)
    alpha = max((T - problem.B) / T, 0.0) if T > 0.0 else 0.0
    if alpha == 0.0:
        return x0, 0.0, GREEDY_THEN_BUFFER_NO_TRADE
    # rint rounds half to even, as the reference does.
    x = x0 + np.rint(alpha * (x_search - x0)).astype(np.int64)
    return x, alpha, GREEDY_THEN_PARTIAL_TRADE
