"""The protocol every strategy implements.

A strategy says, for each day, the notional weight it wants in each instrument
as a fraction of capital (signed; NaN for "no view", which the engine treats as
flat). The engine turns weights into unrounded positions
(weight x capital / (multiplier x price x FX)) and the optimiser into whole ones.

Work that does not depend on the account's path (forecasts, volatility, IDM) is
done once for all days in ``prepare``; ``target_weights`` then only reads a row,
or, for path-dependent strategies such as CPPI, looks at the account.
Row t may use data up to day t's close only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from tradesim.market import Market
from tradesim.schema import PortfolioConfig


@dataclass(frozen=True)
class StrategyContext:
    market: Market
    config: PortfolioConfig
    returns: np.ndarray  # (T, N) daily percentage returns, NaN where missing
    vol: np.ndarray  # (T, N) annualised percentage volatility, NaN before an estimate exists


@dataclass(frozen=True)
class AccountView:
    """What a path-dependent strategy may see of the account at day t's close."""

    nav: float
    cash: float
    positions: np.ndarray
    weights: np.ndarray  # current notional weights (signed), fraction of NAV


class Strategy(Protocol):
    def prepare(self, ctx: StrategyContext) -> None: ...

    def target_weights(self, t: int, account: AccountView) -> np.ndarray: ...


class VectorStrategy:
    """A strategy whose weights do not depend on the account: computed for all days at once."""

    weights: np.ndarray

    def prepare(self, ctx: StrategyContext) -> None:
        self.weights = self.weights_table(ctx)

    def weights_table(self, ctx: StrategyContext) -> np.ndarray:
        raise NotImplementedError

    def target_weights(self, t: int, account: AccountView) -> np.ndarray:
        return self.weights[t]
