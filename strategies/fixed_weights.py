"""Constant notional weights: hold a fixed fraction of capital in each instrument.

The simplest policy there is (a constant mix, rebalanced by the trigger), and a
strategy whose targets can be computed by hand, which the accounting tests use.
"""

from __future__ import annotations

import numpy as np

from strategies.base import StrategyContext, VectorStrategy


class FixedWeights(VectorStrategy):
    def __init__(self, weights: dict[str, float]) -> None:
        if not weights:
            raise ValueError("fixed_weights needs at least one weight")
        self.by_symbol = {str(k): float(v) for k, v in weights.items()}

    def weights_table(self, ctx: StrategyContext) -> np.ndarray:
        unknown = sorted(set(self.by_symbol) - set(ctx.market.symbols))
        if unknown:
            raise ValueError(f"fixed_weights: weight for unknown instrument {unknown[0]!r}")
        row = np.array([self.by_symbol.get(s, 0.0) for s in ctx.market.symbols])
        return np.broadcast_to(row, (ctx.market.n_days, len(row)))
