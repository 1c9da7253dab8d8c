"""Correlation of weekly returns, updated incrementally as weeks complete.

AFTS estimates correlations from weekly returns (less noise from
asynchronous closes across exchanges) with an EWMA of span 25 weeks. On day t
only weeks that ended before t's week are used, so no decision sees a return
from its own week's future days.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


class WeeklyCorrelation:
    """Advance with ``at(t)`` for t = 0, 1, 2, ...; each completed week costs O(N^2)."""

    def __init__(self, dates: pd.DatetimeIndex, daily_returns: np.ndarray, span_weeks: int = 25) -> None:
        iso = dates.isocalendar()
        week_key = (iso["year"].to_numpy() * 100 + iso["week"].to_numpy()).astype(np.int64)
        _, self.week_of_day = np.unique(week_key, return_inverse=True)
        # Sum of daily returns within the week; a missing day contributes nothing.
        filled = np.nan_to_num(daily_returns, nan=0.0)
        n_weeks = int(self.week_of_day.max()) + 1 if len(dates) else 0
        self.weekly = np.zeros((n_weeks, daily_returns.shape[1]))
        np.add.at(self.weekly, self.week_of_day, filled)
        self.alpha = 2.0 / (span_weeks + 1.0)
        n = daily_returns.shape[1]
        self._S = np.zeros((n, n))
        self._weeks_used = 0
        self._corr = np.eye(n)
        self._advance = self._correlation_of = None

    def compiled(self, advance, correlation_of) -> None:  # noqa: ANN001
        """Update and normalise with these compiled loops (tradesim.decision_inputs': the same numbers)."""
        self._advance, self._correlation_of = advance, correlation_of

    def at(self, t: int) -> np.ndarray:
        """Correlation matrix usable on day t (weeks before t's week); shared, do not mutate."""
        needed = int(self.week_of_day[t])
        if needed < self._weeks_used:
            raise ValueError("WeeklyCorrelation only moves forward in time")
        if needed > self._weeks_used and self._advance is not None:
            self._advance(self._S, self.weekly, self._weeks_used, needed, self.alpha)
            self._weeks_used = needed
            self._corr = self._correlation_of(self._S)
        elif needed > self._weeks_used:
            a = self.alpha
            for w in range(self._weeks_used, needed):
                r = self.weekly[w]
                self._S *= 1 - a
                self._S += a * np.outer(r, r)
            self._weeks_used = needed
            self._corr = self._normalise(self._S)
        return self._corr

    @staticmethod
    def _normalise(S: np.ndarray) -> np.ndarray:
        sd = np.sqrt(np.diag(S))
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = S / np.outer(sd, sd)
        # An instrument without history yet is treated as uncorrelated.
        corr = np.where(np.isfinite(corr), corr, 0.0)
        np.fill_diagonal(corr, 1.0)
        return np.clip(corr, -1.0, 1.0)
