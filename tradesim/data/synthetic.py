"""A synthetic safe asset: a price that compounds at a fixed rate, beside the bundled data.

The bundled data has stocks and equity factor ETFs only; allocation examples
also need somewhere safe to put the money. Rather than pass off a low-volatility
stock as "bonds", a config may hold a synthetic instrument whose symbol states
its rate: ``SAFE@4%`` is worth 100 on 2000-01-01 and compounds at 4% a year,
day-count actual/365, on the trading days of the data it sits beside:

    price(d) = 100 x (1 + rate) ^ ((d - 2000-01-01) / 365 days)

It is a money-market or T-bill stand-in with no duration, credit or
inflation risk, so it flatters any bond sleeve it replaces in a crisis and in
a rate rise alike. The engine floors every volatility estimate at 5% a year,
so the optimiser and the triggers see it with that much risk (at 0% the price
never moves and it has no volatility estimate at all).

Used through ``[data] source = "bundled_with_safe"``: symbols of this form are
made here, every other symbol comes from the bundled ``dataset``.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Sequence

import numpy as np
import pandas as pd

from tradesim.data.source import PriceBars, PriceSource
from tradesim.errors import DataError

SAFE_SYMBOL = re.compile(r"^(?P<name>[A-Z][A-Z0-9_]*)@(?P<rate>-?\d+(?:\.\d+)?)%$")
EPOCH = pd.Timestamp("2000-01-01")
EPOCH_PRICE = 100.0
DAYS_PER_YEAR = 365.0


def safe_rate(symbol: str) -> float | None:
    """The annual rate of a synthetic symbol such as ``SAFE@4%`` (0.04); None for any other symbol."""
    m = SAFE_SYMBOL.match(symbol)
    if m is None:
        return None
    rate = float(m["rate"]) / 100.0
    if rate <= -1:
        raise DataError(f"synthetic asset {symbol!r}: a rate of {m['rate']}% would make its price non-positive")
    return rate


def safe_prices(rate: float, dates: pd.DatetimeIndex) -> np.ndarray:
    years = (dates - EPOCH).days.to_numpy(dtype=float) / DAYS_PER_YEAR
    return EPOCH_PRICE * (1.0 + rate) ** years


class SafeAssetSource:
    """Synthetic safe assets on the trading days of ``inner``, which supplies every other symbol."""

    def __init__(self, inner: PriceSource) -> None:
        self.inner = inner
        self.name = f"{inner.name}+safe"

    def load(self, symbols: Sequence[str], start: date | None = None, end: date | None = None) -> PriceBars:
        rates = {s: safe_rate(s) for s in symbols}
        real = [s for s in symbols if rates[s] is None]
        bars = self.inner.load(real, start, end)
        close = bars.close.copy()
        for s in symbols:
            if rates[s] is not None:
                close[s] = safe_prices(rates[s], pd.DatetimeIndex(close.index))
        return PriceBars(close=close.loc[:, list(symbols)], open=None, fx=bars.fx)
