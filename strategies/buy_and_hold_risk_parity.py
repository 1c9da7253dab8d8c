"""Buy and hold with risk parity (Carver, AFTS strategy 4 on a long-only book).

Every instrument with a volatility estimate gets an equal share of risk:
notional weight_i = IDM x (1/n) x risk_target / vol_i, long only. The
instrument diversification multiplier IDM = 1 / sqrt(w' R w), R the weekly
correlation with negative values floored at zero (as Carver does, so the
multiplier is not inflated by unstable negative estimates), capped.
"""

from __future__ import annotations

import numpy as np

from strategies.base import StrategyContext, VectorStrategy
from tradesim.estimates import WeeklyCorrelation


def diversification_multiplier(weights: np.ndarray, corr: np.ndarray, cap: float) -> float:
    """1 / sqrt(w' R+ w), R+ = R with negatives set to zero; capped at ``cap``."""
    r_plus = np.maximum(corr, 0.0)
    variance = float(weights @ r_plus @ weights)
    return min(cap, 1.0 / np.sqrt(variance)) if variance > 0 else 1.0


class BuyAndHoldRiskParity(VectorStrategy):
    def __init__(self, idm_cap: float = 2.5) -> None:
        if idm_cap < 1:
            raise ValueError(f"idm_cap must be at least 1, got {idm_cap}")
        self.idm_cap = idm_cap

    def weights_table(self, ctx: StrategyContext) -> np.ndarray:
        vol = ctx.vol
        live = ~np.isnan(vol)
        share = np.where(live, 1.0, 0.0)
        n_live = share.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(n_live > 0, share / n_live, 0.0)
        corr = WeeklyCorrelation(ctx.market.dates, ctx.returns, ctx.config.estimates.corr_span_weeks)
        idm = np.ones(len(vol))
        for t in range(len(vol)):
            idm[t] = diversification_multiplier(share[t], corr.at(t), self.idm_cap) if n_live[t, 0] else 1.0
        with np.errstate(invalid="ignore", divide="ignore"):
            weights = idm[:, None] * share * ctx.config.risk_target / vol
        return np.where(live, weights, np.nan)
