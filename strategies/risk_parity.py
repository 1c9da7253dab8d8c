"""Risk parity for allocators: fully invested, long only, each holding's share of risk set by rule.

- ``inverse_vol``: w_i proportional to 1 / sigma_i (equal risk if correlations were all equal);
- ``erc``: equal risk contribution: w_i (Sigma w)_i / (w' Sigma w) = 1/n for every i,
  using the correlations too.

Weights sum to 1 over the instruments live that day (a price and a volatility
estimate), so the book is fully invested without leverage; scale to a risk
target with ``buy_and_hold_risk_parity`` instead. The covariance is the
engine's own: AFTS's EWMA volatility x the shrunk weekly correlation
(``[estimates]``), as it stood at day t's close.

ERC solves Spinu's convex problem  min_y  1/2 y' Sigma y - sum_i b_i ln y_i,
whose minimiser has y_i (Sigma y)_i = b_i, by Newton's method with a
backtracking step that keeps y positive; w = y / sum(y).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from strategies.base import StrategyContext, VectorStrategy
from tradesim.estimates import WeeklyCorrelation, covariance_from

# Stop when every y_i (Sigma y)_i is this close to its budget b_i (risk contributions to ~1e-12).
NEWTON_TOLERANCE = 1e-13
NEWTON_MAX_ITERATIONS = 200
FULL_STEP_RESIDUAL = 1e-6
ACCEPTABLE_RESIDUAL = 1e-9  # an ill-conditioned Sigma may stall short of the tolerance


def risk_contributions(w: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Each holding's fraction of portfolio variance: w_i (Sigma w)_i / (w' Sigma w); they sum to 1."""
    marginal = sigma @ w
    return w * marginal / float(w @ marginal)


def _check_covariance(sigma: np.ndarray) -> np.ndarray:
    sigma = np.asarray(sigma, dtype=float)
    if sigma.ndim != 2 or sigma.shape[0] != sigma.shape[1] or sigma.shape[0] == 0:
        raise ValueError(f"covariance must be a non-empty square matrix, got shape {sigma.shape}")
    if not np.isfinite(sigma).all():
        raise ValueError("covariance contains a NaN or infinity")
    if not np.allclose(sigma, sigma.T, rtol=1e-10, atol=1e-14):
        raise ValueError("covariance is not symmetric")
    if (np.diag(sigma) <= 0).any():
        raise ValueError("covariance has a non-positive variance")
    return sigma


def inverse_volatility_weights(sigma: np.ndarray) -> np.ndarray:
    inv = 1.0 / np.sqrt(np.diag(_check_covariance(sigma)))
    return inv / inv.sum()


def equal_risk_contribution_weights(sigma: np.ndarray, budget: np.ndarray | None = None) -> np.ndarray:
    """Weights whose risk contributions equal ``budget`` (default 1/n each); Sigma positive definite."""
    sigma = _check_covariance(sigma)
    n = len(sigma)
    b = np.full(n, 1.0 / n) if budget is None else np.asarray(budget, dtype=float)
    if b.shape != (n,) or (b <= 0).any() or abs(b.sum() - 1) > 1e-9:
        raise ValueError("risk budget must be n positive numbers summing to 1")
    if np.linalg.eigvalsh(sigma)[0] <= 0:
        raise ValueError("covariance is not positive definite: equal risk contributions are not unique")

    def objective(y: np.ndarray) -> float:
        return 0.5 * float(y @ sigma @ y) - float(b @ np.log(y))

    # Start at inverse volatility, scaled so that y' Sigma y = 1 (the solution has y' Sigma y = sum b = 1).
    y = 1.0 / np.sqrt(np.diag(sigma))
    y /= np.sqrt(y @ sigma @ y)
    for _ in range(NEWTON_MAX_ITERATIONS):
        grad = sigma @ y - b / y
        residual = float(np.max(np.abs(y * grad)))
        if residual <= NEWTON_TOLERANCE:
            break
        step = np.linalg.solve(sigma + np.diag(b / y**2), grad)
        alpha = 1.0
        # Damp only far from the solution: near it the full step converges quadratically, and
        # the sufficient-decrease test would fail on rounding in the objective, not on the step.
        if residual > FULL_STEP_RESIDUAL:
            decrement, f0 = float(grad @ step), objective(y)
            while alpha > 1e-12 and ((y - alpha * step <= 0).any()
                                     or objective(y - alpha * step) > f0 - 0.25 * alpha * decrement):
                alpha *= 0.5
        while (y - alpha * step <= 0).any() and alpha > 1e-12:
            alpha *= 0.5
        if alpha <= 1e-12:
            break  # judged by the residual below
        y = y - alpha * step
    residual = float(np.max(np.abs(y * (sigma @ y) - b)))
    if residual > ACCEPTABLE_RESIDUAL:
        raise ArithmeticError(f"equal risk contribution did not converge (residual {residual:.2g})")
    return y / y.sum()


class RiskParity(VectorStrategy):
    def __init__(self, method: Literal["erc", "inverse_vol"] = "erc") -> None:
        if method not in ("erc", "inverse_vol"):
            raise ValueError(f"method must be 'erc' or 'inverse_vol', got {method!r}")
        self.method = method

    def weights_table(self, ctx: StrategyContext) -> np.ndarray:
        m = ctx.market
        corr = WeeklyCorrelation(m.dates, ctx.returns, ctx.config.estimates.corr_span_weeks)
        shrinkage = ctx.config.estimates.corr_shrinkage
        live = ~np.isnan(ctx.vol) & ~np.isnan(m.close)
        weights = np.full((m.n_days, m.n_instruments), np.nan)
        for t in range(m.n_days):
            idx = np.flatnonzero(live[t])
            if not len(idx):
                continue
            sigma = covariance_from(ctx.vol[t, idx], corr.at(t)[np.ix_(idx, idx)], shrinkage)
            weights[t] = 0.0
            weights[t, idx] = (equal_risk_contribution_weights(sigma) if self.method == "erc"
                               else inverse_volatility_weights(sigma))
        return weights
