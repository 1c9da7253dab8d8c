"""Cash, positions and NAV in the base currency.

Two settlement kinds, one formula each:
- stocks are bought with cash: a fill moves q x price x multiplier x FX out of
  cash, and the holding is worth position x close x multiplier x FX;
- futures are margined: no cash changes hands for the contract itself, the
  daily variation position x (close_t - close_t-1) x multiplier x FX_t settles
  into cash, and a fill during the day earns q x (close_t - fill price).
Costs always leave cash at the fill day's FX.
"""

from __future__ import annotations

import numpy as np


def variation_margin(positions: np.ndarray, close_prev: np.ndarray, close: np.ndarray,
                     multiplier: np.ndarray, fx: np.ndarray, is_future: np.ndarray) -> float:
    """Futures P&L on positions carried over from yesterday's close."""
    move = np.where(is_future & (positions != 0), positions * (close - close_prev) * multiplier * fx, 0.0)
    missing = np.isnan(move)  # np.nansum's sum, without its wrapper's copy
    if missing.any():
        move[missing] = 0.0
    return float(move.sum())


def fill_cash_flow(qty: np.ndarray, fill_price: np.ndarray, close: np.ndarray, multiplier: np.ndarray,
                   fx: np.ndarray, is_future: np.ndarray) -> float:
    """Cash moved by fills (before costs): stock purchases, or futures' fill-to-close P&L."""
    traded = qty != 0
    stock = np.where(traded & ~is_future, -qty * fill_price * multiplier * fx, 0.0)
    future = np.where(traded & is_future, qty * (close - fill_price) * multiplier * fx, 0.0)
    return float(stock.sum() + future.sum())


def holdings_value(positions: np.ndarray, close: np.ndarray, multiplier: np.ndarray, fx: np.ndarray,
                   is_future: np.ndarray) -> float:
    """Market value of stock holdings; futures positions carry no value beyond their settled P&L."""
    held = (positions != 0) & ~is_future
    return float(np.where(held, positions * close * multiplier * fx, 0.0).sum())


def notional_exposure(positions: np.ndarray, price: np.ndarray, multiplier: np.ndarray, fx: np.ndarray) -> np.ndarray:
    """Signed notional per instrument in the base currency (sizing price for futures)."""
    return np.where(positions != 0, positions * price * multiplier * fx, 0.0)
