"""Trading costs per instrument, vectorised over instruments.

An order of q units costs, in the instrument's currency,
    commission = fixed + max(per_unit x |q|, pct x notional, minimum)   (fixed and minimum per order)
    slippage   = |q| x multiplier x (half_spread + price x half_spread_bps / 10,000)
the same rule pysystemtrade's instrument table uses for futures
(SpreadCost x Pointsize + max(PerBlock, Percentage, PerTrade)) and brokers use
for shares (per-share commission with a minimum ticket); the fixed fee is the other
common form, a ticket charge plus a percentage ("$10 + 0.1% a trade").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tradesim.schema import PortfolioConfig


@dataclass(frozen=True)
class CostTable:
    per_unit: np.ndarray
    pct: np.ndarray
    minimum: np.ndarray
    half_spread: np.ndarray
    half_spread_bps: np.ndarray
    fixed: np.ndarray | float = 0.0

    @classmethod
    def from_config(cls, config: PortfolioConfig) -> "CostTable":
        models = [config.cost_model(i) for i in config.instruments]
        col = lambda name: np.array([getattr(m, name) for m in models], dtype=float)  # noqa: E731
        return cls(col("commission_per_unit"), col("commission_pct"), col("commission_min"),
                   col("half_spread"), col("half_spread_bps"), col("commission_fixed"))

    def commission(self, qty: np.ndarray, price: np.ndarray, multiplier: np.ndarray) -> np.ndarray:
        """``price`` is the notional price (the held contract's for futures)."""
        q = np.abs(qty)
        notional = q * np.abs(price) * multiplier
        fee = self.fixed + np.maximum(np.maximum(self.per_unit * q, self.pct * notional), self.minimum)
        return np.where(q > 0, fee, 0.0)

    def slippage(self, qty: np.ndarray, price: np.ndarray, multiplier: np.ndarray) -> np.ndarray:
        return np.abs(qty) * multiplier * (self.half_spread + np.abs(price) * self.half_spread_bps / 1e4)

    def per_unit_cost(self, price: np.ndarray, multiplier: np.ndarray) -> np.ndarray:
        """Marginal cost of one more unit (the optimiser's c before dividing by capital).

        The per-order minimum and fixed fee are left out: they are costs of trading at
        all, not costs per contract.
        """
        one = np.ones_like(price)
        return self.slippage(one, price, multiplier) + np.maximum(self.per_unit, self.pct * np.abs(price) * multiplier)


# Carver's window for the volatility that deflates historical costs (AFTS's
# calculate_deflated_costs, pysystemtrade's vol_normalise_currency_costs).
DEFLATION_WINDOW = 180


def volatility_deflator(close: np.ndarray, window: int = DEFLATION_WINDOW) -> np.ndarray:
    """(T, N) factor on each day's currency cost per contract: the standard deviation of
    daily price changes over ``window`` days, relative to its value on the last day.

    A cost quoted today (one tick of spread, a commission) was smaller in points when
    prices moved less; scaling by the price volatility keeps its size against the
    instrument's risk, as AFTS and pysystemtrade do. Days before an instrument has 20
    changes take its first estimate; an instrument whose prices never move keeps 1.
    """
    import pandas as pd

    changes = pd.DataFrame(close, copy=False).diff()
    std = changes.rolling(window, min_periods=20).std()
    del changes  # each table is days x instruments: freed, or filled in place, as soon as it can be
    std.bfill(inplace=True)
    std.ffill(inplace=True)
    last = std.iloc[-1] if len(std) else pd.Series(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = (std / last.where(last > 0)).to_numpy()
    return np.where(np.isfinite(factor), factor, 1.0)
