"""Performance statistics of a run, from its daily NAV (annualised with 256 days, as AFTS does)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DAYS_PER_YEAR = 256


@dataclass(frozen=True)
class Summary:
    annual_return: float  # geometric
    annual_volatility: float
    sharpe: float  # no risk-free rate: excess over cash is not modelled
    max_drawdown: float  # a fraction, negative
    total_costs: float
    annual_notional_turnover: float  # traded value per year / average NAV (not the guide's annual_turnover, in units)
    trades: int
    days: int
    start_nav: float
    end_nav: float


def daily_returns(nav: np.ndarray, start_nav: float) -> np.ndarray:
    prev = np.concatenate([[start_nav], nav[:-1]])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(prev > 0, nav / prev - 1.0, 0.0)


def max_drawdown(nav: np.ndarray) -> float:
    if len(nav) == 0:
        return 0.0
    peak = np.maximum.accumulate(nav)
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(np.nanmin(np.where(peak > 0, nav / peak - 1.0, 0.0)))


def summarise(nav: np.ndarray, start_nav: float, costs: np.ndarray, traded_notional: np.ndarray, trades: int) -> Summary:
    nav = np.asarray(nav, dtype=float)
    r = daily_returns(nav, start_nav)
    n = len(nav)
    years = n / DAYS_PER_YEAR if n else np.nan
    end = float(nav[-1]) if n else start_nav
    growth = end / start_nav if start_nav > 0 else np.nan
    ann_ret = growth ** (1 / years) - 1 if n and growth > 0 else (-1.0 if n else 0.0)
    sd = float(np.std(r, ddof=1)) if n > 1 else 0.0
    vol = sd * np.sqrt(DAYS_PER_YEAR)
    sharpe = float(np.mean(r)) / sd * np.sqrt(DAYS_PER_YEAR) if sd > 0 else 0.0
    avg_nav = float(np.mean(nav)) if n else start_nav
    turnover = float(np.sum(traded_notional)) / avg_nav / years if n and avg_nav > 0 else 0.0
    return Summary(ann_ret, vol, sharpe, max_drawdown(nav), float(np.sum(costs)), turnover, trades, n, start_nav, end)
