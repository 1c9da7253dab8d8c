"""Rebalance triggers: when the portfolio trades. The same objects drive replay and paper trading.

kinds: daily (the default), calendar (cron on trading sessions), threshold
(drift or tracking error), hybrid (calendar reviews gated by a threshold, plus
an emergency threshold).
"""

from tradesim.triggers.base import DailyTrigger, Trigger, make_trigger

__all__ = ["DailyTrigger", "Trigger", "make_trigger"]
