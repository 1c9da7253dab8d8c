"""Price sources: every source returns the same ``PriceBars`` for a list of symbols.

Which source a config's ``[data]`` table names is resolved in ``tradesim.resolve``.
"""

from tradesim.data.source import PriceBars, PriceSource

__all__ = ["PriceBars", "PriceSource"]
