"""Hybrid trigger: calendar reviews that trade only past a threshold, plus an emergency threshold.

On a review day the portfolio trades if the review threshold is crossed; on any
day it trades if the (wider) emergency threshold is crossed. Otherwise it holds,
which saves the costs of reviews that would only shuffle a few units.
"""

from __future__ import annotations

import numpy as np

from tradesim.triggers.threshold import Threshold


class HybridTrigger:
    def __init__(self, reviews: np.ndarray, review: Threshold, emergency: Threshold | None = None) -> None:
        self.reviews, self.review, self.emergency = reviews, review, emergency
        self.review_reason = f"hybrid:review+{review.name}"
        self.emergency_reason = f"emergency:{emergency.name}" if emergency is not None else None

    def due(self, t: int, positions: np.ndarray, x_star: np.ndarray, v: np.ndarray, sigma: np.ndarray) -> str | None:
        if self.reviews[t] and self.review.crossed(positions, x_star, v, sigma):
            return self.review_reason
        if self.emergency is not None and self.emergency.crossed(positions, x_star, v, sigma):
            return self.emergency_reason
        return None
