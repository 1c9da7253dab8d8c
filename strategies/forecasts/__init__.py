"""Forecasts in Carver's units: scaled so the average absolute value is 10, capped at +-20.

Each rule is a function on (days, instruments) arrays for all days at once; row t uses
data up to day t's close only (pandas EWMAs are causal, nothing is shifted back).
"""

from strategies.forecasts.carry import CARRY_SCALAR, annualised_carry, carry_forecast
from strategies.forecasts.combine import combine_forecasts, diversification_multipliers, pooled_correlations
from strategies.forecasts.ewmac import TREND_SCALARS, ewmac_forecast, price_vol_points

__all__ = [
    "CARRY_SCALAR",
    "TREND_SCALARS",
    "annualised_carry",
    "carry_forecast",
    "combine_forecasts",
    "diversification_multipliers",
    "ewmac_forecast",
    "pooled_correlations",
    "price_vol_points",
]
