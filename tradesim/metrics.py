"""Performance statistics of a run, from its daily NAV (annualised with 256 days, as AFTS does).

Returns are time-weighted: money the owner moves in or out at a day's close (``flows``)
is taken out of that day's return, r_t = (NAV_t - F_t) / NAV_t-1 - 1, so a contribution
is not performance. The money-weighted return (the internal rate of return of the
owner's flows) answers the other question: what the owner's money earned, timing included.

Every Sharpe ratio is (mean daily return - risk-free rate / 256) / sd x sqrt(256), with the
risk-free rate an annual rate (a constant, or one per day); the summary keeps the rate's
average so tables show it beside the ratio.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

DAYS_PER_YEAR = 256


@dataclass(frozen=True)
class Summary:
    annual_return: float  # geometric
    annual_volatility: float
    sharpe: float  # excess over the risk-free rate
    max_drawdown: float  # a fraction, negative
    total_costs: float
    annual_notional_turnover: float  # traded value per year / average NAV (not the guide's annual_turnover, in units)
    trades: int
    days: int
    start_nav: float
    end_nav: float
    risk_free: float = 0.0  # the annual risk-free rate the Sharpe ratio used (its average over the run)
    money_weighted_return: float = np.nan  # annualised IRR of the owner's flows (= annual_return without flows)
    external_flows: float = 0.0  # net money the owner moved in (+) or out (-), base currency
    total_return: float = 0.0  # over the whole run, time-weighted (end / start - 1 without flows)


def daily_te(annualised: float) -> float:
    """An annualised tracking error as a daily one (the optimiser's TE comes from an
    annualised covariance: a day's is that over sqrt(256))."""
    return annualised / math.sqrt(DAYS_PER_YEAR)


def unit_turnover(units: float, days: int) -> tuple[float, float, float]:
    """Contracts (or shares) bought plus sold: in total, a day and a year (the guide's
    total_turnover, avg_daily_turnover and annual_turnover)."""
    per_day = units / max(days, 1)
    return units, per_day, per_day * DAYS_PER_YEAR


def sharpe_cell(s: Summary) -> str:
    """The Sharpe ratio as tables show it: with the risk-free rate it was measured against."""
    return f"{s.sharpe:.2f} (rf {s.risk_free:.2%})"


def daily_returns(nav: np.ndarray, start_nav: float, flows: np.ndarray | None = None) -> np.ndarray:
    """Time-weighted daily returns; ``flows`` are the owner's flows at each day's close."""
    prev = np.concatenate([[start_nav], nav[:-1]])
    gain = nav if flows is None else nav - flows
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(prev > 0, gain / prev - 1.0, 0.0)


def sharpe_ratio(r: np.ndarray, risk_free: float | np.ndarray = 0.0) -> float:
    """Annualised Sharpe ratio of daily returns over an annual risk-free rate (constant or per day)."""
    r = np.asarray(r, dtype=float)
    if len(r) < 2:
        return 0.0
    sd = float(np.std(r, ddof=1))
    excess = r - np.asarray(risk_free, dtype=float) / DAYS_PER_YEAR
    return float(np.mean(excess) / sd * np.sqrt(DAYS_PER_YEAR)) if sd > 0 else 0.0


def money_weighted_return(nav: np.ndarray, start_nav: float, flows: np.ndarray | None = None) -> float:
    """The annual rate g at which the owner's flows break even: start_nav at day 0, each
    flow F_t at day t, and the final NAV back at day n, discounted at (1 + g)^(day / 256).

    Found by bisection (the net present value falls as g rises when the money goes in
    first and comes out last, the case of every account); NaN where no rate balances.
    """
    n = len(nav)
    if n == 0 or start_nav <= 0:
        return np.nan
    f = np.zeros(n) if flows is None else np.asarray(flows, dtype=float)
    t = np.concatenate([[0.0], np.arange(1, n + 1), [n]]) / DAYS_PER_YEAR
    owner = np.concatenate([[-start_nav], -f, [nav[-1]]])  # the owner pays in (-), takes out (+)

    def npv(g: float) -> float:
        return float(np.sum(owner * np.exp(-t * np.log1p(g))))

    lo, hi = -0.9999, 1.0
    while npv(hi) > 0 and hi < 1e6:
        hi *= 4
    if not (npv(lo) > 0 > npv(hi)):
        return np.nan
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if npv(mid) > 0 else (lo, mid)
        if hi - lo < 1e-12:
            break
    return (lo + hi) / 2


def max_drawdown(nav: np.ndarray) -> float:
    if len(nav) == 0:
        return 0.0
    peak = np.maximum.accumulate(nav)
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(np.nanmin(np.where(peak > 0, nav / peak - 1.0, 0.0)))


def summarise(nav: np.ndarray, start_nav: float, costs: np.ndarray, traded_notional: np.ndarray, trades: int,
              flows: np.ndarray | None = None, risk_free: float | np.ndarray = 0.0) -> Summary:
    """The run's figures; ``flows``: the owner's money in (+) or out (-) at each day's close;
    ``risk_free``: the annual risk-free rate, one number or one per day."""
    nav = np.asarray(nav, dtype=float)
    r = daily_returns(nav, start_nav, flows)
    n = len(nav)
    years = n / DAYS_PER_YEAR if n else np.nan
    end = float(nav[-1]) if n else start_nav
    moved = flows is not None and bool(np.any(flows))
    # Time-weighted: with flows, growth is the product of the daily returns, not end / start.
    growth = (float(np.prod(1.0 + r)) if moved else end / start_nav) if n and start_nav > 0 else np.nan
    ann_ret = growth ** (1 / years) - 1 if n and growth > 0 else (-1.0 if n else 0.0)
    sd = float(np.std(r, ddof=1)) if n > 1 else 0.0
    vol = sd * np.sqrt(DAYS_PER_YEAR)
    avg_nav = float(np.mean(nav)) if n else start_nav
    turnover = float(np.sum(traded_notional)) / avg_nav / years if n and avg_nav > 0 else 0.0
    rf = float(np.mean(risk_free)) if np.size(risk_free) else 0.0
    mwr = money_weighted_return(nav, start_nav, flows) if n else np.nan
    return Summary(ann_ret, vol, sharpe_ratio(r, risk_free), max_drawdown(np.cumprod(1.0 + r) if moved else nav), float(np.sum(costs)), turnover,
                   trades, n, start_nav, end, rf, mwr, float(np.sum(flows)) if flows is not None else 0.0,
                   growth - 1.0 if n else 0.0)
