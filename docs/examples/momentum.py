"""Time-series momentum: long what rose over the lookback, flat otherwise, equal risk each.

A user strategy living outside the package: tradesim loads it from
``[strategy] name = "momentum.py:Momentum"`` (relative to the config file).
"""

import numpy as np


class Momentum:
    def __init__(self, lookback: int = 120, max_weight: float = 0.25) -> None:
        if lookback < 2:
            raise ValueError(f"lookback must be at least 2 days, got {lookback}")
        self.lookback, self.max_weight = lookback, max_weight

    def prepare(self, ctx) -> None:
        # Everything that does not depend on the account, for all days at once. Row t may
        # use prices up to day t's close only: `check lookahead` verifies that.
        close = ctx.market.close  # (days, instruments), forward-filled
        past = np.full_like(close, np.nan)
        past[self.lookback:] = close[:-self.lookback]
        rising = close > past
        n = ctx.market.n_instruments
        # Equal risk each: risk_target / n / vol, capped, for every rising instrument.
        with np.errstate(invalid="ignore", divide="ignore"):
            weight = np.minimum(ctx.config.risk_target / n / ctx.vol, self.max_weight)
        self.weights = np.where(rising & np.isfinite(weight), weight, 0.0)

    def target_weights(self, t, account):
        return self.weights[t]
