"""Rebalance triggers: when the portfolio trades. The same objects drive replay and paper trading.

kinds: daily (the default), never (buy and hold), calendar (cron on trading sessions), threshold
(drift or tracking error), hybrid (calendar reviews gated by a threshold, plus
an emergency threshold).

The package imports nothing itself: the config schema reads ``triggers.spec`` and
needs none of the triggers' machinery (``triggers.base`` builds them).
"""
