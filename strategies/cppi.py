"""CPPI: constant proportion portfolio insurance.

With V the account's NAV at the close and F the floor,
    F = floor x V0            (V0 the starting capital), or, with ``ratchet``,
    F = floor x max(V0, the highest NAV seen at a close so far),
    risky exposure E = min(multiplier x (V - F), max_exposure x V),
split equally among the ``risky`` instruments that have a price; the rest,
V - E, goes to the ``safe`` instrument (or stays as the account's cash if
there is none). The configured trigger decides when the book actually trades,
so between rebalances the exposure drifts with the market.

If V falls to F or below (a gap the multiplier could not outrun between
rebalances) the floor is breached: the strategy moves everything to the safe
side and holds nothing risky from then on, since a cushion of zero can never
be rebuilt by a strategy that owns no risk. The breach is logged as a warning
and kept in ``breach`` (date, NAV, floor); ``path`` keeps each day's floor,
cushion and exposure.

Path-dependent: the weights depend on the account's NAV, so they are decided
day by day in ``target_weights``. The peak and breach live on the object, from
the replay's first day; a process restarted mid-way starts a new peak.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from strategies.base import AccountView, StrategyContext

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Breach:
    date: pd.Timestamp
    nav: float
    floor: float


def risky_fraction(nav: float, floor_value: float, multiplier: float, max_exposure: float) -> float:
    """min(m x cushion, cap x V) / V, and 0 once there is no cushion."""
    if nav <= 0 or nav <= floor_value:
        return 0.0
    return min(multiplier * (nav - floor_value) / nav, max_exposure)


class CPPI:
    def __init__(
        self,
        risky: str | Sequence[str],
        safe: str | None = None,
        floor: float = 0.8,
        multiplier: float = 3.0,
        max_exposure: float = 1.0,
        ratchet: bool = False,
    ) -> None:
        self.risky = [risky] if isinstance(risky, str) else list(risky)
        if not self.risky:
            raise ValueError("cppi needs at least one risky instrument")
        if safe is not None and safe in self.risky:
            raise ValueError(f"{safe!r} cannot be both risky and safe")
        if not 0 <= floor < 1:
            raise ValueError(f"floor must be a fraction of value in [0, 1), got {floor}")
        if multiplier <= 0:
            raise ValueError(f"multiplier must be positive, got {multiplier}")
        # The account pays no interest on a negative cash balance, so CPPI here does not borrow.
        if not 0 < max_exposure <= 1:
            raise ValueError(f"max_exposure must be in (0, 1] (no borrowing), got {max_exposure}")
        self.safe, self.floor, self.multiplier = safe, float(floor), float(multiplier)
        self.max_exposure, self.ratchet = float(max_exposure), bool(ratchet)

    def prepare(self, ctx: StrategyContext) -> None:
        symbols = ctx.market.symbols
        for s in [*self.risky, *([self.safe] if self.safe else [])]:
            if s not in symbols:
                raise ValueError(f"cppi: {s!r} is not one of the config's instruments")
        self.risky_mask = np.isin(np.array(symbols), self.risky)
        self.safe_index = symbols.index(self.safe) if self.safe else None
        self.market = ctx.market
        self.start_value = float(ctx.config.capital)
        self.peak = self.start_value
        self.breach: Breach | None = None
        self.path: list[tuple[pd.Timestamp, float, float, float]] = []  # date, NAV, floor, risky fraction

    def floor_value(self) -> float:
        return self.floor * (self.peak if self.ratchet else self.start_value)

    def target_weights(self, t: int, account: AccountView) -> np.ndarray:
        m = self.market
        nav = float(account.nav)
        if self.ratchet and self.breach is None:
            self.peak = max(self.peak, nav)
        floor_value = self.floor_value()
        if self.breach is None and nav <= floor_value:
            self.breach = Breach(m.dates[t], nav, floor_value)
            log.warning("CPPI floor breached on %s: NAV %.2f at or below the floor %.2f; all safe from now on",
                        m.dates[t].date(), nav, floor_value, extra={"cppi_breach": self.breach})
        risky = 0.0 if self.breach else risky_fraction(nav, floor_value, self.multiplier, self.max_exposure)
        weights = np.zeros(m.n_instruments)
        priced = self.risky_mask & ~np.isnan(m.close[t])
        if priced.any():
            weights[priced] = risky / priced.sum()
        else:
            risky = 0.0  # nothing risky has a price yet: all of it is safe
        if self.safe_index is not None:
            weights[self.safe_index] = 1.0 - risky
        self.path.append((m.dates[t], nav, floor_value, risky))
        return weights

    def path_frame(self) -> pd.DataFrame:
        """Each decided day's NAV, floor, cushion and risky fraction."""
        frame = pd.DataFrame(self.path, columns=["date", "nav", "floor", "risky_fraction"]).set_index("date")
        frame["cushion"] = frame["nav"] - frame["floor"]
        return frame
