"""Risk estimates: EWMA volatility (vectorised) and weekly EWMA correlation (incremental)."""

from tradesim.estimates.correlation import WeeklyCorrelation
from tradesim.estimates.covariance import covariance_from
from tradesim.estimates.volatility import annual_volatility

__all__ = ["WeeklyCorrelation", "annual_volatility", "covariance_from"]
