"""Strategic allocation: hold a policy mix across asset classes, rebalanced by the trigger.

The mix is an investor profile's base mix (conservative, moderate, aggressive;
``strategies.asset_mix.PROFILES``) or an explicit ``mix``, adjusted for the time
horizon (over 20 years: equity classes x (1 + horizon_tilt); under 5 years:
fixed income and cash x (1 + horizon_tilt); then renormalised), with classes
listed in ``exclude`` dropped and the rest renormalised. Each class is split
equally among the instruments ``tickers`` maps to it; unmapped cash stays as
the account's cash. The weights do not move with the market: drift between
reviews is the trigger's business (calendar, threshold or hybrid).

Example params:
    profile = "moderate"
    horizon_years = 10
    exclude = ["international_equity", "real_estate", "commodities"]
    [strategy.params.tickers]
    us_equity = ["AAPL", "KO", ...]
    fixed_income = "SAFE@4%"
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from strategies.asset_mix import Sleeves, policy_mix
from strategies.base import StrategyContext, VectorStrategy


class StrategicAllocation(VectorStrategy):
    def __init__(
        self,
        tickers: Mapping[str, str | Sequence[str]],
        profile: str | None = None,
        mix: Mapping[str, float] | None = None,
        horizon_years: float | None = None,
        horizon_tilt: float = 0.25,
        exclude: Sequence[str] = (),
    ) -> None:
        self.mix = policy_mix(profile, mix, horizon_years, float(horizon_tilt), tuple(exclude))
        self.sleeves = Sleeves(tickers)
        self.sleeves.check_covers(self.mix)

    def class_weights(self, ctx: StrategyContext) -> dict[str, np.ndarray]:
        """Asset class -> (T,) weight; constant for the strategic mix."""
        T = ctx.market.n_days
        return {cls: np.full(T, w) for cls, w in self.mix.items()}

    def weights_table(self, ctx: StrategyContext) -> np.ndarray:
        m = ctx.market
        return self.sleeves.instrument_weights(self.class_weights(ctx), m.symbols, ~np.isnan(m.close))
