"""Prices from the database's price cache (what yfinance fetched or an import stored)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Sequence

from db.price_cache import load_bars
from db.price_record import load_actions
from db.session import database_url, open_engine
from tradesim.data.source import PriceBars


class CachedSource:
    """The cached prices, with the corporate actions recorded beside them (yfinance's)."""

    name = "database"

    def __init__(self, url: str | None = None) -> None:
        self.url = database_url(url)

    def load(self, symbols: Sequence[str], start: date | None = None, end: date | None = None) -> PriceBars:
        engine = open_engine(self.url)
        try:
            with engine.connect() as conn:
                return replace(load_bars(conn, symbols, start, end), actions=load_actions(conn, symbols, start, end))
        finally:
            engine.dispose()
