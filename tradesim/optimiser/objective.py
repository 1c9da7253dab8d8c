"""The direct (non-incremental) formulas of the SPEC.

    TE(x, y) = sqrt( ((x - y) v)' Sigma ((x - y) v) )
    f(x)     = TE(x, x_star) + lam * sum_i c_i |x_i - x0_i|

The search evaluates f incrementally (see `search.py`); these are used for the figures
reported in `OptimiserResult`, for the buffering step and by tests and scripts.
"""

from __future__ import annotations

import math

import numpy as np


def tracking_error(x, y, v, Sigma) -> float:
    """TE between position vectors x and y (contracts), with weights per contract v."""
    e = (np.asarray(x) - y) * v
    # max(.., 0): a PSD quadratic form can come out a rounding error below zero.
    return math.sqrt(max(float(e @ (Sigma @ e)), 0.0))


def trade_cost(x, x0, c) -> float:
    """sum_i c_i |x_i - x0_i|, x0 None meaning no position (all zeros)."""
    trade = np.asarray(x) if x0 is None else np.asarray(x) - x0
    return float(np.abs(trade) @ c)


def objective(x, x_star, x0, v, Sigma, c, lam) -> float:
    """Carver's f(x); without a prior position there is no cost term."""
    te = tracking_error(x, x_star, v, Sigma)
    if x0 is None:
        return te
    return te + lam * trade_cost(x, x0, c)
