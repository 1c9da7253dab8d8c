"""The one interface every price source implements.

A source answers ``load(symbols, start, end)`` with ``PriceBars``: wide frames,
one row per date the source knows, one column per symbol, NaN where the
instrument has no price that day (before it starts, on its own holidays).
The engine aligns, forward-fills for valuation only, and never looks ahead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Protocol, Sequence

import pandas as pd


@dataclass(frozen=True)
class PriceBars:
    """Daily bars for a set of symbols; every frame is indexed by date.

    close: the price whose changes are P&L (adjusted close; back-adjusted for futures)
    open: the open of the same series, where the source has one (fills at the next open)
    contract_price: the held contract's price (futures sizing/notional); None for stocks
    carry_price, contract / carry_contract: futures carry inputs (yyyymmdd numbers)
    fx: value of one unit of a currency in another, columns like 'EURUSD'
    actions: corporate actions, one row each (``tradesim.data.actions``: symbol, ex_date,
        kind "split" | "dividend", value, pay_date); None when the prices are total-return
        adjusted and carry none (bundled, CSV without an actions file, futures)
    """

    close: pd.DataFrame
    open: pd.DataFrame | None = None
    contract_price: pd.DataFrame | None = None
    carry_price: pd.DataFrame | None = None
    contract: pd.DataFrame | None = None
    carry_contract: pd.DataFrame | None = None
    fx: pd.DataFrame = field(default_factory=pd.DataFrame)
    actions: pd.DataFrame | None = None

    def frames(self) -> dict[str, pd.DataFrame]:
        """The per-symbol frames that exist, by field name."""
        names = ("close", "open", "contract_price", "carry_price", "contract", "carry_contract")
        return {n: getattr(self, n) for n in names if getattr(self, n) is not None}


class PriceSource(Protocol):
    name: str

    def load(self, symbols: Sequence[str], start: date | None = None, end: date | None = None) -> PriceBars:
        """Bars for ``symbols`` between ``start`` and ``end`` inclusive.

        Raises ``DataError`` naming the symbol for one the source does not have.
        """
        ...
