"""Carry: the annualised roll yield of holding the future, in units of its annual risk.

    annualised carry = (PRICE - CARRY) / (years(CARRY_CONTRACT) - years(PRICE_CONTRACT))

in price points a year: positive in backwardation whether the carry contract is the
nearer or the further one (the denominator's sign follows which it is). Then, as AFTS:

    raw      = annualised carry / (sigma_p x 16)       (annual price volatility in points)
    forecast = clip(EWMA_span(raw) x 30, -cap, cap)

A day with no CARRY price (or both contracts the same) has no carry of its own; the last
one stands until the next (AFTS forward-fills the carry, never the carry price, so a stale
price is never paired with a new contract after a roll).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CARRY_SCALAR = 30.0  # AFTS p.216
ANNUALISE = 16.0


def contract_years(contract: np.ndarray) -> np.ndarray:
    """yyyymmdd (dd is 00 in pysystemtrade) as years: 20240300 -> 2024 + 3/12."""
    yyyymm = np.floor(contract / 100.0)
    year = np.floor(yyyymm / 100.0)
    # The month is yyyymm mod 100, exactly (whole numbers): np.mod's float path took 3x as long.
    return year + (yyyymm - 100.0 * year) / 12.0


def annualised_carry(price: np.ndarray, carry: np.ndarray, price_contract: np.ndarray,
                     carry_contract: np.ndarray) -> np.ndarray:
    """Annualised carry in price points; NaN where it cannot be computed that day."""
    distance = contract_years(carry_contract) - contract_years(price_contract)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (price - carry) / distance
    return np.where(np.isfinite(out), out, np.nan)


def carry_forecast(ann_carry: np.ndarray, sigma_p: np.ndarray, span: int, scalar: float = CARRY_SCALAR,
                   cap: float = 20.0, own_days: np.ndarray | None = None) -> np.ndarray:
    """Smoothed, scaled and capped carry forecast from the annualised carry (NaN before any).

    ``own_days`` (bool, days x instruments) restricts the smoothing to the days each
    instrument traded, as the trend rule's EWMAs are; other days carry the last value.
    """
    # Each step in place on one new table (the same operations, in the same order): on Jumbo every
    # copy is a 6.4 MB table at the strategy's peak.
    raw = _values(pd.DataFrame(ann_carry, copy=False).ffill(), ann_carry)
    with np.errstate(invalid="ignore", divide="ignore"):
        np.divide(raw, sigma_p * ANNUALISE, out=raw)
    raw[~np.isfinite(raw)] = np.nan
    if own_days is not None:
        raw[~own_days] = np.nan
    smooth = pd.DataFrame(raw, copy=False).ewm(span=span, adjust=True, ignore_na=True).mean()
    smooth.ffill(inplace=True)
    out = _values(smooth, raw)
    del raw
    out *= scalar
    return np.clip(out, -cap, cap, out=out)


def _values(frame: pd.DataFrame, source: np.ndarray) -> np.ndarray:
    """A frame's one table of floats, to be changed in place: the frame is this module's own and
    dropped at once (pandas hands its values out read-only, as they could be shared). Were they
    ever ``source``'s memory (a pandas that skips a copy with nothing to fill), a copy."""
    out = frame.to_numpy()
    if np.may_share_memory(out, source):
        return out.copy()
    out.flags.writeable = True
    return out
