"""The optimiser's answer and the names of the paths it can take."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Path names of the SPEC (pysystemtrade's branches), plus the two comparison methods.
BUFFER_NO_TRADE = "buffer_no_trade"
GREEDY_NO_PRIOR = "greedy_no_prior"
GREEDY_THEN_BUFFER_NO_TRADE = "greedy_then_buffer_no_trade"
GREEDY_THEN_PARTIAL_TRADE = "greedy_then_partial_trade"
ROUND = "round"
NONE = "none"


@dataclass(frozen=True, slots=True)
class OptimiserResult:
    """What `optimise_positions` returns.

    positions          int64 array of contracts (float64 for method="none", which keeps
                       the fractional optimum); read-only, copy it to modify.
    tracking_error     TE(positions, optimal): annualised, as a fraction of capital.
    cost               sum_i c_i |positions_i - previous_i| as a fraction of capital,
                       WITHOUT the cost multiplier (previous None counts as all zeros).
    adjustment_factor  alpha, the fraction of the search's trade that was done:
                       in (0, 1) for a partial trade, 0.0 when the buffer stopped all
                       trading (both *_no_trade paths), 1.0 where no buffering applies
                       (greedy_no_prior, round, none).
    path               one of the path names above.
    passes             accepted greedy steps (0 when the search did not run, and for
                       round/none).
    polish_moves       accepted moves of the local search (greedy+polish, rounded+polish,
                       dynamic).
    """

    positions: np.ndarray
    tracking_error: float
    cost: float
    adjustment_factor: float
    path: str
    passes: int
    polish_moves: int = 0
