"""The trigger protocol and the default: rebalance every day.

A trigger answers, at day t's close, whether the portfolio rebalances today and
why; the reason is recorded on every order it causes. Between triggers the
portfolio holds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from tradesim.market import Market


class Trigger(Protocol):
    def due(self, t: int, positions: np.ndarray, x_star: np.ndarray, v: np.ndarray, sigma: np.ndarray) -> str | None:
        """The reason to rebalance at day t, or None to hold.

        positions: held now; x_star: the unrounded optimum; v: per-contract
        weights (notional of one unit / capital); sigma: annualised covariance.
        """
        ...


class DailyTrigger:
    def due(self, t: int, positions: np.ndarray, x_star: np.ndarray, v: np.ndarray, sigma: np.ndarray) -> str | None:
        return "daily"


def make_trigger(spec: dict[str, Any], market: "Market") -> Trigger:
    from tradesim.errors import ConfigError

    raise ConfigError(f"field 'trigger': unknown trigger kind {spec.get('kind')!r}")
