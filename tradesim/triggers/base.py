"""The trigger protocol, the default (rebalance every day) and the factory from a config.

A trigger answers, at day t's close, whether the portfolio rebalances today and
why; the reason is recorded on every order it causes (the ledger keeps 64
characters, so reasons are short tags). Between triggers the portfolio holds.
Replay and paper trading build the same trigger from the same config, so both
trade on the same days.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from tradesim.market import Market
    from tradesim.schema import PortfolioConfig


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


class NeverTrigger:
    """Buy and hold: never due. The engine's first investment and cash flows are its only trades."""

    # A contribution or withdrawal buys or sells every holding pro rata (the weights drift on).
    trades_cash_flows = True

    def due(self, t: int, positions: np.ndarray, x_star: np.ndarray, v: np.ndarray, sigma: np.ndarray) -> str | None:
        return None


def make_trigger(config: "PortfolioConfig", market: "Market") -> Trigger:
    """The trigger ``config.trigger`` describes, its review days laid on ``market.dates``."""
    from tradesim.triggers.cron import CalendarTrigger, review_days
    from tradesim.triggers.hybrid import HybridTrigger
    from tradesim.triggers.threshold import ThresholdTrigger, make_band

    spec = config.trigger
    if spec is None or spec.kind == "daily":
        return DailyTrigger()
    if spec.kind == "never":
        return NeverTrigger()
    buffer = config.optimiser.buffer_fraction * config.risk_target
    if spec.kind == "threshold":
        return ThresholdTrigger(make_band(spec, buffer))
    reviews = review_days(spec.cron, config.calendar, market.dates, spec.snap)
    if spec.kind == "calendar":
        return CalendarTrigger(reviews)
    emergency = make_band(spec.emergency, buffer) if spec.emergency is not None else None
    return HybridTrigger(reviews, make_band(spec.review, buffer), emergency)
