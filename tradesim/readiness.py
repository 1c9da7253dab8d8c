"""Which paper sessions can be traded: a session is claimed only when its prices are in.

A paper account cannot replay a day later, so a session processed before its bars
arrive is lost for good (its pending orders cancelled, its trades never made). The
rule: a session is ready when every instrument that has started trading has its bar
that day, or has a bar on some later session (a real gap in its history, not a late
bar). A session without a single bar, and none after it, is never ready: the data
has not reached it (one without bars but with later ones is a hole in the data).
An instrument whose bars have stopped while ``patience`` sessions after the first one it
missed have prices is given up on: sessions go ahead with it held, and say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from tradesim.market import Market


@dataclass(frozen=True)
class Readiness:
    last: int  # the last session index that may be processed (first - 1: none)
    waiting_on: date | None = None  # the first session that is not ready, if any
    waiting_for: tuple[str, ...] = ()  # the instruments whose bars it lacks (all: no data at all)
    held: dict[int, tuple[str, ...]] = field(default_factory=dict)  # sessions that go ahead without some bars

    def reason(self) -> str | None:
        if self.waiting_on is None:
            return None
        return f"the prices for {self.waiting_on} have not arrived (waiting for {', '.join(self.waiting_for)})"


def readiness(market: Market, first: int, patience: int) -> Readiness:
    """Sessions ``first`` onwards: how far processing may go, and what it waits for beyond."""
    has = market.has_price
    n_days = len(has)
    started = np.maximum.accumulate(has, axis=0)
    has_data = has.any(axis=1)
    # Index of each instrument's last bar (-1: none at all).
    last_bar = np.where(has.any(axis=0), n_days - 1 - np.argmax(has[::-1], axis=0), -1)
    held: dict[int, tuple[str, ...]] = {}
    for t in range(first, n_days):
        day = market.dates[t].date()
        before = started[t - 1] if t else np.zeros(has.shape[1], bool)
        if not has_data[t:].any():  # the data has not reached this session at all
            waiting = np.flatnonzero(before) if before.any() else range(has.shape[1])
            return Readiness(t - 1, day, tuple(market.symbols[j] for j in waiting), held)
        late = before & (last_bar < t)
        if late.any():
            names = tuple(market.symbols[j] for j in np.flatnonzero(late))
            # Sessions waited: those with prices after the first one the instrument missed.
            waited = [int(has_data[last_bar[j] + 1:].sum()) - 1 for j in np.flatnonzero(late)]
            if min(waited) < patience:
                return Readiness(t - 1, day, names, held)
            held[t] = names
    return Readiness(n_days - 1, None, (), held)
