"""The optimiser's covariance: AFTS's volatility x shrunk weekly correlation."""

from __future__ import annotations

import numpy as np


def shrink(corr: np.ndarray, shrinkage: float) -> np.ndarray:
    """Pull off-diagonal correlations towards zero by ``shrinkage`` (0.5 in AFTS)."""
    out = corr * (1.0 - shrinkage)
    np.fill_diagonal(out, 1.0)
    return out


def covariance_from(vol: np.ndarray, corr: np.ndarray, shrinkage: float = 0.5) -> np.ndarray:
    """Sigma = diag(vol) R diag(vol), with R the shrunk correlation; vol annualised."""
    return shrink(corr, shrinkage) * np.outer(vol, vol)
