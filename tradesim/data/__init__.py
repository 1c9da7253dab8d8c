"""Price sources: every source returns the same ``PriceBars`` for a list of symbols."""

from tradesim.data.source import PriceBars, PriceSource, source_for

__all__ = ["PriceBars", "PriceSource", "source_for"]
