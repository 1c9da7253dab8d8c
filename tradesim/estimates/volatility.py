"""Annualised percentage volatility, AFTS style.

EWMA of squared daily returns (span 35 days), annualised with 16 = sqrt(256),
blended 70/30 with its own ten-year average so that a quiet spell does not
blow positions up. Vectorised: it does not depend on the path of positions.
Row t uses returns up to and including day t only.

Two guards keep sizing finite, both explicit parameters:
- a series is live only after ``span`` non-zero returns: a stale price
  repeated for weeks at the start of a series is not data (RRC in the bundled
  set sits at 3.322 for months in 1990);
- volatility never goes below ``floor`` (5% a year by default), as
  pysystemtrade floors it, because positions scale with 1 / volatility.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ANNUALISE = 16.0  # sqrt(256 business days), Carver's convention


def annual_volatility(
    returns: np.ndarray,
    span: int = 35,
    long_run_weight: float = 0.3,
    long_run_days: int = 2520,
    floor: float = 0.05,
) -> np.ndarray:
    """(T, N) annualised volatility; NaN until ``span`` real returns have been seen.

    Days without a return (NaN) are skipped by the average and carry the last
    estimate forward.
    """
    squared = pd.DataFrame(np.square(returns))
    ewma_var = squared.ewm(span=span, min_periods=span, adjust=True, ignore_na=True).mean()
    # pandas gives NaN on rows whose input is NaN; the estimate stands until the next return.
    vol = np.sqrt(ewma_var.ffill()) * ANNUALISE
    if long_run_weight > 0:
        long_run = vol.rolling(long_run_days, min_periods=1).mean()
        vol = (1 - long_run_weight) * vol + long_run_weight * long_run
    moves = np.nan_to_num(returns, nan=0.0) != 0
    started = np.cumsum(moves, axis=0) >= span
    return np.where(started, np.maximum(vol.to_numpy(), floor), np.nan)
