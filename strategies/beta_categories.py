"""Beta categories from prices: the inputs of the beta-profile allocation, estimated quarter by quarter.

At each quarter end (the last trading day of a calendar quarter) every stock
with ``min_obs`` of the last ``window`` daily returns gets its beta against
the index, cov(r_i, r_m) / var(r_m), and the stocks are ranked by beta and cut
into K groups of (near) equal size: category 0 the lowest betas. Between
quarter ends the membership stands.

From that history, at quarter end q (using nothing after its close):
- P, migration: P[i, j] = share of the stocks in category j at one quarter end
  that were in category i at the next, pooled over every pair of quarter ends
  so far (columns sum to 1; a category never yet observed gets the identity column);
- r, expected return per category: the mean daily return of the category's
  equal-weighted portfolio since the first quarter end, x 256;
- s and rho: the volatility (x 16) and correlations of those daily returns;
- b: the mean beta of the category's current members.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tradesim.metrics import DAYS_PER_YEAR


def quarter_ends(dates: pd.DatetimeIndex) -> np.ndarray:
    """Row of the last trading day of each calendar quarter in ``dates`` (the last row only if its quarter is over)."""
    quarter = dates.to_period("Q")
    last = np.flatnonzero(quarter[1:] != quarter[:-1])
    return last


def betas_at(t: int, stock_returns: np.ndarray, index_returns: np.ndarray, window: int, min_obs: int) -> np.ndarray:
    """(N,) beta of each stock over rows (t - window, t]; NaN with fewer than ``min_obs`` joint returns."""
    lo = max(0, t - window + 1)
    r = stock_returns[lo:t + 1]
    m = index_returns[lo:t + 1, None]
    valid = ~np.isnan(r) & ~np.isnan(m)
    n = valid.sum(axis=0)
    rm = np.where(valid, m, 0.0)
    ri = np.where(valid, r, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_m, mean_i = rm.sum(axis=0) / n, ri.sum(axis=0) / n
        cov = ((rm - mean_m) * (ri - mean_i) * valid).sum(axis=0) / (n - 1)
        var = (((rm - mean_m) ** 2) * valid).sum(axis=0) / (n - 1)
        beta = cov / var
    return np.where((n >= min_obs) & (var > 0), beta, np.nan)


def bucket(betas: np.ndarray, k: int) -> np.ndarray:
    """Category 0..k-1 by beta rank, groups of near-equal size; -1 where there is no beta."""
    out = np.full(len(betas), -1)
    have = np.flatnonzero(~np.isnan(betas))
    if len(have) < k:
        return out
    # Stable sort: ties are broken by the config's instrument order, so runs repeat exactly.
    order = have[np.argsort(betas[have], kind="stable")]
    for c, group in enumerate(np.array_split(order, k)):
        out[group] = c
    return out


@dataclass(frozen=True)
class QuarterInputs:
    """Everything the allocation needs at one quarter end."""

    t: int  # row of the quarter end
    categories: np.ndarray  # (N,) category per stock, -1 = none
    betas: np.ndarray  # (N,) stock betas
    returns: np.ndarray  # (K,) r, annualised
    category_betas: np.ndarray  # (K,) b
    vols: np.ndarray  # (K,) s, annualised
    correlations: np.ndarray  # (K, K) rho
    migration: np.ndarray  # (K, K) P, columns sum to 1
    migrations_seen: int  # stock-quarters behind P
    days_of_history: int  # daily category returns behind r, s, rho


def quarterly_inputs(dates: pd.DatetimeIndex, stock_returns: np.ndarray, index_returns: np.ndarray, k: int = 3,
                     window: int = 252, min_obs: int = 200, min_days: int = 63) -> list[QuarterInputs]:
    """The inputs at every quarter end that has categories and ``min_days`` of category returns behind it."""
    T, N = stock_returns.shape
    counts = np.zeros((k, k))
    category_daily = np.full((T, k), np.nan)
    out: list[QuarterInputs] = []
    previous: np.ndarray | None = None
    previous_t: int | None = None
    for t in quarter_ends(dates):
        betas = betas_at(t, stock_returns, index_returns, window, min_obs)
        cats = bucket(betas, k)
        if previous is not None:
            # Category portfolios formed at the previous quarter end earn the days up to this one.
            rows = slice(previous_t + 1, t + 1)
            for c in range(k):
                members = stock_returns[rows][:, previous == c]
                n = np.sum(~np.isnan(members), axis=1)
                category_daily[rows, c] = np.divide(np.nansum(members, axis=1), n,
                                                    out=np.full(len(n), np.nan), where=n > 0)
            both = (previous >= 0) & (cats >= 0)
            np.add.at(counts, (cats[both], previous[both]), 1)
        if (cats >= 0).any():
            previous, previous_t = cats, t
        history = category_daily[: t + 1]
        history = history[~np.isnan(history).any(axis=1)]
        if not (cats >= 0).any() or len(history) < min_days:
            continue
        seen = counts.sum(axis=0)
        migration = np.where(seen > 0, counts / np.where(seen > 0, seen, 1), np.eye(k))
        sd = history.std(axis=0, ddof=1)
        corr = np.corrcoef(history, rowvar=False) if k > 1 else np.ones((1, 1))
        b = np.array([betas[cats == c].mean() for c in range(k)])
        out.append(QuarterInputs(t, cats, betas, history.mean(axis=0) * DAYS_PER_YEAR, b, sd * np.sqrt(DAYS_PER_YEAR),
                                 corr, migration, int(counts.sum()), len(history)))
    return out
