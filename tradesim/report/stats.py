"""The series a report draws, from a run's daily equity: pure functions on pandas objects.

Annualisation uses 256 trading days, as ``tradesim.metrics`` (and AFTS) do, so the
rolling figures agree with the summary table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tradesim.metrics import DAYS_PER_YEAR, daily_returns

YEAR = DAYS_PER_YEAR  # the rolling window: one year of trading days


def returns(nav: pd.Series, capital: float, flows: pd.Series | None = None) -> pd.Series:
    """Daily time-weighted returns (``flows``: the owner's money in or out at each close);
    the first day's is against the starting capital."""
    f = None if flows is None else flows.reindex(nav.index, fill_value=0.0).to_numpy(dtype=float)
    return pd.Series(daily_returns(nav.to_numpy(dtype=float), capital, f), index=nav.index)


def drawdown(nav: pd.Series) -> pd.Series:
    """Fraction below the running peak (0 at a new high, negative below it)."""
    peak = nav.cummax()
    return (nav / peak - 1.0).where(peak > 0, 0.0)


def rolling_volatility(r: pd.Series, window: int = YEAR) -> pd.Series:
    """Annualised standard deviation of the last ``window`` daily returns (NaN until there are that many)."""
    return r.rolling(window).std() * np.sqrt(DAYS_PER_YEAR)


def rolling_sharpe(r: pd.Series, window: int = YEAR, risk_free: float | np.ndarray = 0.0) -> pd.Series:
    """Annualised mean excess return (over the annual ``risk_free`` rate, one number or one
    per day) over the standard deviation of the last ``window`` daily returns."""
    excess = r - np.asarray(risk_free, dtype=float) / DAYS_PER_YEAR
    sd = r.rolling(window).std()
    return (excess.rolling(window).mean() / sd * np.sqrt(DAYS_PER_YEAR)).where(sd > 0)


def monthly(equity: pd.DataFrame, freq: str = "M") -> pd.DataFrame:
    """Per calendar month (``freq`` "W-FRI": week, "D": day): turnover (traded notional over the
    period's average NAV), costs (base currency, and in basis points of average NAV), of which
    roll costs. Rows are labelled by the period's first day."""
    g = equity.groupby(equity.index.to_period(freq))
    avg_nav = g["nav"].mean()
    out = pd.DataFrame({
        "turnover": g["traded_notional"].sum() / avg_nav,
        "costs": g["costs"].sum(),
        "roll_costs": g["roll_costs"].sum(),
        "avg_nav": avg_nav,
    })
    out["costs_bp"] = out["costs"] / out["avg_nav"] * 1e4
    out["roll_costs_bp"] = out["roll_costs"] / out["avg_nav"] * 1e4
    out.index = out.index.to_timestamp()  # the month's first day, for date axes
    return out


def weekly_weights(positions: pd.DataFrame, nav: pd.Series, daily: bool = False) -> pd.DataFrame:
    """Each instrument's holding as a fraction of NAV at the last trading day of each week
    (``daily``: at every close).

    Rows: weeks (labelled by their last trading day); columns: symbols. A day without
    a position row means flat, so a week ending flat shows 0, not a gap. Sampling
    the week's last close (not an average) keeps every value one the portfolio held.
    """
    if positions.empty:
        return pd.DataFrame(index=pd.DatetimeIndex([], name="day"))
    weeks = nav.index.to_period("D" if daily else "W-FRI")
    last_days = nav.index[np.r_[weeks[1:] != weeks[:-1], True]]
    held = positions[positions["day"].isin(last_days)]
    wide = held.pivot_table(index="day", columns="symbol", values="notional_base", aggfunc="sum")
    wide = wide.reindex(last_days).fillna(0.0)
    return wide.div(nav.reindex(last_days), axis=0)


def held_quantity(positions: pd.DataFrame, symbol: str, days: pd.DatetimeIndex) -> pd.Series:
    """The held quantity of ``symbol`` at every close (0 where the ledger has no row: flat)."""
    rows = positions[positions["symbol"] == symbol]
    return rows.set_index("day")["quantity"].reindex(days, fill_value=0.0)
