"""Rebalance triggers: when the portfolio trades. The same objects drive replay and paper trading."""

from tradesim.triggers.base import DailyTrigger, Trigger, make_trigger

__all__ = ["DailyTrigger", "Trigger", "make_trigger"]
