"""EWMAC trend: the gap between a fast and a slow EWMA of the back-adjusted price.

    raw      = (EWMA_fast(adjusted) - EWMA_slow(adjusted)) / sigma_p
    forecast = clip(raw x scalar, -cap, cap)

sigma_p is the daily standard deviation of price changes in price points, AFTS's way:
the held contract's price x annualised % volatility / 16. The % volatility is the
engine's (EWMA span 35 of daily changes over the previous held price, blended 70/30 with
its ten-year average, floored), so sigma_p is the span-35 daily std of price changes
restated at today's contract price, and AFTS's forecast scalars (fitted with exactly this
sigma_p) apply as they stand.

Back-adjusted prices can be negative: only their differences matter here, and an EWMA
difference is a difference.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

ANNUALISE = 16.0

# AFTS Table 29: forecast scalar by fast span (the slow span is four times the fast).
TREND_SCALARS = {2: 12.1, 4: 8.53, 8: 5.95, 16: 4.10, 32: 2.79, 64: 1.91}


def price_vol_points(contract_price: np.ndarray, annual_vol: np.ndarray) -> np.ndarray:
    """Daily price volatility in price points (AFTS's sigma_p); NaN where either input is."""
    return np.abs(contract_price) * annual_vol / ANNUALISE


def own_day_ewma(prices: np.ndarray, span: int) -> np.ndarray:
    """EWMA over each instrument's own trading days (NaN = no price that day), carried over gaps.

    Exchanges keep different holidays; a missing day is not a day with an unchanged price.
    """
    # Read in place and filled in place: on Jumbo each copy is a 6.4 MB table at the strategy's peak.
    ewma = pd.DataFrame(prices, copy=False).ewm(span=span, adjust=True, ignore_na=True).mean()
    ewma.ffill(inplace=True)
    return ewma.to_numpy()


def ewmac_forecast(prices: np.ndarray, sigma_p: np.ndarray, fast: int, slow: int | None = None,
                   scalar: float | None = None, cap: float = 20.0,
                   ewma: Callable[[np.ndarray, int], np.ndarray] = own_day_ewma) -> np.ndarray:
    """Scaled and capped EWMAC(fast, slow) forecast; slow defaults to 4 x fast, scalar to AFTS's.
    ``ewma(prices, span)``: ``own_day_ewma``, or one that keeps the spans a later rule reuses."""
    slow = slow if slow is not None else 4 * fast
    if scalar is None:
        if fast not in TREND_SCALARS or slow != 4 * fast:
            raise ValueError(f"no AFTS forecast scalar for EWMAC {fast}/{slow}: give one")
        scalar = TREND_SCALARS[fast]
    # Each step in place on the one new table (the same operations, in the same order).
    with np.errstate(invalid="ignore", divide="ignore"):
        raw = ewma(prices, fast) - ewma(prices, slow)
        raw /= sigma_p
    raw[~np.isfinite(raw)] = np.nan
    raw *= scalar
    return np.clip(raw, -cap, cap, out=raw)
